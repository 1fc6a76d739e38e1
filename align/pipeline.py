"""End to end: two documents in, one :class:`~align.model.Alignment` out.

segment (:mod:`align.ingest`) → embed (:mod:`align.embed`) → align (one
:mod:`align.aligners` regime: prepare its views, align) → shared
post-processing (metadata beads, crossing links, candidates) → flag
(:mod:`align.claims`: one-sided figures) → word links inside matched pairs
(:mod:`align.evidence`) → unsupported spans (:mod:`align.support`).
Captions, bylines and datelines are taken out before aligning (they repeat or
credit the body, so they would steal its links) and put back as 1-0 beads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import __version__, claims, evidence, parallel, support
from .aligners import FULL_MATRIX_CELLS, MODES, Aligner, aligner_for
from .embed import Encoder, Progress, load_encoder
from .ingest import load_document
from .model import Alignment, Document, Pair, in_reading_order, mark_crossing
from .views import fast_part, renamed

__all__ = ["MODES", "align_documents", "align_files"]

CANDIDATES = 5
CANDIDATE_BAND = 100


def align_files(src_path: str | Path, tgt_path: str | Path, *, model: str | Encoder = "default",
                mode: str = "auto", src_lang: str | None = None, tgt_lang: str | None = None,
                presplit: bool = False, progress: Progress | None = None) -> Alignment:
    """Read, segment and align two files (see :func:`align_documents`)."""
    source = load_document(src_path, src_lang, presplit=presplit)
    target = load_document(tgt_path, tgt_lang, presplit=presplit)
    encoder = load_encoder(model) if isinstance(model, str) else model
    return align_documents(source, target, encoder, mode=mode, progress=progress)


def align_documents(source: Document, target: Document, encoder: Encoder, *, mode: str = "auto",
                    aligner: Aligner | None = None, progress: Progress | None = None,
                    words: bool = True) -> Alignment:
    """Align two documents with the regime ``mode`` names (or a configured ``aligner``).

    ``words=False`` skips the word links and unsupported spans (benchmarks of
    sentence alignment alone).
    """
    aligner = aligner or aligner_for(mode)
    prepared = aligner.prepare(source, target, encoder, progress)
    if progress:
        progress("aligning", 0, 1)
    pairs = _with_metadata_beads(aligner.align(prepared), source, target)
    mark_crossing(pairs)
    _fill_candidates(prepared, pairs)
    used = aligner.encoder_for(encoder).name
    alignment = Alignment(
        source=source, target=target, model=used, mode=aligner.mode, pairs=pairs,
        signature={"tool": f"zhen-align {__version__}", "encoder": used, **aligner.signature()},
    )
    claims.flag_claims(alignment)
    if words:
        evidence.add_word_links(alignment, evidence.word_aligner_for(encoder))
        support.flag_unsupported(alignment, fast_part(encoder) or encoder,
                                 progress=renamed(progress, "unsupported spans"))
    if progress:
        progress("aligning", 1, 1)
    return alignment


def _with_metadata_beads(pairs: list[Pair], source: Document, target: Document) -> list[Pair]:
    """Put captions/bylines/datelines back, each as its own bead, in reading order."""
    out = list(pairs)
    for side, doc in (("src", source), ("tgt", target)):
        for s in doc.sentences:
            if not s.matchable:
                out.append(Pair([s.id], [], 1.0) if side == "src" else Pair([], [s.id], 1.0))
    return in_reading_order(out)


def _fill_candidates(prepared, pairs: list[Pair]) -> None:
    """Store each sentence's best counterparts so a reviewer can re-link in one click.

    Small pairs search the whole other side. Long ones (books) search a band
    around where the alignment put the sentence, so memory and time stay linear.
    """
    source, target, src_ids, tgt_ids = prepared.source, prepared.target, prepared.src_ids, prepared.tgt_ids
    src_vecs, tgt_vecs = prepared.src_vecs, prepared.tgt_vecs
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
