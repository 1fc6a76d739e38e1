"""Reading files into Documents: encodings, formats, language, bad input.

Encoded files are made in tmp_path from the seed texts in corpus/; the HTML
and Markdown fixtures in tests/data/ are snippets of the flagship texts.
"""

from __future__ import annotations

import random
import re
import zlib
from pathlib import Path

import pytest
from opencc import OpenCC

from align.errors import InputError
from align.ingest import (
    MAX_FILE_BYTES,
    MAX_LINE_CHARS,
    MAX_PRESPLIT_CHARS,
    decode_bytes,
    detect_lang,
    document_from_text,
    load_document,
    read_text,
)
from align.model import NOT_CLAIMS
from align.normalise import strip_pinyin
from align.segment import MAX_SENTENCE_CHARS

ROOT = Path(__file__).parents[1]
CORPUS = ROOT / "corpus"
DATA = Path(__file__).parent / "data"
GOLD = ROOT.parent / "shared" / "gold"
ZH_PATH = CORPUS / "001_6e67b410ee902a66.txt"
EN_PATH = CORPUS / "003_3cceb59c81ded892.txt"
TRADITIONAL = ZH_PATH.read_text(encoding="utf-8")
SIMPLIFIED = OpenCC("t2s").convert(TRADITIONAL)
ENGLISH = EN_PATH.read_text(encoding="utf-8")


def write(tmp_path: Path, data: bytes, name: str = "input.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- encodings ------------------------------------------------------------------------------

# Big5 has no tone-marked pinyin letters: a real Big5 file of the seed has its
# annotations removed, while Hong Kong's Big5-HKSCS and GB18030 keep them.
ENCODED_SEEDS = [
    ("traditional-big5", strip_pinyin(TRADITIONAL), "cp950"),
    ("traditional-big5-hkscs", TRADITIONAL, "big5hkscs"),
    ("traditional-gb18030", TRADITIONAL, "gb18030"),
    ("simplified-gbk", SIMPLIFIED, "gbk"),
    ("simplified-gb18030", SIMPLIFIED, "gb18030"),
    ("english-utf16-bom", ENGLISH, "utf-16"),
    ("english-utf16le", ENGLISH, "utf-16-le"),
    ("english-utf16be", ENGLISH, "utf-16-be"),
    ("chinese-utf16le", TRADITIONAL, "utf-16-le"),
    ("chinese-utf8-bom", TRADITIONAL, "utf-8-sig"),
    ("chinese-utf32", TRADITIONAL, "utf-32"),
    ("english-cp1252", (CORPUS / "002_397aee929ba39487.txt").read_text(encoding="utf-8"), "cp1252"),
]


@pytest.mark.parametrize(("text", "encoding"), [pytest.param(t, e, id=i) for i, t, e in ENCODED_SEEDS])
def test_encoded_seed_reads_back_exactly(tmp_path, text, encoding):
    assert read_text(write(tmp_path, text.encode(encoding))) == text


@pytest.mark.parametrize(("text", "encoding"), [
    pytest.param(strip_pinyin(TRADITIONAL), "cp950", id="big5"),
    pytest.param(SIMPLIFIED, "gbk", id="gbk"),
    pytest.param(TRADITIONAL, "gb18030", id="gb18030"),
])
def test_gbk_or_big5_decided_right_on_every_short_paragraph(text, encoding):
    # Short texts are where GBK and Big5 are easy to confuse: Big5 bytes also
    # decode as GB18030, and short GBK text often decodes as Big5.
    for line in text.splitlines():
        for chunk in (line, line[:12], line[:6]):
            assert decode_bytes(chunk.encode(encoding)) == chunk


def test_western_cp1252_is_not_read_as_central_european():
    french = "Le président a déclaré que la coopération était très importante."
    assert decode_bytes(french.encode("cp1252")) == french
    assert decode_bytes("Müller".encode("latin-1")) == "Müller"


def test_a_few_corrupt_bytes_in_utf8_become_flagged_damage(tmp_path):
    data = bytearray(TRADITIONAL.encode("utf-8"))
    data[TRADITIONAL.encode("utf-8").index("全球治理行動計劃".encode())] = 0xFF
    path = write(tmp_path, bytes(data))
    # The bad lead byte leaves two stray continuation bytes: three U+FFFD.
    assert read_text(path) == TRADITIONAL.replace("全球治理行動計劃", "\ufffd" * 3 + "球治理行動計劃")
    doc = load_document(path)
    damaged = [(s.id, f.span) for s in doc.sentences for f in s.flags if f.kind == "encoding-damage"]
    assert (28, "能" + "\ufffd" * 3) in damaged


# --- bad input ---------------------------------------------------------------------------------


def problem(path: Path) -> str:
    with pytest.raises(InputError) as e:
        read_text(path)
    assert e.value.where == str(path)
    assert "\n" not in e.value.problem
    return e.value.problem


def test_missing_file(tmp_path):
    assert problem(tmp_path / "nope.txt") == "no such file"


def test_directory(tmp_path):
    assert "directory" in problem(tmp_path)


@pytest.mark.parametrize("data", [b"", b"  \n\r\n\t  \n", "\n　\n".encode("utf-16"),
                                  b"\xff\xfe", b"\xef\xbb\xbf"])
def test_empty_or_whitespace_only(tmp_path, data):
    assert "empty" in problem(write(tmp_path, data))


def test_binary_with_nul_bytes(tmp_path):
    random.seed(7)
    data = bytes(random.randrange(256) for _ in range(5000))
    assert "binary" in problem(write(tmp_path, data, "photo.jpg"))


def test_compressed_data_with_a_few_nul_bytes_is_binary(tmp_path):
    # Two NULs, both at even offsets: they look like UTF-16-BE until it fails to decode.
    data = zlib.compress(b"hello world" * 100)
    assert data.count(0) == 2
    assert problem(write(tmp_path, data, "notes.txt.z")).startswith("binary data, not text")


def test_pdf_is_named(tmp_path):
    assert "PDF" in problem(write(tmp_path, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "paper.txt"))


def test_undecodable_bytes(tmp_path):
    random.seed(3)
    data = bytes(random.randrange(0x80, 0x100) for _ in range(5000))
    assert "cannot decode" in problem(write(tmp_path, data))


def test_file_bigger_than_the_limit(tmp_path):
    path = tmp_path / "big.txt"
    with path.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: no 50 MB written
    assert "too large" in problem(path)


def test_one_huge_line(tmp_path):
    line = ENGLISH.replace("\n", " ")
    data = (line * (MAX_LINE_CHARS // len(line) + 1)).encode()
    assert "one huge line" in problem(write(tmp_path, data))


# --- HTML and Markdown ---------------------------------------------------------------------------


def test_html_keeps_body_text_one_paragraph_per_block():
    text = read_text(DATA / "ingest_waic.html")
    paragraphs = text.split("\n\n")
    assert paragraphs[0] == "Premier Li Qiang announced the initiative"
    assert paragraphs[1].startswith("Premier Li Qiang announced the initiative when addressing the "
                                    "opening ceremony of the 2025 World AI Conference")
    assert paragraphs[2].endswith('themed "Global Solidarity in the AI Era".')
    # <br> separates paragraphs; hard-wrapped source lines are joined.
    assert paragraphs[3] == ("Li said greater emphasis should be placed on collective governance to "
                             "ensure that AI ultimately benefits humanity.")
    assert paragraphs[4].startswith("Also on July 26, the conference adopted")
    assert len(paragraphs) == 5
    for dropped in ("China Daily", "tracker", "margin", "Home", "JavaScript", "related", "ad"):
        assert dropped not in text.split()


def test_markdown_drops_markup_keeps_paragraphs():
    text = read_text(DATA / "ingest_waic.md")
    assert text.split("\n\n") == [
        "李強出席2025世界人工智能大會開幕式",
        ("新華社上海7月26日電(記者王慧慧、龔雯)國務院總理李強7月26日在上海出席2025世界人工智能大會暨"
        "人工智能全球治理高級別會議開幕式并致辭。"),
        "三點建議",
        "一是更加注重普及普惠,充分用好人工智能發展的已有成果。",
        "二是更加注重創新合作,力求更多突破性的人工智能科技碩果。",
        "大會發表《人工智能全球治理行動計劃》。",
        "陳吉寧、吳政隆參加上述活動。",
    ]


def test_html_in_a_legacy_encoding(tmp_path):
    page = "<html><body><p>{}</p><p>{}</p></body></html>".format(*SIMPLIFIED.splitlines()[6:8])
    path = write(tmp_path, page.encode("gbk"), "page.htm")
    assert read_text(path) == "\n\n".join(SIMPLIFIED.splitlines()[6:8])


def test_html_without_text(tmp_path):
    page = b"<html><head><script>var x = 1;</script></head><body><nav>Home</nav></body></html>"
    assert "no text" in problem(write(tmp_path, page, "empty.html"))


# --- language -------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", sorted(p.name for p in CORPUS.glob("00*.txt")))
def test_detect_lang_on_the_seeds(seed):
    expected = "zh" if seed.startswith("001") else "en"
    assert detect_lang((CORPUS / seed).read_text(encoding="utf-8")) == expected


def test_detect_lang_simplified_and_short():
    assert detect_lang(SIMPLIFIED) == "zh"
    assert detect_lang("陳吉寧、吳政隆參加上述活動。") == "zh"
    assert detect_lang("2024-07-04 22:50") == "und"


@pytest.mark.skipif(not (GOLD / "text+berg").is_dir(), reason="shared/gold/text+berg not present")
@pytest.mark.parametrize("lang", ["de", "fr"])
def test_detect_lang_german_and_french(lang):
    for path in sorted((GOLD / "text+berg" / lang).iterdir()):
        assert detect_lang(path.read_text(encoding="utf-8")) == lang, path


# --- Documents --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zh_doc():
    return load_document(ZH_PATH)


def flagged(doc, kind):
    return [s.id for s in doc.sentences if s.has_flag(kind)]


def test_flagship_chinese_document(zh_doc):
    assert zh_doc.lang == "zh"
    assert zh_doc.path == str(ZH_PATH)
    assert [s.id for s in zh_doc.sentences] == list(range(len(zh_doc.sentences)))
    assert len(zh_doc.sentences) == 47
    assert zh_doc.sentences[-1].paragraph == 16
    assert flagged(zh_doc, "caption") == [0, 11, 12]
    assert flagged(zh_doc, "byline") == [1, 13]
    assert flagged(zh_doc, "dateline") == [2, 30]
    assert flagged(zh_doc, "encoding-damage") == [4]
    assert [s.text for s in zh_doc.sentences if not s.matchable][:3] == [
        "7月26日,國務院總理李強在上海出席2025世界人工智能大會暨人工智能全球治理高級別會議開幕式并致辭。",
        "新華社記者 王曄 攝",
        "新華社上海7月26日電(記者王慧慧、龔雯)",
    ]
    assert all(f.sentence == s.id for s in zh_doc.sentences for f in s.flags)
    assert {f.kind for s in zh_doc.sentences for f in s.flags} - {"encoding-damage"} \
        <= set(NOT_CLAIMS)


def test_text_is_pinyin_free_original_script_and_norm_simplified(zh_doc):
    sentence = zh_doc.sentences[3]
    assert sentence.text.startswith("國務院總理李強7月26日在上海出席")
    assert sentence.norm.startswith("国务院总理李强7月26日在上海出席")
    assert sentence.paragraph == 1
    assert "(wù)" not in "".join(s.text for s in zh_doc.sentences)


def test_nothing_is_lost_from_the_seed(zh_doc):
    squeezed = "".join("".join(s.text.split()) for s in zh_doc.sentences)
    assert squeezed == "".join(strip_pinyin(TRADITIONAL).split())


def test_english_flagship_dateline_and_text():
    doc = load_document(EN_PATH)
    assert doc.lang == "en"
    assert doc.sentences[0].text == "date 2025-07-27"
    assert doc.sentences[0].flags[0].kind == "dateline"
    assert doc.sentences[1].text.startswith("Premier Li Qiang announced the initiative")
    assert doc.sentences[1].matchable
    assert len(doc.sentences) == 13


def test_text_keeps_odd_spaces_norm_collapses_them():
    doc = load_document(CORPUS / "000_8585149f7048a6d3.txt")
    title = doc.sentences[0]
    assert "\u2002" in title.text
    assert title.norm.startswith("Li Qiang Attends and Addresses")


def test_document_from_text_is_load_document_without_the_file(zh_doc):
    pasted = document_from_text(TRADITIONAL, "zh", path=str(ZH_PATH))
    assert pasted.to_dict() == zh_doc.to_dict()


def test_language_codes_with_region_are_reduced():
    assert document_from_text(TRADITIONAL, "zh-TW").lang == "zh"


def test_lang_contradicting_the_script():
    with pytest.raises(InputError) as e:
        load_document(EN_PATH, lang="zh")
    assert e.value.where == str(EN_PATH)
    assert "expected Chinese text but found none" in e.value.problem
    with pytest.raises(InputError, match="expected English text but found Chinese"):
        load_document(ZH_PATH, lang="en")
    with pytest.raises(InputError, match="not a language code"):
        document_from_text(ENGLISH, "english!", path="pasted")


def test_file_without_letters(tmp_path):
    with pytest.raises(InputError, match="cannot tell its language"):
        load_document(write(tmp_path, b"2024-07-04 22:50\n"))


# --- presplit ----------------------------------------------------------------------------------------


def test_presplit_one_sentence_per_line_never_cut(tmp_path):
    lines = TRADITIONAL.splitlines()
    path = write(tmp_path, ("\n".join(lines[:5]) + "\n\n" + "\n".join(lines[5:])).encode())
    doc = load_document(path, presplit=True)
    assert [s.text for s in doc.sentences] == [strip_pinyin(line) for line in lines]
    assert [s.paragraph for s in doc.sentences] == [0] * 5 + [1] * (len(lines) - 5)
    # Whole caption lines are flagged; a dateline glued to real content is not,
    # since a flagged sentence would be left out of alignment.
    assert flagged(doc, "caption") == [0, 3]
    assert flagged(doc, "dateline") == []
    assert flagged(doc, "encoding-damage") == [2]
    assert doc.sentences[1].norm.startswith("新华社上海7月26日电（记者王慧慧、龚雯）国务院总理")


@pytest.mark.skipif(not (GOLD / "mac-dev").is_dir(), reason="shared/gold/mac-dev not present")
def test_presplit_gold_sentence_file():
    path = GOLD / "mac-dev" / "zh" / "001"
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    doc = load_document(path, presplit=True)
    assert doc.lang == "zh"
    assert [s.text for s in doc.sentences] == lines
    assert [s.id for s in doc.sentences] == list(range(len(lines)))


def test_presplit_line_is_kept_whole_up_to_ten_sentences_long(tmp_path):
    # Cutting a line would renumber every sentence after it, and gold sets count lines.
    lines = [strip_pinyin(line).strip() for line in TRADITIONAL.splitlines()]
    whole = "".join(lines)
    long_line = whole * (2 * MAX_SENTENCE_CHARS // len(whole) + 1)
    path = write(tmp_path, "\n".join([*lines[:3], long_line, *lines[3:]]).encode())
    doc = load_document(path, presplit=True)
    assert doc.sentences[3].text == long_line and len(doc.sentences) == len(lines) + 1
    too_long = whole * (MAX_PRESPLIT_CHARS // len(whole) + 1)
    path = write(tmp_path, "\n".join([*lines[:3], too_long, *lines[3:]]).encode())
    with pytest.raises(InputError) as e:
        load_document(path, presplit=True)
    assert str(e.value) == (f"{path}: line 4 is {len(too_long):,} characters long; "
                            f"one sentence per line allows {MAX_PRESPLIT_CHARS:,}")


# --- over-long sentences ------------------------------------------------------------------------


@pytest.mark.parametrize(("seed", "lang", "removed", "cut_at"), [
    # The seeds run together with their end marks taken out: clause marks are left ...
    ("zh", "zh", "。！？；;?!", "clause mark"),
    ("en", "en", ".!?;", "clause mark"),
    # ... and with every mark taken out: English is cut at spaces, Chinese at the limit.
    ("en", "en", ".!?;,:", "space"),
    ("zh", "zh", "。！？；，、：,:;!?.()（）「」“”", "limit"),
])
def test_a_text_without_end_marks_is_cut_into_flagged_sentence_sized_pieces(seed, lang, removed,
                                                                              cut_at):
    text = {"zh": TRADITIONAL, "en": ENGLISH}[seed]
    run_on = re.sub(f"[{re.escape(removed)}\\n ]+", " " if lang == "en" else "", text) * 6
    doc = document_from_text(run_on, lang)
    pieces = [s.text for s in doc.sentences]
    assert len(run_on) > 4 * MAX_SENTENCE_CHARS and len(pieces) >= 3
    assert max(map(len, pieces)) <= MAX_SENTENCE_CHARS
    assert re.sub(r"\s+", "", "".join(pieces)) == re.sub(r"\s+", "", strip_pinyin(run_on))
    body = [s.text for s in doc.sentences if s.matchable]  # the English has a dateline first
    assert all(s.has_flag("overlong") for s in doc.sentences if s.matchable)
    if cut_at == "clause mark":
        assert all(p[-1] in "，、：,:" for p in body[:-1])
    elif cut_at == "space":
        assert re.sub(r"\s+", " ", " ".join(pieces)) == re.sub(r"\s+", " ", run_on).strip()
    else:
        assert all(len(p) == MAX_SENTENCE_CHARS for p in body[:-1])


def test_sentences_of_ordinary_length_are_not_cut():
    doc = document_from_text(TRADITIONAL, "zh")
    assert not any(s.has_flag("overlong") for s in doc.sentences)
    assert max(len(s.text) for s in doc.sentences) < MAX_SENTENCE_CHARS // 4
