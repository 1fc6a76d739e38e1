"""The alignment regimes, one object each (as Bertalign's ``Bertalign`` class, sacrebleu's ``Metric``).

An aligner owns its settings (weights, thresholds, bead sizes, each with a
line on where it was measured, in its params dataclass), prepares its own
views of the two texts, aligns them to :class:`~align.model.Pair` s and
reports its :meth:`~Aligner.signature`, which goes into every output. The
encoder only encodes.

- :class:`ParallelAligner`: a complete translation, monotone, n-m beads.
- :class:`ComparableAligner`: coverage matched one link at a time, any order.
- :class:`ContinuumAligner` (``--mode auto``): everything between — monotone
  blocks in any order, gaps left unmatched, isolated links by comparable
  mode's stricter bar. On a complete translation it is the parallel aligner.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import comparable, continuum, evidence, parallel, reference
from .agreement import TokenAgreement
from .lexicon import Lexicon
from .embed import CachedEncoder, Encoder, FusedEncoder, Progress
from .errors import InputError
from .model import Document, Pair
from .views import clause_view, fast_part, parallel_windows, renamed

# Comparable mode's margin bar separates right and wrong links better with more
# of USE's wide cosine spread (flagship gold, README); bead scoring ranks
# better with the default's larger e5 share (MAC-Dev).
COMPARABLE_WEIGHTS = {"use-m3": 0.5, "e5-small": 0.5}

# Beyond this many sentence pairs comparable mode, which compares every
# sentence with every other (4 bytes a cell), refuses.
FULL_MATRIX_CELLS = continuum.ContinuumParams().full_matrix_cells


@dataclass
class Prepared:
    """One pair as an aligner sees it: the sentences it aligns (ids), their
    vectors and the aligner's own views of each side (positions in the ids)."""

    source: Document
    target: Document
    src_ids: list[int]
    tgt_ids: list[int]
    src_vecs: np.ndarray
    tgt_vecs: np.ndarray
    views: tuple[Any, Any]
    extra: Any = None
    lone: list[tuple[list[int], list[int], float]] | None = None
    """Beads of a pair of one sentence a side, judged against reference pairs
    (:mod:`align.reference`), where the regime judges such pairs at all."""


class Aligner:
    """One regime: ``prepare`` embeds what it needs, ``align`` returns pairs of sentence ids."""

    mode = ""
    weights: dict[str, float] | None = None
    """Fusion weights for the fused default encoder (None: the encoder's own)."""

    def __init__(self, params: Any) -> None:
        self.params = params

    @property
    def single(self) -> comparable.ComparableParams | None:
        """How this regime judges a link on its own, which a pair of one sentence a side
        is (:mod:`align.reference`); None: it does not judge (parallel mode links)."""
        return None

    def signature(self) -> dict[str, Any]:
        sig = {"mode": self.mode, "params": dataclasses.asdict(self.params)}
        if self.weights:
            sig["weights"] = dict(self.weights)
        if self.single is not None:
            sig["one_sentence_pairs"] = reference.signature()
        return sig

    def encoder_for(self, encoder: Encoder) -> Encoder:
        """The encoder with this regime's fusion weights (each member's cache still answers)."""
        if self.weights and isinstance(encoder, FusedEncoder):
            return encoder.reweighted(self.weights)
        return encoder

    def prepare(self, source: Document, target: Document, encoder: Encoder,
                progress: Progress | None = None) -> Prepared:
        src_ids = [s.id for s in source.sentences if s.matchable]
        tgt_ids = [s.id for s in target.sentences if s.matchable]
        for doc, ids in ((source, src_ids), (target, tgt_ids)):
            if not ids:
                raise InputError(doc.path or doc.lang, "no sentences to align (only captions, "
                                 "bylines or datelines)" if doc.sentences else "no sentences to align")
        self.check_size(len(src_ids), len(tgt_ids))
        encoder = self.encoder_for(encoder)
        texts = [source.sentences[i].norm for i in src_ids] + [target.sentences[j].norm for j in tgt_ids]
        if isinstance(encoder, FusedEncoder) and all(isinstance(enc, CachedEncoder)
                                                     for enc, _ in encoder.members):
            self._side_by_side(source, target, src_ids, tgt_ids, encoder, progress)
        vecs = encoder.encode(texts, progress)
        src_vecs, tgt_vecs = vecs[:len(src_ids)], vecs[len(src_ids):]
        views = (self.view(source, src_ids, src_vecs, encoder, progress, "source"),
                 self.view(target, tgt_ids, tgt_vecs, encoder, progress, "target"))
        lone = None
        if self.single is not None and reference.applies(source.lang, target.lang,
                                                         len(src_ids), len(tgt_ids)):
            lone = reference.one_to_one(*texts, source.lang,
                                        ComparableAligner(self.single).encoder_for(encoder),
                                        self.single.no_counterpart_at_non_pair)
        return Prepared(source, target, src_ids, tgt_ids, src_vecs, tgt_vecs, views,
                        self.extra(source, target, src_ids, tgt_ids, encoder), lone)

    def _side_by_side(self, source: Document, target: Document, src_ids: list[int],
                      tgt_ids: list[int], encoder: FusedEncoder, progress: Progress | None) -> None:
        """Fill the members' caches two at a time: the slow member's sentence vectors here,
        and in a thread the fast member's part of this regime's views (its windows and
        clause runs), which need only the texts. Each takes about half of a document
        pair's time and runs on one core, so on two cores the pair is prepared in about
        the time of the longer; the views then read both from the caches.

        The review app's widgets take progress from this thread only, so the thread's
        steps are recorded and reported here once the slow member is done, live until
        the thread ends: the bar never sits still while work goes on."""
        fast = fast_part(encoder)
        if fast is None:
            return
        texts = [[doc.sentences[i].norm for i in ids] for doc, ids in ((source, src_ids),
                                                                       (target, tgt_ids))]
        steps: list[tuple[str, int, int]] = []
        failed: list[BaseException] = []

        def record(stage: str, done: int, total: int) -> None:
            steps.append((f"{stage} ({fast.name})", done, total))

        def fast_views() -> None:
            try:
                vecs = fast.encode(texts[0] + texts[1], record)
                self.view(source, src_ids, vecs[:len(src_ids)], fast, record, "source")
                self.view(target, tgt_ids, vecs[len(src_ids):], fast, record, "target")
            except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
                failed.append(exc)
        # A daemon: if the caller stops (Ctrl-C, the app's stop), nothing waits for it.
        thread = threading.Thread(target=fast_views, daemon=True)
        thread.start()
        encoder.encode(texts[0] + texts[1], progress, members=lambda enc: not enc.fast)
        told = len(steps)
        # The step under way now is shown from here on, counting the work it has left
        # (its rate and time left are then its own); steps already done are not shown.
        under_way, before = (steps[-1][0], steps[-1][1]) if steps else (None, 0)
        while thread.is_alive() or told < len(steps):
            thread.join(0.2)
            for stage, done, total in steps[told:]:
                if stage != under_way or done < before:  # another step, or the next of its name
                    under_way, before = None, 0
                if progress:
                    progress(stage, done - before, total - before)
                told += 1
        if failed:
            raise failed[0]

    def align(self, prepared: Prepared) -> list[Pair]:
        """Beads as pairs of sentence ids (the aligner works on positions in the ids)."""
        src_ids, tgt_ids = prepared.src_ids, prepared.tgt_ids
        beads = prepared.lone if prepared.lone is not None else self.beads(prepared)
        return [Pair([src_ids[i] for i in s], [tgt_ids[j] for j in t], float(c))
                for s, t, c in beads]

    # --- what each regime fills in -------------------------------------------------------------

    def check_size(self, n: int, m: int) -> None:
        """Refuse a pair the regime cannot hold in memory (one clear line)."""

    def view(self, doc: Document, ids: list[int], vecs: np.ndarray, encoder: Encoder,
             progress: Progress | None, side: str) -> Any:
        raise NotImplementedError

    def extra(self, source: Document, target: Document, src_ids: list[int], tgt_ids: list[int],
              encoder: Encoder) -> Any:
        return None

    def beads(self, prepared: Prepared) -> list[tuple[list[int], list[int], float]]:
        raise NotImplementedError


class ParallelAligner(Aligner):
    """A complete translation: anchors, then a DP over n-m beads in a corridor (:mod:`align.parallel`)."""

    mode = "parallel"

    def __init__(self, params: parallel.ParallelParams = parallel.ParallelParams()) -> None:
        super().__init__(params)

    def view(self, doc, ids, vecs, encoder, progress, side):
        return parallel_windows(doc, ids, vecs, encoder, self.params.max_side, progress, side)

    def beads(self, prepared):
        return parallel.align_parallel(*prepared.views, self.params)


class ComparableAligner(Aligner):
    """Coverage: ratio-margin links in any order, clause evidence (:mod:`align.comparable`)."""

    mode = "comparable"
    weights = COMPARABLE_WEIGHTS

    def __init__(self, params: comparable.ComparableParams = comparable.ComparableParams()) -> None:
        super().__init__(params)

    @property
    def single(self):
        return self.params

    def check_size(self, n, m):
        if n * m > FULL_MATRIX_CELLS:
            raise InputError("--mode", f"comparable mode compares every sentence with every other: "
                             f"{n:,} x {m:,} is too many; use --mode auto or parallel "
                             f"for a translation, or split the documents")

    def view(self, doc, ids, vecs, encoder, progress, side):
        return clause_view(doc, ids, vecs, encoder, self.params, renamed(progress, f"{side} clauses"))

    def beads(self, prepared):
        beads = comparable.align_comparable(*prepared.views, self.params)
        return comparable.judge_by_pair_levels(beads, *prepared.views, self.params)


class ContinuumAligner(Aligner):
    """Monotone blocks in any order, gaps unmatched, isolated links by a stricter bar (:mod:`align.continuum`).

    ``mode`` is ``auto`` until a pair is aligned, then the regime the pair showed
    (``parallel``, ``continuum`` or ``comparable``), which the output records.
    """

    mode = "auto"

    def __init__(self, params: continuum.ContinuumParams = continuum.ContinuumParams()) -> None:
        super().__init__(params)

    @property
    def single(self):
        return self.params.single

    def signature(self):
        return {**super().signature(), "aligner": "auto", "single_weights": dict(COMPARABLE_WEIGHTS),
                "agreement": TokenAgreement.signature()}

    def view(self, doc, ids, vecs, encoder, progress, side):
        return parallel_windows(doc, ids, vecs, encoder, self.params.beads.max_side, progress, side)

    def extra(self, source, target, src_ids, tgt_ids, encoder):
        """Comparable mode's clause views of the sentences no block takes, made only when
        asked: a translation leaves few, so its clauses are not embedded by the slow model;
        and the token agreement of coverage's lone links (the packaged e5, loaded when asked)."""
        single = ComparableAligner(self.params.single).encoder_for(encoder)
        src_texts = [source.sentences[i].norm for i in src_ids]
        tgt_texts = [target.sentences[j].norm for j in tgt_ids]
        agreement = TokenAgreement(lambda: evidence.word_aligner_for(encoder).model,
                                   src_texts, tgt_texts,
                                   Lexicon.for_pair(src_texts, tgt_texts, source.lang, target.lang))

        def views(left_src: np.ndarray, left_tgt: np.ndarray):
            vecs = single.encode(src_texts + tgt_texts)
            return (clause_view(source, src_ids, vecs[:len(src_ids)], single, self.params.single,
                                only=left_src),
                    clause_view(target, tgt_ids, vecs[len(src_ids):], single, self.params.single,
                                only=left_tgt))
        return views, agreement

    def align(self, prepared):
        if prepared.lone is not None:
            self.mode = "parallel" if continuum.linked_in_order(prepared.lone) else "comparable"
        return super().align(prepared)

    def beads(self, prepared):
        views, agreement = prepared.extra
        beads, self.mode = continuum.align_continuum(*prepared.views, views, self.params, agreement)
        return beads


ALIGNERS = {"auto": ContinuumAligner, "parallel": ParallelAligner, "comparable": ComparableAligner}
MODES = tuple(ALIGNERS)


def aligner_for(mode: str) -> Aligner:
    """The regime ``--mode`` names; ``auto`` handles the whole continuum."""
    if mode not in MODES:
        raise InputError("--mode", f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
    return ALIGNERS[mode]()
