"""The parallel ↔ comparable continuum: coverage-like pairs made from gold translations.

For every setting of :data:`coverage.SETTINGS` (cut shares on each side, block
size, order kept or shuffled, off-topic English inserted) and every document
of a gold set, makes a pair (``bench/coverage.py``), aligns it in each mode
asked for and scores links (P/R/F1) and unmatched sentences (F1 per side),
beside the plain baseline — mutual-best ratio-margin mining on the same
embeddings — measured in the same run. Per-document link F1 is printed too:
a change that lifts one document and sinks another is tuning to the set.

    python bench/bench_continuum.py                       # MAC-Dev + news, all settings
    python bench/bench_continuum.py --sets mac --modes auto,parallel,comparable --seeds 2
    python bench/bench_continuum.py --sets mac --modes auto --cut-known   # + a ceiling row
    python bench/bench_continuum.py --sets news2 --modes auto --seeds 4   # longer articles

Sets: ``mac`` (MAC-Dev), ``textberg`` (Text+Berg, de→fr), ``news`` (the 7 Xinhua
articles of the word-alignment dev pairs, 3-10 sentences) and ``news2`` (each of those
followed by the next, 8-20 sentences, the size of the held-out articles).

``--cut-known`` adds the row "auto, cut known": auto mode given only the sentences
that have a counterpart, the gold's unmatched ones added back as unmatched. It is
not a system but a reading of where the rest of the gap lies: deciding *which*
sentences have a counterpart, or finding *which* is whose.

Gold data is read from ../shared/gold/ (never copied); a set whose folder is
absent is skipped with a message. The embedding cache is the shared one, so a
second run embeds only the new windows a shuffle makes.
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

from bench_alignment import beads_of
from coverage import (GOLD, SETTINGS, counts, joined_two_by_two, make_case, margin_mining,
                      news_articles, prf, read_gold_doc, unmatched)
from tune_parallel import reliability

from align import __version__
from align.embed import load_encoder
from align.ingest import document_from_text
from align.pipeline import align_documents

SETS = {"mac": ("mac-dev", "zh", "en"), "textberg": ("text+berg", "de", "fr")}


def gold_documents(name: str):
    """(doc id, source lines, target lines, gold beads) of a set, or None if absent."""
    if name in ("news", "news2"):
        folder = GOLD / "zh-en-words"
        if not folder.exists():
            return None
        return news_articles(folder) if name == "news" else joined_two_by_two(news_articles(folder))
    folder, src, tgt = SETS[name]
    if not (GOLD / folder).exists():
        return None
    names = sorted(p.name for p in (GOLD / folder / src).iterdir())
    return [(n, *read_gold_doc(GOLD / folder, n, src, tgt)) for n in names]


def run(docs, langs, encoder, modes, seeds, only: str = "", cut_known: bool = False) -> None:
    src_lang, tgt_lang = langs
    said_unmatched: list[tuple[float, bool]] = []  # auto's (confidence, right) per unmatched
    header = f"  {'system':22} link P    R     F1  | unmatched F1 src  tgt | per-document link F1"
    for setting in (s for s in SETTINGS if only in s.name):
        print(f"\n{setting.name}")
        print(header)
        totals = {m: np.zeros(9) for m in ("baseline", *modes, *[CUT_KNOWN] * cut_known)}
        per_doc = {m: [] for m in totals}
        picked: dict[str, int] = {}
        for k, (doc, src, tgt, gold) in enumerate(docs):
            extra = docs[(k + 1) % len(docs)][2]  # another document's target: off-topic
            doc_counts = {m: np.zeros(9) for m in totals}
            for seed in range(seeds):
                case = make_case(doc, src, tgt, gold, setting, seed, extra)
                source = document_from_text("\n".join(case.src), src_lang, f"{doc}.src", presplit=True)
                target = document_from_text("\n".join(case.tgt), tgt_lang, f"{doc}.tgt", presplit=True)
                for mode in modes:
                    alignment = align_documents(source, target, encoder, mode=mode, words=False)
                    doc_counts[mode] += counts(case.gold, beads_of(alignment.pairs))
                    if mode == "auto":
                        picked[alignment.mode] = picked.get(alignment.mode, 0) + 1
                        said_unmatched += unmatched_calls(alignment.pairs, case.gold)
                vecs = encoder.encode([s.norm for s in source.sentences + target.sentences])
                base = margin_mining(vecs[:len(source.sentences)], vecs[len(source.sentences):])
                doc_counts["baseline"] += counts(case.gold, base)
                if cut_known:
                    doc_counts[CUT_KNOWN] += counts(case.gold, given_the_cut(case, langs, doc, encoder))
            for m in totals:
                totals[m] += doc_counts[m]
                per_doc[m].append(prf(doc_counts[m])[2])
        for m in totals:
            lp, lr, lf, us, ut = prf(totals[m])
            print(f"  {m:22} {lp:.3f} {lr:.3f} {lf:.3f} |       {us:.3f}  {ut:.3f} | "
                  f"{' '.join(f'{x:.2f}' for x in per_doc[m])}")
        if picked:
            print(f"  auto picked: {picked}")
    if said_unmatched:
        print("\nauto's unmatched sentences, all settings: is the confidence that a sentence "
              "has no counterpart calibrated?")
        reliability(*map(np.array, zip(*said_unmatched)), unit="sentences",
                    verdict="unmatched in the gold")


CUT_KNOWN = "auto, cut known"


def given_the_cut(case, langs, doc: str, encoder) -> list:
    """Auto mode's beads when the sentences without a counterpart are known: it aligns
    the rest, and the gold's unmatched sentences are returned unmatched."""
    kept = [[i for i in range(len(lines)) if i not in unmatched(case.gold, side)]
            for side, lines in enumerate((case.src, case.tgt))]
    source, target = (document_from_text("\n".join(lines[i] for i in ids), lang, f"{doc}.{side}",
                                         presplit=True)
                      for lines, ids, lang, side in zip((case.src, case.tgt), kept, langs, "st"))
    alignment = align_documents(source, target, encoder, mode="auto", words=False)
    return ([(tuple(kept[0][i] for i in p.src), tuple(kept[1][j] for j in p.tgt))
             for p in alignment.pairs]
            + [((i,), ()) for i in unmatched(case.gold, 0)]
            + [((), (j,)) for j in unmatched(case.gold, 1)])


def unmatched_calls(pairs, gold) -> list[tuple[float, bool]]:
    """(confidence, whether the gold leaves it unmatched too) for every sentence left unmatched."""
    truly = (unmatched(gold, 0), unmatched(gold, 1))
    return [(p.score, (p.src or p.tgt)[0] in truly[0 if p.src else 1])
            for p in pairs if bool(p.src) != bool(p.tgt)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="mac,news")
    ap.add_argument("--modes", default="auto,parallel,comparable")
    ap.add_argument("--model", default="default")
    ap.add_argument("--seeds", type=int, default=1, help="pairs made per document and setting")
    ap.add_argument("--settings", default="", help="only settings whose name contains this")
    ap.add_argument("--cut-known", action="store_true",
                    help="add a ceiling row: auto given only the sentences that have a counterpart")
    args = ap.parse_args()
    print(f"zhen-align {__version__} | encoder {args.model} | OMP_NUM_THREADS="
          f"{os.environ.get('OMP_NUM_THREADS', 'unset')}")
    encoder = load_encoder(args.model)
    modes = args.modes.split(",")
    for name in args.sets.split(","):
        docs = gold_documents(name)
        if docs is None:
            print(f"{name}: skipped, its folder under ../shared/gold/ is absent")
            continue
        langs = ("de", "fr") if name == "textberg" else ("zh", "en")
        t0 = time.perf_counter()
        print(f"\n=== {name}: {len(docs)} documents, {args.seeds} seed(s) ===")
        run(docs, langs, encoder, modes, args.seeds, args.settings, args.cut_known)
        print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
