"""Alignment outputs: JSON (the full record), TSV (for spreadsheets) and TMX.

The JSON is exactly ``Alignment.to_dict()``, the one format other tools and
the review app read back; the TSV is a flat view, one row per bead, for
people who open results in a spreadsheet; the TMX (see :mod:`align.tmx`) is
for CAT tools. :func:`write_outputs` writes all three atomically.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from align.atomic import write_atomic
from align.errors import InputError
from align.model import Alignment
from align.support import describe
from align.tmx import bead_text, flag_kinds, to_tmx

TSV_HEADER = ("src_ids", "tgt_ids", "score", "source", "target", "flags", "unsupported")

# Backslash escapes, as in PostgreSQL's and MySQL's text formats: a tab or
# newline inside a sentence would otherwise shift columns or split a row.
# The backslash itself goes first so the escapes it introduces stay intact.
_TSV_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))


def to_json(alignment: Alignment) -> str:
    """``Alignment.to_dict()`` as indented JSON, Chinese kept readable (no ``\\u`` escapes)."""
    return json.dumps(alignment.to_dict(), ensure_ascii=False, indent=2) + "\n"


def read_json(path: str | os.PathLike) -> Alignment:
    """Read an alignment written by :func:`to_json` (or edited by hand or the review app)."""
    where = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(where, f"cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(where, f"not UTF-8 text (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise InputError(where, f"not valid JSON: {exc.msg} at line {exc.lineno}") from exc
    if not isinstance(data, dict):
        raise InputError(where, "not an alignment: the top level is not a JSON object")
    try:
        alignment = Alignment.from_dict(data)
    except KeyError as exc:
        raise InputError(where, f"not an alignment: missing key {exc}") from exc
    except (TypeError, ValueError, AttributeError) as exc:
        raise InputError(where, f"not an alignment: wrong type ({exc})") from exc
    _check_consistent(alignment, where)
    return alignment


def _check_consistent(alignment: Alignment, where: str) -> None:
    """Catch what ``from_dict`` cannot: text that is not text, ids pointing nowhere.

    Everything downstream indexes sentences by id, so a hand-edited file with
    a stray id would otherwise fail much later with an IndexError.
    """
    for side, doc in (("source", alignment.source), ("target", alignment.target)):
        for position, sentence in enumerate(doc.sentences):
            if sentence.id != position:
                raise InputError(where, f"{side} sentence {position} has id {sentence.id}")
            if not isinstance(sentence.text, str) or not isinstance(sentence.norm, str):
                raise InputError(where, f"{side} sentence {position}: text is not a string")
    for index, pair in enumerate(alignment.pairs):
        for side, ids, doc in (
            ("source", pair.src, alignment.source),
            ("target", pair.tgt, alignment.target),
        ):
            bad = [i for i in ids if not 0 <= i < len(doc.sentences)]
            if bad:
                raise InputError(
                    where,
                    f"pair {index}: {side} id {bad[0]} out of range "
                    f"({len(doc.sentences)} sentences)",
                )


def _tsv_field(text: str) -> str:
    for raw, escaped in _TSV_ESCAPES:
        text = text.replace(raw, escaped)
    return text


def to_tsv(alignment: Alignment) -> str:
    """One row per bead, in ``alignment.pairs`` order, under a header row.

    Columns: source ids, target ids (comma-joined), score, source text, target
    text, flag kinds (comma-joined), unsupported spans (``target 3: span; …``,
    see :func:`align.support.describe`). Unmatched sentences appear with an empty
    id list on the other side, so the file accounts for every sentence.
    """
    rows = ["\t".join(TSV_HEADER)]
    for pair in alignment.pairs:
        fields = (
            ",".join(map(str, pair.src)),
            ",".join(map(str, pair.tgt)),
            f"{pair.score:.4f}",
            bead_text(alignment.source, pair.src),
            bead_text(alignment.target, pair.tgt),
            ",".join(flag_kinds(pair)),
            describe(pair),
        )
        rows.append("\t".join(_tsv_field(f) for f in fields))
    return "\n".join(rows) + "\n"


def write_outputs(
    alignment: Alignment,
    out_dir: str | os.PathLike,
    name: str,
    *,
    tmx_options: Mapping[str, Any] | None = None,
) -> dict[str, Path]:
    """Write ``<name>.json``, ``<name>.tmx`` and ``<name>.tsv`` into ``out_dir``.

    ``tmx_options`` are keyword arguments of :func:`align.tmx.to_tmx`. All
    three texts are built before anything is written, so a bad option (say an
    invalid language code) leaves previous outputs untouched rather than
    leaving a new JSON beside a stale TMX.
    """
    if not name or name in (".", "..") or os.sep in name or "/" in name:
        raise InputError("name", f"not a plain file name: {name!r}")
    contents = {
        "json": to_json(alignment),
        "tmx": to_tmx(alignment, **dict(tmx_options or {})),
        "tsv": to_tsv(alignment),
    }
    out = Path(out_dir)
    return {ext: write_atomic(out / f"{name}.{ext}", data) for ext, data in contents.items()}


def summary(alignment: Alignment) -> dict[str, Any]:
    """Counts for the CLI's closing line.

    Unmatched counts leave out captions, bylines and datelines: they are
    never supposed to match, so counting them would make a complete
    alignment look incomplete. ``mean_confidence`` averages every bead's
    score, unmatched ones included, since their score is the confidence that
    the sentence truly has no counterpart.
    """
    pairs = alignment.pairs
    mean = sum(p.score for p in pairs) / len(pairs) if pairs else 0.0
    return {
        "pairs": len(pairs),
        "matched": len(alignment.matched_pairs()),
        "unmatched_src": len(alignment.unmatched("src")),
        "unmatched_tgt": len(alignment.unmatched("tgt")),
        "flagged": sum(1 for p in pairs if p.flags),
        "mean_confidence": round(mean, 4),
    }
