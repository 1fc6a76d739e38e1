"""One aligner for the whole continuum between a translation and coverage.

Real document pairs are neither fully parallel nor fully scrambled: a news
translation drops or adds passages, coverage keeps whole paragraphs of its
source but in another order. Both are *blocks* — monotone runs of beads
(1-1, 1-n, n-m, as a translation has them) with gaps, the blocks themselves
in any order — plus isolated links. So:

1. **One monotone pass** over both sides with the parallel aligner
   (:mod:`align.parallel`). Built for complete translations, it merges a
   sentence that has no counterpart into a neighbour's bead or pairs it with
   whatever is near. Such a sentence is no closer to the other side of its
   bead than to a typical sentence there: the *null model* (``support``);
   and its bead matches the other side better without it (``dilutes``).
   When nearly every sentence of the pass is supported (``translation_gap``,
   the share a complete translation leaves unsupported), the pair is a
   translation and the pass is the answer — exactly the parallel aligner's.
   When it explains too little (``coverage_gap``), the pair is coverage:
   its blocks, if it kept any, are in another order (4.) — unless the links
   that stand out on their own show that the order is kept
   (:func:`shows_its_order`): a heavy cut leaves as much unsupported as a
   reordering does.
2. **Blocks, pass after pass.** Otherwise the pair has gaps, and the passes
   price a skip at the share the first pass left unsupported (:func:`gapped`):
   at a translation's price an omitted sentence is merged into its
   neighbour's bead; and they expect the lengths of the first pass's beads
   that stand, not of the whole sides, which the cut made unequal
   (:func:`linked_ratio`). Unsupported members are taken out of their beads (an
   extra member must match one of the other side's sentences or a run of its
   clauses: a split renders part of a sentence, a sentence merged in for want
   of its own counterpart matches no part), the beads of the pass are grouped
   into blocks (consecutive beads at most ``block_gap`` sentences apart), and
   a block of two beads or more is kept when their log-odds add up to
   ``open_cost``: neighbouring links support each other, and a lone bead is
   left to step 3. The next pass
   aligns what is left, in its own order, which is how a paragraph told
   elsewhere is found.
3. **The rest**, sentences no block holds, is matched one link at a time by
   comparable mode (:mod:`align.comparable`): margins and its stricter bar,
   since a link nothing around it corroborates must stand out on its own; and
   one that jumps across the blocks is left unmatched (``in_order``). Every
   1-1 link, the blocks' too, must look like one of the document's pairs
   (:func:`align.comparable.judge_by_pair_levels`): in a short article two
   sentences whose counterparts are both missing are each other's best match,
   and two such pairs side by side make a block. A bead then takes an
   unmatched neighbour that is the other half of a split sentence
   (:func:`grown`): a member test can take one half out of a bead; and a
   lone link's sentence that belongs to the bead beside it more than to its
   partner moves there (:func:`moved`).
4. **Coverage** is matched one link at a time too, after one pass that may
   jump (:mod:`align.jumps`) has found the blocks kept in another order. A
   block stands when it is supported and one of its links is also one that
   comparable mode makes on its own: a chance diagonal through unrelated
   sentences has no such anchor. Blocks only add links: a bead that would
   give a sentence another partner than its comparable-mode link is left out.
   Beads grow as in step 3: one link finds only one half of a split; and a
   split neither half of which is found alone is found as a pair of unmatched
   neighbours (:func:`mined`). A sentence whose counterpart was cut finds its
   best match alone, so a 1-1 link with no other link beside it must agree
   word by word with its partner (:mod:`align.agreement`), and where the pair
   reorders by paragraphs clear a higher margin too (:func:`corroborated`).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .comparable import (ComparableParams, View, align_comparable, confidence,
                         judge_by_pair_levels, link_margins, margins, mutual_links, share_figure)
from .jumps import Bead, align_jumps
from .model import crossing
from .parallel import ClauseSpans, ParallelParams, Windows, align_parallel, length_ratio

if TYPE_CHECKING:
    from .agreement import TokenAgreement

Views = Callable[[np.ndarray, np.ndarray], tuple[View, View]]
"""Comparable mode's views of both sides, clauses embedded for the sentences masked in."""


@dataclass(frozen=True)
class ContinuumParams:
    """Every knob that changes a continuum alignment (recorded in the output signature)."""

    beads: ParallelParams = field(default_factory=ParallelParams)
    """Bead scoring of every monotone pass: the parallel aligner's, its skip priced at the
    pair's own gap share once the first pass has shown gaps (:func:`gapped`)."""
    support: float = 1.0
    """Null-model bar: a bead member's similarity to the other side of its bead must stand this
    many spreads (1.4826 median absolute deviations, a robust standard deviation) above its
    similarity to a typical sentence of that side (MAC-Dev, measured with mean and standard
    deviation:
    1.2 % of right 1-1 beads and 10 % of right members of larger beads fall below 1.0; half of
    the sentences a pass wrongly holds do)."""
    member_support: float = 1.5
    """The bar for the extra members of a larger bead against the other side's window, when the
    first pass is judged (how much of the pair it explains), and for every member test without
    a fast model's clauses: its other side holds the real partner, whose similarity a
    neighbour beside it borrows (the order-kept settings of MAC-Dev and the news articles made
    into coverage: 1.5 lifts link F1 in 6 of 8, leaves one and lowers one, MAC-Dev with
    off-topic English inserted, by 2.7 points; a complete translation unchanged; 2.0 splits
    MAC-Dev's real 1-2 beads)."""
    member_clauses: float = 2.5
    """The bar an extra member must clear to stay in its bead, and an unmatched neighbour to
    join one (:func:`grown`): its best match among the other side's members *and their runs
    of clauses* (the fast model's, :class:`ClauseSpans`), in the spreads of that model's
    null. A translator who splits a sentence renders part of it, which the whole sentence dilutes
    but one of its clause runs matches; a sentence merged in because its own counterpart is missing
    matches no part. Scored as a member test on MAC-Dev made into coverage (order kept): AUC 0.88
    for the window's z, 0.91 with the clauses'. ``bench/bench_continuum.py``, auto, against 1.5 on
    the window: MAC-Dev order kept 20/10, 35/15, 50/20 link F1 0.821 / 0.765 / 0.660 → 0.837 / 0.776
    / 0.672, off-topic inserted 0.598 → 0.608, shuffled within 0.004, a translation unchanged;
    Text+Berg (not tuned on) 0.893 / 0.852 / 0.788 → 0.897 / 0.887 / 0.814, off-topic 0.809 → 0.834;
    news articles news-like 0.952 → 1.000, 1-2 blocks 0.987 → 0.974. 2.0 was lower on MAC-Dev with
    one document left out, whichever (2.0 with this test on the first pass too moved three MAC-Dev
    documents cut 50/20 to comparable mode, 2.5 one translation). Joining at 2.0 or 3.0 instead
    moves MAC-Dev's coverage settings within a point either way."""
    translation_gap: float = 0.12
    """Share of sentences (mean of both sides) a complete translation leaves unsupported in the
    first pass (MAC-Dev: 0.005-0.08 a document; 0.07-0.15 with a fifth of it cut)."""
    coverage_gap: float = 0.35
    """Above this unsupported share the first pass explains too little of the pair for its
    order to mean anything (MAC-Dev made into coverage: 0.15-0.33 with the order kept,
    0.36-0.62 shuffled): the pair is matched as coverage, one link at a time, unless it
    still explains most of it and the pair shows its order (:func:`shows_its_order`)."""
    order_evidence: float = 0.05
    """Significance of the sign test that the links standing out on their own lie in one
    order (:func:`shows_its_order`): the conventional 5 %, not tuned."""
    block_gap: int = 3
    """Sentences a block may pass over on each side between two of its beads."""
    open_cost: float = 3.0
    """Log-odds a block's beads must add up to before it is kept (two beads of 0.82)."""
    full_matrix_cells: int = 25_000_000
    """Longer pairs (4 bytes a cell) are taken for translations: the first pass is the answer."""
    max_passes: int = 12
    """Most monotone passes (blocks found in different orders)."""
    jump: float = 0.05
    """Bead gain a coverage pass gives up to move its target position anywhere: half a skip,
    so a gap is jumped rather than skipped. MAC-Dev made into coverage, blocks of 1-4 / 1-8 / 1-2
    beads shuffled and news-like: link F1 0.577 / 0.582 / 0.561 / 0.577 with comparable mode
    alone, 0.611 / 0.697 / 0.559 / 0.567 with its blocks (every document up in the first two;
    the 7 news articles unchanged). 0.1 is within a point on the first two; without the
    rule that blocks only add links, 0.1 lost 3 points on 1-2 blocks and 0.2 lost on all."""
    jump_cells: int = 500_000
    """Longer coverage pairs are matched one link at a time only (the jumping pass is
    O(n · m · bead types): about 15 s at this size on one core)."""
    single: ComparableParams = field(default_factory=ComparableParams)
    """How sentences outside every block are linked: comparable mode's margins and bars."""


class NullModel:
    """How similar each sentence is to a typical sentence of the other side (centre, spread).

    A sentence with no counterpart still resembles its neighbours (same story,
    same names); what it lacks is a similarity that stands out from its
    similarities to everything else. Median and median absolute deviation, so
    the sentence's own counterpart does not move them; in a short document a
    row has few values, so its statistics are shrunk towards the whole
    document's, with the weight of ``PRIOR`` sentences. Long sides are sampled
    evenly, so memory stays linear.
    """

    SAMPLE = 2000
    PRIOR = 20

    def __init__(self, src: Windows, tgt: Windows) -> None:
        self.stats = (self._stats(src.vecs[0], tgt.vecs[0]), self._stats(tgt.vecs[0], src.vecs[0]))
        self._clauses = src.clauses, tgt.clauses

    @functools.cached_property
    def fast(self) -> tuple | None:
        """The fast model's own null, for its clause evidence (its cosines spread wider);
        None without its clauses. Made when first asked: a translation never asks."""
        if self._clauses[0] is None or self._clauses[1] is None:
            return None
        a, b = (spans.sentences for spans in self._clauses)
        return self._stats(a, b), self._stats(b, a)

    def _stats(self, vecs: np.ndarray, other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pick = np.linspace(0, len(other) - 1, min(len(other), self.SAMPLE)).astype(int)
        sims = vecs @ other[pick].T
        centre = np.median(sims, axis=1)
        spread = 1.4826 * np.median(np.abs(sims - centre[:, None]), axis=1)
        overall = np.median(sims)
        overall_spread = 1.4826 * np.median(np.abs(sims - overall))
        w = sims.shape[1] / (sims.shape[1] + self.PRIOR)
        return (w * centre + (1 - w) * overall,
                np.maximum(w * spread + (1 - w) * overall_spread, 1e-6))

    def z(self, side: int, k: int, sim: float, fast: bool = False) -> float:
        centre, spread = (self.fast if fast else self.stats)[side]
        return float((sim - centre[k]) / spread[k])


def window_of(side: Windows, members: list[int]) -> np.ndarray:
    """The vector of a run of consecutive ``members`` of one side (:func:`_windowed` ones)."""
    return side.vecs[len(members) - 1][members[0]]


def window_sim(side: Windows, members: list[int], other: np.ndarray) -> float:
    """Similarity of a run of consecutive ``members`` of one side to the other side's window."""
    return float(window_of(side, members) @ other)


def dilutes(members: list[int], end: int, side: Windows, other: np.ndarray) -> bool:
    """True when the bead matches the other side better without its ``end`` member.

    A sentence that says part of what the other side says raises the match
    when it joins the window; one merged in because its own counterpart is
    missing (an omitted sentence beside a translated one) only thins it out.
    """
    rest = members[1:] if end == 0 else members[:-1]
    return window_sim(side, rest, other) > window_sim(side, members, other)


def clause_match(spans: ClauseSpans, others: list[int], vec: np.ndarray) -> float:
    """The fast model's best similarity of ``vec`` to one of the sentences ``others`` or to
    a run of their clauses."""
    rows = spans.index[others]
    rows = rows[rows >= 0]
    best = float((spans.sentences[others] @ vec).max())
    return max(best, float((spans.vecs[rows] @ vec).max())) if len(rows) else best


def standing(side: int, k: int, others: list[int], sides: tuple[Windows, Windows],
             null: NullModel, window: np.ndarray, p: ContinuumParams,
             by_clauses: bool = True) -> tuple[float, float]:
    """How far sentence ``k`` of one side stands out for the ``others`` of the other side,
    and the bar it must clear: its best match among them and their clause runs in the fast
    model's null against ``member_clauses``, or (``by_clauses=False``, or no fast model) its
    similarity to their ``window`` against ``member_support``."""
    own = sides[side]
    if by_clauses and null.fast is not None:
        sim = clause_match(sides[1 - side].clauses, others, own.clauses.sentences[k])
        return null.z(side, k, sim, fast=True), p.member_clauses
    return null.z(side, k, window_sim(own, [k], window)), p.member_support


def stands_out(side: int, k: int, others: list[int], sides: tuple[Windows, Windows],
               null: NullModel, window: np.ndarray, p: ContinuumParams,
               by_clauses: bool = True) -> bool:
    """Whether sentence ``k`` of one side clears its bar for the ``others`` (:func:`standing`)."""
    z, bar = standing(side, k, others, sides, null, window, p, by_clauses)
    return z >= bar


def stays(side: int, members: list[int], end: int, others: list[int],
          sides: tuple[Windows, Windows], null: NullModel, window: np.ndarray,
          p: ContinuumParams, by_clauses: bool = True) -> bool:
    """Whether the ``end`` member of one side's ``members`` belongs in the bead: it stands
    out for the other side's ``others`` and does not dilute the bead."""
    return (stands_out(side, members[end], others, sides, null, window, p, by_clauses)
            and not dilutes(members, end, sides[side], window))


def supported(bead: Bead, src: Windows, tgt: Windows, null: NullModel, p: ContinuumParams,
              by_clauses: bool = True) -> Bead | None:
    """The bead with its unsupported end members taken out (None if its 1-1 core fails too).

    In a larger bead each end member must stand out and must not dilute the
    bead (ends first, so the bead stays a run): against the other side's
    members and their clause runs (``member_clauses``), or, ``by_clauses=False``
    or without a fast model's clauses, against the other side's window
    (``member_support``). A 1-1 bead stands when its two sentences stand out
    for each other on average by ``support``.
    """
    s, t, c = list(bead[0]), list(bead[1]), bead[2]
    sides = (src, tgt)

    def weak(side: int, members: list[int], end: int, window: np.ndarray) -> bool:
        return not stays(side, members, end, t if side == 0 else s, sides, null, window, p,
                         by_clauses)
    _trim(s, t, sides, weak)
    if len(s) + len(t) > 2:
        return s, t, c
    sim = float(src.vecs[0][s[0]] @ tgt.vecs[0][t[0]])
    return (s, t, c) if (null.z(0, s[0], sim) + null.z(1, t[0], sim)) / 2 >= p.support else None


def undiluted(beads: list[Bead], src: Windows, tgt: Windows) -> list[Bead]:
    """Comparable mode's beads with the end members that dilute them left unmatched.

    Only runs the windows hold (consecutive, within one run, at most the
    longest window) are tested; the rest stay as they are.
    """
    sides = (src, tgt)
    out: list[Bead] = []
    for bead in beads:
        s, t, c = list(bead[0]), list(bead[1]), bead[2]
        if _windowed_bead(s, t, src, tgt):
            gone = _trim(s, t, sides, lambda side, members, end, window:
                         dilutes(members, end, sides[side], window))
            out += [([k], [], c) if side == 0 else ([], [k], c) for side, k in gone]
        out.append((s, t, c))
    return out


def _trim(s: list[int], t: list[int], sides: tuple[Windows, Windows],
          weak: Callable[[int, list[int], int, np.ndarray], bool]) -> list[tuple[int, int]]:
    """Take end members out of the bead ``s``, ``t`` (in place) one at a time while
    ``weak(side, members, end, other_window)`` says so; return ``(side, sentence)`` of each."""
    gone = []
    while len(s) + len(t) > 2:
        for side, members, other in ((0, s, t), (1, t, s)):
            if len(members) < 2:
                continue
            window = window_of(sides[1 - side], other)
            ends = [end for end in (0, -1) if weak(side, members, end, window)]
            if ends:
                gone.append((side, members.pop(ends[0])))
                break
        else:
            break
    return gone


def _windowed(ids: list[int], side: Windows) -> bool:
    """Whether the run ``ids`` has a window: consecutive, one run, not longer than the longest."""
    if not ids or len(ids) > len(side.vecs):
        return False
    same_run = side.runs is None or len(set(side.runs[ids].tolist())) == 1
    return ids == list(range(ids[0], ids[0] + len(ids))) and same_run


def _windowed_bead(s: list[int], t: list[int], src: Windows, tgt: Windows) -> bool:
    """Whether both sides of a matched bead have a window (:func:`_windowed`)."""
    return _windowed(s, src) and _windowed(t, tgt)


def _unmatched(beads: list[Bead]) -> list[set[int]]:
    """The sentences of each side that the ``beads`` leave unmatched."""
    return [{k for s, t, _ in beads if not t for k in s},
            {k for s, t, _ in beads if not s for k in t}]


def log_odds(confidence: float) -> float:
    c = min(max(confidence, 1e-6), 1 - 1e-6)
    return float(np.log(c / (1 - c)))


def blocks(beads: list[Bead], gap: int) -> list[list[Bead]]:
    """Consecutive beads of one pass, at most ``gap`` sentences apart on each side."""
    out: list[list[Bead]] = []
    for bead in beads:
        if out:
            ps, pt, _ = out[-1][-1]
            if 0 <= bead[0][0] - ps[-1] - 1 <= gap and 0 <= bead[1][0] - pt[-1] - 1 <= gap:
                out[-1].append(bead)
                continue
        out.append([bead])
    return out


def align_continuum(src: Windows, tgt: Windows, views: Views,
                    p: ContinuumParams = ContinuumParams(),
                    agreement: TokenAgreement | None = None) -> tuple[list[Bead], str]:
    """Return beads ``[(src_ids, tgt_ids, confidence)]`` and the regime the pair showed:
    ``parallel`` (a translation: one pass), ``continuum`` (blocks, then the rest one
    link at a time) or ``comparable`` (coverage: one link at a time).

    ``views(left_src, left_tgt)`` gives comparable mode's views of both sides
    with clauses embedded for the sentences no block holds (boolean masks);
    ``agreement`` reads coverage's lone links token by token (:func:`corroborated`).
    """
    n, m = src.n, tgt.n
    first = align_parallel(src, tgt, p.beads)
    if n == 0 or m == 0 or n * m > p.full_matrix_cells:
        return first, "parallel"
    null = NullModel(src, tgt)
    judged = [b for b in (supported(b, src, tgt, null, p, by_clauses=False)
                          for b in first if b[0] and b[1]) if b]
    unsupported = unsupported_share(judged, src, tgt)
    if unsupported <= p.translation_gap:
        return first, "parallel"
    if unsupported > p.coverage_gap and not (unsupported < 0.5 and shows_its_order(src, tgt, p)):
        every = views(np.ones(n, bool), np.ones(m, bool))
        mar = link_margins(*every, p.single.k)
        beads = grown(*coverage(src, tgt, every, null, p), src, tgt, null, every, p)
        beads = mined(beads, src, tgt, null, p)
        if agreement:
            beads = backed(beads, mar, agreement)
        beads = corroborated(beads, every, p, mar, agreement)
        if agreement:
            beads = continued(beads, mar, p, agreement)
        beads = judge_by_pair_levels(beads, *every, p.single)
        return beads, "parallel" if linked_in_order(beads) else "comparable"
    p = dataclasses.replace(p, beads=gapped(p.beads, unsupported))
    kept = monotone_blocks(src, tgt, null, p, linked_ratio(judged, src, tgt))
    used = (np.zeros(n, bool), np.zeros(m, bool))
    for s, t, _ in kept:
        used[0][s], used[1][t] = True, True
    # Clauses are embedded for what no block holds; a block's sentences compare whole.
    left = views(~used[0], ~used[1])
    if used[0].all() or used[1].all():
        rest = ([([int(i)], [], 1.0) for i in np.flatnonzero(~used[0])]
                + [([], [int(j)], 1.0) for j in np.flatnonzero(~used[1])])
    else:
        rest = undiluted(align_comparable(*left, p.single, used), src, tgt)
    beads = grown(sorted(kept, key=lambda b: b[0][0]), in_order(rest, kept), src, tgt, null,
                  left, p)
    return judge_by_pair_levels(beads, *left, p.single), "continuum"


def linked_in_order(beads: list[Bead]) -> bool:
    """Every sentence linked, and the beads in the same order on both sides.

    Whatever step found such links, the pair reads as a translation. A pair of
    two or three sentences has too few non-pairs for :class:`NullModel` to tell
    its pairs apart, so the first pass finds it unsupported and coverage's
    steps link it instead.
    """
    if any(not s or not t for s, t, _ in beads):
        return False
    starts = [min(t) for _, t in sorted((min(s), t) for s, t, _ in beads)]
    return starts == sorted(starts)


def unsupported_share(judged: list[Bead], src: Windows, tgt: Windows) -> float:
    """The share of sentences (mean of both sides) that the ``judged`` beads of a monotone
    pass (those that stand, :func:`supported`) leave out."""
    held = [sum(len(bead[side]) for bead in judged) for side in (0, 1)]
    return 1 - (held[0] / src.n + held[1] / tgt.n) / 2


def linked_ratio(judged: list[Bead], src: Windows, tgt: Windows) -> float:
    """Target characters per source character over the ``judged`` beads of a monotone pass.

    The parallel aligner's length agreement expects the two sides' total lengths
    to match (:func:`align.parallel.length_ratio`), which a pair with gaps breaks:
    with 35 % of the English beads cut the whole English is 0.72 of the length its
    Chinese would take (MAC-Dev and Text+Berg, 0.3 news-like), so a Chinese
    sentence whose English was cut looks like the missing length of its
    neighbour's bead, and an English sentence that renders half of a Chinese one
    looks like too much. The beads that stand measure the translator's own ratio.
    """
    if not judged:
        return length_ratio(src, tgt)
    chars = [sum(float(side.chars[0][k]) for bead in judged for k in bead[n])
             for n, side in ((0, src), (1, tgt))]
    return chars[1] / max(chars[0], 1e-9)


def monotone_blocks(src: Windows, tgt: Windows, null: NullModel, p: ContinuumParams,
                    ratio: float) -> list[Bead]:
    """The blocks of monotone passes, pass after pass over what the earlier ones left, with
    the pair's ``ratio`` of lengths (:func:`linked_ratio`)."""
    n, m = src.n, tgt.n
    matched = [b for b in align_parallel(src, tgt, p.beads, ratio) if b[0] and b[1]]
    used = (np.zeros(n, bool), np.zeros(m, bool))
    kept: list[Bead] = []
    found = [bead for bead in (supported(b, src, tgt, null, p) for b in matched) if bead]
    for _ in range(p.max_passes):
        accepted = [block for block in blocks(found, p.block_gap)
                    if len(block) > 1 and sum(log_odds(c) for _, _, c in block) >= p.open_cost]
        if not accepted:
            break
        for s, t, c in (bead for block in accepted for bead in block):
            used[0][s], used[1][t] = True, True
            kept.append((s, t, c))
        left = np.flatnonzero(~used[0]), np.flatnonzero(~used[1])
        if not len(left[0]) or not len(left[1]):
            break
        found = []
        for s, t, c in align_parallel(src.take(left[0]), tgt.take(left[1]), p.beads, ratio):
            if s and t:
                bead = supported(([int(left[0][i]) for i in s], [int(left[1][j]) for j in t], c),
                                 src, tgt, null, p)
                if bead:
                    found.append(bead)
    return kept


def shows_its_order(src: Windows, tgt: Windows, p: ContinuumParams) -> bool:
    """Whether the links that stand out on their own lie in one order: more of them on
    one increasing chain than a fair coin per link would put there (a one-sided sign
    test at ``order_evidence``).

    The first pass's unsupported share mixes two things, how much was cut and
    whether the order was kept: a translation with half of it cut leaves up to
    0.44 unsupported (MAC-Dev and Text+Berg, 0.45 with off-topic English
    inserted), coverage in shuffled blocks from 0.42 (a short news article from
    0.38), and matched as coverage the blocks lose their support of each other.
    The mutual best links that clear comparable mode's bar tell them apart
    without any pass: 76-100 % of them lie on one chain where the order is
    kept, 18-44 % where blocks were shuffled (one 33-sentence Text+Berg document
    in blocks of 1-8: 65 %). A short article has few such links, and two blocks
    swapped there leave 4 of 5 in order: the test asks for more than a majority
    when the links are few (5 of 5, 7 of 8, 13 of 17), and a paragraph told
    elsewhere stays coverage.
    """
    mar = margins(src.vecs[0] @ tgt.vecs[0].T, p.single.k)
    links = [([i], [j]) for i, j in mutual_links(mar) if mar[i, j] >= p.single.threshold]
    n, chain = len(links), len(links) - len(crossing(links))
    return sum(math.comb(n, k) for k in range(chain, n + 1)) / 2 ** n < p.order_evidence


def gapped(beads: ParallelParams, unsupported: float) -> ParallelParams:
    """The monotone passes' bead scoring for a pair with gaps: a 1-0 or 0-1 bead gains
    what a bead whose confidence is the ``unsupported`` share of the first pass gains.

    The parallel aligner prices a skip for a complete translation (``skip``, a
    confidence of ~0.01 in its calibration), so a pass over a translation with
    omissions merges an omitted sentence into its neighbour's bead rather than
    leave it out; the member tests take out only some. The first pass already
    measured how much of this pair has no counterpart (the share it left
    unsupported, between ``translation_gap`` and ``coverage_gap`` here): read
    as the prior that a sentence is a gap, in the bead gain's log-odds
    (``calibration``), it is the skip's gain: −0.030 to +0.005 over that range,
    against −0.1. No tuned number. ``bench/bench_continuum.py --modes auto --seeds
    2``, link F1 where the order is kept (cut 20/10, 35/15, 50/20; 50 % kept with
    off-topic English): MAC-Dev 0.846 / 0.772 / 0.682 / 0.628 → 0.858 / 0.790 /
    0.708 / 0.635, Text+Berg (not tuned on) 0.899 / 0.894 / 0.816 / 0.839 → 0.910 /
    0.905 / 0.839 / 0.849; the news articles identical but for 0.974 → 0.987 in
    blocks of 1-2; translations and the two sets' shuffled settings never reach
    this step (identical).
    Mostly recall: with the orphans left out the beads around them pass the
    member tests and form blocks. One document lower in each set: MAC-Dev chapter
    002 (0.60 → 0.58; its translator split 57 of the surviving sentences into 2-4,
    and a half is now as cheap to skip as to merge).
    """
    centre, scale = beads.calibration
    return dataclasses.replace(
        beads, skip=centre + scale * float(np.log(unsupported / (1 - unsupported))))


def in_order(rest: list[Bead], kept: list[Bead]) -> list[Bead]:
    """The ``rest`` with every link that crosses a kept block left unmatched.

    The pair showed its order (that is what the continuum regime means), and
    a passage told elsewhere forms a block of its own; a single link that
    jumps across the blocks has nothing around it to corroborate it.
    """
    held = np.array([(i, j) for s, t, _ in kept for i in s for j in t]).reshape(-1, 2)
    out: list[Bead] = []
    for s, t, c in rest:
        if s and t and any(np.any((i < held[:, 0]) != (j < held[:, 1])) for i in s for j in t):
            out += [([i], [], 1 - c) for i in s] + [([], [j], 1 - c) for j in t]
        else:
            out.append((s, t, c))
    return out


def coverage(src: Windows, tgt: Windows, every: tuple[View, View], null: NullModel,
             p: ContinuumParams) -> tuple[list[Bead], list[Bead]]:
    """Coverage: comparable mode's links, plus the blocks of a jumping pass that they anchor.

    A block (two supported beads or more, as in step 2) is taken when one of its
    links is also a comparable-mode link; its beads then add links to sentences
    comparable mode left alone or linked the same way, never another partner
    for a sentence it linked (on the flagship a gapped block would have moved
    zh 23 from its gold partner).
    """
    single = undiluted(align_comparable(*every, p.single), src, tgt)
    if src.n * tgt.n > p.jump_cells:
        return [], single
    anchors = {(i, j) for s, t, _ in single for i in s for j in t}
    found = [bead for bead in (supported(b, src, tgt, null, p)
                               for b in align_jumps(src, tgt, p.beads, p.jump)) if bead]
    kept = [(s, t, c) for block in blocks(found, p.block_gap)
            if len(block) > 1 and any((i, j) in anchors for s, t, _ in block for i in s for j in t)
            for s, t, c in block if not any((i in s) != (j in t) for i, j in anchors)]
    if not kept:
        return [], single
    used = (np.zeros(src.n, bool), np.zeros(tgt.n, bool))
    for s, t, _ in kept:
        used[0][s], used[1][t] = True, True
    return kept, undiluted(align_comparable(*every, p.single, used), src, tgt)


def corroborated(beads: list[Bead], every: tuple[View, View], p: ContinuumParams,
                 mar: np.ndarray, agreement: TokenAgreement | None = None) -> list[Bead]:
    """Coverage's beads with a lone 1-1 link (no other linked bead within ``block_gap``
    sentences on both sides, in the same direction) left unmatched when it lacks
    what a right one has.

    Where the pair reorders by paragraphs (most of its linked beads have company),
    a right link usually has company, and a sentence whose counterpart was cut
    finds its best match alone: on MAC-Dev made into coverage (blocks of 1-4, seed
    0) 90 of the 131 lone links below margin 1.10 are wrong, 18 of the 124 with a
    neighbour; from 1.15 up nearly every link is right either way. There a lone
    link must clear comparable mode's bar by as much as a link corroborated by the
    clauses may fall short of it (``threshold`` + (``threshold`` −
    ``mutual_threshold``): 1.09). Coverage that retells single sentences in its
    own order has lone right links: the flagship's English (3 of its 9 links have
    company) holds four at margins 1.04-1.08.

    Everywhere in coverage, a lone link must also agree token by token at least
    halfway between the document's typical non-pair and pair
    (:meth:`~align.agreement.TokenAgreement.below_pair_bar`), unless its sentences
    state a figure in common (the flagship's attendance pair, whose English adds
    40 countries and a theme to 1000多人, is below it). Larger beads stand: their
    members corroborate each other (and :func:`backed` has asked the dictionary of their
    Chinese ones).
    """
    bar = 2 * p.single.threshold - p.single.mutual_threshold
    starts: dict[int, list[list[int]]] = {}  # a linked bead's target sentences by its first source
    ends: dict[int, list[list[int]]] = {}
    for s, t, _ in beads:
        if s and t:
            starts.setdefault(min(s), []).append(t)
            ends.setdefault(max(s), []).append(t)

    def beside(i: int, j: int) -> bool:
        """Another linked bead starts just after (i, j) or ends just before, on both sides."""
        return any(0 < min(t) - j <= p.block_gap for k in range(1, p.block_gap + 1)
                   for t in starts.get(i + k, [])) or any(
            0 < j - max(t) <= p.block_gap for k in range(1, p.block_gap + 1)
            for t in ends.get(i - k, []))

    linked = [bool(s and t) for s, t, _ in beads]
    lone = [bool(s and t) and not (beside(min(s), min(t)) or beside(max(s), max(t)))
            for s, t, _ in beads]
    by_paragraphs = 2 * (sum(linked) - sum(lone)) > sum(linked)
    single = [k for k, (s, t, _) in enumerate(beads) if lone[k] and len(s) == 1 and len(t) == 1]
    links = [(beads[k][0][0], beads[k][1][0]) for k in single]
    unlike = agreement.below_pair_bar(links, mar) if agreement else [False] * len(links)
    weak = {k for k, (i, j), low in zip(single, links, unlike)
            if (by_paragraphs and mar[i, j] < bar) or (low and not share_figure(*every, i, j))}
    out: list[Bead] = []
    for k, (s, t, c) in enumerate(beads):
        out += [(s, [], 1 - c), ([], t, 1 - c)] if k in weak else [(s, t, c)]
    return out


def backed(beads: list[Bead], mar: np.ndarray, agreement: TokenAgreement) -> list[Bead]:
    """Coverage's beads without the Chinese members the dictionary does not back.

    A bead with several Chinese sentences is often one sentence and its right English
    plus a neighbour whose English was cut, taken in beside it (the same scene).
    :meth:`~align.agreement.TokenAgreement.unbacked` asks of each Chinese member how
    much of it the bead's English says by CC-CEDICT; one that says less than halfway
    between the document's typical non-pair and pair leaves the bead, unmatched. Only
    the Chinese side is asked: a Chinese word's senses are the dictionary's own list,
    while an English split half (a translator's added words) is backed far less often
    — see docs/development.md.
    """
    if agreement.lexicon is None:
        return beads
    z = agreement.lexicon.chinese_side
    members = [(k, c) for k, bead in enumerate(beads)
               if bead[1 - z] and len(bead[z]) > 1 for c in bead[z]]
    low = agreement.unbacked([(c, beads[k][1 - z]) for k, c in members], mar)
    drop = {member for member, unbacked in zip(members, low) if unbacked}

    def alone(side: int, i: int, conf: float) -> Bead:
        return ([i], [], conf) if side == 0 else ([], [i], conf)
    out: list[Bead] = []
    for k, bead in enumerate(beads):
        gone = [i for i in bead[z] if (k, i) in drop]
        kept = [i for i in bead[z] if (k, i) not in drop]
        out += [alone(z, i, 1 - bead[2]) for i in gone]
        if not gone:
            out.append(bead)
        elif not kept:  # no Chinese member left: its English is unmatched too
            out += [alone(1 - z, j, 1 - bead[2]) for j in bead[1 - z]]
        else:
            out.append((kept, bead[1], bead[2]) if z == 0 else (bead[0], kept, bead[2]))
    return out


def continued(beads: list[Bead], mar: np.ndarray, p: ContinuumParams,
              agreement: TokenAgreement) -> list[Bead]:
    """Coverage's runs continued by a step: a sentence left unmatched just after (or
    before) a linked one, on both sides, is linked to its fellow when the two agree at
    least halfway between the document's typical non-pair and pair on every reading
    :meth:`~align.agreement.TokenAgreement.below_pair_bar` has (tokens; for
    Chinese–English the dictionary too).

    Coverage keeps paragraphs in order, so the pair beside a link is often a pair whose
    margin did not stand out (a short line, a free rendering). A sentence two links would
    continue to different fellows is left alone. See docs/development.md.
    """
    free = _unmatched(beads)
    linked = {(i, j) for s, t, _ in beads if s and t for i in s for j in t}
    steps = sorted({(i + d, j + d) for i, j in linked for d in (-1, 1)
                    if i + d in free[0] and j + d in free[1]})
    uses = Counter(i for i, _ in steps), Counter(j for _, j in steps)
    steps = [(i, j) for i, j in steps if uses[0][i] == 1 and uses[1][j] == 1]
    found = [([i], [j], float(confidence(mar[i, j], p.single, p.single.mutual_threshold)))
             for (i, j), low in zip(steps, agreement.below_pair_bar(steps, mar)) if not low]
    taken = [{b[0][0] for b in found}, {b[1][0] for b in found}]
    return [b for b in beads if not ({*b[0]} & taken[0] or {*b[1]} & taken[1])] + found


def grown(held: list[Bead], links: list[Bead], src: Windows, tgt: Windows, null: NullModel,
          every: tuple[View, View], p: ContinuumParams) -> list[Bead]:
    """The beads of blocks (``held``) and the ``links`` made one at a time, with each
    unmatched neighbour that is part of a bead joined, then the links' sentences that
    belong to the bead beside them moved there (:func:`moved`).

    The converse of :func:`dilutes`: a translator who split one sentence in two
    leaves the second half beside the first, and one link (or a member test
    that took the other out) keeps only one half. The neighbour joins exactly
    when, once in, it would stay (:func:`stays`, as :func:`supported` asks):
    it stands out for the other side and the bead does not match that side
    worse with it; and it brings no number or date the other side does not state
    (a split renders what the sentence says; the flagship's 2023 initiative,
    beside the 2024 action plan's sentence, tells another story). A half that
    renders a few clauses of a long sentence is rarely that sentence's best
    match as a whole, so that is not asked.
    """
    sides = (src, tgt)
    beads = held + links
    free = _unmatched(beads)
    joined: list[set[int]] = [set(), set()]
    out: list[Bead] = []
    for s, t, c in beads:
        members = [list(s), list(t)]
        if _windowed_bead(members[0], members[1], src, tgt):
            for side in (0, 1):
                for nb in (members[side][0] - 1, members[side][-1] + 1):
                    if nb in free[side] and _joins(side, nb, members, sides, null, every, p):
                        members[side] = sorted(members[side] + [nb])
                        free[side].discard(nb)
                        joined[side].add(nb)
        out.append((members[0], members[1], c))
    kept = [(b, k >= len(held)) for k, b in enumerate(out)
            if (b[0] and b[1]) or not ({*b[0]} & joined[0] or {*b[1]} & joined[1])]
    return moved([b for b, _ in kept], [lone for _, lone in kept], src, tgt, null, every, p)


def moved(beads: list[Bead], lone: list[bool], src: Windows, tgt: Windows, null: NullModel,
          every: tuple[View, View], p: ContinuumParams) -> list[Bead]:
    """The beads with each sentence of a ``lone`` 1-1 link moved into the bead beside it
    that it would join (:func:`_joins`) and matches better than its own partner; the
    partner is left unmatched. A block's beads stay: their neighbours corroborate them.

    In coverage a sentence whose counterpart was cut still resembles the neighbour it
    sits beside (same scene, same names), and it can be the best match of one half of
    that neighbour's split rendering: the half goes to it, one link, mutual best, which
    no margin tells from a right one. What tells them apart is where the half belongs
    more: against the neighbour's bead it matches one of the clause runs its half
    renders (:func:`standing`). MAC-Dev made into coverage (auto, seed 0, eight settings),
    the 1-1 links (blocks' too) whose sentence would join the bead beside it: where it
    stands out more there, 129 moves turn a wrong link into a right one and 60 a right one
    into a wrong one (22 right both ways: all three in one gold bead; 42 wrong both ways);
    where it does not, 65 and 454. Blocks' beads moved too lost half a point on MAC-Dev
    order kept 20/10 and 35/15 (docs/development.md).
    """
    sides = (src, tgt)
    beads = [(list(s), list(t), c) for s, t, c in beads]
    owner: list[dict[int, int]] = [{}, {}]
    for b, bead in enumerate(beads):
        for side in (0, 1):
            owner[side].update((k, b) for k in bead[side])
    for a in (a for a, alone in enumerate(lone) if alone):
        for side in (0, 1):
            s, t, c = beads[a]
            if len(s) != 1 or len(t) != 1:
                break
            k, partner = (s, t)[side][0], (s, t)[1 - side][0]
            for b in (owner[side].get(k - 1), owner[side].get(k + 1)):
                if b is None or b == a:
                    continue
                members = [beads[b][0], beads[b][1]]
                if not (_windowed_bead(members[0], members[1], src, tgt)
                        and _joins(side, k, members, sides, null, every, p)):
                    continue
                other = members[1 - side]
                there = standing(side, k, other, sides, null,
                                 window_of(sides[1 - side], other), p)[0]
                here = standing(side, k, [partner], sides, null,
                                window_of(sides[1 - side], [partner]), p)[0]
                if there > here:
                    members[side][:] = sorted(members[side] + [k])
                    owner[side][k] = b
                    beads[a] = ([partner], [], 1 - c) if side == 1 else ([], [partner], 1 - c)
                    break
    return beads


def _joins(side: int, nb: int, members: list[list[int]], sides: tuple[Windows, Windows],
           null: NullModel, every: tuple[View, View], p: ContinuumParams) -> bool:
    """Whether the neighbour ``nb`` of one side of a bead is part of it (see :func:`grown`)."""
    own, other = members[side], members[1 - side]
    run = sorted(own + [nb])
    if not _windowed(run, sides[side]):
        return False
    window = window_of(sides[1 - side], other)
    figures = every[side].figures, every[1 - side].figures
    new_figure = bool(figures[0] and figures[1]
                      and figures[0][nb] - set().union(*(figures[1][o] for o in other)))
    end = 0 if nb < own[0] else -1
    return stays(side, run, end, other, sides, null, window, p) and not new_figure


def mined(beads: list[Bead], src: Windows, tgt: Windows, null: NullModel,
          p: ContinuumParams) -> list[Bead]:
    """The beads plus each unmatched sentence linked to two unmatched neighbours of the
    other side that, read together, are its best match and it theirs.

    A translator who splits a sentence renders part of it in each half, and neither half
    need be its best match, nor it theirs: one link at a time finds neither, and the bead
    is lost whole (MAC-Dev shuffled in blocks of 1-4: 264 of the 962 sentences of larger
    gold beads). The two halves read together say what the sentence says (the window the
    parallel aligner scores a 1-2 bead by). So among every single sentence and pair of
    neighbours of the other side, by ratio margin: mutually best, by comparable mode's
    margin for corroborated links (``mutual_threshold``), both neighbours unmatched and in
    one run; and the bead must be supported whole (:func:`supported`: every member stands
    out and none dilutes it), which keeps an orphan from taking a pair of short news
    sentences. Coverage only (longer pairs than ``jump_cells`` skip it, as they skip the
    jumping pass): in the continuum regime the unmatched sentences are gaps between blocks.
    """
    if src.n * tgt.n > p.jump_cells:
        return beads
    sides = (src, tgt)
    free = _unmatched(beads)
    found: list[Bead] = []
    for side in (0, 1):
        own, other = sides[side], sides[1 - side]
        if len(other.vecs) < 2 or not free[side]:
            continue
        mar = margins(own.vecs[0] @ np.vstack(other.vecs[:2]).T, p.single.k)
        best_row = mar.argmax(axis=0)
        for i in sorted(free[side]):
            col = int(mar[i].argmax())
            j = col - other.n
            if (j < 0 or best_row[col] != i or mar[i, col] < p.single.mutual_threshold
                    or not {j, j + 1} <= free[1 - side] or not _windowed([j, j + 1], other)):
                continue
            c = float(confidence(mar[i, col], p.single, p.single.mutual_threshold))
            bead = ([i], [j, j + 1], c) if side == 0 else ([j, j + 1], [i], c)
            whole = supported(bead, src, tgt, null, p)
            if whole and len(whole[0]) + len(whole[1]) == 3:
                free[side].discard(i)
                free[1 - side] -= {j, j + 1}
                found.append(bead)
    taken = [{k for b in found for k in b[0]}, {k for b in found for k in b[1]}]
    return [b for b in beads if not ({*b[0]} & taken[0] or {*b[1]} & taken[1])] + found
