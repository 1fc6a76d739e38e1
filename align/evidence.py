"""Token-level evidence inside matched pairs: each sentence's words and the links between them.

The data half of sub-sentence claims (issue 11, part 3): after alignment, every
sentence of a matched pair gets ``tokens`` (its words as ``[start, end]``
character offsets into its ``text``) and every matched pair gets ``words``, rows
``[src_sentence, src_token, tgt_sentence, tgt_token, score]`` from
:class:`~align.words.WordAligner`. Unsupported spans and their flags build on
these; this module only fills them in. A bead of several sentences is aligned
as one text per side (a translator's split or merge moves words across the
sentence boundary), and its links are mapped back to sentence and word.
"""

from __future__ import annotations

import functools

from .e5_torch import E5Torch
from .model import Alignment, Document
from .words import Sentence as Words
from .words import WordAligner


def _words(doc: Document, ids: list[int]) -> tuple[Words, list[tuple[int, int]]]:
    """The sentences ``ids`` as one text for the model, and each word's (sentence, token)."""
    for sid in ids:
        sentence = doc.sentences[sid]
        if not sentence.tokens:
            sentence.tokens = Words.from_text(sentence.text, doc.lang).spans
    text, starts = doc.written(ids)
    tokens = {sid: doc.sentences[sid].tokens for sid in ids}
    spans = [(starts[sid] + a, starts[sid] + b) for sid in ids for a, b in tokens[sid]]
    owners = [(sid, k) for sid in ids for k in range(len(tokens[sid]))]
    return Words(text, spans), owners


@functools.cache
def _packaged_e5() -> E5Torch:
    """The packaged e5 for an encoder that has none of its own (a sentence-transformers
    model), loaded once per process: the word links and coverage's token agreement of
    every pair read it, and a batch aligns many pairs."""
    return E5Torch()


def word_aligner_for(encoder) -> WordAligner:
    """A word aligner on the e5 model the sentence encoder already loaded, if it has one
    (directly, cached or as a member of a fusion); else on the packaged one."""
    stack = [encoder]
    while stack:
        enc = stack.pop()
        if isinstance(getattr(enc, "model", None), E5Torch):
            return WordAligner(enc.model)
        stack += [getattr(enc, "inner", None)] + [m for m, _ in getattr(enc, "_members", [])]
        stack = [e for e in stack if e is not None]
    return WordAligner(_packaged_e5())


def add_word_links(alignment: Alignment, aligner: WordAligner | None = None) -> Alignment:
    """Fill ``Sentence.tokens`` and ``Pair.words`` for every matched pair (in place).

    Token states are computed here, once per bead, and dropped after: they are
    far larger than sentence vectors and never go to the embedding cache.
    """
    aligner = aligner or WordAligner()
    matched = alignment.matched_pairs()
    sides = [(_words(alignment.source, p.src), _words(alignment.target, p.tgt)) for p in matched]
    links = aligner.align([(src, tgt) for (src, _), (tgt, _) in sides])
    for pair, ((_, src_owner), (_, tgt_owner)), found in zip(matched, sides, links):
        pair.words = [(*src_owner[x.src], *tgt_owner[x.tgt], round(x.score, 4)) for x in found]
    alignment.signature["words"] = aligner.signature()
    return alignment
