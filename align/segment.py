"""Sentence splitting: one paragraph in, its sentences out, nothing lost.

Every sentence returned is a slice of the paragraph, stripped of surrounding
whitespace, so joining them gives the paragraph back up to whitespace.
Chinese is split by rule on its end marks; other languages go through pysbd
(rule-based, offline, handles abbreviations, decimals, initials and quotes),
with the few misses it has on news text fixed afterwards.
"""

from __future__ import annotations

import re
from functools import cache
from itertools import pairwise

import pysbd

from align.model import spaceless
from align.normalise import HAN, damage_spans

# --- Chinese ---------------------------------------------------------------------

# 。！？；and the ellipsis end a sentence, as do half-width ?!; right after a
# CJK character (the mirror writes 發展;要加強). Closing quotes and brackets
# belong to the sentence they close: 。” stays together. A colon never ends
# a sentence: 實現以下目標: introduces what follows, and only ends a sentence
# when it ends the paragraph.
ZH_CLOSERS = "”’」』）)】》〉\"'"
# A curly or corner closer still closes across a space (。 ” in copied text);
# a straight quote after a space may open the next sentence.
ZH_END = re.compile(
    rf"(?:[。！？；]|…+|(?<=[{HAN}\u3000-\u303f\uff01-\uff5e{ZH_CLOSERS}])[?!;])"
    rf"[。！？；?!;…]*[{ZH_CLOSERS}]*(?:\s+[”’」』）】》〉]+)?"
)
# After 」 or ！” a comma-like mark means the quotation sits inside a longer
# sentence (他說:「好!」,然後走了): no break there.
ZH_CONTINUES = re.compile(r"\s*[，,、：:]")


def _split_zh(paragraph: str) -> list[str]:
    damaged = damage_spans(paragraph)
    cuts = [m.end() for m in ZH_END.finditer(paragraph)
            if not any(s <= m.start() < e for s, e in damaged)
            and not ZH_CONTINUES.match(paragraph, m.end())]
    return _cut(paragraph, cuts)


# --- Latin-script and other languages ----------------------------------------------

# Languages pysbd has rules for; anything else gets its English rules, which
# carry over well to most languages written with spaces and full stops.
PYSBD_LANGUAGES = {"en", "hi", "mr", "zh", "es", "am", "ar", "hy", "bg", "ur", "ru", "pl", "fa",
                   "nl", "da", "fr", "my", "el", "it", "ja", "de", "kk", "sk"}
# pysbd misses, fixed here: it does not split after a Unicode ellipsis
# (He waited… Then he left.), and it does split "at 9 a.m. Monday" before a
# weekday or month, which in news copy continues the time expression.
ELLIPSIS_BREAK = re.compile(r"…[\"”’']?(?=\s+[\"“‘']?[A-Z])")
TIME_ENDING = re.compile(r"\b[ap]\.m\.$")
CONTINUES_TIME = re.compile(
    r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Jan|Feb|Mar|Apr|May|Jun"
    r"|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b"
)


# pysbd reads at most this many characters at a time (see _pysbd_cuts).
PYSBD_WINDOW = 5000


@cache
def _segmenter(lang: str) -> pysbd.Segmenter:
    return pysbd.Segmenter(language=lang if lang in PYSBD_LANGUAGES else "en", clean=False)


def _split_latin(paragraph: str, lang: str) -> list[str]:
    cuts = _pysbd_cuts(paragraph, lang)
    cuts += [m.end() for m in ELLIPSIS_BREAK.finditer(paragraph)]
    cuts = [c for c in cuts if not _inside_time_expression(paragraph, c)]
    return _cut(paragraph, sorted(set(cuts)))


def _pysbd_cuts(paragraph: str, lang: str) -> list[int]:
    """Sentence ends found by pysbd, read through a sliding window.

    pysbd's time grows faster than the input (75,000 characters took 2.5 s
    here, a book-length paragraph would take many minutes), so it only ever
    sees PYSBD_WINDOW characters; the last, possibly cut, sentence of each
    window is read again at the start of the next one.
    """
    cuts: list[int] = []
    start = 0
    while start < len(paragraph):
        end = min(start + PYSBD_WINDOW, len(paragraph))
        ends = [start + e for e in _piece_ends(paragraph[start:end], lang)]
        if end == len(paragraph):
            return cuts + ends
        cuts += ends[:-1]
        start = ends[-2] if len(ends) > 1 else end
    return cuts


def _piece_ends(text: str, lang: str) -> list[int]:
    """End offsets in ``text`` of pysbd's sentences, located in the original.

    pysbd may alter a sentence (spaces, rare characters); one it altered is
    not found, and its boundary is dropped rather than text being lost.
    """
    ends = []
    position = 0
    for piece in _segmenter(lang).segment(text):
        piece = piece.strip()
        found = text.find(piece, position)
        if piece and found >= 0:
            position = found + len(piece)
            ends.append(position)
    return ends


def _inside_time_expression(paragraph: str, cut: int) -> bool:
    before = paragraph[max(cut - len(" a.m."), 0):cut]
    return bool(TIME_ENDING.search(before) and CONTINUES_TIME.match(paragraph, _skip_space(paragraph, cut)))


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


# --- common ---------------------------------------------------------------------------


def _cut(paragraph: str, cuts: list[int]) -> list[str]:
    """Slices of the paragraph between cut points, stripped, empty ones dropped.

    A slice with no letter, digit or Han character — a closing quote or bracket
    a splitter left behind (pysbd after ``sailing.'`` ending a paragraph, or
    ``。 ”`` with a space) — belongs to the sentence it closes: it joins the slice
    before it.
    """
    spans: list[list[int]] = []
    for a, b in pairwise([0, *cuts, len(paragraph)]):
        piece = paragraph[a:b]
        if not piece.strip():
            continue
        if spans and not any(c.isalnum() for c in piece):
            spans[-1][1] = b
        else:
            spans.append([a, b])
    return [paragraph[a:b].strip() for a, b in spans]


def split_sentences(paragraph: str, lang: str) -> list[str]:
    """The sentences of one paragraph, in order; empty list for a blank one."""
    if spaceless(lang):
        return _split_zh(paragraph)
    return _split_latin(paragraph, lang)


# --- Clauses ---------------------------------------------------------------------

CLAUSE_MARK = re.compile(r"[,;:，；：、]")


def clause_bounds(sentence: str, shortest: int = 0) -> list[tuple[int, int]]:
    """(start, end) of each clause: the sentence cut after commas, semicolons, colons.

    Never inside a number (``1,000``, ``9:30``). Clauses shorter than
    ``shortest`` characters are joined to a neighbour. Returns [] when the
    sentence does not split. Translators split a long Chinese sentence at
    exactly these points, and news coverage packs one source sentence into
    one clause of its own.
    """
    cuts = [m.end() for m in CLAUSE_MARK.finditer(sentence)
            if not (m.group() in ",:" and m.start() > 0 and sentence[m.start() - 1].isdigit()
                    and sentence[m.end():m.end() + 1].isdigit())]
    bounds = []
    for start, end in pairwise([0, *cuts, len(sentence)]):
        piece = sentence[start:end]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            bounds.append((start + lead, start + len(piece.rstrip())))
    merged: list[tuple[int, int]] = []
    for start, end in bounds:
        if merged and merged[-1][1] - merged[-1][0] < shortest:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    if len(merged) > 1 and merged[-1][1] - merged[-1][0] < shortest:
        tail = merged.pop()
        merged[-1] = (merged[-1][0], tail[1])
    return merged if len(merged) > 1 else []


def clauses(sentence: str, shortest: int = 0) -> list[str]:
    """The clauses of :func:`clause_bounds` as text (slices of the sentence)."""
    return [sentence[start:end] for start, end in clause_bounds(sentence, shortest)]


# --- Over-long sentences ---------------------------------------------------------------

# Longer than any sentence a writer ends with a mark: the longest of the seed texts and
# of the dev gold is under 600 characters. A longer one is a text without end marks (a
# transcript, a table flattened into one line): the encoders read 512 tokens at most, and
# jieba's time grows faster than its input (one line of 200,000 Han characters ran for
# minutes), so it is cut into pieces no longer than this.
MAX_SENTENCE_CHARS = 2000
# The flag each piece of a cut sentence carries: its ends are ours, not the writer's.
OVERLONG = "overlong"


def cut_overlong(sentence: str, limit: int = MAX_SENTENCE_CHARS) -> list[str]:
    """``sentence`` itself if it fits in ``limit`` characters, else slices of it that do:
    cut after the last clause mark that fits (a comma, semicolon, colon), else the last
    space, else at the limit. Joined, the slices give the sentence back up to whitespace."""
    pieces = []
    while len(sentence) > limit:
        head = sentence[:limit]
        marks = [m.end() for m in CLAUSE_MARK.finditer(head)]
        cut = marks[-1] if marks else head.rfind(" ") + 1 or limit
        pieces.append(sentence[:cut].strip())
        sentence = sentence[cut:].strip()
    return [p for p in [*pieces, sentence] if p]

