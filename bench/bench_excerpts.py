"""Short complete translations: does auto mode see a translation in a passage of 6-14 beads?

A translator often aligns a passage, not a book. Each gold document is cut into
consecutive runs of 6-14 gold beads (a fixed random draw), each run a complete
translation of its own; auto mode should treat every one as the parallel aligner
does. Printed per set: link P/R/F1, the share of gold beads found exactly, and
the regimes auto picked, beside parallel mode (told it is a translation) measured
in the same run.

    python bench/bench_excerpts.py                    # MAC-Dev and Text+Berg

Gold data is read from ../shared/gold/ (never copied); a set whose folder is absent
is skipped.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_alignment import beads_of
from bench_continuum import gold_documents
from coverage import counts, prf

from align import __version__
from align.embed import load_encoder
from align.ingest import document_from_text
from align.pipeline import align_documents

LANGS = {"mac": ("zh", "en"), "textberg": ("de", "fr")}


def excerpts(docs, seed: int = 0):
    """(source lines, target lines, gold beads) of runs of 6-14 consecutive matched beads."""
    rng = random.Random(seed)
    for _, src, tgt, gold in docs:
        beads = [b for b in gold if b[0] and b[1]]
        k = 0
        while k < len(beads):
            size = rng.randint(6, 14)
            part, k = beads[k:k + size], k + size
            s = sorted(i for b in part for i in b[0])
            t = sorted(j for b in part for j in b[1])
            if s != list(range(s[0], s[-1] + 1)) or t != list(range(t[0], t[-1] + 1)):
                continue  # a 1-0 / 0-1 bead of the gold sits inside: not a complete translation
            yield ([src[i] for i in s], [tgt[j] for j in t],
                   [(tuple(i - s[0] for i in a), tuple(j - t[0] for j in b)) for a, b in part])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="mac,textberg")
    ap.add_argument("--model", default="default")
    args = ap.parse_args()
    print(f"zhen-align {__version__} | encoder {args.model} | OMP_NUM_THREADS="
          f"{os.environ.get('OMP_NUM_THREADS', 'unset')}")
    encoder = load_encoder(args.model)
    for name in args.sets.split(","):
        docs = gold_documents(name)
        if docs is None:
            print(f"{name}: skipped, its folder under ../shared/gold/ is absent")
            continue
        cases = list(excerpts(docs))
        print(f"\n{name}: {len(cases)} passages of 6-14 beads\n"
              f"  {'mode':9} link P    R     F1   beads found  regimes picked")
        for mode in ("auto", "parallel"):
            total, found, picked = np.zeros(9), 0, Counter()
            for src, tgt, gold in cases:
                alignment = align_documents(
                    document_from_text("\n".join(src), LANGS[name][0], "src", presplit=True),
                    document_from_text("\n".join(tgt), LANGS[name][1], "tgt", presplit=True),
                    encoder, mode=mode, words=False)
                test = beads_of(alignment.pairs)
                total += counts(gold, test)
                found += len(set(gold) & set(test))
                picked[alignment.mode] += 1
            lp, lr, lf = prf(total)[:3]
            share = found / sum(len(g) for _, _, g in cases)
            print(f"  {mode:9} {lp:.3f} {lr:.3f} {lf:.3f}  {share:.3f}        {dict(picked)}")


if __name__ == "__main__":
    main()
