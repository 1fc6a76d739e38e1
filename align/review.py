"""Reviewing an alignment: a translator's decisions, saved the moment they are made.

A :class:`Review` is an :class:`~align.model.Alignment` plus one :class:`Mark`
(status and note) per pair. A :class:`ReviewStore` keeps it in SQLite, in the
output folder (``out/<pair>.review.sqlite``), as

- the alignment **snapshot** the review started from (JSON, never changed),
- an **append-only action log** (confirm, reject, edit, re-link, ...): the
  audit trail, and what undo replays,
- the **current state** (the snapshot with every applied action), so opening
  a review is one read, not a replay.

Every action is one ``BEGIN IMMEDIATE`` transaction that reads the current
state, applies the action and writes the log row and the new state: closing
the tab or killing the server loses nothing, and two browser tabs on the same
pair queue behind each other (``busy_timeout``) instead of overwriting each
other's rows. Undo appends an ``undo`` row naming the action it cancels and
rebuilds the state by replaying the snapshot with the actions still in force.

How things are addressed, and why that is safe with two tabs:

- A pair is addressed by its key, its sentence ids in bead notation without
  brackets (``"3,31:1"``; ``"5:"`` and ``":2"`` for unmatched sentences).
  Every sentence is in exactly one bead, so a key is unique; a tab holding a
  key that another tab has since re-linked gets a clear "changed elsewhere"
  error instead of acting on the wrong pair. Setting a status or a note is
  last-write-wins per pair.
- Sentences keep their ids through edits: an edit changes ``text`` (what is
  shown and exported), recomputes ``norm`` and the encoding-damage flags, and
  nothing else. Split and merge renumber the sentences after the one they
  touch, so the document stays consistent (``id == position``, as
  :func:`align.export.read_json` checks) and every exported file is a normal
  alignment. Renumbering is the one change that invalidates ids a stale tab
  may hold, so the store counts it in ``layout``, and an action sent with an
  older ``layout`` is refused.
- Split and merge change the segmentation, not the links: both halves of a
  split sentence stay in its bead, and a merged sentence stays in the first
  one's bead (the second leaves its own). Split halves inherit the
  sentence's re-link candidates; nothing is re-embedded.
"""

from __future__ import annotations

import inspect
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from align import claims
from align.atomic import write_atomic
from align.errors import InputError
from align.export import to_json, to_tsv
from align.model import NOT_CLAIMS, Alignment, Document, Flag, Pair, Sentence, in_reading_order, mark_crossing
from align.normalise import damage_flags, normalise
from align.tmx import DEFAULT_MIN_SCORE, to_tmx

SIDES = ("src", "tgt")
UNREVIEWED, CONFIRMED, REJECTED = "unreviewed", "confirmed", "rejected"
STATUSES = (UNREVIEWED, CONFIRMED, REJECTED)

# Three confidence bands, coloured green/amber/red as CAT-tool aligners do.
# Scores are calibrated probabilities that a link is right: below 0.6 a link
# is close to a coin toss and needs a reviewer; from 0.8 it is usually right.
HIGH_CONFIDENCE = 0.8
LOW_CONFIDENCE = 0.6
BANDS = ("high", "medium", "low")

# A link a reviewer made is certain; a sentence a reviewer unlinked was never
# judged on its own by the aligner, so it has no confidence of being unmatched.
REVIEWER_SCORE = 1.0
UNSCORED = 0.0

FILTERS = ("all", "low confidence", "unmatched", "flagged", "unreviewed")

# Actions that renumber sentences (see the module docstring).
RENUMBERING = frozenset({"split", "merge_next"})
# A second tab waits this long for the first one's transaction (a few ms in practice).
BUSY_TIMEOUT_MS = 10_000
STORE_SUFFIX = ".review.sqlite"

STALE = "changed in another tab or window since this page was drawn; it now shows the current state"

SCHEMA = """
CREATE TABLE IF NOT EXISTS snapshot (
    gen INTEGER PRIMARY KEY, created TEXT NOT NULL, origin TEXT NOT NULL, alignment TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS action (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, gen INTEGER NOT NULL, at TEXT NOT NULL,
    kind TEXT NOT NULL, args TEXT NOT NULL, undoes INTEGER);
CREATE TABLE IF NOT EXISTS state (
    id INTEGER PRIMARY KEY CHECK (id = 1), gen INTEGER NOT NULL, layout INTEGER NOT NULL,
    review TEXT NOT NULL, updated TEXT NOT NULL);
"""


def pair_key(pair: Pair) -> str:
    """``"3,31:1"``: the pair's source and target ids (see the module docstring)."""
    return f"{','.join(map(str, pair.src))}:{','.join(map(str, pair.tgt))}"


def band(score: float) -> str:
    """``high``, ``medium`` or ``low``."""
    if score >= HIGH_CONFIDENCE:
        return "high"
    return "medium" if score >= LOW_CONFIDENCE else "low"


def other_side(side: str) -> str:
    return "tgt" if side == "src" else "src"


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


@dataclass
class Mark:
    """A reviewer's verdict on one pair."""

    status: str = UNREVIEWED
    note: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"status": self.status, "note": self.note}


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
        _sentence(self.alignment, side, sentence)
        return next(i for i, p in enumerate(self.alignment.pairs) if sentence in getattr(p, side))

    def tmx_review(self) -> dict[int, dict[str, str]]:
        """What :func:`align.tmx.to_tmx` takes as ``review``: reviewed or annotated pairs."""
        return {i: m.to_dict() for i, m in enumerate(self.marks) if m.status != UNREVIEWED or m.note}

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
        if view == "low confidence":
            return band(pair.score) == "low"
        if view == "unmatched":
            return is_unmatched_claim(pair, self.alignment)
        if view == "flagged":
            return is_flagged(pair, self.alignment)
        if view == "unreviewed":
            return mark.status == UNREVIEWED
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


# --- actions: pure functions on a Review -------------------------------------------------


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
    entries += [(_single(side, i), Mark(REJECTED, mark.note)) for side in SIDES
                for i in getattr(bead, side)]
    _set_entries(review, entries)


def _relink(review: Review, pair: str, side: str, ids: list[int]) -> None:
    """Make ``ids`` the ``side`` sentences of a pair; the sentences it drops become
    unmatched, and the ones it takes leave their beads. The result is confirmed."""
    index = review.find(pair)
    _check_side(side)
    ids = _check_ids(review.alignment, side, ids)
    bead = review.alignment.pairs[index]
    if not getattr(bead, other_side(side)):
        raise InputError(f"pair {pair}", f"has no {_side_name(other_side(side))} sentence "
                                         "to link to")
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


def _link_unmatched(review: Review, side: str, sentence: int, ids: list[int]) -> None:
    """Link an unmatched sentence to counterpart(s) on the other side."""
    _check_side(side)
    bead = review.alignment.pairs[review.bead_of(side, sentence)]
    if bead.matched:
        raise InputError(f"{_side_name(side)} sentence {sentence}",
                         f"already linked (pair {pair_key(bead)}): re-link that pair instead")
    _relink(review, pair_key(bead), other_side(side), ids)


def _edit_text(review: Review, side: str, sentence: int, text: str) -> None:
    _check_side(side)
    doc = document(review.alignment, side)
    target = _sentence(review.alignment, side, sentence)
    text = doc.joiner.join(line.strip() for line in text.splitlines() if line.strip())
    if not text:
        raise InputError(f"{_side_name(side)} sentence {sentence}",
                         "empty text: to drop a sentence, merge it into its neighbour or reject its pair")
    _set_text(target, text, doc.lang)
    _refresh_flags(review)


def _split(review: Review, side: str, sentence: int, at: int) -> None:
    """Cut a sentence at character ``at``; the second half becomes sentence ``sentence + 1``."""
    _check_side(side)
    doc = document(review.alignment, side)
    first = _sentence(review.alignment, side, sentence)
    head, tail = first.text[:at].strip(), first.text[at:].strip()
    if not 0 < at < len(first.text) or not head or not tail:
        raise InputError(f"{_side_name(side)} sentence {sentence}",
                         f"cannot split at character {at}: both parts must have text")
    _renumber(review.alignment, side, lambda i: i + 1 if i > sentence else i)
    second = Sentence(id=sentence + 1, text=tail, norm="", paragraph=first.paragraph,
                      flags=[Flag(f.kind, sentence=sentence + 1) for f in first.flags
                             if f.kind in NOT_CLAIMS],
                      candidates=list(first.candidates))
    doc.sentences.insert(sentence + 1, second)
    _set_text(first, head, doc.lang)
    _set_text(second, tail, doc.lang)
    bead = review.alignment.pairs[review.bead_of(side, sentence)]
    setattr(bead, side, sorted([*getattr(bead, side), sentence + 1]))
    _set_entries(review, _entries(review))


def _merge_next(review: Review, side: str, sentence: int) -> None:
    """Join a sentence with the next one; the result stays in the first one's bead.

    It is a caption (byline, dateline) only if both parts were: merging a
    caption into body text makes it content again.
    """
    _check_side(side)
    doc = document(review.alignment, side)
    first = _sentence(review.alignment, side, sentence)
    if sentence + 1 >= len(doc.sentences):
        raise InputError(f"{_side_name(side)} sentence {sentence}", "is the last sentence: "
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
    "reject": _reject,
    "note": _note,
    "edit_text": _edit_text,
    "relink": _relink,
    "link_unmatched": _link_unmatched,
    "merge_next": _merge_next,
    "split": _split,
}


def _side_name(side: str) -> str:
    return "source" if side == "src" else "target"


def _check_side(side: str) -> None:
    if side not in SIDES:
        raise InputError("side", f"must be 'src' or 'tgt', not {side!r}")


def _sentence(alignment: Alignment, side: str, sentence: int) -> Sentence:
    _check_side(side)
    sentences = document(alignment, side).sentences
    if not isinstance(sentence, int) or not 0 <= sentence < len(sentences):
        raise InputError(f"{_side_name(side)} sentence {sentence}",
                         f"no such sentence ({len(sentences)} sentences): {STALE}")
    return sentences[sentence]


def _check_ids(alignment: Alignment, side: str, ids: list[int]) -> list[int]:
    if not ids:
        raise InputError("link", "choose at least one sentence (to unlink a pair, reject it)")
    for i in ids:
        _sentence(alignment, side, i)
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
    changed, so it goes back to unreviewed."""
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
            out += [(_single(other, i), Mark()) for i in getattr(pair, other)]
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


# --- the store -------------------------------------------------------------------------


def store_path(out_dir: str | Path, name: str) -> Path:
    """Where the review of pair ``name`` lives: ``<out>/<name>.review.sqlite``."""
    return Path(out_dir) / f"{name}{STORE_SUFFIX}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ReviewStore:
    """A review on disk (see the module docstring). Use as a context manager.

    ``origin`` records where the alignment came from (files, languages, mode,
    model) so the app can re-run it.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._con = sqlite3.connect(self.path, isolation_level=None,
                                        timeout=BUSY_TIMEOUT_MS / 1000)
            self._con.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            self._con.execute("PRAGMA journal_mode=WAL")
            # FULL: each commit is synced, so a power cut cannot take back an action.
            self._con.execute("PRAGMA synchronous=FULL")
            self._con.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise InputError(str(self.path), f"cannot open the review store: {exc}") from exc

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._con.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write; a second writer waits for it (busy_timeout) rather than failing."""
        try:
            self._con.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise InputError(str(self.path), f"the review store is busy or locked: {exc}") from exc
        try:
            yield self._con
            self._con.execute("COMMIT")
        except BaseException:
            self._con.execute("ROLLBACK")
            raise

    # reading

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """A damaged file (truncated, edited by hand) is reported, never a traceback."""
        try:
            yield
        except (sqlite3.DatabaseError, ValueError, KeyError, TypeError) as exc:
            raise InputError(str(self.path), f"damaged review store: {exc}") from exc

    def load(self) -> Review | None:
        """The current state, or None if nothing has been aligned into this store yet."""
        with self._reading():
            row = self._con.execute("SELECT layout, review FROM state WHERE id = 1").fetchone()
            return None if row is None else Review.from_dict(json.loads(row[1]), layout=row[0])

    def origin(self) -> dict[str, Any]:
        with self._reading():
            row = self._con.execute("SELECT origin FROM snapshot ORDER BY gen DESC LIMIT 1").fetchone()
            return json.loads(row[0]) if row else {}

    def history(self) -> list[dict[str, Any]]:
        """The actions in force in the current review, oldest first."""
        with self._reading():
            rows = self._con.execute(
                "SELECT seq, at, kind, args FROM action WHERE gen = ? AND kind != 'undo' AND seq"
                " NOT IN (SELECT undoes FROM action WHERE undoes IS NOT NULL) ORDER BY seq",
                (self._gen(),))
            return [{"seq": seq, "at": at, "kind": kind, "args": json.loads(args)}
                    for seq, at, kind, args in rows]

    def _gen(self) -> int:
        return self._con.execute("SELECT COALESCE(MAX(gen), 0) FROM snapshot").fetchone()[0]

    def _state(self) -> Review:
        review = self.load()
        if review is None:
            raise InputError(str(self.path), "nothing to review yet: align the pair first")
        return review

    # writing

    def start(self, alignment: Alignment, origin: dict[str, Any] | None = None) -> Review:
        """Begin a new review of ``alignment``. An earlier review in this store stays in
        it (snapshot and log) for the record; the app asks before doing this."""
        review = Review.start(alignment)
        with self._transaction() as con:
            gen = self._gen() + 1
            row = con.execute("SELECT layout FROM state WHERE id = 1").fetchone()
            review.layout = row[0] + 1 if row else 0  # stale tabs of the old review are refused
            con.execute("INSERT INTO snapshot VALUES (?, ?, ?, ?)",
                        (gen, _now(), json.dumps(origin or {}), to_json(alignment)))
            self._save(con, gen, review)
        return review

    def act(self, kind: str, *, layout: int | None = None, **args: Any) -> Review:
        """Apply and record one action atomically; returns the new state.

        ``layout`` is the one the caller's view was drawn with: an action on
        sentence ids that have been renumbered since is refused.
        """
        with self._transaction() as con:
            review = self._state()
            if layout is not None and layout != review.layout:
                raise InputError("review", f"the sentences were re-numbered (split or merge): {STALE}")
            apply(review, kind, args)
            if kind in RENUMBERING:
                review.layout += 1
            gen = self._gen()
            con.execute("INSERT INTO action (gen, at, kind, args) VALUES (?, ?, ?, ?)",
                        (gen, _now(), kind, json.dumps(args, ensure_ascii=False)))
            self._save(con, gen, review)
        return review

    def undo(self, expect: int | None = None) -> Review:
        """Cancel the latest action in force (``expect``: its seq, as the caller saw it)."""
        with self._transaction() as con:
            review = self._state()
            done = self.history()
            if not done:
                raise InputError("undo", "nothing to undo")
            last = done[-1]
            if expect is not None and last["seq"] != expect:
                raise InputError("undo", f"the last action is no longer the one shown: {STALE}")
            gen = self._gen()
            con.execute("INSERT INTO action (gen, at, kind, args, undoes) VALUES (?, ?, 'undo', ?, ?)",
                        (gen, _now(), json.dumps({"seq": last["seq"]}), last["seq"]))
            snapshot = con.execute("SELECT alignment FROM snapshot WHERE gen = ?", (gen,)).fetchone()
            rebuilt = Review.start(Alignment.from_dict(json.loads(snapshot[0])))
            for action in done[:-1]:
                apply(rebuilt, action["kind"], action["args"])
            rebuilt.layout = review.layout + (1 if last["kind"] in RENUMBERING else 0)
            self._save(con, gen, rebuilt)
        return rebuilt

    def _save(self, con: sqlite3.Connection, gen: int, review: Review) -> None:
        con.execute("INSERT OR REPLACE INTO state VALUES (1, ?, ?, ?, ?)",
                    (gen, review.layout, json.dumps(review.to_dict(), ensure_ascii=False), _now()))

    # one method per action, for readable calls

    def confirm(self, pair: str, layout: int | None = None) -> Review:
        return self.act("confirm", layout=layout, pair=pair)

    def reject(self, pair: str, layout: int | None = None) -> Review:
        return self.act("reject", layout=layout, pair=pair)

    def note(self, pair: str, text: str, layout: int | None = None) -> Review:
        return self.act("note", layout=layout, pair=pair, text=text)

    def edit_text(self, side: str, sentence: int, text: str, layout: int | None = None) -> Review:
        return self.act("edit_text", layout=layout, side=side, sentence=sentence, text=text)

    def relink(self, pair: str, side: str, ids: list[int], layout: int | None = None) -> Review:
        return self.act("relink", layout=layout, pair=pair, side=side, ids=list(ids))

    def link_unmatched(self, side: str, sentence: int, ids: list[int],
                       layout: int | None = None) -> Review:
        return self.act("link_unmatched", layout=layout, side=side, sentence=sentence, ids=list(ids))

    def merge_next(self, side: str, sentence: int, layout: int | None = None) -> Review:
        return self.act("merge_next", layout=layout, side=side, sentence=sentence)

    def split(self, side: str, sentence: int, at: int, layout: int | None = None) -> Review:
        return self.act("split", layout=layout, side=side, sentence=sentence, at=at)


# --- exports -------------------------------------------------------------------------


def export_tmx(review: Review, *, confirmed_only: bool = True,
               min_score: float = DEFAULT_MIN_SCORE, script: str = "original") -> bytes:
    """TMX of the reviewed alignment, statuses and notes as ``x-status`` props and ``<note>``s.

    ``confirmed_only``: every confirmed pair whatever its score (a reviewer's
    confirmation overrides the aligner); otherwise every pair scoring at
    least ``min_score`` (a rejected pair is no longer a pair).
    """
    if confirmed_only:
        return to_tmx(review.alignment, min_score=0.0, script=script,
                      review=review.tmx_review(), pairs=review.confirmed())
    return to_tmx(review.alignment, min_score=min_score, script=script, review=review.tmx_review())


def export_tsv(review: Review) -> str:
    """:func:`align.export.to_tsv` with two more columns, status and note (one line each)."""
    lines = to_tsv(review.alignment).splitlines()
    rows = [lines[0] + "\tstatus\tnote"]
    rows += [f"{line}\t{m.status}\t{' '.join(m.note.split())}"
             for line, m in zip(lines[1:], review.marks)]
    return "\n".join(rows) + "\n"


def export_json(review: Review) -> str:
    """The reviewed alignment's JSON with a ``review`` list (status and note per pair)."""
    return json.dumps(review.to_dict(), ensure_ascii=False, indent=2) + "\n"


MARKDOWN_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_[]<>#|"})


def _md(text: str) -> str:
    return text.translate(MARKDOWN_SPECIAL)


def report_markdown(review: Review, name: str) -> str:
    """The review report: where it came from, counts by status and band, unmatched claims, notes."""
    alignment, counts = review.alignment, review.counts()
    lines = [
        f"# Review report: {_md(name)}",
        "",
        f"- Source: {_md(alignment.source.path)} ({alignment.source.lang})",
        f"- Target: {_md(alignment.target.path)} ({alignment.target.lang})",
        f"- Mode: {alignment.mode}; model: {_md(alignment.model)}",
        f"- Written: {_now()}",
        "",
        "## Pairs by status",
        "",
        "| status | pairs |",
        "|---|---:|",
        *(f"| {s} | {n} |" for s, n in counts["status"].items()),
        "",
        "## Links by confidence",
        "",
        "| band | score | links |",
        "|---|---|---:|",
        f"| high | ≥ {HIGH_CONFIDENCE} | {counts['band']['high']} |",
        f"| medium | {LOW_CONFIDENCE}–{HIGH_CONFIDENCE} | {counts['band']['medium']} |",
        f"| low | < {LOW_CONFIDENCE} | {counts['band']['low']} |",
    ]
    for side in SIDES:
        doc = document(alignment, side)
        unmatched = alignment.unmatched(side)
        lines += ["", f"## Unmatched claims, {_side_name(side)} ({doc.lang}): {len(unmatched)}", ""]
        status = {i: m.status for p, m in zip(alignment.pairs, review.marks)
                  for i in getattr(p, side)}
        lines += [f"- [{s.id}] {_md(s.text)} *({status.get(s.id, UNREVIEWED)})*" for s in unmatched]
    notes = [(pair_key(p), m) for p, m in zip(alignment.pairs, review.marks) if m.note]
    if notes:
        lines += ["", "## Reviewer notes", ""]
        lines += [f"- pair {key} ({m.status}): {_md(m.note)}" for key, m in notes]
    return "\n".join(lines) + "\n"


EXPORT_FILES = {"tmx": ".reviewed.tmx", "tsv": ".reviewed.tsv", "json": ".reviewed.json",
                "report": ".review.md"}


def write_exports(review: Review, out_dir: str | Path, name: str, *, confirmed_only: bool = True,
                  min_score: float = DEFAULT_MIN_SCORE, script: str = "original") -> dict[str, Path]:
    """Write the reviewed TMX, TSV, JSON and the Markdown report into ``out_dir``, atomically.

    Everything is built before anything is written, so a bad option leaves
    earlier exports as they were.
    """
    contents = {
        "tmx": export_tmx(review, confirmed_only=confirmed_only, min_score=min_score, script=script),
        "tsv": export_tsv(review),
        "json": export_json(review),
        "report": report_markdown(review, name),
    }
    return {kind: write_atomic(Path(out_dir) / f"{name}{EXPORT_FILES[kind]}", data)
            for kind, data in contents.items()}
