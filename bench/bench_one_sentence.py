"""Pairs of one sentence a side: are translations linked and other sentences left unmatched?

Such a pair has no levels of its own (:mod:`align.reference`). For each kind of
pair, the share that auto mode links, with the reference's levels and without
them (the regime alone, as before; measured in the same run), and parallel mode:

- translations: Tatoeba cmn↔eng (short, everyday), MAC-Dev's and the news
  articles' gold 1-1 beads (fiction, Xinhua news);
- non-pairs: Tatoeba sentences paired with another pair's English (unrelated),
  and the hard case, a gold 1-1 bead's Chinese with the English of the next
  1-1 bead of the same document (same story, same scene).

    python bench/bench_one_sentence.py            # 200 pairs of each kind

Gold data is read from ../shared/gold/ (never copied); a set whose folder is absent
is skipped.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_continuum import gold_documents
from coverage import GOLD

from align import __version__, reference
from align.embed import load_encoder
from align.ingest import document_from_text
from align.pipeline import align_documents


def one_to_ones(name: str) -> list[tuple[str, str]]:
    """Consecutive gold 1-1 beads' (Chinese, English) of every document of a set, in order."""
    out = []
    for _, src, tgt, gold in gold_documents(name) or []:
        out += [(src[s[0]], tgt[t[0]]) for s, t in gold if len(s) == 1 and len(t) == 1]
    return out


def kinds(n: int) -> dict[str, list[tuple[str, str]]]:
    out = {}
    folder = GOLD / "tatoeba"
    if folder.exists():
        zh = (folder / "tatoeba.cmn-eng.cmn").read_text("utf-8").splitlines()[:n]
        en = (folder / "tatoeba.cmn-eng.eng").read_text("utf-8").splitlines()[:n]
        out["Tatoeba translations"] = list(zip(zh, en))
        out["Tatoeba, another pair's English"] = list(zip(zh, en[1:] + en[:1]))
    for name in ("mac", "news"):
        pairs = one_to_ones(name)
        if pairs:
            step = max(1, len(pairs) // n)
            picked = pairs[::step][:n]
            out[f"{name} gold 1-1"] = picked
            out[f"{name}: the next 1-1 bead's English"] = [
                (pairs[k][0], pairs[k + 1][1]) for k in range(0, len(pairs) - 1, step)][:n]
    return out


def linked_share(pairs, encoder, mode: str) -> float:
    linked = 0
    for zh, en in pairs:
        source = document_from_text(zh, "zh", "zh.txt", presplit=True)
        target = document_from_text(en, "en", "en.txt", presplit=True)
        alignment = align_documents(source, target, encoder, mode=mode, words=False)
        linked += any(p.src and p.tgt for p in alignment.pairs)
    return linked / len(pairs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=200, help="pairs of each kind")
    ap.add_argument("--model", default="default")
    args = ap.parse_args()
    print(f"zhen-align {__version__} | encoder {args.model} | OMP_NUM_THREADS="
          f"{os.environ.get('OMP_NUM_THREADS', 'unset')}")
    encoder = load_encoder(args.model)
    print(f"\n{'kind of pair':42} {'pairs':>5}  linked: auto  auto without the reference  parallel")
    applies = reference.applies
    for kind, pairs in kinds(args.n).items():
        t0 = time.perf_counter()
        auto = linked_share(pairs, encoder, "auto")
        reference.applies = lambda *a: False
        try:
            before = linked_share(pairs, encoder, "auto")
        finally:
            reference.applies = applies
        par = linked_share(pairs, encoder, "parallel")
        print(f"{kind:42} {len(pairs):5}  {auto:12.3f}  {before:26.3f}  {par:8.3f}"
              f"   ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
