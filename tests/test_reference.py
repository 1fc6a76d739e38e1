"""Pairs of one sentence a side, judged against the reference pairs (align/reference.py)."""

from __future__ import annotations

import numpy as np
import pytest

from align import reference
from align.ingest import document_from_text
from align.pipeline import align_documents


def aligned(zh: str, en: str, encoder, mode: str):
    return align_documents(document_from_text(zh, "zh", "zh.txt", presplit=True),
                           document_from_text(en, "en", "en.txt", presplit=True),
                           encoder, mode=mode, words=False)


@pytest.mark.parametrize("mode", ["auto", "comparable"])
def test_a_one_sentence_translation_is_linked_and_an_unrelated_sentence_is_not(default_encoder, mode):
    """One sentence a side has no typical pair or non-pair of its own: auto and comparable
    mode left every such pair unmatched at 0.95, a word-for-word translation included."""
    zh = "阿尔及利亚总理在会上指出，草案的通过有利于加强民族团结。"
    translation = ("The Algerian Prime Minister told the meeting that the passage of the draft "
                   "will help strengthen national unity.")
    unrelated = "The stock market fell sharply on Monday after the bank raised interest rates."
    linked = aligned(zh, translation, default_encoder, mode)
    assert [(p.src, p.tgt) for p in linked.pairs] == [([0], [0])]
    assert linked.pairs[0].score > 0.8
    left = aligned(zh, unrelated, default_encoder, mode)
    assert sorted((p.src, p.tgt) for p in left.pairs) == [([], [0]), ([0], [])]
    assert all(p.score > 0.8 for p in left.pairs)
    if mode == "auto":  # the output says what the pair turned out to be
        assert (linked.mode, left.mode) == ("parallel", "comparable")


def test_the_next_sentence_of_the_same_story_is_not_a_translation(default_encoder):
    """The hard non-pair: same scene, same people, another statement."""
    zh = "她推开窗，看见院子里的桂花已经开了。"
    nxt = "She went downstairs, put on her coat and walked out into the cold street."
    alignment = aligned(zh, nxt, default_encoder, "auto")
    assert all(not (p.src and p.tgt) for p in alignment.pairs)


def test_the_reference_pairs_are_each_others_best_match(default_encoder):
    """The levels are only as good as the reference: every pair must be a translation that
    the default model finds, and no two of them the same sentence."""
    zh = default_encoder.encode([z for z, _ in reference.PAIRS])
    en = default_encoder.encode([e for _, e in reference.PAIRS])
    sim = zh @ en.T
    n = len(reference.PAIRS)
    assert (sim.argmax(axis=1) == np.arange(n)).all() and (sim.argmax(axis=0) == np.arange(n)).all()


def test_only_a_chinese_english_pair_of_one_sentence_a_side_borrows_the_levels():
    assert reference.applies("zh", "en", 1, 1)
    assert reference.applies("en-GB", "zh-TW", 1, 1)
    assert not reference.applies("zh", "en", 1, 2)
    assert not reference.applies("zh", "en", 2, 1)
    assert not reference.applies("de", "fr", 1, 1)
    assert not reference.applies("zh", "ja", 1, 1)
    assert not reference.applies("en", "en", 1, 1)
