"""The review store: a review kept in SQLite, saved the moment each action is made.

A :class:`ReviewStore` keeps one review in the output folder
(``out/<pair>.review.sqlite``) as

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
Split and merge renumber sentences, so the store counts them in ``layout``,
and an action sent with an older ``layout`` is refused.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from align.errors import InputError
from align.export import to_json
from align.model import Alignment
from align.review.actions import RENUMBERING, apply
from align.review.state import STALE, Review

# A second tab waits this long for the first one's transaction (a few ms in practice).
BUSY_TIMEOUT_MS = 10_000
STORE_SUFFIX = ".review.sqlite"

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


def store_path(out_dir: str | Path, name: str) -> Path:
    """Where the review of pair ``name`` lives: ``<out>/<name>.review.sqlite``."""
    return Path(out_dir) / f"{name}{STORE_SUFFIX}"


def now() -> str:
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
                        (gen, now(), json.dumps(origin or {}), to_json(alignment)))
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
                        (gen, now(), kind, json.dumps(args, ensure_ascii=False)))
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
                        (gen, now(), json.dumps({"seq": last["seq"]}), last["seq"]))
            snapshot = con.execute("SELECT alignment FROM snapshot WHERE gen = ?", (gen,)).fetchone()
            rebuilt = Review.start(Alignment.from_dict(json.loads(snapshot[0])))
            for action in done[:-1]:
                apply(rebuilt, action["kind"], action["args"])
            rebuilt.layout = review.layout + (1 if last["kind"] in RENUMBERING else 0)
            self._save(con, gen, rebuilt)
        return rebuilt

    def _save(self, con: sqlite3.Connection, gen: int, review: Review) -> None:
        con.execute("INSERT OR REPLACE INTO state VALUES (1, ?, ?, ?, ?)",
                    (gen, review.layout, json.dumps(review.to_dict(), ensure_ascii=False), now()))

    # one method per action, for readable calls

    def confirm(self, pair: str, layout: int | None = None) -> Review:
        return self.act("confirm", layout=layout, pair=pair)

    def confirm_many(self, pairs: list[str], layout: int | None = None) -> Review:
        return self.act("confirm_many", layout=layout, pairs=list(pairs))

    def reject(self, pair: str, layout: int | None = None) -> Review:
        return self.act("reject", layout=layout, pair=pair)

    def note(self, pair: str, text: str, layout: int | None = None) -> Review:
        return self.act("note", layout=layout, pair=pair, text=text)

    def edit_text(self, side: str, sentence: int, text: str, layout: int | None = None) -> Review:
        return self.act("edit_text", layout=layout, side=side, sentence=sentence, text=text)

    def relink(self, pair: str, side: str, ids: list[int], taking: list[str] = (),
               layout: int | None = None) -> Review:
        return self.act("relink", layout=layout, pair=pair, side=side, ids=list(ids),
                        taking=list(taking))

    def link_unmatched(self, side: str, sentence: int, ids: list[int], taking: list[str] = (),
                       layout: int | None = None) -> Review:
        return self.act("link_unmatched", layout=layout, side=side, sentence=sentence,
                        ids=list(ids), taking=list(taking))

    def merge_next(self, side: str, sentence: int, layout: int | None = None) -> Review:
        return self.act("merge_next", layout=layout, side=side, sentence=sentence)

    def split(self, side: str, sentence: int, at: int, pair_with: int | None = None,
              layout: int | None = None) -> Review:
        args = {} if pair_with is None else {"pair_with": pair_with}
        return self.act("split", layout=layout, side=side, sentence=sentence, at=at, **args)


