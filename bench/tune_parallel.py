"""Try parallel-aligner settings on a gold set in seconds: embed once, align many times.

Builds exactly the pipeline's inputs (``views.parallel_windows``) for every
document of the set once — a warm embedding cache makes that a few seconds —
then aligns under each combination of the settings given and prints strict
and lax F1 over the set and strict F1 per document, the first row being the
defaults. Per-document figures matter: a change that lifts the total by
moving one document and sinking another is tuning to the set.

    python bench/tune_parallel.py --set mac merge_cost=0.005,0.01 split_weight=0.1,0.15
    python bench/tune_parallel.py --set textberg max_bead=5,6 max_side=4,5

Any field of ``ParallelParams`` can vary. Gold data is read from
../shared/gold/ and never copied. Remember: MAC-Dev is for development; a
held-out set from the same corpus judges the result, so prefer changes that
help every document.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import itertools
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_alignment import GOLD, SETS, documents

from align.embed import load_encoder
from align.evaluate import score
from align.parallel import ParallelParams, align_parallel
from align.views import parallel_windows


def grid(specs: list[str], params=ParallelParams) -> list:
    """``name=v1,v2`` specs → every combination of ``params`` (a dataclass), defaults first."""
    fields = {f.name for f in dataclasses.fields(params)}
    axes = []
    for spec in specs:
        name, _, values = spec.partition("=")
        if name not in fields or not values:
            raise SystemExit(f"{spec!r}: expected FIELD=v1,v2 with FIELD one of "
                             f"{', '.join(sorted(fields))}")
        axes.append([(name, ast.literal_eval(v)) for v in values.split(",")])
    combos = [params(**dict(c)) for c in itertools.product(*axes)]
    return [params()] + [c for c in combos if c != params()]


def changed(v) -> dict | str:
    """The settings that differ from the defaults."""
    default = type(v)()
    return {f.name: getattr(v, f.name) for f in dataclasses.fields(v)
            if getattr(v, f.name) != getattr(default, f.name)} or "defaults"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", default="mac", choices=sorted(SETS))
    ap.add_argument("--model", default="default")
    ap.add_argument("settings", nargs="*", help="FIELD=v1,v2,... (fields of ParallelParams)")
    args = ap.parse_args()
    variants = grid(args.settings)
    folder, src, tgt = SETS[args.set]
    if not (GOLD / folder).exists():
        print(f"{folder}: skipped, ../shared/gold/{folder} is absent")
        return
    encoder = load_encoder(args.model)  # the shared on-disk cache: fast from the second run
    max_side = max(v.max_side for v in variants)
    t0 = time.perf_counter()
    inputs = []
    for source, target, gold in documents(GOLD / folder, src, tgt):
        sides = []
        for doc in (source, target):
            ids = [s.id for s in doc.sentences if s.matchable]
            vecs = encoder.encode([doc.sentences[i].norm for i in ids])
            sides.append((ids, parallel_windows(doc, ids, vecs, encoder, max_side)))
        inputs.append((sides, gold))
    print(f"{folder}: {len(inputs)} documents embedded in {time.perf_counter() - t0:.1f} s")
    for v in variants:
        t0 = time.perf_counter()
        tests, golds, per_doc, confidence, right = [], [], [], [], []
        for ((src_ids, sw), (tgt_ids, tw)), gold in inputs:
            aligned = align_parallel(sw, tw, v)
            beads = [(tuple(src_ids[i] for i in s), tuple(tgt_ids[j] for j in t)) for s, t, _ in aligned]
            tests.append(beads)
            golds.append(gold)
            per_doc.append(score([gold], [beads])["strict"]["f1"])
            confidence += [c for _, _, c in aligned]
            gold_beads = set(gold)
            right += [bead in gold_beads for bead in beads]
        s = score(golds, tests)
        print(f"strict {s['strict']['f1']:.4f}  lax {s['lax']['f1']:.4f}  "
              f"per doc {np.round(per_doc, 3).tolist()}  {time.perf_counter() - t0:.1f} s  {changed(v)}")
        if v == variants[0]:
            reliability(np.array(confidence), np.array(right))


BINS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0001)


def reliability(confidence: np.ndarray, right: np.ndarray, unit: str = "beads",
                verdict: str = "exactly right") -> None:
    """How often a call of each confidence band is right (calibration): by default beads
    that are exactly the gold bead."""
    gap = 0.0
    for lo, hi in itertools.pairwise(BINS):
        band = (confidence >= lo) & (confidence < hi)
        if band.any():
            gap += abs(right[band].mean() - confidence[band].mean()) * band.sum()
            print(f"    confidence {lo:.2f}-{min(hi, 1):.2f}: {band.sum():5d} {unit}, "
                  f"mean {confidence[band].mean():.3f}, {verdict} {right[band].mean():.3f}")
    print(f"    expected calibration error {gap / len(confidence):.3f}")


if __name__ == "__main__":
    main()
