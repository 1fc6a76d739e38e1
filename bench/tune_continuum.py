"""Try continuum-aligner settings over the range of coverage-like pairs: prepare once, align many.

Makes every pair of ``bench/coverage.py``'s settings for every document of a
gold set, prepares the aligner's inputs once (warm embedding cache: seconds),
then aligns under each combination of the settings given and prints, per
setting, link F1 and unmatched F1 per side, with every document's link F1
(leave-one-document-out: a change should hold on each document, not just the
total). The first row is always the defaults.

    python bench/tune_continuum.py --set mac support=0.5,1.0 open_cost=2,4

Any field of ``ContinuumParams`` can vary. Gold data is read from
../shared/gold/ and never copied.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_alignment import beads_of
from bench_continuum import gold_documents
from coverage import SETTINGS, counts, make_case, prf
from tune_parallel import changed, grid

from align.aligners import ContinuumAligner
from align.continuum import ContinuumParams
from align.embed import load_encoder
from align.ingest import document_from_text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", default="mac", choices=("mac", "news", "textberg"))
    ap.add_argument("--settings", default="", help="only the coverage settings whose name has this text")
    ap.add_argument("params", nargs="*", help="FIELD=v1,v2,... (fields of ContinuumParams)")
    args = ap.parse_args()
    variants = grid(args.params, ContinuumParams)
    docs = gold_documents(args.set)
    if docs is None:
        print(f"{args.set}: skipped, its folder under ../shared/gold/ is absent")
        return
    langs = ("de", "fr") if args.set == "textberg" else ("zh", "en")
    encoder = load_encoder()
    for setting in SETTINGS:
        if args.settings not in setting.name:
            continue
        prepared = []
        for k, (doc, src, tgt, gold) in enumerate(docs):
            case = make_case(doc, src, tgt, gold, setting, 0, docs[(k + 1) % len(docs)][2])
            source = document_from_text("\n".join(case.src), langs[0], presplit=True)
            target = document_from_text("\n".join(case.tgt), langs[1], presplit=True)
            aligner = ContinuumAligner()
            prepared.append((aligner.prepare(source, target, encoder), case.gold))
        print(f"\n{setting.name}")
        for v in variants:
            total, per_doc = np.zeros(9), []
            for inputs, gold in prepared:
                pairs = ContinuumAligner(v).align(inputs)
                c = counts(gold, beads_of(pairs))
                total += c
                per_doc.append(prf(c)[2])
            lp, lr, lf, us, ut = prf(total)
            print(f"  link P {lp:.3f} R {lr:.3f} F1 {lf:.3f} | unmatched {us:.3f} {ut:.3f} | "
                  f"{' '.join(f'{x:.2f}' for x in per_doc)} | {changed(v)}")


if __name__ == "__main__":
    main()
