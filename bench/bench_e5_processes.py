"""A book's e5 sentence vectors in one process against shared out among processes, in one run.

The texts are MAC-Dev's sentences (../shared/gold/mac-dev, both languages) repeated
as the 10,000-sentence pair of bench_alignment.py makes them, each copy unique, so
nothing is cached. Prints sentences/second each way (worker start-up included),
their ratio, and the cosine between the two sets of vectors.

    OMP_NUM_THREADS=1 python bench/bench_e5_processes.py [--texts 4000] [--processes N]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_e5_torch import GOLD, mac_sentences

from align.e5_processes import MAX_PROCESSES, encode_in_processes, usable_cores
from align.e5_torch import E5Torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=4000)
    parser.add_argument("--processes", type=int, default=min(usable_cores(), MAX_PROCESSES))
    args = parser.parse_args()
    if not GOLD.exists():
        print(f"skipped: {GOLD} is absent (../shared/gold is for evaluation, not shipped)")
        return
    mac = mac_sentences()
    texts = [f"{s} ({k})" for k in range(-(-args.texts // len(mac))) for s in mac][:args.texts]
    model = E5Torch()
    t0 = time.perf_counter()
    one = model.encode(texts)
    t1 = time.perf_counter()
    shared = encode_in_processes(texts, args.processes, model.encode)
    t2 = time.perf_counter()
    cos = np.einsum("id,id->i", one, shared)
    print(f"{len(texts)} texts, {os.cpu_count()} cores: one process {len(texts) / (t1 - t0):.1f} "
          f"sent/s ({t1 - t0:.1f} s), {args.processes} processes {len(texts) / (t2 - t1):.1f} "
          f"sent/s ({t2 - t1:.1f} s): {(t1 - t0) / (t2 - t1):.2f}x; cosine min {cos.min():.7f}")


if __name__ == "__main__":
    main()
