"""Normalisation and flagging of raw text, before and after sentence splitting.

Three jobs, all about keeping what the file says while giving the encoder a
clean form of it:

* :func:`strip_pinyin` removes the pinyin a Traditional-script mirror adds
  after characters outside its character set (``國務(wù)院``): the result is
  :attr:`Sentence.text`, what reviewers read and what gets exported.
* :func:`normalise` builds :attr:`Sentence.norm`, what the encoder sees.
* :func:`split_metadata`, :func:`damage_spans` and :func:`damage_flags` find
  wire datelines, photo captions and their bylines, and encoding damage, so
  they are flagged instead of being silently aligned or dropped.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from opencc import OpenCC

from align.model import Flag, is_chinese

# CJK Unified Ideographs, Extension A, and the compatibility block. Written as
# ranges rather than \p{Han} because the standard re module has no scripts.
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN_CHAR = re.compile(f"[{HAN}]")
WORD_CHAR = re.compile(rf"[{HAN}\w]")
"""A character that can carry content (a Han character, letter or digit), not punctuation."""

# --- pinyin annotations -----------------------------------------------------

# Lowercase Latin letters a pinyin syllable is written with, tone marks
# included (ü may also be typed v). The longest syllables (zhuàng, shuāng)
# have six letters.
PINYIN_LETTERS = "a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
PINYIN_VOWELS = "aeiouvāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
MAX_PINYIN_SYLLABLE = 6
PINYIN_ANNOTATION = re.compile(
    rf"(?<=[{HAN}])[(（](?=[{PINYIN_LETTERS}]*[{PINYIN_VOWELS}])"
    rf"[{PINYIN_LETTERS}]{{1,{MAX_PINYIN_SYLLABLE}}}[)）]"
)


def strip_pinyin(text: str) -> str:
    """Remove mirror-site pinyin glosses: ``國務(wù)院`` → ``國務院``.

    Only a single lowercase syllable right after a Han character counts, so
    ``(記者王慧慧、龔雯)``, ``(Xinhua)`` and ``人工智能(AI)`` are left alone.
    """
    return PINYIN_ANNOTATION.sub("", text)


# --- norm: what the encoder sees ----------------------------------------------

# Chinese norm uses full-width punctuation around Han text (，：；？！（）) as
# GB/T 15834 and almost all Simplified-script training text do; the mirror's
# half-width commas are a conversion artefact. ASCII punctuation between
# digits or Latin letters (1,000  7:30  U.S.) stays ASCII.
HALF_TO_FULL_PUNCT = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
HALF_PUNCT_AFTER_CJK = re.compile(rf"(?<=[{HAN}\u3000-\u303f\uff01-\uff5e”’」』])[,;:?!]")
HALF_PARENS = re.compile(r"\(([^()]*)\)")
# Corner brackets are the Traditional-script (Taiwan, Hong Kong) quotation
# marks; Simplified text uses curly quotes. OpenCC's t2s leaves them alone.
CORNER_QUOTES = str.maketrans({"「": "“", "」": "”", "『": "‘", "』": "’"})
FULLWIDTH_ALNUM = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")
FULLWIDTH_OFFSET = 0xFEE0
SPACE_BETWEEN_CJK = re.compile(
    rf"(?<=[{HAN}\u3000-\u303f\uff01-\uff5e“”‘’])\s+(?=[{HAN}\u3000-\u303f\uff01-\uff5e“”‘’])"
)


@lru_cache(maxsize=1)
def _t2s() -> OpenCC:
    """Loaded on first use: no work at import time."""
    return OpenCC("t2s")


def to_simplified(text: str) -> str:
    """OpenCC's Traditional → Simplified conversion (one converter for the whole tool)."""
    return _t2s().convert(text)


def normalise(text: str, lang: str) -> str:
    """The encoder's form of a sentence; ``text`` itself is never changed.

    For Chinese: Simplified script, half-width letters and digits, full-width
    punctuation, no spaces between Han characters (they are layout, not
    word breaks). For every language: NFC and single spaces.
    """
    text = unicodedata.normalize("NFC", text)
    if is_chinese(lang):
        text = to_simplified(text).translate(CORNER_QUOTES)
        text = FULLWIDTH_ALNUM.sub(lambda m: chr(ord(m.group()) - FULLWIDTH_OFFSET), text)
        text = text.replace("\u3000", " ")
        text = HALF_PARENS.sub(_widen_parens, text)
        damaged = damage_spans(text)
        text = HALF_PUNCT_AFTER_CJK.sub(lambda m: _widen_punct(m, damaged), text)
        text = SPACE_BETWEEN_CJK.sub("", text)
    return " ".join(text.split())


def _widen_punct(m: re.Match[str], damaged: list[tuple[int, int]]) -> str:
    """Full-width mark, except for a '?' that is really encoding damage."""
    if any(start <= m.start() < end for start, end in damaged):
        return m.group()
    return HALF_TO_FULL_PUNCT[m.group()]


def _widen_parens(m: re.Match[str]) -> str:
    """Full-width brackets around a Chinese aside, or one that follows Han."""
    before = m.string[m.start() - 1] if m.start() else ""
    if HAN_CHAR.search(m.group(1)) or HAN_CHAR.match(before):
        return f"（{m.group(1)}）"
    return m.group()


# --- encoding damage ------------------------------------------------------------

# Inside Chinese text, a GBK/Big5 mix-up or a lossy conversion leaves '?',
# U+FFFD, or a stray lowercase ASCII letter between Han characters
# (上海考察時 → 上??疾鞎r). A single '?' between Han characters is more likely
# a half-width question mark and a single letter may be meant (阿q), so a run
# counts as damage only with U+FFFD in it or more than one mark character.
DAMAGE_MARK = re.compile(
    rf"(?<=[{HAN}])(?=[?\ufffda-z])[?\ufffd]*[a-z]?[?\ufffd]*(?=[{HAN}])|\ufffd+"
)
MIN_DAMAGE_MARKS = 2
# One damaged character shifts its neighbours, so marks at most this many Han
# characters apart belong to the same damaged run.
MAX_DAMAGE_GAP = 2
# A run of Latin-1/cp1252 characters that re-encodes to valid UTF-8 is UTF-8
# read as cp1252 (’ → â€™): cheap and with almost no false positives.
MOJIBAKE_RUN = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
    "\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a"
    "\u20ac\u2122]+"
)


def damage_spans(text: str) -> list[tuple[int, int]]:
    """Offsets ``(start, end)`` of encoding-damaged runs inside Han text.

    A run starts at the Han character before its first mark and ends with its
    last mark: in ``在上??疾鞎r強調`` it is ``上??疾鞎r``.
    """
    runs: list[list[int]] = []  # [start, end, number of mark characters]
    for m in DAMAGE_MARK.finditer(text):
        if runs and _is_short_han_gap(text[runs[-1][1]:m.start()]):
            runs[-1][1:] = [m.end(), runs[-1][2] + len(m.group())]
            continue
        start = m.start() - 1 if m.start() and HAN_CHAR.match(text[m.start() - 1]) else m.start()
        runs.append([start, m.end(), len(m.group())])
    return [(s, e) for s, e, marks in runs
            if marks >= MIN_DAMAGE_MARKS or "\ufffd" in text[s:e]]


def _is_short_han_gap(gap: str) -> bool:
    return len(gap) <= MAX_DAMAGE_GAP and all(HAN_CHAR.match(c) for c in gap)


def damage_flags(text: str, sentence: int | None = None) -> list[Flag]:
    """``encoding-damage`` flags for a sentence: damaged Han runs and mojibake.

    Mojibake flags carry the likely original in ``value``.
    """
    flags = [Flag("encoding-damage", span=text[s:e], sentence=sentence)
             for s, e in damage_spans(text)]
    for m in MOJIBAKE_RUN.finditer(text):
        repaired = _unmojibake(m.group())
        if repaired:
            flags.append(Flag("encoding-damage", span=m.group(), value=repaired,
                              sentence=sentence))
    return flags


def _unmojibake(run: str) -> str:
    """The UTF-8 text a cp1252 misreading came from, or '' if it is not one."""
    try:
        return run.encode("cp1252").decode("utf-8")
    except UnicodeError:
        return ""


# --- wire metadata: datelines, captions, bylines ---------------------------------

MONTHS = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
AGENCY = r"[A-Z][A-Za-z ./]{1,30}"
DATELINES = [
    # 新華社上海7月26日電(記者王慧慧、龔雯) / 本報北京7月26日訊: agency and place,
    # date, 電/訊 ("wired"), then optionally the reporters in brackets.
    re.compile(rf"^[{HAN}]{{0,12}}?\d{{1,2}}月\d{{1,2}}日[電电訊讯]"
               r"(?:\s*[(（][^()（）]{1,40}[)）])?"),
    re.compile(r"^本[報报]訊(?:\s*[(（][^()（）]{1,40}[)）])?"),
    # BEIJING, July 26 (Xinhua) --   /   UNITED NATIONS, Sept. 25 (Xinhua) --
    # A date or an agency is required: "AI -- the future" is no dateline.
    re.compile(rf"^[A-Z][A-Z.' ]{{2,40}}(?:, [A-Z][A-Za-z.' ]{{1,30}})?"
               rf"(?:, {MONTHS} \d{{1,2}}(?:, \d{{4}})?(?: \({AGENCY}\))?|(?: \({AGENCY}\)))"
               r"\s*(?:--|—|–)"),
    # The scraped " date 2025-07-27 " prefix of a web page, and a paragraph
    # that is only a timestamp ("2024-07-04 22:50").
    re.compile(r"^date\s+\d{4}-\d{2}-\d{2}\b"),
    re.compile(r"^\d{4}-\d{2}-\d{2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$"),
]
# A Chinese photo caption ends with the photographer's credit, bare or in
# brackets: 新華社記者 王曄 攝, （王晔 摄）. 攝 ("shot by") makes it a photo
# credit rather than a reporter's byline; the word 記者 or a space before 攝
# tells it from a sentence ending in 拍攝 ("filmed").
ZH_NAMES = rf"[{HAN}·]{{2,5}}(?:\s*[、\s]\s*[{HAN}·]{{2,5}})*"
ZH_AGENCIES = "新華社|新华社|中新社|人民日報|人民日报|本報|本报|中國日報|中国日报"
ZH_PHOTO_BYLINE = re.compile(
    rf"[(（]?(?:(?:{ZH_AGENCIES})?(?:記者|记者|通訊員|通讯员)\s*{ZH_NAMES}\s*|{ZH_NAMES}\s+)"
    r"[攝摄][)）]?$"
)
# English captions end with a credit in brackets: [Photo/Xinhua],
# [Photo by Wang Ye/China Daily], (Xinhua/Wang Ye), (Photo: Xinhua).
EN_PHOTO_BYLINE = re.compile(
    r"(?:\[Photo(?: by [^\]/]{1,40})?/[^\]]{1,40}\]|\((?:Photo: ?)?Xinhua/[^)]{1,40}\)"
    r"|\(Photo: [^)]{1,40}\))$"
)
# ... or start by saying they are one.
EN_CAPTION_START = re.compile(r"^(?:Photo:|(?:This |A )?(?:photo|file photo) taken on\b)", re.IGNORECASE)


def split_metadata(paragraph: str) -> list[tuple[str, str]]:
    """Cut a paragraph into ``(text, kind)`` pieces, in order, none dropped.

    ``kind`` is ``"dateline"`` or ``"byline"`` for a piece that is one
    sentence of metadata, ``"caption"`` for caption text still to be split
    into sentences, and ``""`` for ordinary body text. A dateline is only
    looked for at the start of a paragraph and a byline at its end, where
    wire copy puts them.
    """
    pieces: list[tuple[str, str]] = []
    rest = paragraph.strip()
    dateline = _match_dateline(rest)
    if dateline:
        pieces.append((dateline, "dateline"))
        rest = rest[len(dateline):].strip()
    byline = ZH_PHOTO_BYLINE.search(rest) or EN_PHOTO_BYLINE.search(rest)
    if byline:
        body = rest[:byline.start()].strip()
        pieces += [(body, "caption"), (byline.group().strip(), "byline")]
    elif EN_CAPTION_START.match(rest):
        pieces.append((rest, "caption"))
    else:
        pieces.append((rest, ""))
    return [(text, kind) for text, kind in pieces if text]


def _match_dateline(text: str) -> str:
    for pattern in DATELINES:
        m = pattern.match(text)
        if m:
            return m.group().strip()
    return ""
