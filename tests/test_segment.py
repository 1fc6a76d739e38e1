"""Sentence splitting on the five seed texts in corpus/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import align.segment
from align.normalise import strip_pinyin
from align.segment import split_sentences

CORPUS = Path(__file__).parents[1] / "corpus"
SEEDS = {p.name[:3]: p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("00*.txt"))}
LANGS = {"000": "en", "001": "zh", "002": "en", "003": "en", "004": "en"}
ZH_LINES = [strip_pinyin(line) for line in SEEDS["001"].splitlines()]


def seed_paragraphs():
    for seed, text in SEEDS.items():
        for line in text.splitlines():
            if line.strip():
                yield pytest.param(strip_pinyin(line), LANGS[seed], id=f"{seed}:{line[:12]}")


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize(("paragraph", "lang"), list(seed_paragraphs()))
def test_nothing_lost_nothing_empty(paragraph, lang):
    sentences = split_sentences(paragraph, lang)
    assert sentences
    assert all(s and s == s.strip() for s in sentences)
    assert squeeze("".join(sentences)) == squeeze(paragraph)
    # Every sentence is a slice of the paragraph, in order.
    position = 0
    for s in sentences:
        position = paragraph.index(s, position) + len(s)


# --- Chinese -----------------------------------------------------------------------------


def test_li_qiang_paragraph_splits_into_its_sentences():
    assert split_sentences(ZH_LINES[2], "zh") == [
        "李強表示,習近平主席今年4月在上??疾鞎r強調,人工智能技術加速迭代,正迎來爆發式發展;",
        "要加強政策支持和人才培養,努力開發更多安全可靠的優質產品。",
        ("當前,全球智能化浪潮風起云涌,人工智能領域創新呈群體性突破之勢,語言大模型、多模態大模型和"
        "具身智能等領域日新月異,推動人工智能向更高效、強智能的方向快速發展。"),
        ("人工智能與實體經濟深度融合的特征更加明顯,已經開始賦能千行百業、走進千家萬戶,成為經濟增長的"
        "新引擎,滲透到社會生活各方面。"),
        "同時人工智能帶來的風險挑戰引發廣泛關注,如何在發展和安全之間尋求平衡,亟需進一步凝聚共識。",
        "無論科技如何變革,都應當為人類所利用、為人類所掌控,朝著向善普惠的方向發展。",
        "人工智能也應當成為造福人類的國際公共產品。",
    ]


def test_question_marks_in_the_damaged_run_do_not_end_a_sentence():
    first = split_sentences(ZH_LINES[2], "zh")[0]
    assert "上??疾鞎r強調" in first


def test_three_proposals_paragraph():
    sentences = split_sentences(ZH_LINES[4], "zh")
    assert len(sentences) == 11
    assert sentences[0] == "李強圍繞如何把握人工智能公共產品屬性、推進人工智能發展和治理,提出三點建議。"
    assert sentences[3].startswith("中國“人工智能+”行動深入推進")
    assert sentences[-1] == "中國政府倡議成立世界人工智能合作組織。"


def test_colon_introducing_a_list_ends_the_sentence_only_at_paragraph_end():
    assert split_sentences(ZH_LINES[10], "zh") == [
        ("記者獲悉,這是中方堅持踐行多邊主義、推動共商共建共享全球治理的重要舉措,也是中方響應全球南方呼聲、"
        "助力彌合數字和智能鴻溝、促進人工智能向善普惠發展的實際行動。"),
        "中方期待世界人工智能合作組織作為重要的國際公共產品,實現以下目標:",
    ]
    # Followed by the list in the same paragraph, the colon ends nothing.
    inline = ZH_LINES[10] + ZH_LINES[11]
    assert len(split_sentences(inline, "zh")) == 1 + len(split_sentences(ZH_LINES[11], "zh"))


def test_closing_quote_stays_with_its_sentence():
    paragraph = "李強表示:“人工智能也應當成為造福人類的國際公共產品。”大會發表《人工智能全球治理行動計劃》。"
    assert split_sentences(paragraph, "zh") == [
        "李強表示:“人工智能也應當成為造福人類的國際公共產品。”",
        "大會發表《人工智能全球治理行動計劃》。",
    ]
    corner = "李強表示:「人工智能應當造福人類!」,大會發表行動計劃。"
    assert split_sentences(corner, "zh") == [corner]


def test_half_width_end_marks_after_han():
    paragraph = "如何在發展和安全之間尋求平衡?亟需進一步凝聚共識!陳吉寧、吳政隆參加上述活動。"
    assert split_sentences(paragraph, "zh") == [
        "如何在發展和安全之間尋求平衡?", "亟需進一步凝聚共識!", "陳吉寧、吳政隆參加上述活動。"]


def test_ellipsis_ends_a_chinese_sentence():
    assert split_sentences("中方熱忱歡迎……共同推進人工智能全球治理。", "zh") == [
        "中方熱忱歡迎……", "共同推進人工智能全球治理。"]


# --- English -----------------------------------------------------------------------------


def test_english_flagship_first_paragraph():
    first = SEEDS["003"].splitlines()[0].strip()
    assert split_sentences(first, "en") == [
        ("date 2025-07-27 Premier Li Qiang announced the initiative when addressing the opening "
        "ceremony of the 2025 World AI Conference and High-Level Meeting on Global AI Governance "
        "in Shanghai."),
        ("Li emphasized the need for collaborative approaches to global AI governance to ensure "
        "that intelligent technologies are developed for the good of all."),
    ]


def test_english_numbers_with_commas_and_quotes():
    paragraph = SEEDS["003"].splitlines()[2]
    assert split_sentences(paragraph, "en") == [paragraph]  # 1,000 ... "Global Solidarity in the AI Era".
    said = SEEDS["003"].splitlines()[4]
    assert split_sentences(said, "en")[1] == (
        "There is an urgent need to further consolidate a societal consensus on how to achieve a "
        "balance between development and security in the AI sector, he said.")


def test_english_three_suggestions():
    paragraph = SEEDS["000"].splitlines()[9]
    sentences = split_sentences(paragraph, "en")
    assert len(sentences) == 9
    assert sentences[2:4] == ["Li Qiang put forward three suggestions.",
                              ("First, deepen innovation cooperation and unleash the intelligence "
                              "dividend.")]


def test_quoted_title_then_new_sentence():
    sentences = split_sentences(SEEDS["004"].splitlines()[5], "en")
    assert sentences[0].endswith('on "Leadership for Peace".')
    assert sentences[1].startswith("He held bilateral meetings")


def test_colon_inside_an_english_sentence():
    sentences = split_sentences(SEEDS["004"].splitlines()[2], "en")
    assert ("The Chinese side held the view that the promotion of AI global governance should "
            "follow several principles: First, adopt a comprehensive and balanced approach.") in sentences


@pytest.mark.parametrize(("paragraph", "expected"), [
    ("Mr. Li and Dr. Guterres met in the U.S. on Jan. 5. They discussed AI governance.",
     ["Mr. Li and Dr. Guterres met in the U.S. on Jan. 5.", "They discussed AI governance."]),
    ("Investment rose 3.5 percent to 1,000 billion yuan, e.g. in No. 1 projects. It will grow.",
     ["Investment rose 3.5 percent to 1,000 billion yuan, e.g. in No. 1 projects.",
      "It will grow."]),
    ("J. K. Rowling attended. Li said so.", ["J. K. Rowling attended.", "Li said so."]),
    ('"AI must benefit all," he said. "We will help," Li added.',
     ['"AI must benefit all," he said.', '"We will help," Li added.']),
    ("It was made in the U.S. The price rose.", ["It was made in the U.S.", "The price rose."]),
])
def test_english_abbreviations_decimals_initials_quotes(paragraph, expected):
    assert split_sentences(paragraph, "en") == expected


def test_unicode_ellipsis_before_a_capital_ends_a_sentence():
    # pysbd misses this one; segment fixes it.
    assert split_sentences("Li paused… Then he spoke.", "en") == ["Li paused…", "Then he spoke."]
    assert split_sentences("Li paused… and then spoke.", "en") == ["Li paused… and then spoke."]


def test_time_before_a_weekday_does_not_end_a_sentence():
    # pysbd splits after "a.m."; segment joins a weekday or month back on.
    assert split_sentences("The meeting opened at 9 a.m. Saturday in Shanghai. Li spoke.", "en") == [
        "The meeting opened at 9 a.m. Saturday in Shanghai.", "Li spoke."]
    assert split_sentences("It opened at 9 a.m. Li spoke.", "en") == ["It opened at 9 a.m.",
                                                                      "Li spoke."]


def test_long_paragraph_window_gives_the_same_sentences(monkeypatch):
    paragraph = " ".join(" ".join(SEEDS["004"].split()) for _ in range(5))
    whole = split_sentences(paragraph, "en")
    monkeypatch.setattr(align.segment, "PYSBD_WINDOW", 700)
    assert split_sentences(paragraph, "en") == whole
    assert len(whole) == 5 * 19


def test_german_uses_german_abbreviations():
    assert split_sentences("Das ist z. B. ein Feiertag. Er kam am 3. Oktober.", "de") == [
        "Das ist z. B. ein Feiertag.", "Er kam am 3. Oktober."]


def test_blank_paragraph_has_no_sentences():
    assert split_sentences("   ", "en") == []
    assert split_sentences("", "zh") == []


@pytest.mark.parametrize("lang, paragraph, expected", [
    # pysbd leaves the closing quote of a quoted sentence on its own (a book of 2,056
    # English sentences had 88 such rows).
    # (Our own sentences, shaped like the book's: its text stays out of the project.)
    ("en", "He looked up. 'You clearly never learned the first thing about sailing.'",
     ["He looked up.", "'You clearly never learned the first thing about sailing.'"]),
    ("en", "He looked up. 'You clearly never learned the first thing about sailing.' Then he left.",
     ["He looked up.", "'You clearly never learned the first thing about sailing.'", "Then he left."]),
    ("en", "\u201cI know.\u201d She smiled.", ["\u201cI know.\u201d", "She smiled."]),
    # Copied Chinese text with a space before the closing quote.
    ("zh", "他說：「你走吧。」 他走了。 ” 然後呢？", ["他說：「你走吧。」", "他走了。 ”", "然後呢？"]),
    # A region subtag is still Chinese: not the English splitter.
    ("zh-TW", "他說：“好。 ” 然後走了。", ["他說：“好。 ”", "然後走了。"]),
])
def test_a_closing_quote_belongs_to_the_sentence_it_closes(lang, paragraph, expected):
    assert split_sentences(paragraph, lang) == expected
