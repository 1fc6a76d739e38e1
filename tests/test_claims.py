"""Claims: figures one side of a matched pair states alone.

Snippets are copied from the flagship pair, corpus/001 (Chinese, Traditional,
mirror pinyin removed) and corpus/003 (English).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from opencc import OpenCC

from align.claims import extract_quantities, flag_claims, flag_pair
from align.model import Alignment, Document, Flag, Pair, Sentence

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
T2S = OpenCC("t2s")

EN_ATTENDANCE = (
    "More than 1,000 high-level representatives from upwards of 40 countries and "
    "international organizations attended the opening ceremony of the three-day event, "
    'themed "Global Solidarity in the AI Era".'
)
ZH_ATTENDANCE = "國內外嘉賓及人工智能產學研領域代表1000多人出席大會開幕式。"
EN_ACTION_PLAN = (
    "Also on July 26, the conference adopted the Global AI Governance Action Plan, which "
    "calls on all parties to work in solidarity to advance AI development and governance."
)
ZH_ACTION_PLAN = "大會發表《人工智能全球治理行動計劃》。"
ZH_THIRD_POINT = "三是更加注重共同治理,確保人工智能在造福人類上最終修成正果。"
EN_THIRD_POINT = (
    "Li said greater emphasis should be placed on collective governance to ensure that AI "
    "ultimately benefits humanity."
)
ZH_AGENDA = (
    "幫助全球南方國家加強能力建設、培育人工智能創新生態,確保發展中國家在智能化浪潮中平等受益,"
    "推動落實聯合國2030年可持續發展議程。"
)
EN_AGENDA = (
    "Last year, China proposed the AI Capacity-Building Action Plan for Good and for All to "
    "bridge the AI and digital divides, in support of the 2030 Agenda for Sustainable "
    "Development."
)
EN_NO_AGENDA = (
    "Last year, China proposed the AI Capacity-Building Action Plan for Good and for All to "
    "bridge the AI and digital divides, and to ensure the Global South benefits equitably "
    "from AI development."
)
ZH_OPENING = (
    "國務院總理李強7月26日在上海出席2025世界人工智能大會暨人工智能全球治理高級別會議開幕式并致辭。"
)
EN_OPENING = (
    "Premier Li Qiang announced the initiative when addressing the opening ceremony of the "
    "2025 World AI Conference and High-Level Meeting on Global AI Governance in Shanghai."
)


def doc(lang: str, texts: list[str], flags: dict[int, list[Flag]] | None = None) -> Document:
    flags = flags or {}
    return Document(lang, f"snippet.{lang}", [
        Sentence(i, t, T2S.convert(t) if lang == "zh" else t, 0, list(flags.get(i, [])))
        for i, t in enumerate(texts)
    ])


def one_pair(zh: list[str], en: list[str], **kw) -> list[Flag]:
    source, target = doc("zh", zh, kw.get("zh_flags")), doc("en", en)
    pair = Pair(list(range(len(zh))), list(range(len(en))), 0.9)
    return flag_pair(pair, source, target)


def summary(flags: list[Flag]) -> set[tuple[str, str, str]]:
    return {(f.kind, f.side, f.value) for f in flags}


# --- flag_pair on the flagship pair --------------------------------------------------


def test_attendance_flags_forty_countries_and_three_days_but_not_the_thousand():
    flags = one_pair([ZH_ATTENDANCE], [EN_ATTENDANCE])
    assert summary(flags) == {
        ("number-only-in-target", "tgt", "40"),
        ("number-only-in-target", "tgt", "3"),
    }
    spans = {f.value: f.span for f in flags}
    assert spans == {"40": "40 countries", "3": "three-day"}
    assert all(f.sentence == 0 for f in flags)


def test_date_only_in_english():
    flags = one_pair([ZH_ACTION_PLAN], [EN_ACTION_PLAN])
    assert summary(flags) == {("number-only-in-target", "tgt", "07-26")}
    assert flags[0].span == "July 26"


def test_enumeration_marker_is_not_a_number():
    assert one_pair([ZH_THIRD_POINT], [EN_THIRD_POINT]) == []


def test_year_on_both_sides_is_not_flagged():
    assert one_pair([ZH_AGENDA], [EN_AGENDA]) == []


def test_year_missing_from_english_is_flagged_with_the_chinese_span():
    flags = one_pair([ZH_AGENDA], [EN_NO_AGENDA])
    assert summary(flags) == {("number-only-in-source", "src", "2030")}
    assert flags[0].span == "2030年"


def test_month_day_without_year_on_one_side_is_not_a_mismatch():
    zh = ["新華社上海2025年7月26日電 國務院總理李強出席大會開幕式并致辭。"]
    assert one_pair(zh, ["Also on July 26, Premier Li Qiang addressed the opening ceremony."]) == []
    assert one_pair(["大會7月26日開幕。"], ["The conference opened on July 26, 2025."]) == []


def test_a_year_alone_does_not_cover_a_full_date():
    flags = one_pair(["大會7月26日開幕。"], ["The conference opened in 2025."])
    assert summary(flags) == {
        ("number-only-in-source", "src", "07-26"),
        ("number-only-in-target", "tgt", "2025"),
    }


def test_conflicting_dates_are_flagged_on_both_sides():
    flags = one_pair(["大會7月26日開幕。"], ["The conference opened on July 27."])
    assert summary(flags) == {
        ("number-only-in-source", "src", "07-26"),
        ("number-only-in-target", "tgt", "07-27"),
    }


def test_year_on_both_sides_matches_and_the_missing_date_is_flagged():
    flags = one_pair([ZH_OPENING], [EN_OPENING])
    assert summary(flags) == {("number-only-in-source", "src", "07-26")}


def test_caption_figures_are_not_claims():
    caption = (
        "7月26日,國務院總理李強在上海出席2025世界人工智能大會暨人工智能全球治理高級別會議開幕式并致辭。"
        " 新華社記者 王曄 攝"
    )
    zh = [ZH_THIRD_POINT, caption]
    assert summary(one_pair(zh, [EN_THIRD_POINT])) == {
        ("number-only-in-source", "src", "07-26"),
        ("number-only-in-source", "src", "2025"),
    }
    assert one_pair(zh, [EN_THIRD_POINT], zh_flags={1: [Flag("caption")]}) == []


def test_one_flag_per_value_at_its_first_sentence():
    zh = ["大會發表《人工智能全球治理行動計劃》。", "國務院總理李強7月26日出席開幕式。", "7月26日,大會閉幕。"]
    flags = one_pair(zh, [EN_THIRD_POINT])
    assert [(f.value, f.sentence) for f in flags] == [("07-26", 1)]


def test_unmatched_pair_gets_no_number_flags():
    source, target = doc("zh", [ZH_AGENDA]), doc("en", [EN_NO_AGENDA])
    assert flag_pair(Pair([0], [], 0.8), source, target) == []


# --- flag_claims ----------------------------------------------------------------------


def flagship_alignment() -> Alignment:
    source = doc("zh", [ZH_ATTENDANCE, ZH_ACTION_PLAN, ZH_THIRD_POINT, ZH_AGENDA])
    target = doc("en", [EN_ATTENDANCE, EN_ACTION_PLAN, EN_THIRD_POINT])
    pairs = [
        Pair([0], [0], 0.9, [Flag("crossing")]),
        Pair([1], [1], 0.8),
        Pair([2], [2], 0.7),
        Pair([3], [], 0.6),
    ]
    return Alignment(source, target, "test", "parallel", pairs)


def test_flag_claims_adds_flags_keeps_others_and_is_idempotent():
    alignment = flagship_alignment()
    flag_claims(alignment)
    first = alignment.to_dict()
    attendance, action_plan, third_point, unmatched = alignment.pairs
    assert attendance.has_flag("crossing")
    assert {f.value for f in attendance.flags if f.kind == "number-only-in-target"} == {"40", "3"}
    assert [f.value for f in action_plan.flags] == ["07-26"]
    assert third_point.flags == [] and unmatched.flags == []
    flag_claims(alignment)
    assert alignment.to_dict() == first


def test_flag_claims_drops_stale_number_flags_after_relinking():
    alignment = flagship_alignment()
    flag_claims(alignment)
    alignment.pairs[1].tgt = [2]  # a reviewer re-links the action plan sentence
    flag_claims(alignment)
    assert alignment.pairs[1].flags == []


# --- the normaliser ------------------------------------------------------------------


@pytest.mark.parametrize("text, lang, value", [
    ("1,000 people", "en", "1000"),
    ("1 000 people", "en", "1000"),
    ("1000多人", "zh", "1000"),
    ("一千人", "zh", "1000"),
    ("上千人", "zh", "1000"),
    ("1.2 million", "en", "1200000"),
    ("120萬人", "zh", "1200000"),
    ("1.2億元", "zh", "120000000"),
    ("three-day", "en", "3"),
    ("forty countries", "en", "40"),
    ("Forty-two countries", "en", "42"),
    ("three hundred forty thousand", "en", "340000"),
    ("三點建議", "zh", "3"),
    ("兩國", "zh", "2"),
    ("十五個國家", "zh", "15"),
    ("第三屆", "zh", "3"),
    ("the 78th session", "en", "78"),
    ("the second-largest economy", "en", "2"),
    ("its second session", "en", "2"),
    ("一萬兩千人", "zh", "12000"),
    ("１２０人", "zh", "120"),
    ("12.5%", "en", "12.5%"),
    ("12.5 percent", "en", "12.5%"),
    ("12.5 per cent", "en", "12.5%"),
    ("百分之五", "zh", "5%"),
    ("百分之十二點五", "zh", "12.5%"),
    ("5％", "zh", "5%"),
    ("July 26", "en", "07-26"),
    ("26 July", "en", "07-26"),
    ("7月26日", "zh", "07-26"),
    ("七月二十六日", "zh", "07-26"),
    ("July 26, 2025", "en", "2025-07-26"),
    ("2025年7月26日", "zh", "2025-07-26"),
    ("2025-07-27", "en", "2025-07-27"),
    ("October 2023", "en", "2023-10"),
    ("2030年", "zh", "2030"),
    ("二〇三〇年", "zh", "2030"),
    ("2030 Agenda", "en", "2030"),
    ("in April", "en", "--04"),
    ("今年4月", "zh", "--04"),
    ("in May", "en", "--05"),
    ("中國政府26日倡議", "zh", "---26"),
])
def test_normalised_values(text, lang, value):
    assert [q.value for q in extract_quantities(text, lang)] == [value]


def test_span_is_cut_from_the_traditional_text():
    [q] = extract_quantities("全國兩萬人參加", "zh")
    assert (q.span, q.value) == ("兩萬人", "20000")


@pytest.mark.parametrize("text, lang", [
    ("一是更加注重普及普惠", "zh"),
    ("二是更加注重創新合作", "zh"),
    ("三是加強協同共治", "zh"),
    ("第二,加強協同共治", "zh"),
    ("已經開始賦能千行百業、走進千家萬戶", "zh"),
    ("一些國家一起推動統一標準", "zh"),
    ("萬一出現風險", "zh"),
    ("十分重要", "zh"),
    ("兩岸同胞", "zh"),
    ("數千人參加", "zh"),
    ("四川省", "zh"),
    ("one of the conference's highlights", "en"),
    ("no one is left behind", "en"),
    ("First, deepen cooperation", "en"),
    ("Second, promote inclusive development", "en"),
    ("two-thirds of the members", "en"),
    ("May I add", "en"),
    ("the G20 and COVID-19 and 5G", "en"),
    ("at 22:50 local time", "en"),
    ("1. Promote cooperation", "en"),
    ("兩三個國家", "zh"),
    ("十七八個人", "zh"),
    ("五十兩銀子", "zh"),
    ("萬歲", "zh"),
    ("the countdown, second by second", "en"),
    ("back in a second", "en"),
])
def test_not_quantities(text, lang):
    assert extract_quantities(text, lang) == []


def test_flagship_paragraph_states_only_the_april_date():
    """The paragraph with 千行百業 and 千家萬戶 holds one figure: 今年4月."""
    text = (CORPUS / "001_6e67b410ee902a66.txt").read_text(encoding="utf-8")
    paragraph = next(line for line in text.splitlines() if "千行百業" in line)
    assert [q.value for q in extract_quantities(paragraph, "zh")] == ["--04"]


def test_flagship_english_figures():
    text = (CORPUS / "003_3cceb59c81ded892.txt").read_text(encoding="utf-8")
    assert [q.value for q in extract_quantities(text, "en")] == [
        "2025-07-27", "2025", "1000", "40", "3", "2023", "07-26",
    ]
