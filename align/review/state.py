"""A review's state: an alignment plus a reviewer's mark per pair, and how it is read.

A :class:`Review` is an :class:`~align.model.Alignment` plus one :class:`Mark`
(status and note) per pair. The actions that change it are in
:mod:`align.review.actions`, the SQLite store that keeps it in
:mod:`align.review.store`, the files written from it in
:mod:`align.review.exports`.

A pair is addressed by its key, its sentence ids in bead notation without
brackets (``"3,31:1"``; ``"5:"`` and ``":2"`` for unmatched sentences). Every
sentence is in exactly one bead, so a key is unique; a tab holding a key that
another tab has since re-linked gets a clear "changed elsewhere" error
instead of acting on the wrong pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from align.errors import InputError
from align.model import Alignment, Document, Pair, Sentence
from align.normalise import normalise
from align.support import KIND as UNSUPPORTED

SIDES = ("src", "tgt")
UNREVIEWED, CONFIRMED, REJECTED = "unreviewed", "confirmed", "rejected"
STATUSES = (UNREVIEWED, CONFIRMED, REJECTED)

# Three confidence bands (the app colours them: ui/theme.py). Scores are
# calibrated probabilities that a link is right: below 0.6 a link is close to
# a coin toss and needs a reviewer; from 0.8 it is usually right.
HIGH_CONFIDENCE = 0.8
LOW_CONFIDENCE = 0.6
BANDS = ("high", "medium", "low")

# A link a reviewer made is certain; a sentence a reviewer unlinked was never
# judged on its own by the aligner, so it has no confidence of being unmatched.
REVIEWER_SCORE = 1.0
UNSCORED = 0.0

FILTERS = ("all", "low confidence", "unmatched", "partly supported", "flagged", "unreviewed")

STALE = "changed in another tab or window since this page was drawn; it now shows the current state"


def pair_key(pair: Pair) -> str:
    """``"3,31:1"``: the pair's source and target ids (see the module docstring)."""
    return f"{','.join(map(str, pair.src))}:{','.join(map(str, pair.tgt))}"


def ids_label(lang: str, ids: list[int]) -> str:
    """``zh 3``, ``zh 3+31``: sentence ids as a reviewer reads them."""
    return f"{lang} {'+'.join(map(str, ids))}"


def pair_label(alignment: Alignment, pair: Pair) -> str:
    """``zh 3 ↔ en 1``, or ``zh 5 (unmatched)``: a pair in a reviewer's words."""
    src, tgt = alignment.source.lang, alignment.target.lang
    if pair.matched:
        return f"{ids_label(src, pair.src)} ↔ {ids_label(tgt, pair.tgt)}"
    side, lang = ("src", src) if pair.src else ("tgt", tgt)
    return f"{ids_label(lang, getattr(pair, side))} (unmatched)"


def key_label(alignment: Alignment, key: str) -> str:
    """:func:`pair_label` of a pair key (``"3,31:1"`` → ``zh 3+31 ↔ en 1``)."""
    src, tgt = ([int(i) for i in part.split(",") if i] for part in key.split(":"))
    return pair_label(alignment, Pair(src, tgt, 0.0))


def band(score: float) -> str:
    """``high``, ``medium`` or ``low``."""
    if score >= HIGH_CONFIDENCE:
        return "high"
    return "medium" if score >= LOW_CONFIDENCE else "low"


def other_side(side: str) -> str:
    return "tgt" if side == "src" else "src"


def side_name(side: str) -> str:
    return "source" if side == "src" else "target"


def check_side(side: str) -> None:
    if side not in SIDES:
        raise InputError("side", f"must be 'src' or 'tgt', not {side!r}")


def sentence_at(alignment: Alignment, side: str, sentence: int) -> Sentence:
    check_side(side)
    sentences = document(alignment, side).sentences
    if not isinstance(sentence, int) or not 0 <= sentence < len(sentences):
        raise InputError(f"{side_name(side)} sentence {sentence}",
                         f"no such sentence ({len(sentences)} sentences): {STALE}")
    return sentences[sentence]


def document(alignment: Alignment, side: str) -> Document:
    return alignment.source if side == "src" else alignment.target


def is_unmatched_claim(pair: Pair, alignment: Alignment) -> bool:
    """A one-sided bead holding content (captions, bylines and datelines are not claims)."""
    if pair.matched:
        return False
    return any(document(alignment, side).sentences[i].matchable
               for side in SIDES for i in getattr(pair, side))


def is_flagged(pair: Pair, alignment: Alignment) -> bool:
    """The pair or one of its sentences carries a flag (figures, damage, caption, crossing...)."""
    return bool(pair.flags) or any(document(alignment, side).sentences[i].flags
                                   for side in SIDES for i in getattr(pair, side))


def needs_decision(pair: Pair, alignment: Alignment) -> bool:
    """A link, or an unmatched claim: captions, bylines and datelines need no decision."""
    return pair.matched or is_unmatched_claim(pair, alignment)


@dataclass
class Mark:
    """A reviewer's verdict on one pair.

    ``rejected``: on the unmatched sentences a rejection leaves, the key of the
    link they were, so that one rejected link counts as one decision.
    """

    status: str = UNREVIEWED
    note: str = ""
    rejected: str = ""

    def to_dict(self) -> dict[str, str]:
        d = {"status": self.status, "note": self.note}
        return {**d, "rejected": self.rejected} if self.rejected else d


@dataclass
class Review:
    """An alignment and a mark per pair (``marks[i]`` is about ``alignment.pairs[i]``).

    ``layout`` is the store's renumbering counter when this state was read.
    """

    alignment: Alignment
    marks: list[Mark]
    layout: int = 0

    @classmethod
    def start(cls, alignment: Alignment) -> Review:
        return cls(alignment, [Mark() for _ in alignment.pairs])

    def to_dict(self) -> dict[str, Any]:
        """The alignment's JSON plus a ``review`` list: still readable by ``read_json``."""
        return {**self.alignment.to_dict(), "review": [m.to_dict() for m in self.marks]}

    @classmethod
    def from_dict(cls, d: dict[str, Any], layout: int = 0) -> Review:
        alignment = Alignment.from_dict(d)
        marks = [Mark(**m) for m in d.get("review", [])] or [Mark() for _ in alignment.pairs]
        if len(marks) != len(alignment.pairs):
            raise InputError("review", f"{len(marks)} marks for {len(alignment.pairs)} pairs")
        return cls(alignment, marks, layout)

    def pair_keys(self) -> list[str]:
        return [pair_key(p) for p in self.alignment.pairs]

    def find(self, key: str) -> int:
        """Index of the pair with this key; refused when another tab has changed it."""
        for index, pair in enumerate(self.alignment.pairs):
            if pair_key(pair) == key:
                return index
        raise InputError(f"pair {key}", f"no such pair: {STALE}")

    def bead_of(self, side: str, sentence: int) -> int:
        """Index of the pair holding a sentence."""
        sentence_at(self.alignment, side, sentence)
        return next(i for i, p in enumerate(self.alignment.pairs) if sentence in getattr(p, side))

    def tmx_review(self) -> dict[int, dict[str, str]]:
        """What :func:`align.tmx.to_tmx` takes as ``review``: every pair's status and note
        (an unreviewed unit says so, rather than carrying no status at all)."""
        return {i: {"status": m.status, "note": m.note} for i, m in enumerate(self.marks)}

    def paragraph_of(self, index: int) -> tuple[str, int]:
        """(side, paragraph) of a pair's first sentence, source side first."""
        pair = self.alignment.pairs[index]
        side = "src" if pair.src else "tgt"
        return side, document(self.alignment, side).sentences[getattr(pair, side)[0]].paragraph

    def links_first(self, shown: list[int]) -> list[int]:
        """``shown`` with the links first (reading order), then the unmatched rows grouped
        by side and paragraph: coverage has few links among many unmatched claims."""
        links = [i for i in shown if self.alignment.pairs[i].matched]
        rest = sorted((i for i in shown if not self.alignment.pairs[i].matched),
                      key=lambda i: (SIDES.index(self.paragraph_of(i)[0]), self.paragraph_of(i)[1], i))
        return links + rest

    def unreviewed_links(self, min_score: float) -> list[int]:
        """Links nobody has decided on that score at least ``min_score`` (bulk confirm)."""
        return [i for i, (p, m) in enumerate(zip(self.alignment.pairs, self.marks))
                if p.matched and m.status == UNREVIEWED and p.score >= min_score]

    def confirmed(self) -> list[int]:
        return [i for i, m in enumerate(self.marks) if m.status == CONFIRMED]

    def counts(self) -> dict[str, dict[str, int]]:
        """Beads by status; links (matched pairs) by confidence band and by band × status."""
        by_status = {s: 0 for s in STATUSES}
        by_band = {b: 0 for b in BANDS}
        by_band_status = {f"{b}/{s}": 0 for b in BANDS for s in STATUSES}
        for pair, mark in zip(self.alignment.pairs, self.marks):
            by_status[mark.status] += 1
            if pair.matched:
                by_band[band(pair.score)] += 1
                by_band_status[f"{band(pair.score)}/{mark.status}"] += 1
        return {"status": by_status, "band": by_band, "band_status": by_band_status}

    def decisions(self) -> dict[str, int]:
        """The reviewer's progress as a reviewer counts it: ``made`` of ``needed``
        (links and unmatched claims, not metadata), confirmed rows, rejected links
        (one rejection, though it leaves two unmatched rows) and rows still to decide."""
        needed = [(p, m) for p, m in zip(self.alignment.pairs, self.marks)
                  if needs_decision(p, self.alignment)]

        def decision(m: Mark) -> object:
            """The rows one rejection leaves are one decision, made or needed, not two."""
            return m.rejected if m.status == REJECTED and m.rejected else id(m)
        rejected = {decision(m) for m in self.marks if m.status == REJECTED}
        units = {decision(m): m.status != UNREVIEWED for _, m in needed}
        made = sum(units.values())
        return {"made": made, "needed": len(units), "to decide": len(units) - made,
                "confirmed": sum(m.status == CONFIRMED for _, m in needed),
                "rejected links": len(rejected)}

    def select(self, view: str = "all", query: str = "") -> list[int]:
        """Indices of the pairs a filter and a search show, in reading order.

        The search is case-insensitive and matches the original text or its
        Simplified form, so 国务院 finds 國務院 and vice versa.
        """
        if view not in FILTERS:
            raise InputError("filter", f"unknown filter {view!r}: use one of {', '.join(FILTERS)}")
        needles = _search_forms(query)
        return [i for i, (pair, mark) in enumerate(zip(self.alignment.pairs, self.marks))
                if self._shown(pair, mark, view) and self._found(pair, needles)]

    def _shown(self, pair: Pair, mark: Mark, view: str) -> bool:
        if view == "low confidence":  # a link's confidence; unmatched rows have their own
            return pair.matched and band(pair.score) == "low"
        if view == "unmatched":
            return is_unmatched_claim(pair, self.alignment)
        if view == "partly supported":  # a link with words the other side does not say
            return pair.matched and pair.has_flag(UNSUPPORTED)
        if view == "flagged":
            return is_flagged(pair, self.alignment)
        if view == "unreviewed":
            return mark.status == UNREVIEWED and needs_decision(pair, self.alignment)
        return True

    def _found(self, pair: Pair, needles: list[str]) -> bool:
        if not needles:
            return True
        texts = [form.lower() for side in SIDES for i in getattr(pair, side)
                 for form in _forms(document(self.alignment, side).sentences[i])]
        return any(n in t for n in needles for t in texts)


def _forms(sentence: Sentence) -> tuple[str, str]:
    return sentence.text, sentence.norm


def _search_forms(query: str) -> list[str]:
    query = query.strip().lower()
    if not query:
        return []
    return list(dict.fromkeys([query, normalise(query, "zh").lower()]))
