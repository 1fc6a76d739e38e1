"""Monotonic many-to-many alignment for translations (books, reports).

Two passes, as in Bertalign, but without an N×M matrix anywhere:

1. **Anchor pass.** Each source sentence's best targets are searched only in a
   band around the length-proportional diagonal, and the best order-keeping
   chain of those 1-1 candidates gives an anchor path.
2. **Bead pass.** A DP over beads (a, b) — 1-0, 0-1 and every a, b ≥ 1 with
   a + b ≤ ``max_bead`` — in a narrow corridor around the anchor path.

A bead's gain is Bertalign's: the cosine of its two windows (a consecutive
source sentences, b target sentences) minus the mean similarity of each window
to the sentences just outside the other (a *local margin*: a window that is
as close to its neighbours as to its partner is probably cut in the wrong
place), times a length agreement ``log2(1 + short/long)``. Two additions,
measured on MAC-Dev (README): every sentence beyond a 1-1 costs
``merge_cost``; a multi-sentence bead is penalised by how much its least
related member falls below the bead's similarity (``member_weight``) — a
window average hides one sentence that belongs elsewhere; and a 1-n or n-1
bead gains by how well the single sentence's clauses, cut in order, match
the n sentences one by one (``split_weight``, :func:`split_gains`).

Time and memory are O((n + m) · corridor · bead types).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from itertools import combinations

import numpy as np


@dataclass(frozen=True)
class ParallelParams:
    """Every knob that changes a parallel alignment (recorded in the output signature)."""

    max_bead: int = 5
    """Most sentences in one bead, both sides together (Bertalign's max_align)."""
    max_side: int = 4
    """Most sentences on one side of a bead."""
    skip: float = -0.1
    """Gain of a 1-0 or 0-1 bead: what a match must beat to be preferred."""
    merge_cost: float = 0.01
    """Cost of each sentence a bead holds beyond a 1-1."""
    member_weight: float = 0.1
    """Weight of a multi-sentence bead's weakest member (its shortfall below the bead's similarity)."""
    anchor_k: int = 3
    """Candidates per source sentence in the anchor pass."""
    anchor_band: int = 100
    """Half-width (in target sentences) of the anchor search around the diagonal."""
    corridor: int = 5
    """Half-width of the bead pass around the anchor path."""
    split_weight: float = 0.1
    """Weight of the clause evidence for 1-n and n-1 beads (see :func:`split_gains`)."""
    calibration: tuple[float, float] = (0.02, 0.025)
    """Bead gain at which confidence is 0.5, and the gain change worth one logit."""


@dataclass
class Windows:
    """Embeddings of every run of 1..max_side consecutive sentences of one side.

    ``vecs[k][i]`` embeds sentences ``i .. i+k`` (k is the run length minus one);
    ``chars[k][i]`` is its length in characters. How runs are embedded (joined
    text or averaged sentence vectors) is the encoder's choice.
    """

    vecs: list[np.ndarray]
    chars: list[np.ndarray]
    clauses: ClauseSpans | None = None
    runs: np.ndarray | None = None
    """Run number of each sentence: a bead never spans two runs (the pipeline
    starts a new run after a caption, byline or dateline it took out)."""

    @property
    def n(self) -> int:
        return len(self.vecs[0])

    @functools.cached_property
    def mean(self) -> np.ndarray:
        """The side's mean sentence vector, once: every bead's gain reads it (computed per
        bead, it made the aligner quadratic in the length of a book)."""
        return self.vecs[0].mean(axis=0)

    def take(self, ids: np.ndarray) -> Windows:
        """Sentences ``ids`` (ascending) as a side of their own.

        Where two of them are not neighbours here a new run starts, so no
        window and no bead spans what was left out between them.
        """
        runs = np.concatenate([[0], np.cumsum(np.diff(ids) != 1)])
        if self.runs is not None:
            runs = runs + np.concatenate([[0], np.cumsum(np.diff(self.runs[ids]) != 0)])
        levels = min(len(self.vecs), len(ids))
        # A window that would span a gap is masked by the runs; any row will do for it.
        starts = [np.minimum(ids[:len(ids) - k], len(self.vecs[k]) - 1) for k in range(levels)]
        spans = self.clauses
        if spans is not None:
            spans = ClauseSpans(spans.index[ids], spans.counts[ids], spans.vecs, spans.sentences[ids])
        return Windows([self.vecs[k][starts[k]] for k in range(levels)],
                       [self.chars[k][starts[k]] for k in range(levels)], spans, runs)


@dataclass
class ClauseSpans:
    """A fast model's embeddings of every contiguous run of clauses of each sentence.

    ``index[i, p, q]`` is the row of ``vecs`` embedding clauses ``p..q-1`` of
    sentence ``i`` (-1 for the whole sentence and for sentences that do not
    split); a dense array rather than per-sentence dicts, so the evidence for
    many beads at once is one gather. ``sentences`` holds the same model's
    whole-sentence embeddings, the baseline a split must beat.
    """

    index: np.ndarray
    counts: np.ndarray
    vecs: np.ndarray
    sentences: np.ndarray


BLOCK = 128
"""Source rows per similarity block: a block gathers BLOCK x band target vectors
(128 x 201 x 896 floats is ~90 MB), so memory stays flat whatever the length."""

MAX_CLAUSES = 10
"""Sentences with more clauses are not split: the cut choices grow as C(k-1, b-1)
(84 for 10 clauses into 4 sentences). Ten still covers the long Chinese sentences
translators split most (8 left one MAC-Dev document a point lower)."""


def clause_spans(sentences: list[str], bounds: list[list[tuple[int, int]]], encode_runs,
                 vecs: np.ndarray) -> ClauseSpans:
    """Embed every proper contiguous clause run of every sentence.

    ``bounds[i]`` are sentence i's clause (start, end) offsets, [] if it does
    not split; ``encode_runs(clauses, runs)`` embeds runs ``(a, b)`` of consecutive
    clauses (:meth:`align.embed.Encoder.encode_runs`); ``vecs`` are the same model's
    whole-sentence embeddings.
    """
    index = np.full((len(sentences), MAX_CLAUSES + 1, MAX_CLAUSES + 1), -1, dtype=np.int32)
    counts = np.zeros(len(sentences), dtype=int)
    clauses: list[str] = []
    runs: list[tuple[int, int]] = []
    for i, (sentence, cuts) in enumerate(zip(sentences, bounds)):
        k = len(cuts) if 2 <= len(cuts) <= MAX_CLAUSES else 0
        counts[i] = k
        first = len(clauses)
        clauses.extend(sentence[a:b] for a, b in cuts[:k])
        for p in range(k):
            for q in range(p + 1, k + 1):
                if (p, q) != (0, k):
                    index[i, p, q] = len(runs)
                    runs.append((first + p, first + q))
    span_vecs = encode_runs(clauses, runs) if runs else np.zeros((0, vecs.shape[1]), np.float32)
    return ClauseSpans(index, counts, span_vecs, vecs)


def window_chars(chars: np.ndarray, max_side: int) -> list[np.ndarray]:
    total = np.concatenate([[0.0], np.cumsum(chars)])
    return [total[k:] - total[:-k] for k in range(1, min(max_side, len(chars)) + 1)]


def bead_types(max_bead: int, max_side: int) -> list[tuple[int, int]]:
    types = [(1, 0), (0, 1)]
    for a in range(1, max_side + 1):
        for b in range(1, max_side + 1):
            if a + b <= max_bead:
                types.append((a, b))
    return types


def _diagonal(src_chars: np.ndarray, tgt_chars: np.ndarray) -> np.ndarray:
    """Expected target position of each source sentence, by cumulative length.

    Proportional in characters rather than sentence counts, because translators
    split and merge sentences but the running text length tracks closely.
    """
    s = (np.cumsum(src_chars) - src_chars / 2) / max(src_chars.sum(), 1e-9)
    t = (np.cumsum(tgt_chars) - tgt_chars / 2) / max(tgt_chars.sum(), 1e-9)
    return np.searchsorted(t, s).clip(0, len(tgt_chars) - 1)


def anchor_path(src: Windows, tgt: Windows, p: ParallelParams) -> np.ndarray:
    """Monotone target position (fractional) for every source boundary 0..n."""
    n, m = src.n, tgt.n
    centre = _diagonal(src.chars[0], tgt.chars[0])
    width = min(2 * p.anchor_band + 1, m)
    lo = np.clip(centre - p.anchor_band, 0, m - width)
    k = min(p.anchor_k, width)
    best = _PrefixMax(m)
    chain: dict[tuple[int, int], tuple[int, int] | None] = {}
    end, end_score = None, 0.0
    for start in range(0, n, BLOCK):
        rows = np.arange(start, min(n, start + BLOCK))
        cols = lo[rows, None] + np.arange(width)[None, :]
        sims = np.einsum("id,icd->ic", src.vecs[0][rows], tgt.vecs[0][cols])
        top = np.argsort(-sims, axis=1)[:, :k]
        for r, i in enumerate(rows):
            # Weighted longest increasing chain of (i, j) links; a Fenwick tree
            # over target positions answers "best chain ending before j".
            found = []
            for c in top[r]:
                j = int(cols[r, c])
                prev_score, prev = best.query(j)
                chain[(i, j)] = prev
                found.append((j, prev_score + float(sims[r, c])))
            for j, score in found:
                best.update(j, score, (int(i), j))
                if score > end_score:
                    end, end_score = (int(i), j), score
    links = []
    while end is not None:
        links.append(end)
        end = chain[end]
    links.reverse()
    xs = [0.0] + [i + 0.5 for i, _ in links] + [float(n)]
    ys = [0.0] + [j + 0.5 for _, j in links] + [float(m)]
    return np.interp(np.arange(n + 1), xs, ys)


class _PrefixMax:
    """Fenwick tree: best chain score over target positions < j, and the link ending it."""

    def __init__(self, m: int) -> None:
        self.size = m + 1
        self.score = np.zeros(self.size + 1)
        self.node: list[tuple[int, int] | None] = [None] * (self.size + 1)

    def update(self, j: int, score: float, node: tuple[int, int]) -> None:
        k = j + 2  # target j sits in 1-based slot j+1; queries for j are strict
        while k <= self.size:
            if score > self.score[k]:
                self.score[k], self.node[k] = score, node
            k += k & -k

    def query(self, j: int) -> tuple[float, tuple[int, int] | None]:
        k, best, node = j + 1, 0.0, None
        while k > 0:
            if self.score[k] > best:
                best, node = self.score[k], self.node[k]
            k -= k & -k
        return best, node


def _corridor(path: np.ndarray, m: int, half: int) -> tuple[np.ndarray, np.ndarray]:
    """Target range [lo[i], hi[i]] per source boundary i, monotone and connected."""
    n = len(path) - 1
    lo = np.floor(path - half).clip(0, m).astype(int)
    hi = np.ceil(path + half).clip(0, m).astype(int)
    lo[0], hi[n] = 0, m
    lo, hi = np.minimum.accumulate(lo[::-1])[::-1], np.maximum.accumulate(hi)
    # Each row must overlap the previous one, or a jump in the anchor path
    # (a stretch with no anchors) leaves cells no bead can reach.
    lo[1:] = np.minimum(lo[1:], hi[:-1])
    return lo, hi


def _neighbour_sim(side: Windows, vecs: np.ndarray, left: np.ndarray, right: np.ndarray):
    """Mean similarity of each row of ``vecs`` to the sentences of ``side`` at ``left``/``right``.

    A neighbour past either end of the side counts as a typical sentence of it
    (the similarity to the side's mean vector): taking it as 0 gave windows at
    the ends a free margin, so a short document's first and last sentences
    were swallowed into one large bead.
    """
    single = side.vecs[0]
    n = len(single)
    lv = np.einsum("kd,kd->k", vecs, single[left.clip(0, n - 1)])
    rv = np.einsum("kd,kd->k", vecs, single[right.clip(0, n - 1)])
    typical = vecs @ side.mean
    return (np.where(left >= 0, lv, typical) + np.where(right < n, rv, typical)) / 2


def bead_gains(src: Windows, tgt: Windows, a: int, b: int, i0: int, j0: np.ndarray,
               ratio: float, p: ParallelParams) -> np.ndarray:
    """Gain of beads with source sentences ``i0..i0+a-1`` and targets starting at each ``j0``."""
    sv = src.vecs[a - 1][i0]
    tv = tgt.vecs[b - 1][j0]
    sim = tv @ sv
    nb_t = _neighbour_sim(tgt, np.broadcast_to(sv, tv.shape), j0 - 1, j0 + b)
    nb_s = _neighbour_sim(src, tv, np.full(len(j0), i0 - 1), np.full(len(j0), i0 + a))
    sl, tl = src.chars[a - 1][i0] * ratio, tgt.chars[b - 1][j0]
    agreement = np.log2(1 + np.minimum(sl, tl) / np.maximum(np.maximum(sl, tl), 1e-9))
    gain = (sim - (nb_t + nb_s) / 2) * agreement - p.merge_cost * (a + b - 2)
    if src.runs is not None and src.runs[i0] != src.runs[i0 + a - 1]:
        gain[:] = -np.inf
    if tgt.runs is not None:
        gain[tgt.runs[j0] != tgt.runs[j0 + b - 1]] = -np.inf
    if a + b > 2:
        weakest_s = (tv @ src.vecs[0][i0:i0 + a].T).min(axis=1)
        weakest_t = np.stack([tgt.vecs[0][j0 + k] @ sv for k in range(b)], axis=1).min(axis=1)
        gain += p.member_weight * (np.minimum(weakest_s, weakest_t) - sim)
    if p.split_weight and src.clauses is not None and tgt.clauses is not None:
        if a == 1 and b > 1:
            gain += p.split_weight * split_gains(src.clauses, np.full(len(j0), i0),
                                                 tgt.clauses.sentences, j0, b)
        elif b == 1 and a > 1:
            gain += p.split_weight * split_gains(tgt.clauses, j0, src.clauses.sentences,
                                                 np.full(len(j0), i0), a)
    return gain


def split_gains(spans: ClauseSpans, split: np.ndarray, others: np.ndarray, starts: np.ndarray,
                b: int) -> np.ndarray:
    """Evidence that each sentence ``split[c]`` was split into the ``b`` sentences at ``starts[c]``.

    The best cut of the sentence's clauses into ``b`` consecutive groups, each
    group matched to one of the b sentences in order, against the similarity
    of the whole sentence to the b sentences together. A translator who splits
    a long Chinese sentence in two renders its first clauses first: when the
    next English sentence belongs to the *next* Chinese sentence, no cut
    explains it and the bead loses. 0 where the sentence does not split into
    b groups. Vectorised per clause count, since cuts depend only on that.
    """
    out = np.zeros(len(split))
    parts = [others[starts + r] for r in range(b)]
    together = sum(parts)
    together /= np.maximum(np.linalg.norm(together, axis=1, keepdims=True), 1e-12)
    counts = spans.counts[split]
    for k in np.unique(counts[counts >= b]):
        cells = np.flatnonzero(counts == k)
        rows = spans.index[split[cells]]
        best = np.full(len(cells), -np.inf)
        for cuts in combinations(range(1, k), b - 1):
            bounds = (0, *cuts, int(k))
            total = sum(np.einsum("cd,cd->c", parts[r][cells],
                                  spans.vecs[rows[:, bounds[r], bounds[r + 1]]])
                        for r in range(b))
            best = np.maximum(best, total / b)
        out[cells] = best - np.einsum("cd,cd->c", together[cells], spans.sentences[split[cells]])
    return out


def align_parallel(src: Windows, tgt: Windows, p: ParallelParams = ParallelParams(),
                   ratio: float | None = None):
    """Return beads ``[(src_ids, tgt_ids, confidence)]`` covering both sides in order.

    ``ratio`` is the expected target length of one source character (default:
    the two sides' total lengths, right for a complete translation).
    """
    n, m = src.n, tgt.n
    if n == 0 or m == 0:
        return [([i], [], 1.0) for i in range(n)] + [([], [j], 1.0) for j in range(m)]
    path = anchor_path(src, tgt, p)
    lo, hi = _corridor(path, m, p.corridor)
    ratio = length_ratio(src, tgt) if ratio is None else ratio
    types = [(a, b) for a, b in bead_types(p.max_bead, p.max_side)
             if a <= len(src.vecs) and b <= len(tgt.vecs)]

    score = [np.full(hi[i] - lo[i] + 1, -np.inf) for i in range(n + 1)]
    back = [np.full(hi[i] - lo[i] + 1, -1, dtype=np.int8) for i in range(n + 1)]
    gains = [np.zeros(hi[i] - lo[i] + 1) for i in range(n + 1)]
    score[0][0] = 0.0
    insertion = types.index((0, 1))
    for i in range(n + 1):
        js = np.arange(lo[i], hi[i] + 1)
        for t, (a, b) in enumerate(types):
            pi = i - a
            if pi < 0 or t == insertion:
                continue
            pj = js - b
            ok = (pj >= lo[pi]) & (pj <= hi[pi])
            if not ok.any():
                continue
            if b == 0:
                gain = np.full(int(ok.sum()), p.skip)
            else:
                gain = bead_gains(src, tgt, a, b, pi, pj[ok], ratio, p)
            total = score[pi][pj[ok] - lo[pi]] + gain
            cells = js[ok] - lo[i]
            better = total > score[i][cells]
            score[i][cells[better]] = total[better]
            back[i][cells[better]] = t
            gains[i][cells[better]] = gain[better]
        # 0-1 beads chain within the row: s'[j] = max(s[j], s'[j-1] + skip),
        # i.e. a running maximum of s[k] - skip*k, shifted back by skip*j.
        row = score[i]
        steps = np.arange(len(row)) * p.skip
        chained = np.maximum.accumulate(row - steps) + steps
        via_insertion = np.concatenate([[False], chained[1:] > row[1:] + 1e-12])
        back[i][via_insertion] = insertion
        gains[i][via_insertion] = p.skip
        score[i] = np.maximum(row, chained)
    beads = []
    i, j = n, m
    while i > 0 or j > 0:
        cell = j - lo[i]
        a, b = types[back[i][cell]]
        conf = _confidence(gains[i][cell], p) if a and b else _unmatched_confidence(
            src, tgt, i - a, j - b, a, lo, hi, ratio, p)
        beads.append((list(range(i - a, i)), list(range(j - b, j)), conf))
        i, j = i - a, j - b
    beads.reverse()
    return beads


def length_ratio(src: Windows, tgt: Windows) -> float:
    """Target characters per source character, over the whole of both sides."""
    return float(tgt.chars[0].sum() / max(src.chars[0].sum(), 1e-9))


def _unmatched_confidence(src, tgt, i, j, is_source, lo, hi, ratio, p) -> float:
    """1 - confidence of the sentence's best 1-1 bead within the corridor."""
    if is_source:
        cand = np.arange(max(lo[i], 0), min(hi[i + 1], tgt.n))
        best = bead_gains(src, tgt, 1, 1, i, cand, ratio, p).max() if len(cand) else -1.0
    else:
        # lo and hi are non-decreasing: the rows whose corridor holds j form a range.
        first = max(int(np.searchsorted(hi, j, "left")) - 1, 0)
        last = min(int(np.searchsorted(lo, j, "right")) - 1, src.n - 1)
        best = max((bead_gains(src, tgt, 1, 1, k, np.array([j]), ratio, p)[0]
                    for k in range(first, last + 1)), default=-1.0)
    return 1.0 - _confidence(best, p)


def _confidence(gain: float, p: ParallelParams) -> float:
    centre, scale = p.calibration
    return float(1.0 / (1.0 + np.exp(-(gain - centre) / scale)))
