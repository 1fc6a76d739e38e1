"""End to end: two documents in, one :class:`~align.model.Alignment` out.

segment (:mod:`align.ingest`) → embed (:mod:`align.embed`) → align
(:mod:`align.parallel` or :mod:`align.comparable`) → flag (:mod:`align.claims`).
Captions, bylines and datelines are taken out before aligning (they repeat or
credit the body, so they would steal its links) and put back as 1-0 beads.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from . import __version__, claims, comparable, parallel
from .embed import Encoder, FusedEncoder, Progress, fast_part, load_encoder
from .errors import InputError
from .ingest import load_document
from .model import Alignment, Document, Flag, Pair, in_reading_order
from .segment import clause_bounds

MODES = ("auto", "parallel", "comparable")
CANDIDATES = 5
# Auto mode: a translation's mutual nearest neighbours lie near the diagonal;
# coverage's jump around. Mean drift |i/n - j/m| measured with the default
# model (README): MAC-Dev and Text+Berg documents 0.013-0.092, the flagship and
# the English seed pairs 0.18-0.24.
PARALLEL_MAX_DRIFT = 0.14
COMPARABLE_WEIGHTS = {"use-m3": 0.5, "e5-small": 0.5}
DEFAULT_PARALLEL = parallel.ParallelParams()
# Beyond this many sentence pairs a full similarity matrix (4 bytes a cell) is
# not held: auto mode samples, candidates come from a band, comparable mode refuses.
FULL_MATRIX_CELLS = 25_000_000
CANDIDATE_BAND = 100
MODE_SAMPLE = 2000
DEFAULT_COMPARABLE = comparable.ComparableParams()


def align_files(src_path: str | Path, tgt_path: str | Path, *, model: str | Encoder = "default",
                mode: str = "auto", src_lang: str | None = None, tgt_lang: str | None = None,
                presplit: bool = False, progress: Progress | None = None) -> Alignment:
    """Read, segment and align two files (see :func:`align_documents`)."""
    source = load_document(src_path, src_lang, presplit=presplit)
    target = load_document(tgt_path, tgt_lang, presplit=presplit)
    encoder = load_encoder(model) if isinstance(model, str) else model
    return align_documents(source, target, encoder, mode=mode, progress=progress)


def align_documents(source: Document, target: Document, encoder: Encoder, *, mode: str = "auto",
                    parallel_params: parallel.ParallelParams = DEFAULT_PARALLEL,
                    comparable_params: comparable.ComparableParams = DEFAULT_COMPARABLE,
                    progress: Progress | None = None) -> Alignment:
    if mode not in MODES:
        raise InputError("--mode", f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
    src_ids = [s.id for s in source.sentences if s.matchable]
    tgt_ids = [s.id for s in target.sentences if s.matchable]
    for doc, ids in ((source, src_ids), (target, tgt_ids)):
        if not ids:
            raise InputError(doc.path or doc.lang, "no sentences to align (only captions, bylines "
                             "or datelines)" if doc.sentences else "no sentences to align")
    texts = [source.sentences[i].norm for i in src_ids] + [target.sentences[j].norm for j in tgt_ids]
    vecs = encoder.encode(texts, progress)
    src_vecs, tgt_vecs = vecs[: len(src_ids)], vecs[len(src_ids):]

    if mode == "auto":
        mode = detect_mode(src_vecs, tgt_vecs, comparable_params)
    if mode == "comparable":
        if len(src_ids) * len(tgt_ids) > FULL_MATRIX_CELLS:
            raise InputError("--mode", f"comparable mode compares every sentence with every other: "
                             f"{len(src_ids):,} x {len(tgt_ids):,} is too many; use --mode parallel "
                             f"for a translation, or split the documents")
        if isinstance(encoder, FusedEncoder):
            # Margins threshold better with more of USE's wide cosine spread
            # (flagship gold, README); parallel mode ranks better with more e5.
            encoder = encoder.reweighted(COMPARABLE_WEIGHTS)
            vecs = encoder.encode(texts)  # each member's cache answers: nothing is embedded twice
            src_vecs, tgt_vecs = vecs[: len(src_ids)], vecs[len(src_ids):]
    # Each side's aligner input (windows and clause spans, or clause views),
    # then the aligner; both work on positions in src_ids/tgt_ids.
    sides = (("source", source, src_ids, src_vecs), ("target", target, tgt_ids, tgt_vecs))
    if mode == "parallel":
        inputs = [parallel_windows(doc, ids, v, encoder, parallel_params.max_side, progress, side)
                  for side, doc, ids, v in sides]
        aligner, params = parallel.align_parallel, parallel_params
    else:
        inputs = [_view(doc, ids, v, encoder, comparable_params, _renamed(progress, f"{side} clauses"))
                  for side, doc, ids, v in sides]
        aligner, params = comparable.align_comparable, comparable_params
    if progress:
        progress("aligning", 0, 1)
    beads = [([src_ids[i] for i in s], [tgt_ids[j] for j in t], c)
             for s, t, c in aligner(*inputs, params)]

    pairs = _with_metadata_beads([Pair(s, t, c) for s, t, c in beads], source, target)
    if mode == "comparable":
        for k in comparable.crossing([(p.src, p.tgt) for p in pairs]):
            pairs[k].flags.append(Flag("crossing"))
    _fill_candidates(source, target, src_ids, tgt_ids, src_vecs, tgt_vecs, pairs)
    alignment = Alignment(
        source=source, target=target, model=encoder.name, mode=mode, pairs=pairs,
        signature={"tool": f"zhen-align {__version__}", "encoder": encoder.name, "mode": mode,
                   "params": dataclasses.asdict(params)},
    )
    claims.flag_claims(alignment)
    if progress:
        progress("aligning", 1, 1)
    return alignment


def detect_mode(src: np.ndarray, tgt: np.ndarray, p: comparable.ComparableParams) -> str:
    """'parallel' when the mutual nearest neighbours keep close to the diagonal.

    No margin threshold here: with many links the drift is a stable statistic,
    and the few wrong ones a translation has do not move it much.
    """
    if len(src) == 0 or len(tgt) == 0:
        return "comparable"
    # An even sample keeps relative positions, and the drift is about positions.
    src = src[np.linspace(0, len(src) - 1, min(len(src), MODE_SAMPLE)).astype(int)]
    tgt = tgt[np.linspace(0, len(tgt) - 1, min(len(tgt), MODE_SAMPLE)).astype(int)]
    mutual = comparable.mutual_links(comparable.margins(src @ tgt.T, p.k))
    drift = np.mean([abs(i / len(src) - j / len(tgt)) for i, j in mutual])
    return "parallel" if drift <= PARALLEL_MAX_DRIFT else "comparable"


def _renamed(progress: Progress | None, stage: str) -> Progress | None:
    """``progress`` reporting an inner step's embedding under its own stage name, so a
    long book shows its window and clause embedding rather than a frozen 'aligning'.
    A fused model's member suffix stays: ``embedding (e5-small)`` → ``source clauses (e5-small)``."""
    if progress is None:
        return None
    return lambda inner, done, total: progress(inner.replace("embedding", stage, 1), done, total)


def _view(doc: Document, ids: list[int], vecs: np.ndarray, encoder: Encoder,
          p: comparable.ComparableParams, progress: Progress | None = None) -> comparable.View:
    owner, texts = [], []
    for k, i in enumerate(ids):
        for clause in comparable.clauses(doc.sentences[i].norm, doc.lang, p):
            owner.append(k)
            texts.append(clause)
    clause_vecs = encoder.encode(texts, progress) if texts else np.zeros((0, vecs.shape[1]), np.float32)
    return comparable.View(vecs, clause_vecs, np.array(owner, dtype=int), runs(ids))


def parallel_windows(doc: Document, ids: list[int], vecs: np.ndarray, encoder: Encoder,
                     max_side: int, progress: Progress | None = None,
                     side: str = "source") -> parallel.Windows:
    """Everything the parallel aligner reads of one side: runs of sentences ``ids``
    (``vecs`` their embeddings), their lengths, clause spans and metadata breaks."""
    texts = [doc.sentences[i].norm for i in ids]
    chars = np.array([len(t) for t in texts], dtype=float)
    windows = encoder.windows(texts, vecs, max_side, doc.joiner, _renamed(progress, f"{side} windows"))
    fast = fast_part(encoder)
    spans = None
    if fast is not None:
        report = _renamed(progress, f"{side} clauses")
        spans = parallel.clause_spans(texts, [clause_bounds(t) for t in texts],
                                      lambda clauses: fast.encode(clauses, report), fast.encode(texts))
    return parallel.Windows(windows, parallel.window_chars(chars, max_side), spans, runs(ids))


def runs(ids: list[int]) -> np.ndarray:
    """Number the runs of consecutive ids: sentences taken out (metadata) end a run."""
    return np.concatenate([[0], np.cumsum(np.diff(ids) != 1)]).astype(int)


def _with_metadata_beads(pairs: list[Pair], source: Document, target: Document) -> list[Pair]:
    """Put captions/bylines/datelines back, each as its own bead, in reading order."""
    out = list(pairs)
    for side, doc in (("src", source), ("tgt", target)):
        for s in doc.sentences:
            if not s.matchable:
                out.append(Pair([s.id], [], 1.0) if side == "src" else Pair([], [s.id], 1.0))
    return in_reading_order(out)


def _fill_candidates(source, target, src_ids, tgt_ids, src_vecs, tgt_vecs, pairs) -> None:
    """Store each sentence's best counterparts so a reviewer can re-link in one click.

    Small pairs search the whole other side. Long ones (books) search a band
    around where the alignment put the sentence, so memory and time stay linear.
    """
    src_pos = {i: k for k, i in enumerate(src_ids)}
    tgt_pos = {j: k for k, j in enumerate(tgt_ids)}
    links = sorted((src_pos[min(p.src)], tgt_pos[min(p.tgt)]) for p in pairs if p.matched)
    for ids, vecs, other_ids, other_vecs, doc, flip in (
        (src_ids, src_vecs, tgt_ids, tgt_vecs, source, False),
        (tgt_ids, tgt_vecs, src_ids, src_vecs, target, True),
    ):
        n, m = len(ids), len(other_ids)
        if n * m <= FULL_MATRIX_CELLS:
            lo, width = np.zeros(n, dtype=int), m
        else:
            xs, ys = zip(*sorted((b, a) if flip else (a, b) for a, b in links)) if links else ((0,), (0,))
            centre = np.interp(np.arange(n), xs, ys).round().astype(int)
            width = min(2 * CANDIDATE_BAND + 1, m)
            lo = np.clip(centre - CANDIDATE_BAND, 0, m - width)
        k = min(CANDIDATES, width)
        for start in range(0, n, parallel.BLOCK):
            rows = np.arange(start, min(n, start + parallel.BLOCK))
            cols = lo[rows, None] + np.arange(width)[None, :]
            # The whole other side is one matrix product; gathering it per row
            # would copy block x m vectors (gigabytes for two 5,000-sentence texts).
            sims = (vecs[rows] @ other_vecs.T if width == m
                    else np.einsum("id,icd->ic", vecs[rows], other_vecs[cols]))
            top = np.argsort(-sims, axis=1)[:, :k]
            for r, i in enumerate(rows):
                doc.sentences[ids[i]].candidates = [
                    (other_ids[cols[r, c]], float(sims[r, c])) for c in top[r]]
