"""What the aligners read of one side, beyond its sentence vectors.

The encoder only encodes; the views each regime needs are built here:

- **windows** (:class:`align.parallel.Windows`): every run of 1..max_side
  consecutive sentences, for n-m beads. A fast model embeds the joined text, as
  Bertalign does for every model (USE builds it from its sentences' token sums,
  :mod:`align.pooled`); a slow one averages its sentence vectors instead, which
  costs nothing (the windows hold ~10x the text of the sentences). Plus the fast
  model's clause spans, the evidence for 1-n and n-1 beads.
- **clause views** (:class:`align.comparable.View`): long sentences also
  embedded clause by clause, for coverage that renders one clause of a
  sentence.

Sentences taken out before aligning (captions, bylines, datelines) end a
*run*: no window and no bead spans one.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from . import comparable, parallel
from .claims import extract_quantities
from .embed import Encoder, FusedEncoder, Progress, l2_normalise
from .model import Document
from .segment import clause_bounds


def members(encoder: Encoder) -> list[tuple[Encoder, float]]:
    """(member, scale) of a fused encoder, or the encoder itself with scale 1."""
    return encoder.members if isinstance(encoder, FusedEncoder) else [(encoder, 1.0)]


def fast_part(encoder: Encoder) -> Encoder | None:
    """The encoder itself if fast, else a fast member of a fused encoder, else None."""
    return next((enc for enc, _ in members(encoder) if enc.fast), None)


def renamed(progress: Progress | None, stage: str) -> Progress | None:
    """``progress`` reporting an inner step's embedding under its own stage name, so a
    long book shows its window and clause embedding rather than a frozen 'aligning'.
    A fused model's member suffix stays: ``embedding (e5-small)`` → ``source clauses (e5-small)``."""
    if progress is None:
        return None
    return lambda inner, done, total: progress(inner.replace("embedding", stage, 1), done, total)


def windows(encoder: Encoder, texts: Sequence[str], singles: np.ndarray, max_side: int,
            joiner: str = " ", progress: Progress | None = None) -> list[np.ndarray]:
    """``result[k][i]`` embeds sentences ``i .. i+k``; a fused encoder's members each
    build their own (real or averaged), fused per run length."""
    per_member, start = [], 0
    for enc, scale in members(encoder):
        part = singles[:, start:start + enc.dim] / scale
        per_member.append([w * scale for w in _member_windows(enc, texts, part, max_side, joiner, progress)])
        start += enc.dim
    return [np.hstack(ws).astype(np.float32) for ws in zip(*per_member)]


def _member_windows(encoder: Encoder, texts: Sequence[str], singles: np.ndarray, max_side: int,
                    joiner: str, progress: Progress | None) -> list[np.ndarray]:
    lengths = range(2, min(max_side, len(texts)) + 1)
    if not encoder.fast:
        total = np.cumsum(np.vstack([np.zeros((1, singles.shape[1]), np.float32), singles]), axis=0)
        return [singles] + [l2_normalise(total[k:] - total[:-k]) for k in lengths]
    # One call for all run lengths, so progress runs once from 0 to the end.
    runs = [(i, i + k) for k in lengths for i in range(len(texts) - k + 1)]
    vecs = encoder.encode_runs(texts, runs, joiner, progress)
    bounds = np.cumsum([0] + [len(texts) - k + 1 for k in lengths])
    return [singles] + [vecs[a:b] for a, b in pairwise(bounds)]


def parallel_windows(doc: Document, ids: list[int], vecs: np.ndarray, encoder: Encoder,
                     max_side: int, progress: Progress | None = None,
                     side: str = "source") -> parallel.Windows:
    """Everything the parallel aligner reads of one side: runs of sentences ``ids``
    (``vecs`` their embeddings), their lengths, clause spans and metadata breaks."""
    texts = [doc.sentences[i].norm for i in ids]
    chars = np.array([len(t) for t in texts], dtype=float)
    runs_of = windows(encoder, texts, vecs, max_side, doc.joiner, renamed(progress, f"{side} windows"))
    fast = fast_part(encoder)
    spans = None
    if fast is not None:
        report = renamed(progress, f"{side} clauses")
        spans = parallel.clause_spans(
            texts, [clause_bounds(t) for t in texts],
            lambda clauses, clause_runs: fast.encode_runs(clauses, clause_runs, doc.joiner, report),
            fast.encode(texts))
    return parallel.Windows(runs_of, parallel.window_chars(chars, max_side), spans, runs(ids))


def clause_view(doc: Document, ids: list[int], vecs: np.ndarray, encoder: Encoder,
                p: comparable.ComparableParams, progress: Progress | None = None,
                only: np.ndarray | None = None) -> comparable.View:
    """Sentence vectors plus clause vectors of the long sentences (of ``only``, if given)."""
    owner, texts = [], []
    for k, i in enumerate(ids):
        if only is not None and not only[k]:
            continue
        for clause in comparable.clauses(doc.sentences[i].norm, doc.lang, p):
            owner.append(k)
            texts.append(clause)
    clause_vecs = encoder.encode(texts, progress) if texts else np.zeros((0, vecs.shape[1]), np.float32)
    figures = [frozenset(q.value for q in extract_quantities(doc.sentences[i].text, doc.lang))
               for i in ids]
    return comparable.View(vecs, clause_vecs, np.array(owner, dtype=int), runs(ids), figures)


def runs(ids: list[int]) -> np.ndarray:
    """Number the runs of consecutive ids: sentences taken out (metadata) end a run."""
    return np.concatenate([[0], np.cumsum(np.diff(ids) != 1)]).astype(int)
