"""Which encoder is the default: bitext retrieval accuracy and speed of the packaged models.

Tatoeba cmn↔eng (1,000 pairs, ../shared/gold/tatoeba): for each Chinese
sentence, is its translation the nearest English one (and vice versa)? By
plain cosine and by ratio margin (k=4, as the comparable aligner scores), for
use-m3, e5-small and their fusions at several weights; plus sentences/second
on one core for each model (cold, no cache).

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python bench/bench_encoders.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from align.comparable import margins
from align.embed import E5SmallEncoder, USEEncoder

TATOEBA = ROOT.parent / "shared" / "gold" / "tatoeba"
WEIGHTS = (0.0, 0.3, 0.5, 0.7, 1.0)  # share of use-m3 in the fusion


def accuracy(sim: np.ndarray) -> tuple[float, float]:
    right = np.arange(len(sim))
    return float((sim.argmax(axis=1) == right).mean()), float((sim.argmax(axis=0) == right).mean())


def main() -> None:
    if not TATOEBA.exists():
        print(f"skipped: {TATOEBA} is absent (../shared/gold is for evaluation, not shipped)")
        return
    zh = (TATOEBA / "tatoeba.cmn-eng.cmn").read_text("utf-8").splitlines()
    en = (TATOEBA / "tatoeba.cmn-eng.eng").read_text("utf-8").splitlines()
    sims = {}
    for encoder in (USEEncoder(), E5SmallEncoder()):
        encoder.encode(["warm-up"])
        start = time.perf_counter()
        a, b = encoder.encode(zh), encoder.encode(en)
        seconds = time.perf_counter() - start
        sims[encoder.name] = a @ b.T
        print(f"{encoder.name:9} {2 * len(zh) / seconds:7.1f} sentences/s on one core")
    print(f"Tatoeba cmn-eng, {len(zh)} pairs: accuracy zh→en / en→zh")
    print(f"{'use-m3 share':>12}  {'cosine':>13}  {'ratio margin':>13}")
    for w in WEIGHTS:
        sim = w * sims["use-m3"] + (1 - w) * sims["e5-small"]
        cos, mar = accuracy(sim), accuracy(margins(sim, 4))
        print(f"{w:12.1f}  {cos[0]:.3f} / {cos[1]:.3f}  {mar[0]:.3f} / {mar[1]:.3f}")


if __name__ == "__main__":
    main()
