"""Word alignment (align/words.py) on the zh-en dev gold: AER, precision, recall per layer,
method and level, and a held-out estimate of choosing them by measurement.

../shared/gold/zh-en-words/ holds 50 hand-aligned Xinhua sentence pairs (DeNero &
Macherey 2011): dev.zh / dev.en tokenised, dev.align Pharaoh links, ``i-j-P``
possible, others sure. AER = 1 − (|A∩S| + |A∩P|) / (|A| + |S|), P including S;
precision against P, recall against S. Figures to beat there: HMM aligners
trained on large parallel corpora, 0.266 (one direction, grow-diag) and 0.236
(bidirectional). The held-out estimate picks the best setting on 4/5 of the
pairs and scores the other fifth, five times (all AER counts pooled), so it
pays for the choice among the 13 × 2 × 2 settings.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python bench/bench_words.py
"""

from __future__ import annotations

import argparse
import sys
import time
from itertools import product
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from align.words import LAYER, LEVEL, LEVELS, METHOD, METHODS, Sentence, WordAligner

WORDS = ROOT.parent / "shared" / "gold" / "zh-en-words"
FOLDS = 5


def read_gold(path: Path) -> list[tuple[set, set]]:
    """Per line: (sure links, possible links ⊇ sure)."""
    gold = []
    for line in path.read_text("utf-8").splitlines():
        sure, possible = set(), set()
        for item in line.split():
            parts = item.split("-")
            link = (int(parts[0]), int(parts[1]))
            possible.add(link)
            if len(parts) == 2:
                sure.add(link)
        gold.append((sure, possible))
    return gold


def counts(found: set, sure: set, possible: set) -> np.ndarray:
    return np.array([len(found), len(sure), len(found & sure), len(found & possible)])


def scores(c: np.ndarray) -> tuple[float, float, float]:
    """AER, precision, recall from summed counts (|A|, |S|, |A∩S|, |A∩P|)."""
    a, s, a_s, a_p = c
    return 1 - (a_s + a_p) / max(a + s, 1), a_p / max(a, 1), a_s / max(s, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--as-written", action="store_true",
                        help="give the model Chinese as written (words rejoined without spaces), "
                             "not the words joined by spaces")
    args = parser.parse_args()
    if not WORDS.exists():
        print(f"skipped: {WORDS} is absent (../shared/gold is for evaluation, not shipped)")
        return
    zh = [line.split() for line in (WORDS / "dev.zh").read_text("utf-8").splitlines()]
    en = [line.split() for line in (WORDS / "dev.en").read_text("utf-8").splitlines()]
    gold = read_gold(WORDS / "dev.align")
    aligner = WordAligner()
    start = time.perf_counter()
    src = [Sentence.from_tokens(z, spaced=not args.as_written) for z in zh]
    tgt = [Sentence.from_tokens(e) for e in en]
    encoded = aligner.token_words(src + tgt, layer="all")
    seconds = time.perf_counter() - start
    n = len(zh)
    layers = encoded[0][0].shape[0]
    settings = list(product(range(layers), METHODS, LEVELS))
    per_pair = {}  # setting -> [n, 4] counts
    for layer in range(layers):
        for method, level in product(METHODS, LEVELS):
            rows = []
            for k in range(n):
                (hs, so), (ht, to) = encoded[k], encoded[n + k]
                links = aligner.links(hs[layer], ht[layer], so, to, len(src[k].spans),
                                      len(tgt[k].spans), method, level)
                rows.append(counts({(x.src, x.tgt) for x in links}, *gold[k]))
            per_pair[layer, method, level] = np.array(rows)
    print(f"zh-en-words dev: {n} pairs, {sum(len(s) for s, _ in gold)} sure / "
          f"{sum(len(p) for _, p in gold)} possible links; model pass {seconds:.1f} s"
          f"{'; Chinese as written' if args.as_written else ''}")
    print(f"{'layer':>5} " + " ".join(f"{m + ' ' + lv:>22}" for m, lv in product(METHODS, LEVELS)))
    print(f"{'':>5} " + " ".join(f"{'AER   P     R':>22}" for _ in product(METHODS, LEVELS)))
    for layer in range(layers):
        cells = []
        for method, level in product(METHODS, LEVELS):
            aer, p, r = scores(per_pair[layer, method, level].sum(0))
            cells.append(f"{aer:.3f} {p:.3f} {r:.3f}")
        print(f"{layer:>5} " + " ".join(f"{c:>22}" for c in cells))
    best = min(settings, key=lambda s: scores(per_pair[s].sum(0))[0])
    print(f"best on all dev pairs: layer {best[0]} {best[1]} {best[2]}: "
          f"AER {scores(per_pair[best].sum(0))[0]:.3f}")
    default = (LAYER, METHOD, LEVEL)
    aer, p, r = scores(per_pair[default].sum(0))
    print(f"shipped default, layer {LAYER} {METHOD} {LEVEL}: AER {aer:.3f}, P {p:.3f}, R {r:.3f}")
    # Held-out estimate of choosing by measurement: pick on 4/5, score the other 1/5.
    folds = np.arange(n) % FOLDS
    pooled, picks = np.zeros(4), []
    for f in range(FOLDS):
        train, test = folds != f, folds == f
        pick = min(settings, key=lambda s: scores(per_pair[s][train].sum(0))[0])
        picks.append(pick)
        pooled += per_pair[pick][test].sum(0)
    aer, p, r = scores(pooled)
    print(f"choice held out ({FOLDS}-fold): AER {aer:.3f}, P {p:.3f}, R {r:.3f}; picks "
          + ", ".join(f"{layer}/{m}/{lv}" for layer, m, lv in picks))
    print("figures to beat (HMM, trained on large corpora): 0.266 one direction, 0.236 bidirectional")


if __name__ == "__main__":
    main()
