"""What a reviewer can do to a :class:`~align.review.state.Review`: pure functions on it.

Each action changes the review in place or raises :class:`InputError` having
changed nothing; the store (:mod:`align.review.store`) runs one per
transaction and replays them for undo, so an action must depend only on the
review and its arguments.

- Sentences keep their ids through edits: an edit changes ``text`` (what is
  shown and exported), recomputes ``norm`` and the encoding-damage flags, and
  nothing else. Split and merge renumber the sentences after the one they
  touch, so the document stays consistent (``id == position``, as
  :func:`align.export.read_json` checks) and every exported file is a normal
  alignment. Renumbering is the one change that invalidates ids a stale tab
  may hold, so the store counts it in ``layout`` (see :data:`RENUMBERING`).
- Split and merge change the segmentation, not the links: both halves of a
  split sentence stay in its bead, and a merged sentence stays in the first
  one's bead (the second leaves its own). Split halves inherit the
  sentence's re-link candidates; nothing is re-embedded.
- Setting a status or a note is last-write-wins per pair.
"""

from __future__ import annotations

import inspect
from typing import Any

from align import claims
from align.errors import InputError
from align.model import NOT_CLAIMS, Alignment, Flag, Pair, Sentence, in_reading_order, mark_crossing
from align.normalise import damage_flags, normalise
from align.review.state import (
    CONFIRMED,
    REJECTED,
    REVIEWER_SCORE,
    SIDES,
    UNREVIEWED,
    UNSCORED,
    Mark,
    Review,
    check_side,
    document,
    other_side,
    pair_key,
    pair_label,
    sentence_at,
    side_name,
)

# Actions that renumber sentences (see the module docstring).
RENUMBERING = frozenset({"split", "merge_next"})


def apply(review: Review, kind: str, args: dict[str, Any]) -> None:
    """Apply one action in place; InputError (nothing changed) if it does not fit the state."""
    if kind not in ACTIONS:
        raise InputError("action", f"unknown action {kind!r}: use one of {', '.join(ACTIONS)}")
    try:
        inspect.signature(ACTIONS[kind]).bind(review, **args)
    except TypeError as exc:  # wrong or missing arguments in a hand-made call
        raise InputError(f"action {kind}", f"bad arguments {sorted(args)}: {exc}") from exc
    ACTIONS[kind](review, **args)


def _confirm(review: Review, pair: str) -> None:
    review.marks[review.find(pair)].status = CONFIRMED


def _confirm_many(review: Review, pairs: list[str]) -> None:
    """Confirm several pairs in one action, so one undo takes them all back (bulk
    confirm of every link above a confidence). All or nothing: a pair another tab
    has changed refuses the whole action."""
    for index in [review.find(key) for key in pairs]:
        review.marks[index].status = CONFIRMED


def _note(review: Review, pair: str, text: str) -> None:
    review.marks[review.find(pair)].note = text.strip()


def _reject(review: Review, pair: str) -> None:
    """The pair's sentences all become unmatched, marked rejected, keeping the note."""
    index = review.find(pair)
    bead, mark = review.alignment.pairs[index], review.marks[index]
    if not bead.matched:
        raise InputError(f"pair {pair}", "not linked, so there is nothing to reject "
                                         "(confirm it to mark it reviewed)")
    entries = _entries(review)
    del entries[index]
    entries += [(_single(side, i), Mark(REJECTED, mark.note, rejected=pair)) for side in SIDES
                for i in getattr(bead, side)]
    _set_entries(review, entries)


def taken_from(review: Review, index: int, side: str, ids: list[int]) -> list[int]:
    """Indices of the other pairs that linking ``ids`` into pair ``index`` would change:
    those holding one of ``ids`` that are linked or carry a reviewer's mark."""
    bead = review.alignment.pairs[index]
    held = {review.bead_of(side, i) for i in ids if i not in getattr(bead, side)}
    return sorted(k for k in held
                  if review.alignment.pairs[k].matched or review.marks[k].status != UNREVIEWED)


def what_taking_does(review: Review, index: int, side: str, ids: list[int]) -> list[tuple[int, str]]:
    """For each pair :func:`taken_from` lists, what is left of it after the link:
    ``(index, "zh 3 (unmatched), zh 31 (unmatched)")``. Worked out by doing the
    link on a copy, so it says exactly what the action will do."""
    taken = taken_from(review, index, side, ids)
    if not taken:
        return []
    copy = Review.from_dict(review.to_dict())
    keys = [pair_key(review.alignment.pairs[k]) for k in taken]
    _relink(copy, pair_key(review.alignment.pairs[index]), side, ids, keys)
    out = []
    for k in taken:
        old = review.alignment.pairs[k]
        left = [(s, i) for s in SIDES for i in getattr(old, s) if not (s == side and i in ids)]
        beads = dict.fromkeys(copy.bead_of(s, i) for s, i in left)
        out.append((k, ", ".join(pair_label(copy.alignment, copy.alignment.pairs[b])
                                 for b in beads) or "nothing"))
    return out


def _relink(review: Review, pair: str, side: str, ids: list[int],
            taking: list[str] | tuple[str, ...] = ()) -> None:
    """Make ``ids`` the ``side`` sentences of a pair, and confirm it (the reviewer made
    this link). The sentences it drops become unmatched; the ones it takes leave
    their beads, which become unreviewed: a confirmation is never carried over to
    a pair the reviewer did not confirm. ``taking`` names (by key) the other pairs
    the reviewer agreed to change; any other is refused, so nothing is taken
    silently, and a stale tab cannot take from a pair it has not seen."""
    index = review.find(pair)
    check_side(side)
    ids = _check_ids(review.alignment, side, ids)
    bead = review.alignment.pairs[index]
    if not getattr(bead, other_side(side)):
        raise InputError(f"pair {pair}", f"has no {side_name(other_side(side))} sentence "
                                         "to link to")
    for k in taken_from(review, index, side, ids):
        other = review.alignment.pairs[k]
        if pair_key(other) not in taking:
            raise InputError(pair_label(review.alignment, bead),
                             f"{pair_label(review.alignment, other)} ({review.marks[k].status}) "
                             "would lose a sentence: take it only when asked")
    entries = _entries(review)
    for sentence in ids:
        if sentence not in getattr(bead, side):
            entries = _detach(entries, side, sentence)
    dropped = [i for i in getattr(bead, side) if i not in ids]
    entries += [(_single(side, i), Mark()) for i in dropped]
    setattr(bead, side, ids)
    bead.score = REVIEWER_SCORE
    mark = next(m for p, m in entries if p is bead)
    mark.status = CONFIRMED
    _set_entries(review, entries)


def _link_unmatched(review: Review, side: str, sentence: int, ids: list[int],
                    taking: list[str] | tuple[str, ...] = ()) -> None:
    """Link an unmatched sentence to counterpart(s) on the other side (see :func:`_relink`)."""
    check_side(side)
    bead = review.alignment.pairs[review.bead_of(side, sentence)]
    if bead.matched:
        raise InputError(f"{side_name(side)} sentence {sentence}",
                         f"already linked (pair {pair_key(bead)}): re-link that pair instead")
    _relink(review, pair_key(bead), other_side(side), ids, taking)


def _edit_text(review: Review, side: str, sentence: int, text: str) -> None:
    check_side(side)
    doc = document(review.alignment, side)
    target = sentence_at(review.alignment, side, sentence)
    text = doc.joiner.join(line.strip() for line in text.splitlines() if line.strip())
    if not text:
        raise InputError(f"{side_name(side)} sentence {sentence}",
                         "empty text: to drop a sentence, merge it into its neighbour or reject its pair")
    _set_text(target, text, doc.lang)
    _refresh_flags(review)


def _split(review: Review, side: str, sentence: int, at: int, pair_with: int | None = None) -> None:
    """Cut a sentence at character ``at``; the second half becomes sentence ``sentence + 1``.

    Both halves stay in the bead, unless ``pair_with`` names a sentence of the
    other side in it: then the bead is cut there too, in the same step, into
    (first half ↔ the other side before ``pair_with``) and (second half ↔ the
    rest), both confirmed, as the reviewer paired them. Without it a 1-2 bead
    split into a 2-2 bead would need two more re-links to separate.
    """
    check_side(side)
    doc = document(review.alignment, side)
    first = sentence_at(review.alignment, side, sentence)
    head, tail = first.text[:at].strip(), first.text[at:].strip()
    if not 0 < at < len(first.text) or not head or not tail:
        raise InputError(f"{side_name(side)} sentence {sentence}",
                         f"cannot split at character {at}: both parts must have text")
    _renumber(review.alignment, side, lambda i: i + 1 if i > sentence else i)
    second = Sentence(id=sentence + 1, text=tail, norm="", paragraph=first.paragraph,
                      flags=[Flag(f.kind, sentence=sentence + 1) for f in first.flags
                             if f.kind in NOT_CLAIMS],
                      candidates=list(first.candidates))
    doc.sentences.insert(sentence + 1, second)
    _set_text(first, head, doc.lang)
    _set_text(second, tail, doc.lang)
    index = review.bead_of(side, sentence)
    bead = review.alignment.pairs[index]
    setattr(bead, side, sorted([*getattr(bead, side), sentence + 1]))
    entries = _entries(review)
    if pair_with is not None:
        entries[index:index + 1] = _cut(bead, side, sentence, other_side(side), pair_with)
    _set_entries(review, entries)


def _cut(bead: Pair, side: str, last: int, other: str, first_other: int) -> list[Entry]:
    """A bead cut in two: ``side`` ids up to ``last`` with ``other`` ids before
    ``first_other``, and the rest; both confirmed."""
    others = getattr(bead, other)
    if first_other not in others[1:]:
        raise InputError(f"{side_name(other)} sentence {first_other}",
                         f"cannot pair the second half with it: choose one of {others[1:]}")
    halves = []
    for mine, theirs in (([i for i in getattr(bead, side) if i <= last],
                          [j for j in others if j < first_other]),
                         ([i for i in getattr(bead, side) if i > last],
                          [j for j in others if j >= first_other])):
        ids = {side: mine, other: theirs}
        halves.append((Pair(ids["src"], ids["tgt"], REVIEWER_SCORE), Mark(CONFIRMED)))
    return halves


def _merge_next(review: Review, side: str, sentence: int) -> None:
    """Join a sentence with the next one; the result stays in the first one's bead.

    It is a caption (byline, dateline) only if both parts were: merging a
    caption into body text makes it content again.
    """
    check_side(side)
    doc = document(review.alignment, side)
    first = sentence_at(review.alignment, side, sentence)
    if sentence + 1 >= len(doc.sentences):
        raise InputError(f"{side_name(side)} sentence {sentence}", "is the last sentence: "
                                                                    "nothing to merge it with")
    second = doc.sentences[sentence + 1]
    _put(review, _detach(_entries(review), side, second.id))
    shared = {f.kind for f in first.flags} & {f.kind for f in second.flags} & set(NOT_CLAIMS)
    first.flags = [f for f in first.flags if f.kind not in NOT_CLAIMS or f.kind in shared]
    del doc.sentences[sentence + 1]
    _renumber(review.alignment, side,
              lambda i: i if i <= sentence else (sentence if i == sentence + 1 else i - 1))
    _set_text(first, first.text + doc.joiner + second.text, doc.lang)
    _set_entries(review, _entries(review))


ACTIONS = {
    "confirm": _confirm,
    "confirm_many": _confirm_many,
    "reject": _reject,
    "note": _note,
    "edit_text": _edit_text,
    "relink": _relink,
    "link_unmatched": _link_unmatched,
    "merge_next": _merge_next,
    "split": _split,
}


def _check_ids(alignment: Alignment, side: str, ids: list[int]) -> list[int]:
    if not ids:
        raise InputError("link", "choose at least one sentence (to unlink a pair, reject it)")
    for i in ids:
        sentence_at(alignment, side, i)
    return sorted(set(ids))


def _set_text(sentence: Sentence, text: str, lang: str) -> None:
    sentence.text = text
    sentence.norm = normalise(text, lang)
    kept = [f for f in sentence.flags if f.kind != "encoding-damage"]
    sentence.flags = kept + damage_flags(text, sentence=sentence.id)


def _single(side: str, sentence: int) -> Pair:
    return Pair([sentence], [], UNSCORED) if side == "src" else Pair([], [sentence], UNSCORED)


Entry = tuple[Pair, Mark]


def _entries(review: Review) -> list[Entry]:
    return list(zip(review.alignment.pairs, review.marks))


def _detach(entries: list[Entry], side: str, sentence: int) -> list[Entry]:
    """Take a sentence out of its bead. A pair left without sentences on that side
    falls apart into unmatched sentences; a pair that still links something is
    changed. Either way what is left goes back to unreviewed, keeping the note."""
    out: list[Entry] = []
    for pair, mark in entries:
        ids = getattr(pair, side)
        if sentence not in ids:
            out.append((pair, mark))
            continue
        remaining = [i for i in ids if i != sentence]
        setattr(pair, side, remaining)
        if pair.matched:
            out.append((pair, Mark(UNREVIEWED, mark.note)))
        elif remaining:  # an unmatched bead that keeps other sentences
            out.append((pair, mark))
        else:
            other = other_side(side)
            out += [(_single(other, i), Mark(UNREVIEWED, mark.note))
                    for i in getattr(pair, other)]
    return out


def _put(review: Review, entries: list[Entry]) -> None:
    review.alignment.pairs = [p for p, _ in entries]
    review.marks = [m for _, m in entries]


def _set_entries(review: Review, entries: list[Entry]) -> None:
    """Store pairs in reading order of the source and recompute the pair flags."""
    order = {id(p): k for k, p in enumerate(in_reading_order([p for p, _ in entries]))}
    _put(review, sorted(entries, key=lambda e: order[id(e[0])]))
    _refresh_flags(review)


def _refresh_flags(review: Review) -> None:
    """Crossing and one-sided-figure flags follow the current links and texts."""
    alignment = review.alignment
    mark_crossing(alignment.pairs)
    claims.flag_claims(alignment)


def _renumber(alignment: Alignment, side: str, new_id) -> None:
    """Apply ``new_id`` to every reference to a ``side`` sentence id."""
    for sentence in document(alignment, side).sentences:
        sentence.id = new_id(sentence.id)
        for flag in sentence.flags:
            flag.sentence = sentence.id
    for pair in alignment.pairs:
        setattr(pair, side, sorted({new_id(i) for i in getattr(pair, side)}))
        for flag in pair.flags:
            if flag.side == side and flag.sentence is not None:
                flag.sentence = new_id(flag.sentence)
    for sentence in document(alignment, other_side(side)).sentences:
        best: dict[int, float] = {}
        for i, score in sentence.candidates:
            best.setdefault(new_id(i), score)
        sentence.candidates = list(best.items())


