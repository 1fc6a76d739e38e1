"""Unsupported spans on clauses inserted into MAC-Dev translation pairs (dev version of
the held-out check of issue 11).

From ../shared/gold/mac-dev (never copied into the project) take 1-1 gold beads,
and for each make a treated copy: a clause (a stretch between commas) of another
sentence of the same side, far away in the same chapter, inserted at a comma or
before the end mark of one side (Chinese and English in turn). The flagged
characters of the treated pairs (both sides) are scored against the inserted
ones: character precision / recall / F1 (spaces not counted); the untouched
pairs give the rate of flags where nothing was inserted (translators' own
freedoms are in there too, so it is not zero by construction).

Word links are computed once per pair (the default word aligner, and argmax for
the baseline), and every text the dilution test reads is embedded once (the
default encoder's fast member, as the pipeline uses); every setting of
``align.support`` is then scored on them (with CC-CEDICT's words as support, as the
pipeline does; the baselines and the default without it are printed too). It prints
the grid, the defaults, two plain baselines (every content word with no argmax link,
no bar; itermax links below 0.5), the word evidence alone (no dilution test) and a
leave-one-document-out estimate of choosing the setting: pick on five chapters,
score on the sixth, pooled.

    OMP_NUM_THREADS=1 python bench/bench_unsupported.py [--per-doc 60]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from itertools import product
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from align.claims import flag_claims  # noqa: E402
from align.evidence import add_word_links  # noqa: E402
from align.model import Alignment, Document, Pair, Sentence  # noqa: E402
from align.embed import Encoder, load_encoder  # noqa: E402
from align.support import Settings, flag_unsupported  # noqa: E402
from align.views import fast_part  # noqa: E402
from align.words import WordAligner  # noqa: E402

MAC = ROOT.parent / "shared" / "gold" / "mac-dev"
BARS = (0.3, 0.35, 0.4, 0.5)
WINDOWS = (0, 1)
MIN_WORDS_GRID = (2, 3, 4)
DILUTIONS = (0.0, 0.01, 0.02, 0.03, 0.04)
# A clause worth inserting: 4-15 English words, 5-20 Chinese characters.
CLAUSE = {"en": re.compile(r"[^,;:.!?\"“”]+"), "zh": re.compile(r"[^，；：。！？“”]+")}
CLAUSE_SIZE = {"en": (4, 15), "zh": (5, 20)}
COMMA = {"en": ",", "zh": "，"}
FAR = 20  # sentences between a pair and the sentence its clause comes from


def read_doc(name: str) -> tuple[list[str], list[str], list[tuple[list[int], list[int]]]]:
    zh = (MAC / "zh" / name).read_text(encoding="utf-8").splitlines()
    en = (MAC / "en" / name).read_text(encoding="utf-8").splitlines()
    beads = []
    for line in (MAC / "gold" / f"{name}.align").read_text().splitlines():
        s, t = line.split(":")[:2]
        beads.append(([int(x) for x in s.strip("[] ").split(",") if x.strip()],
                      [int(x) for x in t.strip("[] ").split(",") if x.strip()]))
    return zh, en, beads


def clauses(text: str, lang: str) -> list[str]:
    lo, hi = CLAUSE_SIZE[lang]
    out = []
    for m in CLAUSE[lang].finditer(text):
        c = m.group().strip()
        size = len(c.split()) if lang == "en" else len(c)
        if lo <= size <= hi:
            out.append(c)
    return out


def insert(text: str, clause: str, lang: str, rng: random.Random) -> tuple[str, int, int]:
    """``text`` with ``clause`` inserted after a comma (or before the end mark): the new
    text and the clause's offsets in it."""
    comma = COMMA[lang]
    commas = [m.end() for m in re.finditer(re.escape(comma), text)]
    space = " " if lang == "en" else ""
    if commas:
        at = rng.choice(commas)
        head = text[:at] + space
        return head + clause + comma + text[at:], len(head), len(head) + len(clause)
    at = len(text) - 1 if text and not text[-1].isalnum() else len(text)
    head = text[:at] + comma + space
    return head + clause + text[at:], len(head), len(head) + len(clause)


def build(per_doc: int, seed: int):
    """One Alignment holding every untouched and treated pair, and per pair its
    document, whether it is treated, and the inserted (side, sentence, start, end)."""
    rng = random.Random(seed)
    src, tgt, pairs, info = [], [], [], []

    def add(doc: list[Sentence], text: str) -> int:
        doc.append(Sentence(len(doc), text, text, 0))
        return len(doc) - 1

    for name in sorted(p.name for p in (MAC / "zh").iterdir()):
        zh, en, beads = read_doc(name)
        ones = [(s[0], t[0]) for s, t in beads if len(s) == 1 and len(t) == 1
                and len(zh[s[0]]) >= 10 and len(en[t[0]].split()) >= 6]
        for k, (i, j) in enumerate(rng.sample(ones, min(per_doc, len(ones)))):
            side, lang, lines, here = ("tgt", "en", en, j) if k % 2 else ("src", "zh", zh, i)
            far = [c for n, line in enumerate(lines) if abs(n - here) > FAR for c in clauses(line, lang)]
            text, a, b = insert(lines[here], rng.choice(far), lang, rng)
            pairs.append(Pair([add(src, zh[i])], [add(tgt, en[j])], 1.0))
            info.append((name, False, None))
            s_text, t_text = (text, en[j]) if side == "src" else (zh[i], text)
            pairs.append(Pair([add(src, s_text)], [add(tgt, t_text)], 1.0))
            sid = pairs[-1].src[0] if side == "src" else pairs[-1].tgt[0]
            info.append((name, True, (side, sid, a, b)))
    alignment = Alignment(Document("zh", "mac-dev", src), Document("en", "mac-dev", tgt), "", "parallel", pairs)
    return alignment, info


def flagged_chars(alignment: Alignment, pair: Pair) -> set[tuple[str, int, int]]:
    out = set()
    for f in pair.flags:
        if f.kind == "unsupported":
            text = (alignment.source if f.side == "src" else alignment.target).sentences[f.sentence].text
            out |= {(f.side, f.sentence, c) for c in range(f.start, f.end) if not text[c].isspace()}
    return out


def score(alignment: Alignment, info, docs: set[str]) -> dict[str, float]:
    """Character P/R/F1 on treated pairs, flag rates on untouched ones, for ``docs``."""
    tp = fp = fn = 0
    untouched = with_flags = flags = 0
    for pair, (name, treated, ins) in zip(alignment.pairs, info):
        if name not in docs:
            continue
        got = flagged_chars(alignment, pair)
        if not treated:
            untouched += 1
            n = sum(f.kind == "unsupported" for f in pair.flags)
            flags += n
            with_flags += n > 0
            continue
        side, sid, a, b = ins
        text = (alignment.source if side == "src" else alignment.target).sentences[sid].text
        gold = {(side, sid, c) for c in range(a, b) if not text[c].isspace()}
        tp += len(got & gold)
        fp += len(got - gold)
        fn += len(gold - got)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"p": p, "r": r, "f1": f1, "pairs_flagged": with_flags / max(untouched, 1),
            "flags_per_pair": flags / max(untouched, 1), "counts": (tp, fp, fn)}


class Memo:
    """An encoder that embeds each text once per run (the grid asks for the same texts)."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder, self.vecs = encoder, {}

    def encode(self, texts: list[str], progress=None):
        new = [t for t in dict.fromkeys(texts) if t not in self.vecs]
        if new:
            self.vecs.update(zip(new, self.encoder.encode(new)))
        return [self.vecs[t] for t in texts]


def line(label: str, s: dict[str, float]) -> str:
    return (f"{label:34} P {s['p']:.3f}  R {s['r']:.3f}  F1 {s['f1']:.3f}   untouched: "
            f"{s['pairs_flagged']:.3f} of pairs flagged, {s['flags_per_pair']:.2f} flags/pair")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--per-doc", type=int, default=60, help="1-1 gold pairs sampled per chapter")
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    if not MAC.is_dir():
        print(f"skipped: {MAC} not found (the MAC-Dev gold is not part of the project)")
        return 0
    start = time.time()
    alignment, info = build(args.per_doc, args.seed)
    docs = sorted({name for name, _, _ in info})
    itermax = WordAligner()
    add_word_links(alignment, itermax)
    itermax_words = [p.words for p in alignment.pairs]
    add_word_links(alignment, WordAligner(itermax.model, method="argmax"))
    argmax_words = [p.words for p in alignment.pairs]
    print(f"{len(info) // 2} pairs x (untouched, treated) from {len(docs)} MAC-Dev chapters; "
          f"word links in {time.time() - start:.0f} s")

    # As in the pipeline, figures stated on one side only are flagged first (and count
    # as unsupported words).
    flag_claims(alignment)
    figures = [list(p.flags) for p in alignment.pairs]

    encoder = Memo(fast_part(load_encoder()))

    def run(settings: Settings, words, sentence_model: Encoder | None = encoder) -> dict:
        for pair, w, f in zip(alignment.pairs, words, figures):
            pair.words, pair.flags = w, list(f)
        flag_unsupported(alignment, sentence_model, settings)
        return score(alignment, info, set(docs))

    no_argmax = run(Settings(bar=1e-6, window=0, min_words=1, dictionary=False), argmax_words, None)
    print(line("baseline: no argmax link", no_argmax))
    weak_itermax = run(Settings(bar=0.5, window=0, min_words=1, dictionary=False), itermax_words,
                       None)
    print(line("baseline: itermax link < 0.5", weak_itermax))
    print(line("word evidence alone (0.1.5)",
               run(Settings(0.35, 1, 3, dictionary=False), itermax_words, None)))
    print(line("word evidence and the dictionary", run(Settings(0.35, 1, 3), itermax_words, None)))
    print(line("default without the dictionary", run(Settings(dictionary=False), itermax_words)))

    grid = [Settings(*s) for s in product(BARS, WINDOWS, MIN_WORDS_GRID, DILUTIONS)]
    results = {}
    for settings in grid:
        pooled = run(settings, itermax_words)
        results[settings] = {d: score(alignment, info, {d}) for d in docs} | {"all": pooled}
    print("\nbar   window min  dilution  P      R      F1     untouched pairs flagged")
    for settings in grid:
        s = results[settings]["all"]
        print(f"{settings.bar:.2f}  {settings.window}      {settings.min_words}    "
              f"{settings.dilution:.2f}"
              f"      {s['p']:.3f}  {s['r']:.3f}  {s['f1']:.3f}  {s['pairs_flagged']:.3f}")
    print(line("default", results[Settings()]["all"]), Settings().signature())

    # Leave one document out: choose by pooled F1 on five chapters, score the sixth.
    tp = fp = fn = 0
    flagged = total = 0
    for held in docs:
        def pooled(settings: Settings) -> float:
            c = [results[settings][d]["counts"] for d in docs if d != held]
            t, f, n = (sum(x) for x in zip(*c))
            return 2 * t / (2 * t + f + n)
        best = max(grid, key=pooled)
        s = results[best][held]
        t, f, n = s["counts"]
        tp, fp, fn = tp + t, fp + f, fn + n
        pairs = sum(1 for name, treated, _ in info if name == held and not treated)
        flagged += s["pairs_flagged"] * pairs
        total += pairs
        print(f"  held out {held}: chose {best.signature()}  F1 {s['f1']:.3f}")
    p, r = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    print(f"leave-one-document-out: P {p:.3f}  R {r:.3f}  F1 {2 * p * r / max(p + r, 1e-9):.3f}   "
          f"untouched pairs flagged {flagged / total:.3f}")
    print(f"done in {time.time() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
