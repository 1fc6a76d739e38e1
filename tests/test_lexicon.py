"""Dictionary agreement of Chinese–English sentence pairs (align/lexicon.py), with CC-CEDICT."""

from __future__ import annotations

from pathlib import Path

import pytest

from align.evaluate import read_beads
from align.ingest import load_document
from align.lexicon import Lexicon, backed_words
from align.words import Sentence

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@pytest.fixture(scope="module")
def flagship():
    """The flagship's matchable sentences (normalised) and its gold links among them."""
    source = load_document(CORPUS / "001_6e67b410ee902a66.txt", "zh")
    target = load_document(CORPUS / "003_3cceb59c81ded892.txt", "en")
    src_ids = [s.id for s in source.sentences if s.matchable]
    tgt_ids = [s.id for s in target.sentences if s.matchable]
    gold = [(src_ids.index(s[0]), tgt_ids.index(t[0]))
            for s, t in read_beads(CORPUS / "gold" / "waic2025.align") if s and t]
    return ([source.sentences[i].norm for i in src_ids],
            [target.sentences[j].norm for j in tgt_ids], gold)


def test_the_dictionary_backs_a_pair_more_than_its_sentences_with_others(flagship):
    src, tgt, gold = flagship
    lexicon = Lexicon.for_pair(src, tgt, "zh", "en")
    for shift in (1, 2, 3):
        wrong = lexicon.scores([(i, (j + shift) % len(tgt)) for i, j in gold])
        right = lexicon.scores(gold)
        assert (right > wrong).sum() >= 8, (shift, right.round(2), wrong.round(2))
    assert lexicon.scores(gold).mean() > 0.4


def test_either_side_may_be_the_chinese_one(flagship):
    src, tgt, gold = flagship
    zh_en = Lexicon.for_pair(src, tgt, "zh-Hant", "en").scores(gold)
    en_zh = Lexicon.for_pair(tgt, src, "EN", "zh").scores([(j, i) for i, j in gold])
    assert zh_en.tolist() == en_zh.tolist()


def test_a_name_is_found_by_its_pinyin():
    """陈清扬 is not a dictionary word: its pinyin is the English name."""
    zh = ["我在山上等陈清扬。"]
    named = Lexicon.for_pair(zh, ["I wait for Chen Qingyang on the hill."], "zh", "en")
    unnamed = Lexicon.for_pair(zh, ["I wait for her on the hill."], "zh", "en")
    assert named.scores([(0, 0)])[0] > unnamed.scores([(0, 0)])[0] > 0


def test_only_a_chinese_english_pair_has_a_lexicon():
    assert Lexicon.for_pair(["Guten Tag."], ["Bonjour."], "de", "fr") is None
    assert Lexicon.for_pair(["你好。"], ["你好。"], "zh", "zh") is None


def test_a_chinese_member_the_dictionary_does_not_back_leaves_its_bead():
    """Coverage's member test (continuum.backed): a Chinese sentence taken into a bead
    beside its neighbour, whose English the bead does not hold, leaves it; a bead left
    with no Chinese member leaves its English unmatched too; English-only beads stay."""
    import numpy as np

    from align.agreement import TokenAgreement
    from align.continuum import backed

    zh = ["我在山上等陈清扬。", "她承认打我不对。", "那天晚上下雨了。"]
    en = ["I wait for Chen Qingyang on the hill.", "She admitted it was wrong to hit me.",
          "It rained that night."]
    agreement = TokenAgreement(lambda: None, zh, en, Lexicon.for_pair(zh, en, "zh", "en"))
    mar = np.eye(3) + 1.0  # the document's pairs are the diagonal
    assert backed([([0, 1], [0], 0.8), ([2], [2], 0.9), ([], [1], 0.7)], mar, agreement) == [
        ([1], [], 1 - 0.8), ([0], [0], 0.8), ([2], [2], 0.9), ([], [1], 0.7)]
    assert backed([([1, 2], [0], 0.8)], mar, agreement) == [
        ([1], [], 1 - 0.8), ([2], [], 1 - 0.8), ([], [0], 1 - 0.8)]
    english_first = TokenAgreement(lambda: None, en, zh, Lexicon.for_pair(en, zh, "en", "zh"))
    assert backed([([0], [0, 1], 0.8)], mar, english_first) == [([], [1], 1 - 0.8), ([0], [0], 0.8)]


def test_words_the_dictionary_finds_said_on_the_other_side():
    """The flagship's attendance pair (zh 26, en 3): 出席 / 代表 / 開幕式 are said in the
    English and "representatives", "attended", "ceremony" in the Chinese (Traditional
    script read as Simplified); "upwards of 40 countries" is not."""
    zh = "國內外嘉賓及人工智能產學研領域代表1000多人出席大會開幕式。"
    en = ("More than 1,000 high-level representatives from upwards of 40 countries and "
          "international organizations attended the opening ceremony of the three-day event.")
    zh_words, en_words = Sentence.from_text(zh, "zh").spans, Sentence.from_text(en, "en").spans
    said = {zh[a:b] for k, (a, b) in enumerate(zh_words)
            if k in backed_words(zh, zh_words, "zh-Hant", en, "en")}
    assert {"代表", "出席", "開幕式"} <= said and "嘉賓" not in said
    said = {en[a:b] for k, (a, b) in enumerate(en_words)
            if k in backed_words(en, en_words, "en", zh, "zh")}
    assert {"representatives", "attended", "ceremony"} <= said
    assert not said & {"upwards", "countries", "three-day", "event"}
    assert backed_words("Guten Tag", [(0, 5)], "de", "Bonjour", "fr") == set()
