"""Claims inside matched pairs: numbers, dates and percentages one side states alone.

Translators and fact-checkers want to know where a pair disagrees on a figure:
the English says "40 countries" and the Chinese says nothing of the kind, or
the Chinese gives a date the English leaves out. Sentences with no counterpart
at all are already reported by the aligner; this module looks inside beads.

Every quantity gets a normalised ``value`` so that different spellings of the
same figure compare equal:

* numbers: ``1,000`` = ``1 000`` = ``1000`` = ``一千`` → ``1000``;
  ``1.2 million`` = ``120万`` → ``1200000``; ``three-day`` → ``3``;
* percentages: ``12.5%`` = ``12.5 percent`` = ``百分之十二点五`` → ``12.5%``;
* dates, ISO 8601 with missing parts truncated: ``2025-07-26``,
  ``2025-07``, ``07-26`` (month-day), ``--07`` (month), ``---26`` (day),
  and a year ``2030年`` → ``2030``, the same value as the number ``2030``.

Precision comes first, because every false flag costs a fact-checker a look:
the value 1 is never a claim (``a``/``an``, ``one of``, ``first``, ``一些``,
``統一``, ``進一步`` make it hopelessly ambiguous), enumeration markers
(``三是``, ``Second,``), idioms (``千家萬戶``) and approximations
(``數千``) are skipped, and a Chinese numeral written in characters only
counts when a measure word follows it, the way Chinese counts things
(``三點建議``, ``兩國``), which also rules out names like ``四川``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import cn2an

from align.model import Alignment, Document, Flag, Pair, Sentence, is_chinese
from align.normalise import to_simplified

ONLY_IN = {"src": "number-only-in-source", "tgt": "number-only-in-target"}
# A figure missing from the pair that the other document states in another sentence.
ELSEWHERE = "number-elsewhere"
FIGURE_FLAGS = (*ONLY_IN.values(), ELSEWHERE)

# "a"/"an" translate 一 and "one", "first" and 第一 are everywhere as pronouns
# and idioms: a value of 1 would mostly flag articles.
NEVER_A_CLAIM = "1"

# Full-width digits, letters and signs (０-９, ％) map one-to-one onto ASCII,
# so offsets stay valid; the ideographic space becomes a plain space.
FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

# Group separators are commas or a (thin, no-break) space between groups of
# exactly three digits, so "1 000" is a thousand while "2025 100" is two numbers.
DIGITS = r"\d{1,3}(?:[,\u0020\u00a0\u2009\u202f]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# Digits glued to Latin letters are names, not figures (G20, COVID-19, 5G,
# 3D), and digits around a colon are a clock time (22:50), not two numbers.
DIGITS_START = r"(?<![A-Za-z\d.])(?<![A-Za-z]-)(?<!\d,)(?<!\d:)"
DIGITS_END = r"(?!\d|[.,:]\d|[A-Za-z])"
MAX_DAY = 31
MAX_MONTH = 12
# Four-digit numbers in this range may be years: "the 2030 Agenda" names the
# same year as "2030年", and "2025" covers "2025年7月26日"'s year.
YEARS = range(1000, 3000)
SENTENCE_START = re.compile(r"[\s(（\[]*")
# "1." "2、" "(3)" opening a sentence number a list, they count nothing.
LIST_MARKER_END = (".", "、", ")", "）")
# 第二， and "Second," open the second point of a list.
ORDINAL_MARKER_END = ("，", ",", "、", "：", ":")


@dataclass(frozen=True)
class Quantity:
    """A figure as written (``span``, offsets into the text) and its normalised ``value``.

    ``kind`` is ``number``, ``percent`` or ``date`` (years written ``2030年``
    are dates; a bare ``2030`` is a number with the same value). An English
    span includes the hyphenated unit or the noun counted (``three-day``,
    ``40 countries``), a Chinese one its 多/余 and measure word (``1000多人``).
    """

    span: str
    value: str
    kind: str
    start: int
    end: int


# --- shared helpers ------------------------------------------------------------


def _decimal_text(d: Decimal) -> str:
    """``1.2E+6`` → ``1200000``, ``12.50`` → ``12.5``: one spelling per value."""
    return format(d.normalize(), "f")


def _digits(s: str) -> Decimal:
    return Decimal(re.sub(r"[,\s\u00a0\u2009\u202f]", "", s))


def _date(y: int | None, m: int | None, d: int | None) -> str | None:
    """ISO 8601 with missing parts truncated, or None for an impossible date."""
    if (m is not None and not 1 <= m <= MAX_MONTH) or (d is not None and not 1 <= d <= MAX_DAY):
        return None
    if y is not None:
        return "-".join([f"{y:04d}"] + [f"{x:02d}" for x in (m, d) if x is not None])
    if m is not None:
        return f"{m:02d}-{d:02d}" if d is not None else f"--{m:02d}"
    return f"---{d:02d}"


def _is_list_marker(work: str, start: int, end: int) -> bool:
    """Digits at ``work[start:end]`` open the sentence as a list number ("1.")."""
    return (SENTENCE_START.fullmatch(work[:start]) is not None
            and work[end:end + 1] in LIST_MARKER_END)


def _mask(work: str, pattern: re.Pattern[str]) -> str:
    """Blank out fixed words, keeping every offset."""
    return pattern.sub(lambda m: "_" * len(m.group()), work)


Handler = Callable[[re.Match[str], str], tuple[int, str, str] | None]


def _scan(work: str, grammar: re.Pattern[str],
          handlers: dict[str, Handler]) -> list[tuple[int, int, str, str]]:
    """Run one language's grammar; each top-level group names its handler.

    A handler returns ``(end, value, kind)`` or None to reject the match (an
    idiom, a marker); alternatives are tried left to right at each position,
    so dates win over the bare numbers inside them.
    """
    found = []
    for m in grammar.finditer(work):
        result = handlers[m.lastgroup](m, work)
        if result is not None and result[1] != NEVER_A_CLAIM:
            end, value, kind = result
            found.append((m.start(), end, value, kind))
    return found


# --- Chinese -----------------------------------------------------------------------

# Fixed words whose numerals count nothing (Simplified, as matched): "all
# trades" (千行百业), "every household" (千家万户), "in case" (万一), "very"
# (十分), "the people" (百姓), "cross-Strait" (两岸, usually no "two" in English).
ZH_IDIOMS = (
    "千行百业", "千家万户", "千方百计", "千变万化", "千差万别", "千军万马", "千丝万缕",
    "千载难逢", "千真万确", "成千上万", "万一", "万物", "万众", "万象", "万事", "万无一失",
    "万分", "万岁", "万里长城", "百姓", "百花齐放", "百家争鸣", "百业", "百折不挠", "百尺竿头",
    "百分百", "十分", "十足", "十全十美", "三心二意", "四面八方", "五湖四海", "五花八门",
    "七上八下", "七嘴八舌", "乱七八糟", "九死一生", "一五一十", "独一无二", "一举两得",
    "两全其美", "数一数二", "三番五次", "三番两次", "再三", "两岸", "两者", "九州",
)
ZH_IDIOM = re.compile("|".join(ZH_IDIOMS))
ZH_DIGIT = "〇零一二三四五六七八九两"
ZH_NUMERAL = rf"[{ZH_DIGIT}十百千万亿]+(?:点[{ZH_DIGIT}]+)?"
# Two neighbouring digits give a range, "two or three" (两三个, 十七八岁), and
# 两 after a digit or 十/百 is the old weight unit tael (五十两银子 is 50
# taels, not 52; 两 leads only a number or a group after 千/万/亿: 一万两千).
# Both are rejected whole, so that no part of them is read as a figure.
ZH_RANGE_OR_TAEL = re.compile("[一二三四五六七八九两]{2}|(?<=[〇零十百])两")
ZH_SCALE = {"十": 10, "百": 100, "千": 1000, "万": 10**4, "亿": 10**8}
# Measure words and units a counted numeral is followed by. 成 (tenths: 三成
# = 30%) is left out on purpose: its value would not match "30 percent".
ZH_UNIT = (
    "(?:小时|分钟|公里|平方|美元|欧元|英镑|日元|港元|季度|方面|周年|百分点|"
    "[个位名人项点条次年月日天周届国家所座场轮批种类份件部本篇架台辆艘岁倍层级步代期"
    "章支组方大地省市县区城例户款套颗枚张只头句段首门节元吨米克度股笔队洲侧端会])"
)
ZH_GRAMMAR = re.compile(
    # 2025年7月26日, 2030年, 7月26日, 七月, 26日 (a lone day only in digits:
    # 十日 is as often "ten days").
    rf"(?P<zh_date>(?<!\d)(?P<y>\d{{4}}|[〇零一二三四五六七八九]{{4}})年"
    rf"(?:(?P<m>\d{{1,2}}|十[一二]?|[一二三四五六七八九])月"
    rf"(?:(?P<d>\d{{1,2}}|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])[日号])?)?"
    rf"|(?<!\d)(?P<m2>\d{{1,2}}|十[一二]?|[一二三四五六七八九])月"
    rf"(?:(?P<d2>\d{{1,2}}|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])[日号])?"
    rf"|{DIGITS_START}(?P<d3>\d{{1,2}})[日号])"
    rf"|(?P<zh_ordinal>第(?P<ord>\d+|[{ZH_DIGIT}十百千]+){ZH_UNIT}?)"
    rf"|(?P<zh_percent>百分之(?P<pct_zh>{ZH_NUMERAL})|{DIGITS_START}(?P<pct>{DIGITS})\s*%)"
    rf"|(?P<zh_digits>{DIGITS_START}(?P<num>{DIGITS}){DIGITS_END}(?P<num_scale>[十百千万亿]*)"
    rf"[多余]?{ZH_UNIT}?)"
    rf"|(?P<zh_numeral>(?P<approx>[数几])?(?P<numeral>{ZH_NUMERAL})[多余]?(?P<unit>{ZH_UNIT})?)"
)


def _zh_numeral(s: str) -> Decimal | None:
    """cn2an's reading of a Chinese numeral; None for a run that is not one (十四五).

    cn2an wants a leading digit before a bare scale (千 → 一千) and reads
    the all-digit style 二〇三〇 as 2030.
    """
    if s[0] in ZH_SCALE and s[0] != "十":
        s = "一" + s
    try:
        return Decimal(str(cn2an.cn2an(s, "normal")))
    except ValueError:
        return None


def _zh_int(s: str | None) -> int | None:
    if s is None:
        return None
    if s.isdigit():
        return int(s)
    value = _zh_numeral(s)
    return None if value is None else int(value)


def _zh_date(m: re.Match[str], work: str):
    y = _zh_int(m["y"])
    month = _zh_int(m["m"] or m["m2"])
    day = _zh_int(m["d"] or m["d2"] or m["d3"])
    value = _date(y, month, day)
    return None if value is None else (m.end(), value, "date")


def _zh_ordinal(m: re.Match[str], work: str):
    """第三届 is 3; 第二， opens the second point of a list and counts nothing."""
    if work[m.end("ord"):m.end("ord") + 1] in ORDINAL_MARKER_END:
        return None
    value = _zh_int(m["ord"])
    return None if value is None else (m.end(), str(value), "number")


def _zh_percent(m: re.Match[str], work: str):
    value = _zh_numeral(m["pct_zh"]) if m["pct_zh"] else _digits(m["pct"])
    return None if value is None else (m.end(), _decimal_text(value) + "%", "percent")


def _zh_digits(m: re.Match[str], work: str):
    """``1000多人`` → 1000, ``120万`` → 1200000: the number, its scale, 多, a unit."""
    if _is_list_marker(work, m.start(), m.end("num")):
        return None
    value = _digits(m["num"])
    for scale in m["num_scale"]:
        value *= ZH_SCALE[scale]
    return m.end(), _decimal_text(value), "number"


def _zh_numeral_quantity(m: re.Match[str], work: str):
    """A numeral in characters counts only with a measure word after it.

    That rejects enumeration (三是), names (四川) and most idioms; 数千 or
    几十 ("several thousand", "dozens") and ranges are not figures at all.
    """
    if m["approx"] or not m["unit"] or ZH_RANGE_OR_TAEL.search(m["numeral"]):
        return None
    value = _zh_numeral(m["numeral"])
    return None if value is None else (m.end(), _decimal_text(value), "number")


ZH_HANDLERS = {
    "zh_date": _zh_date,
    "zh_ordinal": _zh_ordinal,
    "zh_percent": _zh_percent,
    "zh_digits": _zh_digits,
    "zh_numeral": _zh_numeral_quantity,
}


# --- English -----------------------------------------------------------------------

EN_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
EN_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
EN_SCALES = {"hundred": 100, "thousand": 10**3, "million": 10**6, "billion": 10**9,
             "trillion": 10**12}
EN_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17,
    "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "thirtieth": 30, "fortieth": 40,
    "fiftieth": 50, "sixtieth": 60, "seventieth": 70, "eightieth": 80, "ninetieth": 90,
    "hundredth": 100, "thousandth": 1000,
}
EN_ORDINAL_SCALES = {"hundredth": "hundred", "thousandth": "thousand"}
EN_NUMBER_WORD = "|".join(sorted({**EN_UNITS, **EN_TENS, **EN_SCALES, **EN_ORDINALS},
                                 key=len, reverse=True))
EN_MONTH_NAMES = {
    "January": 1, "February": 2, "March": 3, "April": 4, "May": 5, "June": 6, "July": 7,
    "August": 8, "September": 9, "October": 10, "November": 11, "December": 12,
}
EN_MONTH_ABBREVIATIONS = {
    "Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "Jun": 6, "Jul": 7, "Aug": 8, "Sep": 9,
    "Sept": 9, "Oct": 10, "Nov": 11, "Dec": 12,
}
EN_MONTHS = EN_MONTH_NAMES | EN_MONTH_ABBREVIATIONS
# Case-sensitive: "march" and "may" in lower case are a verb and a modal.
EN_MONTH = "|".join(sorted(EN_MONTHS, key=len, reverse=True))
# A month name alone is a date only when it cannot be a sentence-initial
# modal or an abbreviation of something else: "May" needs a day, a year or
# one of these words before it ("in May"); "Mar", "Dec" need a day or year.
MAY_BEFORE = re.compile(r"\b(?:in|since|until|till|by|early|late|mid|last|next|this|of)\s+$",
                        re.IGNORECASE)
EN_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?!\d)"
EN_GRAMMAR = re.compile(
    r"(?P<en_iso>(?<![\d-])(?P<iso_y>\d{4})-(?P<iso_m>\d{2})-(?P<iso_d>\d{2})(?![\d-]))"
    rf"|(?P<en_month_first>\b(?P<mon1>{EN_MONTH})\b\.?"
    rf"(?:\s+(?P<day1>{EN_DAY})(?:st|nd|rd|th)?\b)?(?:,?\s+(?P<yr1>\d{{4}})\b)?)"
    rf"|(?P<en_day_first>{DIGITS_START}(?P<day2>{EN_DAY})(?:st|nd|rd|th)?\s+(?:of\s+)?"
    rf"(?P<mon2>{EN_MONTH})\b\.?(?:,?\s+(?P<yr2>\d{{4}})\b)?)"
    rf"|(?P<en_ordinal>{DIGITS_START}(?P<ordd>\d+)(?:st|nd|rd|th)\b)"
    rf"|(?P<en_digits>{DIGITS_START}(?P<num>{DIGITS}){DIGITS_END}"
    rf"(?:\s+(?P<scale>{'|'.join(EN_SCALES)})\b)?(?P<pct>\s*%|\s+per\s?cent\b)?)"
    # Number words may open a sentence ("Forty countries ..."): any case.
    rf"|(?P<en_words>\b(?P<words>(?i:{EN_NUMBER_WORD})(?:(?:\s+|-)(?i:{EN_NUMBER_WORD}))*)\b"
    rf"(?P<wpct>\s+per\s?cent\b)?)"
)
# After a figure, a hyphenated unit is part of it (three-day, 40-nation) and a
# following noun is shown with it (40 countries) so a reviewer sees what was counted.
EN_HYPHEN_UNIT = re.compile(r"-[A-Za-z]+(?:-[A-Za-z]+)*")
EN_NEXT_WORD = re.compile(r"\s+([a-z]+(?:-[a-z]+)*)")
EN_FUNCTION_WORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "for", "from", "had",
    "has", "have", "in", "into", "is", "it", "its", "more", "less", "of", "on", "or", "over",
    "per", "than", "that", "the", "their", "this", "those", "these", "to", "under", "was",
    "were", "which", "who", "will", "with", "would",
))
# "second" is also the unit of time ("in a second", "second by second"); as
# an ordinal it comes after a determiner: "the second", "its second".
EN_DETERMINER_BEFORE = re.compile(r"\b(?:the|its|his|her|their|our|my|your)\s+$", re.IGNORECASE)
EN_IDIOM = re.compile(r"\bsecond[- ](?:hand|guess|to none)\b", re.IGNORECASE)


def _en_extend(work: str, end: int) -> int:
    """End of the span shown for a number: with its hyphen unit or the noun it counts."""
    unit = EN_HYPHEN_UNIT.match(work, end)
    if unit:
        return unit.end()
    noun = EN_NEXT_WORD.match(work, end)
    if noun and noun[1].lower() not in EN_FUNCTION_WORDS and noun[1].lower() not in EN_SCALES:
        return noun.end()
    return end


def _is_fraction(work: str, end: int) -> bool:
    """two-thirds, one-fifth: a fraction, not a count of two or one."""
    unit = EN_HYPHEN_UNIT.match(work, end)
    return bool(unit) and unit.group()[1:].lower().rstrip("s") in EN_ORDINALS


def _en_month_date(month: str, day: str | None, year: str | None, before: str):
    """The date value of a month name with its day and year, if it is a date."""
    if not (day or year) and (month in EN_MONTH_ABBREVIATIONS
                              or (month == "May" and not MAY_BEFORE.search(before))):
        return None
    return _date(int(year) if year else None, EN_MONTHS[month], int(day) if day else None)


def _en_iso(m: re.Match[str], work: str):
    value = _date(int(m["iso_y"]), int(m["iso_m"]), int(m["iso_d"]))
    return None if value is None else (m.end(), value, "date")


def _en_month_first(m: re.Match[str], work: str):
    value = _en_month_date(m["mon1"], m["day1"], m["yr1"], work[:m.start()])
    return None if value is None else (m.end(), value, "date")


def _en_day_first(m: re.Match[str], work: str):
    value = _en_month_date(m["mon2"], m["day2"], m["yr2"], work[:m.start()])
    return None if value is None else (m.end(), value, "date")


def _en_ordinal(m: re.Match[str], work: str):
    return m.end(), str(int(m["ordd"])), "number"


def _en_digits(m: re.Match[str], work: str):
    if _is_list_marker(work, m.start(), m.end("num")):
        return None
    value = _digits(m["num"]) * EN_SCALES.get(m["scale"] or "", 1)
    if m["pct"]:
        return m.end(), _decimal_text(value) + "%", "percent"
    return _en_extend(work, m.end()), _decimal_text(value), "number"


def _en_words(m: re.Match[str], work: str):
    """Spelt-out numbers; "Second," opening a point and fractions count nothing."""
    tokens = [t.lower() for t in re.split(r"\s+|-", m["words"])]
    if tokens[-1] in EN_ORDINALS and work[m.end():m.end() + 1] in ORDINAL_MARKER_END:
        return None
    if tokens == ["second"] and not EN_DETERMINER_BEFORE.search(work[:m.start()]):
        return None
    if _is_fraction(work, m.end()) or (
            len(tokens) > 1 and tokens[-1] in EN_ORDINALS and tokens[-2] in EN_UNITS):
        return None
    value = _en_word_value(tokens)
    if m["wpct"]:
        return m.end(), f"{value}%", "percent"
    return _en_extend(work, m.end()), str(value), "number"


def _en_word_value(tokens: list[str]) -> int:
    """Spelt-out English numbers: "three hundred forty thousand" → 340000."""
    total = current = 0
    for token in tokens:
        token = EN_ORDINAL_SCALES.get(token, token)
        if token == "hundred":
            current = max(current, 1) * EN_SCALES[token]
        elif token in EN_SCALES:
            total += max(current, 1) * EN_SCALES[token]
            current = 0
        else:
            current += EN_UNITS.get(token) or EN_TENS.get(token) or EN_ORDINALS[token]
    return total + current


EN_HANDLERS = {
    "en_iso": _en_iso,
    "en_month_first": _en_month_first,
    "en_day_first": _en_day_first,
    "en_ordinal": _en_ordinal,
    "en_digits": _en_digits,
    "en_words": _en_words,
}


# --- public API ----------------------------------------------------------------------


def extract_quantities(text: str, lang: str) -> list[Quantity]:
    """The numbers, dates and percentages a sentence states, in order.

    ``lang`` ``zh...`` uses the Chinese rules (which also read Arabic digits);
    anything else the English ones (digits work for any Latin-script language,
    spelt-out numbers only for English).

    Chinese is matched on its Simplified form, converted here with OpenCC t2s
    rather than taken from :attr:`Sentence.norm`, because norm also drops
    spaces and so its offsets do not line up with ``text``. t2s maps
    character for character in practice, so ``span`` is cut from ``text``
    as the user sees it (``兩萬人``); only when a phrase conversion changes the
    length is ``span`` taken from the Simplified form.
    """
    work = text.translate(FULLWIDTH)
    if is_chinese(lang):
        simplified = to_simplified(work)
        shown = text if len(simplified) == len(text) else simplified
        found = _scan(_mask(simplified, ZH_IDIOM), ZH_GRAMMAR, ZH_HANDLERS)
    else:
        shown = text
        found = _scan(_mask(work, EN_IDIOM), EN_GRAMMAR, EN_HANDLERS)
    return [Quantity(shown[s:e], value, kind, s, e) for s, e, value, kind in found]


@dataclass
class Context:
    """What each document states outside any one pair: its figures by sentence, and its date.

    ``figures[side]`` holds every (sentence id, quantity) of that document,
    captions, bylines and datelines included (a dateline is where a wire gives
    its date); ``dates[side]`` is the article's date (:func:`article_date`),
    the other document's when it states none (both report the same event).
    """

    figures: dict[str, list[tuple[int, Quantity]]]
    dates: dict[str, date | None]

    @functools.cached_property
    def by_value(self) -> dict[str, dict[str, list[tuple[int, Quantity]]]]:
        """``figures`` grouped by value, in the same order: a figure other than a date is
        stated elsewhere only by its own value, and a book states thousands."""
        return {side: _grouped(figs) for side, figs in self.figures.items()}

    @classmethod
    def of(cls, source: Document, target: Document) -> Context:
        # Body sentences first, so that "where" points at one a reviewer can read in context.
        figures = {side: [(s.id, q) for s in sorted(doc.sentences, key=lambda s: not s.matchable)
                          for q in extract_quantities(s.text, doc.lang)]
                   for side, doc in (("src", source), ("tgt", target))}
        own = {"src": article_date(source), "tgt": article_date(target)}
        return cls(figures, {"src": own["src"] or own["tgt"], "tgt": own["tgt"] or own["src"]})


def flag_pair(pair: Pair, source: Document, target: Document,
              context: Context | None = None) -> list[Flag]:
    """Flags for the figures of a matched pair that only one side states.

    Values are compared as sets: a value stated anywhere on the other side
    (in any of the bead's sentences) is not flagged, and a value missing
    there is flagged once, at its first occurrence. Captions, bylines and
    datelines (``NOT_CLAIMS``) are skipped altogether. Dates are loose in one
    way only: a side may leave out the year or the month (``July 26`` covers
    ``2025年7月26日`` and ``26日``), but must state the most precise part the
    other side gives (``2025`` alone does not cover ``July 26, 2025``).

    With a document ``context``, a weekday on the other side covers the date
    it names in a report of known date ("on Saturday" in a report dated
    2025-07-27 is 2025-07-26), and a figure the other document states outside
    the pair is flagged ``number-elsewhere`` with ``where`` (the first such
    sentence) instead of as missing.
    """
    if not pair.matched:
        return []
    docs = {"src": source, "tgt": target}
    sides = {"src": _side_quantities(pair.src, source), "tgt": _side_quantities(pair.tgt, target)}
    flags = []
    for side, other in (("src", "tgt"), ("tgt", "src")):
        given = [o for _, o in sides[other]]
        if context is not None:
            ids = pair.tgt if other == "tgt" else pair.src
            given += _weekday_dates(ids, docs[other], context.dates[other])
        seen = set()
        for sentence_id, q in sides[side]:
            if q.value in seen or _covered(q, given):
                continue
            seen.add(q.value)
            text = docs[side].sentences[sentence_id].text
            at = {"start": q.start, "end": q.end} if text[q.start:q.end] == q.span else {}
            where = _stated_elsewhere(q, context, other, pair) if context is not None else None
            kind = ONLY_IN[side] if where is None else ELSEWHERE
            flags.append(Flag(kind, span=q.span, value=q.value, side=side, sentence=sentence_id,
                              where=where, **at))
    return flags


def flag_claims(alignment: Alignment) -> None:
    """Add one-sided-figure flags to every matched pair, keeping other flags.

    Flags of these kinds already on a pair are recomputed, not added to,
    so running it twice, or again after a reviewer re-links a pair, leaves
    exactly the current differences.
    """
    context = Context.of(alignment.source, alignment.target)
    for pair in alignment.matched_pairs():
        kept = [f for f in pair.flags if f.kind not in FIGURE_FLAGS]
        pair.flags = kept + flag_pair(pair, alignment.source, alignment.target, context)


# --- document context -------------------------------------------------------------

# A figure is "stated elsewhere" only when it is specific enough that the other
# document's mention is the same fact: a date, a percentage, a number from 10
# up. Small counts (two sides, three proposals) recur by chance in any text.
ELSEWHERE_MIN = 10
EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
EN_WEEKDAY = re.compile(rf"\b({'|'.join(EN_WEEKDAYS)})\b")
# 星期六, 周六, 礼拜六 (Simplified, as matched); 日/天 is Sunday.
ZH_WEEKDAY = re.compile(r"(?:星期|礼拜|周)([一二三四五六日天])")
ZH_WEEKDAY_NUMBER = {c: k for k, c in enumerate("一二三四五六")} | {"日": 6, "天": 6}


def article_date(doc: Document) -> date | None:
    """The report's date: the first full date (year, month, day) in a dateline.

    Wire copy and web pages put it there (``date 2025-07-27``); a dateline
    without a year (``新華社上海7月26日電``) takes the year from the first
    year-month-day date the document states anywhere, or gives none.
    """
    datelines = [s for s in doc.sentences if s.has_flag("dateline")]
    partial = None
    for s in datelines:
        for q in extract_quantities(s.text, doc.lang):
            parts = _date_parts(q)
            if parts and q.kind == "date" and parts[1] and parts[2]:
                if parts[0]:
                    return _calendar(*parts)
                partial = partial or parts
    if partial is None:
        return None
    for s in doc.sentences:
        for q in extract_quantities(s.text, doc.lang):
            parts = _date_parts(q)
            if q.kind == "date" and parts and parts[0] and parts[1:] == partial[1:]:
                return _calendar(*parts)
    return None


def _calendar(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _weekday_dates(ids: list[int], doc: Document, today: date | None) -> list[Quantity]:
    """Weekdays of the sentences ``ids`` as the dates they name: the last such day up
    to the report's date (news tells what happened). They only ever cover a figure,
    they are never flagged themselves."""
    if today is None:
        return []
    out = []
    for i in ids:
        text = doc.sentences[i].text
        if is_chinese(doc.lang):
            found = [(m, ZH_WEEKDAY_NUMBER[m[1]]) for m in ZH_WEEKDAY.finditer(to_simplified(text))]
        else:
            found = [(m, EN_WEEKDAYS.index(m[1])) for m in EN_WEEKDAY.finditer(text)]
        for m, weekday in found:
            day = today - timedelta(days=(today.weekday() - weekday) % 7)
            out.append(Quantity(m.group(), day.isoformat(), "date", m.start(), m.end()))
    return out


def _stated_elsewhere(q: Quantity, context: Context, other: str, pair: Pair) -> int | None:
    """The first sentence of the other document, outside the pair, that states ``q``
    (a body sentence before a caption, byline or dateline), or None."""
    if q.kind == "number" and Decimal(q.value) < ELSEWHERE_MIN:
        return None
    inside = set(pair.tgt if other == "tgt" else pair.src)
    candidates = (context.figures[other] if _date_parts(q) is not None
                  else context.by_value[other].get(q.value, ()))
    return next((sid for sid, o in candidates if sid not in inside and _covered(q, [o])), None)


def _grouped(figures: list[tuple[int, Quantity]]) -> dict[str, list[tuple[int, Quantity]]]:
    groups: dict[str, list[tuple[int, Quantity]]] = {}
    for sid, q in figures:
        groups.setdefault(q.value, []).append((sid, q))
    return groups


def _side_quantities(ids: list[int], doc: Document) -> list[tuple[int, Quantity]]:
    sentences: list[Sentence] = [doc.sentences[i] for i in ids]
    return [(s.id, q) for s in sentences if s.matchable for q in extract_quantities(s.text, doc.lang)]


def _covered(q: Quantity, others: list[Quantity]) -> bool:
    if any(o.value == q.value for o in others):
        return True
    parts = _date_parts(q)
    return parts is not None and any(_date_covers(parts, _date_parts(o)) for o in others)


DatePart = tuple[int | None, int | None, int | None]
# The value spellings _date writes: 2025-07-26, 2025-07, 2025, 07-26, --07, ---26.
DATE_VALUE = re.compile(
    r"(?P<y>\d{4})(?:-(?P<m>\d\d)(?:-(?P<d>\d\d))?)?|(?P<m2>\d\d)-(?P<d2>\d\d)"
    r"|--(?P<m3>\d\d)|---(?P<d3>\d\d)"
)


def _date_parts(q: Quantity) -> DatePart | None:
    """(year, month, day) of a date or of a number that may be a year, else None."""
    if q.kind == "number" and q.value.isdigit() and int(q.value) in YEARS:
        return int(q.value), None, None
    m = DATE_VALUE.fullmatch(q.value) if q.kind == "date" else None
    if m is None:
        return None
    parts = (m["y"], m["m"] or m["m2"] or m["m3"], m["d"] or m["d2"] or m["d3"])
    return tuple(None if p is None else int(p) for p in parts)


def _date_covers(wanted: DatePart, given: DatePart | None) -> bool:
    """True when ``given`` contradicts no part of ``wanted`` and states its finest part."""
    if given is None:
        return False
    if any(w is not None and g is not None and w != g for w, g in zip(wanted, given)):
        return False
    finest = max(i for i, part in enumerate(wanted) if part is not None)
    return given[finest] is not None
