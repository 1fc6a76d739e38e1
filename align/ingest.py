"""From a user's file to a :class:`~align.model.Document`.

``load_document`` = :func:`read_text` (bytes → text: encoding, format,
sanity checks) + :func:`document_from_text` (text → paragraphs → sentences,
normalised and flagged). The app calls ``document_from_text`` directly for
uploads and pasted text. Every problem with the input is an
:class:`~align.errors.InputError` naming the file.
"""

from __future__ import annotations

import codecs
import re
from functools import cache
from pathlib import Path

import charset_normalizer
import py3langid
from lxml import etree, html
from markdown_it import MarkdownIt

from align.errors import InputError
from align.model import Document, Flag, Sentence, is_chinese, primary_language, spaceless
from align.normalise import HAN_CHAR, damage_flags, normalise, split_metadata, strip_pinyin
from align.segment import MAX_SENTENCE_CHARS, OVERLONG, cut_overlong, split_sentences

MAX_FILE_BYTES = 50 * 1024 * 1024
# Prose has paragraphs; a longer line is a minified dump, a table exported
# as one row, or a binary that happened to decode.
MAX_LINE_CHARS = 1_000_000

# --- bytes → str ---------------------------------------------------------------

# Longest first: the UTF-32 LE BOM begins with the UTF-16 LE one.
BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]
# Formats people try to load that are not text, by their first bytes.
MAGIC = {b"%PDF": "a PDF", b"PK\x03\x04": "a ZIP archive (e.g. .docx, .epub)",
         b"\xd0\xcf\x11\xe0": "an old Office document (.doc)", b"{\\rtf": "an RTF document"}
# Text files that are not prose: aligned as read, their markup would become sentences.
STRUCTURED = {".tmx": "a TMX translation memory", ".xlf": "an XLIFF file",
              ".xliff": "an XLIFF file", ".json": "a JSON file (an alignment opens in the review app)",
              ".jsonl": "a JSON Lines file", ".xml": "an XML file"}
# UTF-16 without a BOM: ASCII characters give a NUL in every other byte, so
# most NULs sit at even offsets (big-endian) or odd ones (little-endian).
MIN_UTF16_NUL_PARITY = 0.9
# Legacy Chinese encodings, most used first. Big5 bytes also decode as
# GB18030 and short GBK text often decodes as Big5, so decoding is not enough:
# see _cjk_plausibility. cp950 is Windows' Big5, big5hkscs Hong Kong's.
CJK_ENCODINGS = ("gb18030", "cp950", "big5hkscs")
# Share of non-ASCII characters that must be common Han or CJK punctuation for
# a legacy CJK decoding to be believed; right decodings of the seed score
# above 0.95, wrong ones (Big5 read as GBK and vice versa) below 0.7.
MIN_CJK_PLAUSIBILITY = 0.85
# UTF-8 with a few corrupt bytes is still UTF-8: with at least this many valid
# multi-byte characters per bad byte it is decoded with U+FFFD, which
# normalise then flags as encoding damage instead of rejecting the file.
MIN_UTF8_GOOD_PER_BAD = 20
# Control characters (other than tab, newlines, form feed) beyond this share
# mean binary data, whatever decoder accepted it.
MAX_CONTROL_SHARE = 0.01
NON_ASCII = re.compile("[^\x00-\x7f]")
CONTROL_CHAR = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
# Plausibility is judged on this much decoded text: enough for a verdict,
# cheap on a 50 MB file.
PLAUSIBILITY_SAMPLE_CHARS = 20_000
# CJK punctuation and full-width forms commonly found in Chinese prose, and
# the tone-marked vowels of pinyin, which GBK and HKSCS also encode.
CJK_PUNCTUATION = set("。，、；：？！“”‘’（）《》〈〉「」『』【】…—·～　．％")
PINYIN_VOWELS = set("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü")
# cp1252 text: at least this share of its non-ASCII characters are letters or
# typographic punctuation, and at most this share of its letters are accented
# (French has about 4%, German 2%).
MIN_WESTERN_PLAUSIBILITY = 0.95
MAX_ACCENTED_SHARE = 0.3
WESTERN_PUNCTUATION = set("‘’‚“”„–—…€•«»°·©®™§¿¡\xa0")


def read_text(path: str | Path) -> str:
    """Read and decode a .txt, .md or .html file into plain text.

    Paragraphs come out one per line, separated by blank lines for Markdown
    and HTML. Raises InputError for a missing, empty, binary, undecodable or
    oversized file.
    """
    path = Path(path)
    data = _read_bytes(path)
    text = decode_bytes(data, str(path))
    if _control_share(text) > MAX_CONTROL_SHARE:
        raise InputError(str(path), "binary data, not text")
    if _is_html(path, text):
        text = html_to_text(text)
    elif path.suffix.lower() in (".md", ".markdown"):
        text = markdown_to_text(text)
    if not text.strip():
        raise InputError(str(path), "no text in the file (it is empty or only whitespace/markup)")
    longest = max(len(line) for line in text.splitlines())
    if longest > MAX_LINE_CHARS:
        raise InputError(str(path), f"a file of one huge line: a line of {longest:,} characters "
                                    f"(limit {MAX_LINE_CHARS:,}); put each paragraph on its own line")
    return text


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise InputError(str(path), "no such file")
    if path.is_dir():
        raise InputError(str(path), "is a directory, not a file")
    if path.suffix.lower() in STRUCTURED:
        raise InputError(str(path), f"this is {STRUCTURED[path.suffix.lower()]}, not a text to "
                                    "align: give the text as .txt, .md or .html")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(str(path), f"file too large: {size / 2**20:.0f} MB "
                                    f"(limit {MAX_FILE_BYTES // 2**20} MB); split it")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(str(path), f"cannot read: {e.strerror or e}") from e
    if not data:
        raise InputError(str(path), "file is empty")
    for magic, name in MAGIC.items():
        if data.startswith(magic):
            raise InputError(str(path), f"this is {name}, not text: save it as .txt, .md or .html")
    return data


def decode_bytes(data: bytes, where: str = "<bytes>") -> str:
    """Decode text whose encoding is not declared.

    Order: a BOM; UTF-16 recognised by its NULs; strict UTF-8 (by far the
    most common, and random bytes almost never pass it), or UTF-8 with a few
    corrupt bytes; the legacy Chinese encodings and then cp1252, each judged
    by how plausible the text it gives is; then charset-normalizer for
    everything else (cp1250, Shift_JIS, KOI8-R, ...).
    """
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return _decode_strict(data[len(bom):], encoding, where)
    if b"\x00" in data:
        try:
            return data.decode(_utf16_without_bom(data, where))
        except UnicodeDecodeError:
            # A few NULs that happen to share a parity, in bytes that are not UTF-16
            # (compressed data, images): binary, not damaged text.
            raise InputError(where, "binary data, not text (it contains NUL bytes and is not "
                                    "UTF-16)") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        first_bad = e.start
    text = _decode_damaged_utf8(data) or _decode_legacy_cjk(data) or _decode_western(data) \
        or _charset_normalizer(data)
    if text is None:
        raise InputError(where, "cannot decode the text in any known encoding (not UTF-8: "
                                f"bad byte at offset {first_bad}); save it as UTF-8")
    return text


def _decode_strict(data: bytes, encoding: str, where: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        raise InputError(where, f"not valid {encoding.upper()} (bad bytes at offset {e.start})") \
            from e


def _utf16_without_bom(data: bytes, where: str) -> str:
    even = data[0::2].count(0)
    odd = data.count(0) - even
    if even >= MIN_UTF16_NUL_PARITY * (even + odd):
        return "utf-16-be"
    if odd >= MIN_UTF16_NUL_PARITY * (even + odd):
        return "utf-16-le"
    raise InputError(where, "binary data, not text (it contains NUL bytes)")


def _decode_legacy_cjk(data: bytes) -> str | None:
    """The most plausible decoding among the legacy Chinese encodings, if any."""
    best, best_score = None, MIN_CJK_PLAUSIBILITY
    for encoding in CJK_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = _cjk_plausibility(text)
        if score > best_score:
            best, best_score = text, score
    return best


def _cjk_plausibility(text: str) -> float:
    """Share of non-ASCII characters that are common Chinese characters or punctuation.

    A wrong decoding of GBK or Big5 bytes gives rare characters, kana, Greek,
    box drawing or private-use code points; a right one gives mostly the few
    thousand characters that make up nearly all running text.
    """
    non_ascii = NON_ASCII.findall(text[:PLAUSIBILITY_SAMPLE_CHARS])
    if not non_ascii:
        return 0.0
    plausible = sum(c in CJK_PUNCTUATION or c in PINYIN_VOWELS or _is_common_han(c)
                    for c in non_ascii)
    return plausible / len(non_ascii)


@cache
def _is_common_han(char: str) -> bool:
    """In GB2312 level 1 (3,755 most frequent Simplified characters) or Big5's
    5,401 "frequently used" characters: the standards' own frequency lists."""
    try:
        gb = char.encode("gb2312")
        if len(gb) == 2 and 0xB0 <= gb[0] <= 0xD7:
            return True
    except UnicodeEncodeError:
        pass
    try:
        big5 = char.encode("big5")
        return len(big5) == 2 and 0xA440 <= int.from_bytes(big5, "big") <= 0xC67E
    except UnicodeEncodeError:
        return False


def _decode_western(data: bytes) -> str | None:
    """cp1252 (what "Latin-1" files really are) if it gives Western European text.

    charset-normalizer cannot tell cp1252 from cp1250 on a short French text
    (très → trčs). Real Western text is mostly ASCII letters with a few
    accented ones; Cyrillic or Greek bytes read as cp1252 give nearly all
    accented letters, and Central European ones give symbols (ł → ³).
    """
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    sample = text[:PLAUSIBILITY_SAMPLE_CHARS]
    non_ascii = NON_ASCII.findall(sample)
    letters = sum(1 for c in sample if c.isalpha())
    western = sum(1 for c in non_ascii if c.isalpha() or c in WESTERN_PUNCTUATION)
    if western < MIN_WESTERN_PLAUSIBILITY * len(non_ascii) \
            or len(non_ascii) > MAX_ACCENTED_SHARE * letters:
        return None
    return text


def _charset_normalizer(data: bytes) -> str | None:
    """charset-normalizer's best guess, UTF-16/32 excluded: without NUL bytes
    (checked before) a text file is not UTF-16, whatever short input suggests."""
    matches = [m for m in charset_normalizer.from_bytes(data) if not m.encoding.startswith("utf")]
    return str(matches[0]) if matches else None


def _decode_damaged_utf8(data: bytes) -> str | None:
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = len(NON_ASCII.findall(text)) - bad
    return text if good >= MIN_UTF8_GOOD_PER_BAD * bad else None


def _control_share(text: str) -> float:
    return len(CONTROL_CHAR.findall(text)) / max(len(text), 1)


# --- markup → text --------------------------------------------------------------

HTML_START = re.compile(r"\s*(?:<!doctype html|<html)", re.IGNORECASE)
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# Not content: scripts, styles, menus, and the <head> (its <title> repeats the
# first heading).
HTML_DROP = {"script", "style", "nav", "noscript", "template", "head", "svg", "iframe", "button",
             "select", "form"}
HTML_BLOCKS = {"address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
               "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
               "hr", "li", "main", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul"}
PARAGRAPH_BREAK = "\x00"
# A line break inside a paragraph is a space in English but nothing between
# two Chinese characters, which are written without spaces.
WRAP_BETWEEN_HAN = re.compile(r"(?<=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef])\s*\n\s*"
                              r"(?=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef])")
FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)


def _is_html(path: Path, text: str) -> bool:
    return path.suffix.lower() in (".html", ".htm", ".xhtml") or bool(HTML_START.match(text))


def html_to_text(markup: str) -> str:
    """Visible text of an HTML page, one paragraph per block element."""
    markup = XML_DECLARATION.sub("", markup)
    if not markup.strip():
        return ""
    try:
        root = html.document_fromstring(markup)
    except (etree.ParserError, ValueError):
        return ""
    pieces: list[str] = []
    _collect_text(root, pieces)
    paragraphs = (_join_wrapped(p) for p in "".join(pieces).split(PARAGRAPH_BREAK))
    return "\n\n".join(p for p in paragraphs if p)


def _collect_text(element: etree._Element, pieces: list[str]) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""  # comments have no tag name
    if tag and tag not in HTML_DROP:
        block = tag in HTML_BLOCKS
        pieces.append(PARAGRAPH_BREAK if block else "")
        pieces.append(element.text or "")
        for child in element:
            _collect_text(child, pieces)
        pieces.append(PARAGRAPH_BREAK if block else "")
    pieces.append(element.tail or "")


def _join_wrapped(paragraph: str) -> str:
    """One line per paragraph: hard wraps joined, whitespace runs collapsed."""
    paragraph = WRAP_BETWEEN_HAN.sub("", paragraph.strip())
    return " ".join(paragraph.split())


def markdown_to_text(source: str) -> str:
    """Markdown without its markup (headings, emphasis, links, code fences).

    Rendered with markdown-it (CommonMark) and read back as HTML, so every
    construct is handled the way Markdown tools display it.
    """
    source = FRONT_MATTER.sub("", source)
    return html_to_text(MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(source))


# --- language -------------------------------------------------------------------------

KANA = re.compile("[\u3040-\u30ff]")
HANGUL = re.compile("[\uac00-\ud7af\u1100-\u11ff]")
# Japanese writes most content words in Han characters but always has kana
# around them; Chinese has none.
MIN_KANA_SHARE = 0.1
# How much text the script count and the statistical identifier look at;
# more only costs time.
SCRIPT_SAMPLE_CHARS = 100_000
LANGID_SAMPLE_CHARS = 5000
UNDETERMINED = "und"
LANGUAGE_NAMES = {"zh": "Chinese", "ja": "Japanese", "ko": "Korean", "en": "English",
                  "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
                  "ru": "Russian", "pt": "Portuguese", "nl": "Dutch"}

def detect_lang(text: str) -> str:
    """ISO 639-1 code of the text's language ("und" if it has no letters).

    Scripts decide Chinese, Japanese and Korean (statistical identifiers are
    needlessly unreliable there, and Chinese with pinyin glosses has plenty
    of Latin letters); py3langid, offline and deterministic, decides the rest.
    """
    letters = [c for c in text[:SCRIPT_SAMPLE_CHARS] if c.isalpha()]
    if not letters:
        return UNDETERMINED
    han = sum(1 for c in letters if HAN_CHAR.match(c))
    kana = sum(1 for c in letters if KANA.match(c))
    hangul = sum(1 for c in letters if HANGUL.match(c))
    if kana >= MIN_KANA_SHARE * len(letters):
        return "ja"
    if hangul > len(letters) / 2:
        return "ko"
    if han > len(letters) / 2:
        return "zh"
    lang, _ = py3langid.classify(text[:LANGID_SAMPLE_CHARS])
    return lang


@cache
def known_languages() -> frozenset[str]:
    """ISO 639-1 codes of the ~100 languages py3langid knows (its list is only on its identifier)."""
    return frozenset(py3langid.langid._get_identifier()._full_model[2]) | set(LANGUAGE_NAMES)


def _check_lang(text: str, lang: str, where: str) -> str:
    """The primary language subtag (zh-TW → zh), if the script agrees with it."""
    if not re.fullmatch(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*", lang):
        raise InputError(where, f"not a language code: {lang!r} (use e.g. zh, en, de)")
    lang = primary_language(lang)
    if lang not in known_languages():
        raise InputError(where, f"unknown language code: {lang!r} (use e.g. zh, en, de)")
    name = LANGUAGE_NAMES.get(lang, lang)
    if is_chinese(lang) and not HAN_CHAR.search(text):
        raise InputError(where, "expected Chinese text but found none (no Chinese characters)")
    if not spaceless(lang) and is_chinese(detect_lang(text)):
        raise InputError(where, f"expected {name} text but found Chinese")
    return lang


# --- text → Document --------------------------------------------------------------------


def document_from_text(text: str, lang: str, path: str = "", presplit: bool = False) -> Document:
    """Split text into flagged, normalised sentences.

    A paragraph is a non-blank line. With ``presplit`` every non-blank line is
    one sentence exactly as given, only trimmed and with pinyin glosses
    removed (the one-sentence-per-line format of gold sets), and blank lines
    separate paragraphs. ``path`` is only recorded, and named in errors.
    """
    where = path or "<text>"
    if not text.strip():
        raise InputError(where, "no text")
    lang = _check_lang(text, lang, where)
    pieces = _presplit_pieces(text, where) if presplit else _segmented_pieces(text, lang)
    sentences = []
    for i, (sentence_text, paragraph, kinds) in enumerate(pieces):
        flags = [Flag(kind, sentence=i) for kind in kinds]
        flags += damage_flags(sentence_text, sentence=i)
        sentences.append(Sentence(id=i, text=sentence_text, norm=normalise(sentence_text, lang),
                                  paragraph=paragraph, flags=flags))
    return Document(lang=lang, path=path, sentences=sentences)


def load_document(path: str | Path, lang: str | None = None, presplit: bool = False) -> Document:
    """Read a file and split it into sentences; ``lang`` is detected if not given."""
    text = read_text(path)
    if lang is None:
        lang = detect_lang(text)
        if lang == UNDETERMINED:
            raise InputError(str(path), "no letters in the file: cannot tell its language")
    return document_from_text(text, lang, str(path), presplit)


Piece = tuple[str, int, list[str]]  # sentence text, paragraph index, flag kinds


def _segmented_pieces(text: str, lang: str) -> list[Piece]:
    paragraphs = [strip_pinyin(line).strip() for line in text.splitlines() if line.strip()]
    pieces: list[Piece] = []
    for p, paragraph in enumerate(paragraphs):
        for chunk, kind in split_metadata(paragraph):
            if kind in ("dateline", "byline"):
                pieces.append((chunk, p, [kind]))
            else:
                for sentence in split_sentences(chunk, lang):
                    cut = cut_overlong(sentence)
                    kinds = ([kind] if kind else []) + ([OVERLONG] if len(cut) > 1 else [])
                    pieces += [(piece, p, kinds) for piece in cut]
    return pieces


# A line of a one-sentence-per-line file is kept whole, however long (cutting it would
# renumber every sentence after it, and gold sets count lines), up to this: ten times
# the longest sentence segmentation leaves, where jieba takes seconds a line.
MAX_PRESPLIT_CHARS = 10 * MAX_SENTENCE_CHARS


def _presplit_pieces(text: str, where: str) -> list[Piece]:
    pieces: list[Piece] = []
    paragraph, after_blank = 0, False
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            after_blank = bool(pieces)
            continue
        if after_blank:
            paragraph, after_blank = paragraph + 1, False
        sentence = strip_pinyin(line).strip()
        if len(sentence) > MAX_PRESPLIT_CHARS:
            raise InputError(where, f"line {number} is {len(sentence):,} characters long; one "
                                    f"sentence per line allows {MAX_PRESPLIT_CHARS:,}")
        pieces.append((sentence, paragraph, _whole_line_kinds(sentence)))
    return pieces


def _whole_line_kinds(line: str) -> list[str]:
    """Flags for a line that must not be cut: only a line that is all metadata
    (a caption, a lone dateline or byline) is flagged, because a flagged
    sentence is left out of alignment, and a dateline glued to a real
    sentence must not take that sentence with it."""
    kinds = [kind for _, kind in split_metadata(line)]
    if "caption" in kinds:
        return ["caption"]
    if kinds in (["dateline"], ["byline"]):
        return kinds
    return []
