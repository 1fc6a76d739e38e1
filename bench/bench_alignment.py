"""Alignment quality and speed against the public gold sets and Bertalign's approach.

Prints, for MAC-Dev (zh→en) and Text+Berg (de→fr), strict/lax F1 with the
Vecalign/Bertalign scorer and seconds split into embedding and alignment; the
same for *Bertalign's approach with the same encoder* (embed every window of
1-4 consecutive sentences on both sides, then a DP scoring beads by local
margin × length agreement) and the speed ratio, measured in this run; and
sentences/second on a 10,000-sentence synthetic pair.

    python bench/bench_alignment.py                 # everything (~40 min on 2 cores)
    python bench/bench_alignment.py --sets mac --no-baseline

Gold data is read from ../shared/gold/ (never copied into the project); a set
whose folder is absent is skipped with a message. Every run uses a fresh
embedding cache, so times are cold.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from align import __version__
from align.embed import EmbeddingCache, load_encoder
from align.evaluate import read_beads, score
from align.ingest import load_document
from align.parallel import ParallelParams, Windows, align_parallel, window_chars
from align.pipeline import align_documents

GOLD = ROOT.parent / "shared" / "gold"
SETS = {"mac": ("mac-dev", "zh", "en"), "textberg": ("text+berg", "de", "fr")}
# Bertalign's bead scoring: local margin x length agreement, skip -0.1, a+b <= 5.
BERTALIGN = ParallelParams(merge_cost=0.0, member_weight=0.0)


def gold_file(folder: Path, name: str) -> Path:
    """A gold set's beads for document ``name``: ``gold/NAME.align`` (MAC-Dev) or ``gold/NAME``."""
    gold = folder / "gold" / f"{name}.align"
    return gold if gold.exists() else folder / "gold" / name


def documents(folder: Path, src: str, tgt: str):
    for src_file in sorted((folder / src).iterdir()):
        yield (load_document(src_file, src, presplit=True),
               load_document(folder / tgt / src_file.name, tgt, presplit=True),
               read_beads(gold_file(folder, src_file.name)))


def beads_of(pairs) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    return [(tuple(p.src), tuple(p.tgt)) for p in pairs]


def fresh_encoder(model: str):
    cache = EmbeddingCache(Path(tempfile.mkdtemp(prefix="bench-cache-")) / "emb.sqlite")
    return load_encoder(model, cache=cache)


def run_ours(docs, model: str) -> dict:
    """Our pipeline, cold; alignment time is a second, warm-cache run's."""
    encoder = fresh_encoder(model)
    tests, gold, cold, warm = [], [], 0.0, 0.0
    for source, target, g in docs:
        t0 = time.perf_counter()
        align_documents(source, target, encoder, mode="parallel", words=False)
        t1 = time.perf_counter()
        alignment = align_documents(source, target, encoder, mode="parallel", words=False)
        t2 = time.perf_counter()
        cold += t1 - t0
        warm += t2 - t1
        tests.append(beads_of(alignment.pairs))
        gold.append(g)
    return {"score": score(gold, tests), "seconds": cold, "align": warm, "embed": cold - warm}


def real_windows(encoder, doc, max_side: int) -> Windows:
    texts = [s.norm for s in doc.sentences]
    vecs = [encoder.encode([doc.joiner.join(texts[i:i + k]) for i in range(len(texts) - k + 1)])
            for k in range(1, min(max_side, len(texts)) + 1)]
    chars = np.array([len(t) for t in texts], dtype=float)
    return Windows(vecs, window_chars(chars, max_side))


def run_bertalign(docs, model: str) -> dict:
    """Bertalign's approach with our encoder: every window embedded for real."""
    encoder = fresh_encoder(model)
    tests, gold, embed, align = [], [], 0.0, 0.0
    for source, target, g in docs:
        t0 = time.perf_counter()
        sw = real_windows(encoder, source, BERTALIGN.max_side)
        tw = real_windows(encoder, target, BERTALIGN.max_side)
        t1 = time.perf_counter()
        beads = align_parallel(sw, tw, BERTALIGN)
        t2 = time.perf_counter()
        embed += t1 - t0
        align += t2 - t1
        tests.append([(tuple(s), tuple(t)) for s, t, _ in beads])
        gold.append(g)
    return {"score": score(gold, tests), "seconds": embed + align, "align": align, "embed": embed}


def synthetic(size: int, model: str) -> dict:
    """A `size`-sentence pair made of MAC-Dev chapters repeated, each copy made unique."""
    folder = GOLD / "mac-dev"
    zh = [line for f in sorted((folder / "zh").iterdir()) for line in f.read_text("utf-8").splitlines()]
    en = [line for f in sorted((folder / "en").iterdir()) for line in f.read_text("utf-8").splitlines()]
    copies = -(-size // len(zh))
    tmp = Path(tempfile.mkdtemp(prefix="bench-synth-"))
    (tmp / "zh.txt").write_text("\n".join(f"{s}（{k}）" for k in range(copies) for s in zh), "utf-8")
    (tmp / "en.txt").write_text("\n".join(f"{s} ({k})" for k in range(copies) for s in en), "utf-8")
    source = load_document(tmp / "zh.txt", "zh", presplit=True)
    target = load_document(tmp / "en.txt", "en", presplit=True)
    source.sentences = source.sentences[:size]
    target.sentences = target.sentences[: round(size * len(en) / len(zh))]
    encoder = fresh_encoder(model)
    t0 = time.perf_counter()
    align_documents(source, target, encoder, mode="parallel", words=False)
    t1 = time.perf_counter()
    align_documents(source, target, encoder, mode="parallel", words=False)
    t2 = time.perf_counter()
    n = len(source.sentences) + len(target.sentences)
    return {"sentences": n, "seconds": t1 - t0, "align": t2 - t1, "embed": (t1 - t0) - (t2 - t1)}


def line(name: str, r: dict) -> str:
    s = r["score"]
    return (f"  {name:34} strict F1 {s['strict']['f1']:.3f}  lax F1 {s['lax']['f1']:.3f}  "
            f"{r['seconds']:7.1f} s (embedding {r['embed']:.1f} s, alignment {r['align']:.1f} s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="mac,textberg,synthetic")
    ap.add_argument("--model", default="default")
    ap.add_argument("--no-baseline", action="store_true", help="skip Bertalign's approach (~15 min)")
    ap.add_argument("--synthetic-size", type=int, default=10_000)
    args = ap.parse_args()
    print(f"zhen-align {__version__} | encoder {args.model} | OMP_NUM_THREADS="
          f"{os.environ.get('OMP_NUM_THREADS', 'unset')} | {os.cpu_count()} cores")
    for name in args.sets.split(","):
        if name == "synthetic":
            if not (GOLD / "mac-dev").exists():
                print("synthetic: skipped, ../shared/gold/mac-dev is absent")
                continue
            r = synthetic(args.synthetic_size, args.model)
            print(f"synthetic {r['sentences']} sentences: {r['sentences'] / r['seconds']:.1f} sent/s end to end "
                  f"({r['seconds']:.1f} s: embedding {r['embed']:.1f} s, alignment {r['align']:.1f} s, "
                  f"alignment alone {r['sentences'] / max(r['align'], 1e-9):.0f} sent/s)")
            continue
        folder, src, tgt = SETS[name]
        if not (GOLD / folder).exists():
            print(f"{folder}: skipped, ../shared/gold/{folder} is absent")
            continue
        docs = list(documents(GOLD / folder, src, tgt))
        print(f"{folder} ({src}→{tgt}, {len(docs)} documents)")
        ours = run_ours(docs, args.model)
        print(line("zhen-align (parallel)", ours))
        if not args.no_baseline and name == "mac":
            base = run_bertalign(docs, args.model)
            print(line("Bertalign's approach, same encoder", base))
            print(f"  speed-up end to end: {base['seconds'] / ours['seconds']:.1f}x "
                  f"(embedding {base['embed'] / max(ours['embed'], 1e-9):.1f}x)")


if __name__ == "__main__":
    main()
