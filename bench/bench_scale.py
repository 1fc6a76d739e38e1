"""How parallel-mode alignment scales: aligner cost by size, and end-to-end speed.

Printed figures, not a timed test. Three parts:

1. **Aligner only** at N sentences per side (default 1k, 10k, 50k), on
   synthetic embeddings with a known answer: seconds and peak memory of
   building the windows (averaged sentence vectors, as for a slow encoder)
   and ``align_parallel``, their growth from one size to the next, and strict/lax
   F1 against the synthetic gold as a sanity check that the run was real.
2. **Pipeline after embedding** at the same sizes: ``align_documents`` given
   precomputed vectors, i.e. everything the pipeline does except reading and
   embedding (aligning, candidate lists, claim flags).
3. **End to end** with a real encoder (default: the embedded default) on a
   zh→en pair of seed sentences, cold (empty cache) and warm: sentences per
   second and where the time goes. Its cold rate also turns parts 1-2 into
   the aligner's share of a whole run at each size.

Synthetic data: source rows are random unit vectors sharing a topic
direction (unrelated pairs have cosine ≈ 0.15, as real embeddings do); the
target follows them in order with noise (true pairs ≈ 0.74), with 5% 2-1
merges, 5% 1-2 splits and 1% deletions/insertions each. Lengths follow the
same beads, so the length prior sees a real translation's lengths.

Usage (from the project root; two cores, so one BLAS thread):

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python bench/bench_scale.py
    ... --sizes 1000 10000 --pipeline-sizes 1000 --e2e-sentences 500 --model use-m3
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from align import parallel
from align.embed import (
    E5SmallEncoder,
    Encoder,
    SentenceTransformerEncoder,
    load_encoder,
)
from align.evaluate import score
from align.ingest import load_document
from align.model import Document, Sentence
from align.pipeline import align_documents
from align.pooled import PooledUSE
from align.views import windows

CORPUS = ROOT / "corpus"
ZH_SEED = CORPUS / "001_6e67b410ee902a66.txt"
EN_SEEDS = sorted(CORPUS.glob("00[0234]_*.txt"))
DIM = 512 + 384  # the embedded default: use-m3 and e5-small side by side
TOPIC_WEIGHT = 0.5  # shared direction: unrelated cosines ≈ 0.15
NOISE = 0.9  # target noise: true-pair cosines ≈ 0.74
MERGE, SPLIT, DELETE, INSERT = 0.05, 0.05, 0.01, 0.01
LENGTH_JITTER = 0.15
MIN_CHARS, MAX_CHARS = 20, 200
MB = 2**20


@dataclass
class Synthetic:
    src: np.ndarray
    tgt: np.ndarray
    src_chars: np.ndarray
    tgt_chars: np.ndarray
    gold: list[tuple[tuple[int, ...], tuple[int, ...]]]


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def synthetic_pair(n: int, seed: int = 0) -> Synthetic:
    """n source sentences and their noisy, monotone 'translation' with known beads."""
    rng = np.random.default_rng(seed)
    topic = TOPIC_WEIGHT * _unit(rng.standard_normal(DIM))
    src = _unit(topic + _unit(rng.standard_normal((n, DIM), dtype=np.float32)))
    src_chars = rng.integers(MIN_CHARS, MAX_CHARS, n).astype(float)
    rows, chars, gold = [], [], []
    i = j = 0
    while i < n:
        r = rng.random()
        if r < MERGE and i + 1 < n:  # 2-1: the translator joined two sentences
            rows.append(src[i] + src[i + 1])
            chars.append(src_chars[i] + src_chars[i + 1])
            gold.append(((i, i + 1), (j,)))
            i, j = i + 2, j + 1
        elif r < MERGE + SPLIT:  # 1-2: and split one
            share = rng.uniform(0.3, 0.7)
            rows += [src[i] * share, src[i] * (1 - share)]
            chars += [src_chars[i] * share, src_chars[i] * (1 - share)]
            gold.append(((i,), (j, j + 1)))
            i, j = i + 1, j + 2
        elif r < MERGE + SPLIT + DELETE:
            gold.append(((i,), ()))
            i += 1
        elif r < MERGE + SPLIT + DELETE + INSERT:
            rows.append(topic + _unit(rng.standard_normal(DIM)))
            chars.append(rng.integers(MIN_CHARS, MAX_CHARS))
            gold.append(((), (j,)))
            j += 1
        else:
            rows.append(src[i])
            chars.append(src_chars[i])
            gold.append(((i,), (j,)))
            i, j = i + 1, j + 1
    tgt = np.asarray(rows, dtype=np.float32)
    tgt = _unit(_unit(tgt) + NOISE * _unit(rng.standard_normal(tgt.shape, dtype=np.float32)))
    tgt_chars = np.asarray(chars) * rng.uniform(1 - LENGTH_JITTER, 1 + LENGTH_JITTER, len(chars))
    return Synthetic(src, tgt, src_chars, tgt_chars, gold)


def averaged_windows(vecs: np.ndarray, chars: np.ndarray, max_side: int) -> parallel.Windows:
    """Windows as the pipeline builds them from a slow encoder's sentence vectors (averaged)."""
    runs = windows(Precomputed(vecs), [""] * len(vecs), vecs, max_side)
    return parallel.Windows(runs, parallel.window_chars(chars, max_side))


def run_aligner(data: Synthetic) -> list:
    """What the pipeline's parallel mode runs once the sentences are embedded."""
    p = parallel.ParallelParams()
    sw = averaged_windows(data.src, data.src_chars, p.max_side)
    tw = averaged_windows(data.tgt, data.tgt_chars, p.max_side)
    return parallel.align_parallel(sw, tw, p)


def timed(fn, *args):
    """(result, seconds, peak MB of new allocations); two runs, since tracemalloc slows Python."""
    started = time.perf_counter()
    result = fn(*args)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    fn(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, seconds, peak / MB


class Precomputed(Encoder):
    """Hands the pipeline vectors made beforehand, in the order it asks for texts."""

    name = "precomputed"

    def __init__(self, vecs: np.ndarray) -> None:
        self.vecs = vecs
        self.dim = vecs.shape[1]

    def encode(self, texts, progress=None) -> np.ndarray:
        if len(texts) != len(self.vecs):
            raise ValueError(f"asked for {len(texts)} texts, have {len(self.vecs)} vectors")
        return self.vecs


def seed_sentences(path: Path, lang: str) -> list[str]:
    return [s.text for s in load_document(path, lang).sentences if s.matchable]


def synthetic_documents(data: Synthetic) -> tuple[Document, Document]:
    """English documents shaped like ``data``: a target bead's text joins its source texts."""
    pool = [t for path in EN_SEEDS for t in seed_sentences(path, "en")]
    src_text = [pool[i % len(pool)] for i in range(len(data.src))]
    tgt_text = []
    for src_ids, tgt_ids in data.gold:
        joined = " ".join(src_text[i] for i in src_ids) or pool[len(tgt_text) % len(pool)]
        tgt_text += [joined] * len(tgt_ids)

    def document(texts: list[str], name: str) -> Document:
        return Document("en", name, [Sentence(i, t, t, 0) for i, t in enumerate(texts)])

    return document(src_text, "synthetic-src"), document(tgt_text, "synthetic-tgt")


def run_pipeline(data: Synthetic) -> None:
    source, target = synthetic_documents(data)
    align_documents(source, target, Precomputed(np.vstack([data.src, data.tgt])), mode="parallel",
                    words=False)


def bench_aligner(sizes: list[int]) -> dict[int, float]:
    print(f"1. Aligner only (averaged windows + align_parallel), synthetic embeddings, d={DIM}")
    print(f"{'N/side':>8} {'target':>8} {'seconds':>8} {'µs/sent':>8} {'peak MB':>8} "
          f"{'KB/sent':>8} {'strict F1':>9} {'lax F1':>7}")
    seconds_by_n, previous = {}, None
    for n in sizes:
        data = synthetic_pair(n)
        beads, seconds, peak = timed(run_aligner, data)
        test = [(tuple(s), tuple(t)) for s, t, _ in beads]
        f1 = score([data.gold], [test])
        total = n + len(data.tgt)
        print(f"{n:>8,} {len(data.tgt):>8,} {seconds:>8.2f} {1e6 * seconds / total:>8.0f} "
              f"{peak:>8.0f} {1024 * peak / total:>8.1f} {f1['strict']['f1']:>9.3f} "
              f"{f1['lax']['f1']:>7.3f}")
        if previous:
            pn, ps, pp = previous
            print(f"{'':>8} growth x{n / pn:.0f} in N: time x{seconds / ps:.1f}, "
                  f"memory x{peak / pp:.1f}")
        previous = (n, seconds, peak)
        seconds_by_n[n] = seconds
    return seconds_by_n


def bench_pipeline(sizes: list[int]) -> dict[int, tuple[float, float]]:
    print("\n2. Pipeline after embedding (align_documents, parallel mode, precomputed vectors)")
    print(f"{'N/side':>8} {'total s':>8} {'peak MB':>8} "
          "(total = aligning + candidate lists + claim flags)")
    out = {}
    for n in sizes:
        data = synthetic_pair(n)
        _, total, peak = timed(run_pipeline, data)
        print(f"{n:>8,} {total:>8.2f} {peak:>8.0f}")
        out[n] = total
    return out


def numbered(sentences: list[str], count: int, mark: str) -> str:
    """``count`` distinct lines from a few seed sentences (distinct, so the cache cannot cheat)."""
    return "\n".join(mark.format(k=k) + sentences[k % len(sentences)] for k in range(count)) + "\n"


class ModelClock:
    """Seconds spent inside the models themselves, wherever the pipeline calls them.

    Embedding is not one stage any more: a fast encoder also embeds every
    window of consecutive sentences during alignment. Timing each model's
    batch call counts all of it, and nothing else.
    """

    # USE's model work is its token sums (sentences, and the joins of windows and clauses).
    MODELS = ((E5SmallEncoder, "_encode_batch"), (SentenceTransformerEncoder, "_encode_batch"),
              (PooledUSE, "parts"), (PooledUSE, "joins"))

    def __init__(self) -> None:
        self.seconds = 0.0
        self.texts = 0
        for cls, name in self.MODELS:
            setattr(cls, name, self._timed(getattr(cls, name)))

    def _timed(self, encode_batch):
        def timed(model, texts, *rest):
            started = time.perf_counter()
            try:
                return encode_batch(model, texts, *rest)
            finally:
                self.seconds += time.perf_counter() - started
                self.texts += len(texts)
        return timed

    def reset(self) -> None:
        self.seconds, self.texts = 0.0, 0


def bench_end_to_end(model: str, count: int) -> float:
    """Print cold and warm runs; return the cold embedding rate (sentences per model-second)."""
    print(f"\n3. End to end, model {model!r}: {count} zh + {count} en seed sentences, numbered "
          "so none repeats, one per line (--presplit), parallel mode")
    zh = seed_sentences(ZH_SEED, "zh")
    en = [t for path in EN_SEEDS for t in seed_sentences(path, "en")]
    clock = ModelClock()
    with tempfile.TemporaryDirectory() as tmp:
        src, tgt = Path(tmp) / "src.zh.txt", Path(tmp) / "tgt.en.txt"
        src.write_text(numbered(zh, count, "第{k}條："), encoding="utf-8")
        tgt.write_text(numbered(en, count, "Item {k}: "), encoding="utf-8")
        os.environ["ALIGN_CACHE_DIR"] = str(Path(tmp) / "cache")
        started = time.perf_counter()
        encoder = load_encoder(model)
        print(f"   load_encoder {time.perf_counter() - started:.1f} s (weights that load lazily "
              "count in the cold run)")
        cold_rate = 0.0
        for run in ("cold", "warm"):
            clock.reset()
            started = time.perf_counter()
            source = load_document(src, "zh", presplit=True)
            target = load_document(tgt, "en", presplit=True)
            ingest = time.perf_counter() - started
            align_documents(source, target, encoder, mode="parallel", words=False)
            total = time.perf_counter() - started
            rest = total - ingest - clock.seconds
            cold_rate = cold_rate or 2 * count / clock.seconds
            print(f"   {run}: {total:7.1f} s = {2 * count / total:7.1f} sentences/s; read "
                  f"{ingest:.1f} s, models {clock.seconds:.1f} s ({clock.texts:,} texts: sentences "
                  f"and windows), everything else {rest:.1f} s ({rest / total:.0%})")
    return cold_rate


def print_shares(aligner: dict[int, float], pipeline: dict[int, float], embed_rate: float,
                 model: str) -> None:
    print(f"\n4. Share of a cold run at each size (embedding at the measured {embed_rate:.1f} "
          f"sentences per model-second of {model!r}, extrapolated)")
    print(f"{'N/side':>8} {'embed s':>9} {'aligner s':>9} {'share':>6} {'after-embed s':>13} "
          f"{'share':>6}")
    for n, align_s in aligner.items():
        embed_s = 2 * n / embed_rate
        line = (f"{n:>8,} {embed_s:>9.0f} {align_s:>9.1f} "
                f"{align_s / (embed_s + align_s):>6.1%}")
        if n in pipeline:
            rest = pipeline[n]
            line += f" {rest:>13.1f} {rest / (embed_s + rest):>6.1%}"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10_000, 50_000])
    parser.add_argument("--pipeline-sizes", type=int, nargs="*", default=[1000, 10_000, 50_000])
    parser.add_argument("--e2e-sentences", type=int, default=1000,
                        help="sentences per side of the end-to-end run (0 skips it)")
    parser.add_argument("--model", default="default", help="encoder of the end-to-end run")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (shared machine)\n")
    aligner = bench_aligner(args.sizes) if args.sizes else {}
    pipeline = bench_pipeline(args.pipeline_sizes) if args.pipeline_sizes else {}
    if args.e2e_sentences:
        rate = bench_end_to_end(args.model, args.e2e_sentences)
        if aligner:
            print_shares(aligner, pipeline, rate, args.model)
    print(f"\nload average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
