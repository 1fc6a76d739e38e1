"""Pinyin stripping, the encoder's norm, encoding-damage and metadata flags,
on the seed texts in corpus/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from align.normalise import damage_flags, damage_spans, normalise, split_metadata, strip_pinyin

CORPUS = Path(__file__).parents[1] / "corpus"
ZH_SEED = (CORPUS / "001_6e67b410ee902a66.txt").read_text(encoding="utf-8")
ZH_LINES = ZH_SEED.splitlines()
EN_SEEDS = {p.name: p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("00[0234]_*.txt"))}


def paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


# --- pinyin --------------------------------------------------------------------------


def test_strip_pinyin_examples_from_the_seed():
    assert strip_pinyin("國務(wù)院總理") == "國務院總理"
    assert strip_pinyin("習近平主席今年4月在上??疾鞎r強調(diào),") == "習近平主席今年4月在上??疾鞎r強調,"
    assert strip_pinyin(ZH_LINES[1]).startswith("新華社上海7月26日電(記者王慧慧、龔雯)國務院總理")


def test_strip_pinyin_removes_every_annotation_and_nothing_else():
    stripped = strip_pinyin(ZH_SEED)
    # The one Latin letter left is the stray 'r' of the damaged span.
    assert re.findall("[A-Za-zà-ǜ]", stripped) == ["r"]
    assert set(re.findall(r"\([^)]*\)", stripped)) == {"(記者王慧慧、龔雯)", "(記者王慧慧、馬卓言)"}
    # Only parenthesised pinyin went: removing every "(...)" from both gives the same text.
    assert re.sub(r"\([^)]*\)", "", stripped) == re.sub(r"\([^)]*\)", "", ZH_SEED)


def test_strip_pinyin_leaves_english_alone():
    for text in EN_SEEDS.values():
        assert strip_pinyin(text) == text


# --- norm ------------------------------------------------------------------------------


def test_norm_of_the_dateline_paragraph():
    assert normalise(strip_pinyin(ZH_LINES[1]), "zh") == (
        "新华社上海7月26日电（记者王慧慧、龚雯）国务院总理李强7月26日在上海出席"
        "2025世界人工智能大会暨人工智能全球治理高级别会议开幕式并致辞。"
    )


def test_norm_punctuation_is_full_width_after_han_but_not_inside_numbers():
    norm = normalise("中國高度重視人工智能全球治理,積極參與推動多雙邊合作;約1,000人7:30出席:", "zh")
    assert norm == "中国高度重视人工智能全球治理，积极参与推动多双边合作；约1,000人7:30出席："


def test_norm_full_width_letters_and_digits_become_half_width():
    text = "國內外嘉賓及ＡＩ產學研領域代表１０００多人出席大會開幕式。"
    assert normalise(text, "zh") == "国内外嘉宾及AI产学研领域代表1000多人出席大会开幕式。"


def test_norm_corner_quotes_become_curly():
    assert normalise("中國「人工智能+」行動深入推進", "zh") == "中国“人工智能+”行动深入推进"


def test_norm_drops_layout_spaces_between_han():
    assert normalise("新華社記者 王曄 攝", "zh") == "新华社记者王晔摄"


def test_norm_latin_text_only_gets_nfc_and_single_spaces():
    title = EN_SEEDS["000_8585149f7048a6d3.txt"].splitlines()[0]
    assert "\u2002" in title
    assert normalise(title, "en") == " ".join(title.split())
    assert normalise("Aleksandar Vuc\u030ci\u0107", "en") == "Aleksandar Vučić"  # NFC


@pytest.mark.parametrize("line", paragraphs(ZH_SEED))
def test_norm_is_idempotent_and_fully_simplified(line):
    norm = normalise(strip_pinyin(line), "zh")
    assert normalise(norm, "zh") == norm
    assert not re.search(r"(?<=[\u4e00-\u9fff])[,;:!]", norm)


def test_norm_leaves_the_damaged_question_marks_alone():
    norm = normalise(strip_pinyin(ZH_LINES[2]), "zh")
    assert "上??疾鞎r强调，" in norm


# --- encoding damage ---------------------------------------------------------------------


def test_the_seed_has_exactly_one_damaged_run():
    flags = damage_flags(strip_pinyin(ZH_SEED))
    assert [(f.kind, f.span) for f in flags] == [("encoding-damage", "上??疾鞎r")]


def test_damage_as_described_in_the_readme_single_question_mark():
    text = "習近平主席今年4月在上?疾鞎r強調"
    assert [text[s:e] for s, e in damage_spans(text)] == ["上?疾鞎r"]


def test_replacement_character_is_damage():
    text = strip_pinyin(ZH_LINES[7]).replace("治理", "治\ufffd")
    assert [f.span for f in damage_flags(text, sentence=3)] == ["治\ufffd"]
    assert damage_flags(text, sentence=3)[0].sentence == 3


def test_a_half_width_question_mark_between_han_is_not_damage():
    assert damage_spans("如何在發展和安全之間尋求平衡?亟需進一步凝聚共識") == []


def test_english_seeds_have_no_damage():
    for text in EN_SEEDS.values():
        assert damage_flags(text) == []


def test_utf8_read_as_cp1252_is_flagged_with_the_repair():
    line = EN_SEEDS["002_397aee929ba39487.txt"].splitlines()[19]
    mojibake = line.encode("utf-8").decode("cp1252")
    assert mojibake.startswith("Chinaâ€™sÂ\xa0active")
    flags = damage_flags(mojibake)
    assert {(f.span, f.value) for f in flags} == {("â€™", "’"), ("Â\xa0", "\xa0")}
    assert damage_flags(line) == []


# --- datelines, captions, bylines ------------------------------------------------------------


def test_caption_paragraph_with_photo_byline():
    assert split_metadata(strip_pinyin(ZH_LINES[0])) == [
        ("7月26日,國務院總理李強在上海出席2025世界人工智能大會暨人工智能全球治理高級別會議開幕式并致辭。",
         "caption"),
        ("新華社記者 王曄 攝", "byline"),
    ]


def test_bracketed_simplified_photo_byline():
    assert split_metadata("李强同与会外方嘉宾、国际组织代表共同巡馆。（新华社记者 王晔 摄）") == [
        ("李强同与会外方嘉宾、国际组织代表共同巡馆。", "caption"),
        ("（新华社记者 王晔 摄）", "byline"),
    ]


def test_xinhua_dateline_is_split_from_its_sentence():
    pieces = split_metadata(strip_pinyin(ZH_LINES[9]))
    assert pieces == [("新華社上海7月26日電(記者王慧慧、馬卓言)", "dateline"),
                      ("中國政府26日倡議成立世界人工智能合作組織,初步考慮總部設在上海。", "")]


@pytest.mark.parametrize("dateline", ["新華社北京7月26日電", "新华社北京7月26日电", "本報訊"])
def test_other_chinese_datelines(dateline):
    body = "國務院總理李強7月26日在上海出席開幕式并致辭。"
    assert split_metadata(dateline + body) == [(dateline, "dateline"), (body, "")]


def test_scraped_date_prefix_of_the_english_seed():
    first = EN_SEEDS["003_3cceb59c81ded892.txt"].splitlines()[0]
    pieces = split_metadata(first)
    assert pieces[0] == ("date 2025-07-27", "dateline")
    assert pieces[1][0].startswith("Premier Li Qiang announced the initiative")
    assert pieces[1][1] == ""


def test_english_wire_dateline():
    body = "Premier Li Qiang announced the initiative in Shanghai."
    assert split_metadata(f"BEIJING, July 26 (Xinhua) -- {body}") == [
        ("BEIJING, July 26 (Xinhua) --", "dateline"), (body, "")]
    assert split_metadata(f"AI -- {body}") == [(f"AI -- {body}", "")]


def test_timestamp_line_is_a_dateline():
    assert split_metadata(EN_SEEDS["000_8585149f7048a6d3.txt"].splitlines()[1]) == [
        ("2024-07-04 22:50", "dateline")]


@pytest.mark.parametrize("credit", ["[Photo/Xinhua]", "(Xinhua/Wang Ye)", "(Photo: China Daily)"])
def test_english_caption_credits(credit):
    body = "Premier Li Qiang addresses the opening ceremony of the 2025 World AI Conference."
    assert split_metadata(f"{body} {credit}") == [(body, "caption"), (credit, "byline")]


def test_ordinary_paragraphs_of_every_seed_have_no_metadata():
    metadata_lines = {ZH_LINES[0], ZH_LINES[1], ZH_LINES[3], ZH_LINES[9]}
    ordinary = [p for p in paragraphs(ZH_SEED) if p not in metadata_lines]
    for text in EN_SEEDS.values():
        ordinary += [p for p in paragraphs(text)
                     if not p.startswith(("date 2025", "2024-07-04"))]
    for p in ordinary:
        assert split_metadata(strip_pinyin(p)) == [(strip_pinyin(p), "")], p
