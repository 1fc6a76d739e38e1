"""Coverage-like pairs made from gold translations, and how to score them.

A translation becomes *coverage* when some of its gold beads lose their
English (their Chinese is then unmatched), some lose their Chinese (their
English becomes a same-topic English-only claim), and the surviving English
is kept in order or shuffled in blocks of beads; optionally English sentences
from another document are inserted (off-topic English-only claims). The gold
of the new pair is the surviving beads. This is the construction of the
held-out check (``../shared/README.md``); the settings there are not shared,
so benchmarks sweep a *range* of them.

Scoring is per link — every (source, target) sentence pair inside a bead —
and per unmatched sentence (sentences in 1-0 / 0-1 beads against the gold's
unmatched ones), on each side. The plain baseline printed beside every figure
is mutual-best ratio-margin mining (Artetxe & Schwenk 2019, k = 4) on the
same embeddings.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

Bead = tuple[tuple[int, ...], tuple[int, ...]]

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT.parent / "shared" / "gold"


@dataclass(frozen=True)
class Setting:
    """One way of turning a translation into coverage."""

    name: str
    cut_tgt: float
    """Share of matched beads whose English is removed (their Chinese becomes unmatched)."""
    cut_src: float
    """Share of the remaining matched beads whose Chinese is removed (English-only claims)."""
    block: int = 4
    """English beads are grouped into blocks of 1..block beads."""
    shuffle: bool = True
    """Shuffle the blocks (reordered coverage) or keep them in order."""
    insert: float = 0.0
    """English sentences from another document inserted, as a share of the English kept."""


# A range around the held-out cases (issue 9): shares and block sizes on both sides of them.
SETTINGS = (
    Setting("translation", 0.0, 0.0, shuffle=False),
    Setting("cut 20/10, order kept", 0.2, 0.1, shuffle=False),
    Setting("cut 35/15, order kept", 0.35, 0.15, shuffle=False),
    Setting("cut 50/20, order kept", 0.5, 0.2, shuffle=False),
    Setting("cut 35/15, blocks 1-4 shuffled", 0.35, 0.15, block=4),
    Setting("cut 20/10, blocks 1-8 shuffled", 0.2, 0.1, block=8),
    Setting("cut 50/20, blocks 1-2 shuffled", 0.5, 0.2, block=2),
    Setting("news-like: keep 30%, cut 10%, shuffled", 0.7, 0.1, block=3),
    Setting("keep 50%, 20% off-topic inserted, order kept", 0.5, 0.1, shuffle=False, insert=0.2),
)


@dataclass
class Case:
    """One generated pair: sentences of each side and the gold beads between them."""

    doc: str
    src: list[str]
    tgt: list[str]
    gold: list[Bead]


def read_gold_doc(folder: Path, name: str, src: str, tgt: str):
    from bench_alignment import gold_file

    from align.evaluate import read_beads

    return ((folder / src / name).read_text("utf-8").splitlines(),
            (folder / tgt / name).read_text("utf-8").splitlines(),
            read_beads(gold_file(folder, name)))


def make_case(doc: str, src: list[str], tgt: list[str], gold: list[Bead], s: Setting,
              seed: int, extra: list[str] = ()) -> Case:
    """Cut, shuffle and insert as ``s`` says; ``extra`` are off-topic English sentences."""
    rng = random.Random(f"{doc}/{s.name}/{seed}")
    matched = [k for k, (a, b) in enumerate(gold) if a and b]
    no_tgt = set(rng.sample(matched, round(s.cut_tgt * len(matched))))
    rest = [k for k in matched if k not in no_tgt]
    no_src = set(rng.sample(rest, round(s.cut_src * len(rest))))
    # Each surviving bead keeps what it has left; unmatched gold sentences stay unmatched.
    beads = [(() if k in no_src else a, () if k in no_tgt else b) for k, (a, b) in enumerate(gold)]
    src_order = sorted(i for a, _ in beads for i in a)
    tgt_beads = [k for k, (_, b) in enumerate(beads) if b]
    blocks, k = [], 0
    while k < len(tgt_beads):
        size = rng.randint(1, s.block)
        blocks.append(tgt_beads[k:k + size])
        k += size
    if s.shuffle:
        rng.shuffle(blocks)
    tgt_order = [j for block in blocks for k in block for j in beads[k][1]]
    inserted = rng.sample(list(extra), min(len(extra), round(s.insert * len(tgt_order))))
    tgt_texts = [tgt[j] for j in tgt_order]
    for text in inserted:
        tgt_texts.insert(rng.randint(0, len(tgt_texts)), text)
    new_src = {i: n for n, i in enumerate(src_order)}
    positions = {t: n for n, t in enumerate(tgt_texts)}
    new_tgt = {j: positions[tgt[j]] for j in tgt_order}
    out = [(tuple(new_src[i] for i in a), tuple(sorted(new_tgt[j] for j in b)))
           for a, b in beads if a or b]
    out += [((), (positions[t],)) for t in inserted]
    return Case(doc, [src[i] for i in src_order], tgt_texts, out)


def links(beads) -> set[tuple[int, int]]:
    return {(i, j) for a, b in beads if a and b for i in a for j in b}


def unmatched(beads, side: int) -> set[int]:
    return {i for bead in beads if not bead[1 - side] for i in bead[side]}


def counts(gold, test) -> np.ndarray:
    """True positives, test and gold totals for links, unmatched source, unmatched target."""
    out = []
    for g, t in ((links(gold), links(test)), (unmatched(gold, 0), unmatched(test, 0)),
                 (unmatched(gold, 1), unmatched(test, 1))):
        out += [len(g & t), len(t), len(g)]
    return np.array(out, dtype=float)


def prf(c: np.ndarray) -> tuple[float, ...]:
    """(link P, R, F1, unmatched-source F1, unmatched-target F1) from summed counts."""
    def f(tp, n_test, n_gold):
        p, r = tp / n_test if n_test else 0.0, tp / n_gold if n_gold else 0.0
        return p, r, 2 * p * r / (p + r) if p + r else 0.0
    lp, lr, lf = f(*c[0:3])
    return lp, lr, lf, f(*c[3:6])[2], f(*c[6:9])[2]


def margin_mining(src_vecs: np.ndarray, tgt_vecs: np.ndarray, k: int = 4) -> list[Bead]:
    """The plain baseline: mutual-best ratio margin, 1-1 links; the rest unmatched."""
    from align.comparable import margins, mutual_links

    pairs = mutual_links(margins(src_vecs @ tgt_vecs.T, k)) if len(src_vecs) and len(tgt_vecs) else set()
    beads = [((i,), (j,)) for i, j in sorted(pairs)]
    beads += [((i,), ()) for i in range(len(src_vecs)) if i not in {a for a, _ in pairs}]
    beads += [((), (j,)) for j in range(len(tgt_vecs)) if j not in {b for _, b in pairs}]
    return beads


def news_articles(folder: Path = GOLD / "zh-en-words") -> list[tuple[str, list[str], list[str], list[Bead]]]:
    """The word-alignment dev pairs (Xinhua news, one sentence a line, tokenised) as articles.

    An article starts at a headline (the line before a ``新华社 … 电`` dateline)
    or at a dateline with no headline; tokens are joined back (Chinese without
    spaces, English detokenised). Gold: line k ↔ line k.
    """
    zh = ["".join(line.split()) for line in (folder / "dev.zh").read_text("utf-8").splitlines()]
    en = [_detok(line) for line in (folder / "dev.en").read_text("utf-8").splitlines()]
    starts = [0]
    for k, line in enumerate(zh):
        if line.startswith("新华社") and k > starts[-1] + 1:
            starts.append(k - 1 if k - 1 > starts[-1] + 1 and not zh[k - 1].endswith("。") else k)
    out = []
    for n, (a, b) in enumerate(zip(starts, starts[1:] + [len(zh)])):
        out.append((f"news{n}", zh[a:b], en[a:b], [((k,), (k,)) for k in range(b - a)]))
    return out


def joined_two_by_two(docs: list) -> list[tuple[str, list[str], list[str], list[Bead]]]:
    """Each article followed by the next (8-20 sentences: the size of the held-out news
    articles; the dev ones have 3-10). Listed every other one first, so that neighbours in
    the list share no article (the off-topic setting takes the next one's English)."""
    out = []
    for k, (name, src, tgt, gold) in enumerate(docs):
        name2, src2, tgt2, gold2 = docs[(k + 1) % len(docs)]
        moved = [(tuple(i + len(src) for i in s), tuple(j + len(tgt) for j in t)) for s, t in gold2]
        out.append((f"{name}+{name2}", src + src2, tgt + tgt2, [*map(tuple, gold), *moved]))
    return out[::2] + out[1::2]


def _detok(line: str) -> str:
    text = " ".join(line.split()).replace("-LRB- ", "(").replace(" -RRB-", ")")
    for mark in (" ,", " .", " ;", " :", " ?", " !", " 's", " n't", " %"):
        text = text.replace(mark, mark[1:])
    return text.replace("-LRB-", "(").replace("-RRB-", ")")
