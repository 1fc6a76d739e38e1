"""Batch throughput: 200 small zh→en pairs with 1 and 2 local workers (and Ray, if installed).

Printed figures, not a timed test. Each configuration runs the real command,
``python -m align batch FOLDER --out DIR``, in a fresh process with an empty
embedding cache, so its wall time includes model loading (once per worker)
and, for Ray, starting a local cluster: what a user waits for. A second run
into a new output folder with the now-warm cache shows the cost without
embedding.

The pairs are cut from the seed texts: pair k holds three sentences of
corpus/001 and three English sentences of the other seeds, each numbered
with k so that no sentence repeats across pairs (repeats would be embedded
once and flatter the figures).

Usage (from the project root):

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python bench/bench_batch.py
    ... --pairs 50 --models use-m3 --configs local:1 local:2
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from align.ingest import load_document

CORPUS = ROOT / "corpus"
ZH_SEED = CORPUS / "001_6e67b410ee902a66.txt"
EN_SEEDS = sorted(CORPUS.glob("00[0234]_*.txt"))
SENTENCES_PER_SIDE = 3
CONFIGS = ("local:1", "local:2", "ray:2")


def seed_sentences(path: Path, lang: str) -> list[str]:
    return [s.text for s in load_document(path, lang).sentences if s.matchable]


def make_pairs(folder: Path, count: int) -> None:
    """``pNNN.zh.txt``/``pNNN.en.txt``, one numbered sentence per line."""
    zh = seed_sentences(ZH_SEED, "zh")
    en = [t for path in EN_SEEDS for t in seed_sentences(path, "en")]
    for k in range(count):
        lines_zh = [f"第{k}篇：{zh[(SENTENCES_PER_SIDE * k + i) % len(zh)]}"
                    for i in range(SENTENCES_PER_SIDE)]
        lines_en = [f"Story {k}: {en[(SENTENCES_PER_SIDE * k + i) % len(en)]}"
                    for i in range(SENTENCES_PER_SIDE)]
        (folder / f"p{k:04d}.zh.txt").write_text("\n".join(lines_zh) + "\n", encoding="utf-8")
        (folder / f"p{k:04d}.en.txt").write_text("\n".join(lines_en) + "\n", encoding="utf-8")


def run(folder: Path, out: Path, cache: Path, model: str, config: str) -> tuple[float, int, int]:
    """(wall seconds, pairs aligned, sentences) of one ``align batch`` process."""
    engine, workers = config.split(":")
    env = {**os.environ, "ALIGN_CACHE_DIR": str(cache), "OMP_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "align", "batch", str(folder), "--out", str(out),
               "--model", model, "--engine", engine, "--workers", workers]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    with open(out / "batch-summary.tsv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["status"] == "aligned"]
    sentences = sum(int(r["src_sentences"]) + int(r["tgt_sentences"]) for r in rows)
    return seconds, len(rows), sentences


def ray_installed() -> bool:
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--models", nargs="+", default=["default", "use-m3"])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS),
                        help="engine:workers, e.g. local:1 local:2 ray:2")
    args = parser.parse_args()
    configs = [c for c in args.configs if not c.startswith("ray:") or ray_installed()]
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
          "(other processes share these cores)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "pairs"
        folder.mkdir()
        make_pairs(folder, args.pairs)
        print(f"{'model':<8} {'engine:workers':<15} {'cache':<5} {'seconds':>8} {'pairs':>6} "
              f"{'pairs/s':>8} {'sent/s':>8}")
        for model in args.models:
            for config in configs:
                cache = Path(tmp) / f"cache-{model}-{config.replace(':', '-')}"
                for state in ("cold", "warm"):
                    out = Path(tmp) / f"out-{model}-{config.replace(':', '-')}-{state}"
                    seconds, pairs, sentences = run(folder, out, cache, model, config)
                    print(f"{model:<8} {config:<15} {state:<5} {seconds:>8.1f} {pairs:>6} "
                          f"{pairs / seconds:>8.2f} {sentences / seconds:>8.1f}", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
