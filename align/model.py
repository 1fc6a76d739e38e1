"""The one data model that flows through the pipeline.

segment → embed → align → flag → export all pass the same objects along:
a :class:`Document` (one side, a list of :class:`Sentence`), and an
:class:`Alignment` (two documents plus a list of :class:`Pair`). The JSON
written by :mod:`align.export` is exactly ``Alignment.to_dict()``; other tools
read it, so fields are only ever added, never renamed or removed.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import asdict, dataclass, field
from itertools import accumulate
from typing import Any

# Sentence flags marking text that is metadata, not content: a photo caption
# repeats the body, a byline credits a photographer, a dateline says where and
# when the wire was filed. They are shown, never aligned, never claims.
NOT_CLAIMS = ("caption", "byline", "dateline")


@dataclass
class Flag:
    """Something a reviewer should look at.

    ``kind`` is a short machine-readable word (``encoding-damage``, ``caption``,
    ``byline``, ``dateline``, ``number-only-in-target``, ``crossing``, ...).
    ``span`` is the text it is about (for highlighting), ``value`` a normalised
    form (``40``, ``2025-07-26``), ``side`` ``"src"``/``"tgt"`` for pair flags
    and ``sentence`` the id of the sentence the span is in; ``start``/``end``,
    where known, are the span's character offsets into that sentence's ``text``.
    ``where`` (number flags) is the id of a sentence of the other document that
    states the figure outside this pair.
    """

    kind: str
    span: str = ""
    value: str = ""
    side: str = ""
    sentence: int | None = None
    start: int | None = None
    end: int | None = None
    where: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in ("", None)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Flag:
        return cls(**d)


@dataclass
class Sentence:
    """One sentence of one side.

    ``text`` is what the file says (original script, mirror-site pinyin
    annotations removed) and is what gets displayed and exported; ``norm`` is
    what the encoder sees (Simplified script, unified punctuation widths).
    Keeping both lets a translator export the Traditional original while the
    model, trained mostly on Simplified, matches on the normalised form.
    """

    id: int
    text: str
    norm: str
    paragraph: int
    flags: list[Flag] = field(default_factory=list)
    # Best counterparts on the other side, [(id, similarity)], best first: what a
    # reviewer re-links to. Filled by the aligner; empty for a bare segmentation.
    candidates: list[tuple[int, float]] = field(default_factory=list)
    # Its words as (start, end) offsets into ``text``; filled by align.evidence.
    tokens: list[tuple[int, int]] = field(default_factory=list)

    def has_flag(self, kind: str) -> bool:
        return any(f.kind == kind for f in self.flags)

    @property
    def readable(self) -> str:
        """What a model reads when offsets into ``text`` must hold: ``norm`` (Simplified,
        unified widths) when it has the same length, else ``text`` as read."""
        return self.norm if len(self.norm) == len(self.text) else self.text

    @property
    def matchable(self) -> bool:
        """False for captions, bylines and datelines (see NOT_CLAIMS)."""
        return not any(self.has_flag(k) for k in NOT_CLAIMS)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "norm": self.norm,
            "paragraph": self.paragraph,
            "flags": [f.to_dict() for f in self.flags],
            "candidates": [[i, round(float(s), 4)] for i, s in self.candidates],
            **({"tokens": [list(t) for t in self.tokens]} if self.tokens else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Sentence:
        return cls(
            id=int(d["id"]),
            text=d["text"],
            norm=d.get("norm", d["text"]),
            paragraph=int(d.get("paragraph", 0)),
            flags=[Flag.from_dict(f) for f in d.get("flags", [])],
            candidates=[(int(i), float(s)) for i, s in d.get("candidates", [])],
            tokens=[(int(a), int(b)) for a, b in d.get("tokens", [])],
        )


def primary_language(lang: str) -> str:
    """``zh`` for ``zh``, ``zh-TW``, ``zh_Hant``: the part that decides how text is written."""
    return lang.strip().lower().replace("_", "-").split("-")[0]


def is_chinese(lang: str) -> bool:
    """``zh``, ``zh-TW``, ``zh_Hant``, ``ZH``: one rule for every "is this Chinese" test."""
    return primary_language(lang) == "zh"


def spaceless(lang: str) -> bool:
    """Chinese and Japanese put no space between sentences (or words).

    Joining two Chinese sentences with a space would put a stray space into a
    translation memory, and their sentences are denser in characters.
    """
    return primary_language(lang) in ("zh", "ja")


@dataclass
class Document:
    """One side of a pair: its language, where it came from and its sentences."""

    lang: str
    path: str
    sentences: list[Sentence]

    @property
    def joiner(self) -> str:
        """What goes between two of its sentences written together (see :func:`spaceless`)."""
        return "" if spaceless(self.lang) else " "

    def written(self, ids: list[int]) -> tuple[str, dict[int, int]]:
        """The sentences ``ids`` as one text (each as a model reads it, ``readable``), and
        where each starts in it: one side of a bead, for the word aligner and the span test."""
        text, starts = "", {}
        for sid in ids:
            text += self.joiner if text else ""
            starts[sid] = len(text)
            text += self.sentences[sid].readable
        return text, starts

    def to_dict(self) -> dict[str, Any]:
        return {
            "lang": self.lang,
            "path": self.path,
            "sentences": [s.to_dict() for s in self.sentences],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Document:
        return cls(
            lang=d["lang"],
            path=d.get("path", ""),
            sentences=[Sentence.from_dict(s) for s in d["sentences"]],
        )


@dataclass
class Pair:
    """A bead: source ids ↔ target ids; one side empty for an unmatched sentence.

    ``score`` is a calibrated confidence in [0, 1] that the bead is right; for
    an unmatched sentence it is the confidence that it really has no
    counterpart.
    """

    src: list[int]
    tgt: list[int]
    score: float
    flags: list[Flag] = field(default_factory=list)
    # Word links (src sentence, src token, tgt sentence, tgt token, cosine), tokens
    # indexing ``Sentence.tokens``; filled by align.evidence for matched pairs.
    words: list[tuple[int, int, int, int, float]] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        return bool(self.src) and bool(self.tgt)

    def has_flag(self, kind: str) -> bool:
        return any(f.kind == kind for f in self.flags)

    def to_dict(self) -> dict[str, Any]:
        return {
            "src": list(self.src),
            "tgt": list(self.tgt),
            "score": round(float(self.score), 4),
            "flags": [f.to_dict() for f in self.flags],
            **({"words": [list(w) for w in self.words]} if self.words else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Pair:
        return cls(
            src=[int(i) for i in d["src"]],
            tgt=[int(i) for i in d["tgt"]],
            score=float(d.get("score", 0.0)),
            flags=[Flag.from_dict(f) for f in d.get("flags", [])],
            words=[(int(a), int(b), int(c), int(e), float(s)) for a, b, c, e, s in d.get("words", [])],
        )


@dataclass
class Alignment:
    """Two documents and the beads between them, plus how they were made.

    ``signature`` records tool version, encoder, mode and every parameter that
    changes the result, so any output can be reproduced (as sacrebleu does).
    """

    source: Document
    target: Document
    model: str
    mode: str
    pairs: list[Pair]
    signature: dict[str, Any] = field(default_factory=dict)

    def matched_pairs(self) -> list[Pair]:
        return [p for p in self.pairs if p.matched]

    def unmatched(self, side: str) -> list[Sentence]:
        """Unmatched claims of one side ("src" or "tgt"): captions/bylines excluded."""
        doc = self.source if side == "src" else self.target
        other = "tgt" if side == "src" else "src"
        ids = [i for p in self.pairs if not getattr(p, other) for i in getattr(p, side)]
        return [doc.sentences[i] for i in ids if doc.sentences[i].matchable]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source.to_dict(),
            "target": self.target.to_dict(),
            "model": self.model,
            "mode": self.mode,
            "signature": self.signature,
            "pairs": [p.to_dict() for p in self.pairs],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Alignment:
        return cls(
            source=Document.from_dict(d["source"]),
            target=Document.from_dict(d["target"]),
            model=d.get("model", ""),
            mode=d.get("mode", ""),
            pairs=[Pair.from_dict(p) for p in d["pairs"]],
            signature=d.get("signature", {}),
        )


def in_reading_order(pairs: list[Pair]) -> list[Pair]:
    """Pairs sorted as a reviewer reads them: by first source sentence.

    A target-only pair goes right after the source sentence of the nearest
    link that precedes it in the target, so an English sentence the Chinese
    lacks shows up where the English tells it. O(n log n).
    """
    linked = sorted((max(p.tgt), min(p.src)) for p in pairs if p.src and p.tgt)
    ends = [t for t, _ in linked]
    latest_src = list(accumulate((s for _, s in linked), max))

    def key(pair: Pair) -> tuple[float, float]:
        if pair.src:
            return (min(pair.src), 0.0)
        j = min(pair.tgt)
        k = bisect_left(ends, j)
        return (latest_src[k - 1] + 0.5 if k else -0.5, j)

    return sorted(pairs, key=key)


def crossing(beads: list[tuple[list[int], list[int]]]) -> set[int]:
    """Indices of linked beads that break target order (outside the longest increasing run).

    A reviewer needs to know a link jumps: it is the English reordering the
    story, not a misalignment, but it deserves a second look.
    """
    linked = [(k, min(s), min(t)) for k, (s, t) in enumerate(beads) if s and t]
    linked.sort(key=lambda x: x[1])
    tails: list[int] = []  # patience sorting for the longest increasing subsequence
    tail_idx: list[int] = []
    prev = [-1] * len(linked)
    for pos, (_, _, t) in enumerate(linked):
        lo = bisect_left(tails, t)
        if lo == len(tails):
            tails.append(t)
            tail_idx.append(pos)
        else:
            tails[lo] = t
            tail_idx[lo] = pos
        prev[pos] = tail_idx[lo - 1] if lo > 0 else -1
    keep = set()
    pos = tail_idx[-1] if tail_idx else -1
    while pos >= 0:
        keep.add(linked[pos][0])
        pos = prev[pos]
    return {k for k, _, _ in linked if k not in keep}


def mark_crossing(pairs: list[Pair]) -> None:
    """Flag exactly the links that break target order (see :func:`crossing`): the aligner
    after aligning and the review after every re-link use this one rule."""
    for pair in pairs:
        pair.flags = [f for f in pair.flags if f.kind != "crossing"]
    for k in crossing([(p.src, p.tgt) for p in pairs]):
        pairs[k].flags.append(Flag("crossing"))
