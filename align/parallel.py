"""Monotonic many-to-many alignment for translations (books, reports).

Two passes, as in Bertalign, but cheaper and sharper:

1. **Anchor pass.** Each source sentence's best targets are searched only in a
   band around the length-proportional diagonal (never an N×M matrix), and a
   1-1/1-0/0-1 DP through those candidates gives an anchor path.
2. **Bead pass.** A DP over beads (a, b) — 1-0, 0-1 and every a, b ≥ 1 with
   a + b ≤ ``max_bead`` — restricted to a narrow corridor around the anchor
   path. A bead scores the cosine of its two *windows* (a consecutive source
   sentences vs b target sentences), minus a local baseline so the score
   means "better than what lies around it" (margin), times a length prior.

Time and memory are O((n + m) · corridor · bead types): a 50,000-sentence book
stays linear.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ParallelParams:
    """Every knob that changes a parallel alignment (recorded in the output signature)."""

    max_bead: int = 5
    """Most sentences in one bead, both sides together (Bertalign's max_align)."""
    max_side: int = 4
    """Most sentences on one side of a bead."""
    skip: float = -0.1
    """Score of a 1-0 or 0-1 bead: how much a match must beat to be preferred."""
    anchor_k: int = 3
    """Candidates per source sentence in the anchor pass."""
    anchor_band: int = 100
    """Half-width (in target sentences) of the anchor search around the diagonal."""
    corridor: int = 6
    """Half-width of the bead pass around the anchor path."""
    margin_k: int = 4
    """Neighbours averaged into each sentence's local similarity baseline."""
    length_weight: float = 1.0
    """Strength of the length prior (0 disables it)."""
    margin: bool = True
    """Subtract each sentence's local baseline from bead similarities."""
    offset: float = 0.0
    """Constant subtracted from every bead similarity."""
    size_power: float = 1.0
    """Bead gain is multiplied by (a+b)**size_power."""
    bert_len: bool = False
    local: bool = False
    merge_cost: float = 0.0
    gc_weight: float = 0.0
    margin_weight: float = 1.0


@dataclass
class Windows:
    """Embeddings of every run of 1..max_side consecutive sentences of one side.

    ``vecs[k][i]`` embeds sentences ``i .. i+k`` (k is the run length minus one);
    ``chars[k][i]`` is its length in characters. How runs are embedded (real
    concatenations or averaged singles) is the pipeline's choice.
    """

    vecs: list[np.ndarray]
    chars: list[np.ndarray]

    @property
    def n(self) -> int:
        return len(self.vecs[0])


def windows_from_singles(vecs: np.ndarray, chars: np.ndarray, max_side: int) -> Windows:
    """Approximate a run's embedding by the normalised mean of its sentences'."""
    wv, wc = [vecs], [np.asarray(chars, dtype=np.float64)]
    csum = np.vstack([np.zeros((1, vecs.shape[1]), np.float32), np.cumsum(vecs, axis=0)])
    ccum = np.concatenate([[0.0], np.cumsum(chars)])
    for k in range(2, max_side + 1):
        if len(vecs) < k:
            break
        s = csum[k:] - csum[:-k]
        wv.append(s / np.maximum(np.linalg.norm(s, axis=1, keepdims=True), 1e-12))
        wc.append(ccum[k:] - ccum[:-k])
    return Windows(wv, wc)


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
    s = np.cumsum(src_chars) - np.asarray(src_chars) / 2
    t = np.cumsum(tgt_chars) - np.asarray(tgt_chars) / 2
    s = s / max(s[-1] + src_chars[-1] / 2, 1e-9)
    t = t / max(t[-1] + tgt_chars[-1] / 2, 1e-9)
    return np.searchsorted(t, s).clip(0, len(tgt_chars) - 1)


def _banded_sims(src: np.ndarray, tgt: np.ndarray, centre: np.ndarray, half: int):
    """Similarities of each source row to targets ``centre[i] ± half``.

    Returns (lo, sims) with ``sims[i, c]`` the cosine to target ``lo[i] + c``
    (-inf outside the text). Memory O(n · band), not O(n · m).
    """
    n, m = len(src), len(tgt)
    width = min(2 * half + 1, m)
    lo = np.clip(centre - half, 0, m - width)
    sims = np.empty((n, width), dtype=np.float32)
    for start in range(0, n, 1024):
        rows = slice(start, min(n, start + 1024))
        idx = lo[rows, None] + np.arange(width)[None, :]
        sims[rows] = np.einsum("id,icd->ic", src[rows], tgt[idx])
    return lo, sims


def _baselines(src: np.ndarray, tgt: np.ndarray, centre: np.ndarray, half: int, k: int):
    """Mean of each sentence's k best similarities on the other side (local hubness).

    Subtracting it turns raw cosines, whose level differs by model and by
    sentence (e5's zh/en cosines crowd into 0.77-0.89), into margins that
    compare across sentences — the ratio/difference margin of Artetxe & Schwenk.
    """
    lo, sims = _banded_sims(src, tgt, centre, half)
    kk = min(k, sims.shape[1])
    src_base = np.sort(sims, axis=1)[:, -kk:].mean(axis=1)
    tgt_best = np.full((len(tgt), kk), -1.0, dtype=np.float32)
    # Scatter each band row into the target side's running top-k.
    for i in range(len(src)):
        cols = lo[i] + np.arange(sims.shape[1])
        cand = np.concatenate([tgt_best[cols], sims[i][:, None]], axis=1)
        tgt_best[cols] = np.sort(cand, axis=1)[:, -kk:]
    tgt_base = np.where(tgt_best > -1.0, tgt_best, np.nan)
    tgt_base = np.nan_to_num(np.nanmean(tgt_base, axis=1), nan=float(src_base.mean()))
    return src_base, tgt_base


def anchor_path(src: Windows, tgt: Windows, p: ParallelParams) -> np.ndarray:
    """Target position (fractional, monotone) for every source position 0..n."""
    n, m = src.n, tgt.n
    centre = _diagonal(src.chars[0], tgt.chars[0])
    lo, sims = _banded_sims(src.vecs[0], tgt.vecs[0], centre, p.anchor_band)
    k = min(p.anchor_k, sims.shape[1])
    top = np.argsort(-sims, axis=1)[:, :k]
    cand = [(i, int(lo[i] + c), float(sims[i, c])) for i in range(n) for c in top[i]]
    # Longest-path DP over candidate 1-1 links that keeps order: a weighted
    # increasing subsequence, O(C log C) with a Fenwick-style sweep would be
    # overkill here; candidates are few (n·k) and sorted, so a simple
    # patience-style DP with a prefix max over target positions suffices.
    cand.sort(key=lambda x: (x[0], x[1]))
    best = np.zeros(m + 1)  # best[j]: best score of a chain ending at target < j
    choice: dict[tuple[int, int], tuple[int, int] | None] = {}
    tree = _PrefixMax(m)
    by_src: dict[int, list[tuple[int, float]]] = {}
    for i, j, s in cand:
        by_src.setdefault(i, []).append((j, s))
    ends: list[tuple[float, int, int]] = []
    for i in sorted(by_src):
        updates = []
        for j, s in by_src[i]:
            prev_score, prev = tree.query(j)  # best chain with target < j
            score = prev_score + s
            choice[(i, j)] = prev
            updates.append((j, score, (i, j)))
        for j, score, node in updates:
            tree.update(j, score, node)
            ends.append((score, *node))
    del best
    if not ends:
        return np.linspace(0, m, n + 1)
    _, i, j = max(ends)
    links = []
    node: tuple[int, int] | None = (i, j)
    while node is not None:
        links.append(node)
        node = choice[node]
    links.reverse()
    # Interpolate a monotone target position for every source boundary 0..n.
    xs = [0.0] + [li + 0.5 for li, _ in links] + [float(n)]
    ys = [0.0] + [lj + 0.5 for _, lj in links] + [float(m)]
    return np.interp(np.arange(n + 1), xs, ys)


class _PrefixMax:
    """Fenwick tree for 'best chain score over targets < j' with its argmax node."""

    def __init__(self, m: int) -> None:
        self.size = m + 1
        self.score = np.zeros(self.size + 1)
        self.node: list[tuple[int, int] | None] = [None] * (self.size + 1)

    def update(self, j: int, score: float, node: tuple[int, int]) -> None:
        k = j + 2  # position j occupies slot j+1 (1-based) and queries are strict
        while k <= self.size:
            if score > self.score[k]:
                self.score[k] = score
                self.node[k] = node
            k += k & -k

    def query(self, j: int) -> tuple[float, tuple[int, int] | None]:
        k = j + 1
        best, node = 0.0, None
        while k > 0:
            if self.score[k] > best:
                best, node = self.score[k], self.node[k]
            k -= k & -k
        return best, node


def align_parallel(src: Windows, tgt: Windows, p: ParallelParams = ParallelParams()):
    """Return beads ``[(src_ids, tgt_ids, raw_score)]`` covering both sides in order."""
    n, m = src.n, tgt.n
    if n == 0 or m == 0:
        return [([i], [], 0.0) for i in range(n)] + [([], [j], 0.0) for j in range(m)]
    path = anchor_path(src, tgt, p)
    centre = np.round(path[:n]).astype(int).clip(0, m - 1)
    src_base, tgt_base = _baselines(src.vecs[0], tgt.vecs[0], centre, p.anchor_band, p.margin_k)
    ratio = tgt.chars[0].sum() / max(src.chars[0].sum(), 1e-9)
    types = bead_types(p.max_bead, p.max_side)
    gc_var = _length_variance(src, tgt, path, ratio)

    # Corridor: for each source boundary i, target boundaries j in [lo[i], hi[i]].
    lo = np.floor(path - p.corridor).clip(0, m).astype(int)
    hi = np.ceil(path + p.corridor).clip(0, m).astype(int)
    lo[0], hi[n] = 0, m
    lo = np.minimum.accumulate(lo[::-1])[::-1]  # keep the corridor monotone and connected
    hi = np.maximum.accumulate(hi)

    neg = -np.inf
    score = [np.full(hi[i] - lo[i] + 1, neg) for i in range(n + 1)]
    back = [np.full((hi[i] - lo[i] + 1), -1, dtype=np.int16) for i in range(n + 1)]
    score[0][0 - lo[0]] = 0.0
    for i in range(n + 1):
        js = np.arange(lo[i], hi[i] + 1)
        cur, cur_back = score[i], back[i]
        for t, (a, b) in enumerate(types):
            pi = i - a
            if pi < 0:
                continue
            pj = js - b
            ok = (pj >= lo[pi]) & (pj <= hi[pi])
            if not ok.any():
                continue
            prev = np.full(len(js), neg)
            prev[ok] = score[pi][pj[ok] - lo[pi]]
            if a == 0 or b == 0:
                gain = np.full(len(js), p.skip * (a + b))
            else:
                gain = np.full(len(js), neg)
                jj = pj[ok]  # window start on the target side
                valid = jj + b <= m
                sv = src.vecs[a - 1][pi]
                tv = tgt.vecs[b - 1][jj[valid]]
                sim = tv @ sv
                base = 0.5 * (src_base[pi:i].mean() + _range_mean(tgt_base, jj[valid], b))
                if p.local:
                    base = 0.5 * (_neighbour_sim(tgt.vecs[0], sv[None, :], jj[valid] - 1, jj[valid] + b)
                                  + _neighbour_sim(src.vecs[0], tv, np.full(len(tv), pi - 1), np.full(len(tv), i)))
                g = (sim - base * p.margin * p.margin_weight - p.offset) * (a + b) ** p.size_power
                if p.bert_len:
                    sl = src.chars[a - 1][pi] * ratio
                    tl = tgt.chars[b - 1][jj[valid]]
                    g = g * np.log2(1 + np.minimum(sl, tl) / np.maximum(np.maximum(sl, tl), 1e-9))
                    g = g - p.merge_cost * (a + b - 2)
                    if p.gc_weight:
                        g = g - p.gc_weight * (tl - sl) ** 2 / (2 * gc_var * np.maximum(sl, 1.0))
                elif p.length_weight:
                    sl = src.chars[a - 1][pi] * ratio
                    tl = tgt.chars[b - 1][jj[valid]]
                    g = g + p.length_weight * _length_prior(sl, tl)
                tmp = np.full(ok.sum(), neg)
                tmp[valid] = g
                gain[ok] = tmp
            total = prev + gain
            better = total > cur
            cur[better] = total[better]
            cur_back[better] = t
    # Trace back from (n, m).
    beads = []
    i, j = n, m
    while i > 0 or j > 0:
        t = back[i][j - lo[i]]
        a, b = types[t]
        beads.append((list(range(i - a, i)), list(range(j - b, j))))
        i, j = i - a, j - b
    beads.reverse()
    return [(s, t, _bead_sim(src, tgt, s, t)) for s, t in beads]


def _neighbour_sim(single: np.ndarray, vecs: np.ndarray, left: np.ndarray, right: np.ndarray):
    """Mean similarity of ``vecs`` rows to the single sentences just left/right of a window."""
    n = len(single)
    lv = np.where(left >= 0, np.einsum("kd,kd->k", vecs if len(vecs) == len(left) else np.repeat(vecs, len(left), 0), single[left.clip(0, n - 1)]), 0.0)
    rv = np.where(right < n, np.einsum("kd,kd->k", vecs if len(vecs) == len(right) else np.repeat(vecs, len(right), 0), single[right.clip(0, n - 1)]), 0.0)
    both = (left >= 0) & (right < n)
    out = (lv + rv) / np.where(both, 2.0, 1.0)
    return out


def _length_variance(src: Windows, tgt: Windows, path: np.ndarray, ratio: float) -> float:
    """Gale-Church variance of target length around ratio*source length, from this text.

    Measured on the 1-1 links the anchor pass trusts, so the prior adapts to the
    language pair and the translator instead of a constant fitted on Europarl.
    """
    n, m = src.n, tgt.n
    i = np.arange(n)
    j = np.floor(path[:n]).astype(int).clip(0, m - 1)
    sl, tl = src.chars[0][i] * ratio, tgt.chars[0][j]
    var = np.median((tl - sl) ** 2 / np.maximum(sl, 1.0))
    return float(max(var, 1.0))


def _range_mean(base: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    c = np.concatenate([[0.0], np.cumsum(base)])
    return (c[starts + length] - c[starts]) / length


def _length_prior(sl: float | np.ndarray, tl: np.ndarray) -> np.ndarray:
    """log-ratio penalty: 0 when lengths match (after the global ratio), negative otherwise."""
    r = np.log((np.asarray(tl) + 10.0) / (np.asarray(sl) + 10.0))
    return -0.5 * (r / 0.5) ** 2 * 0.05


def _bead_sim(src: Windows, tgt: Windows, s: list[int], t: list[int]) -> float:
    if not s or not t:
        return 0.0
    return float(src.vecs[len(s) - 1][s[0]] @ tgt.vecs[len(t) - 1][t[0]])
