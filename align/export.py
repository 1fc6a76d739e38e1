"""Alignment outputs: JSON (the full record), TSV (for spreadsheets) and TMX.

The JSON is exactly ``Alignment.to_dict()``, the one format other tools and
the review app read back; the TSV is a flat view, one row per bead, for
people who open results in a spreadsheet; the TMX (see :mod:`align.tmx`) is
for CAT tools. :func:`write_outputs` writes all three atomically.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from align.atomic import write_atomic_set
from align.errors import InputError
from align.model import Alignment
from align.support import describe
from align.tmx import bead_text, flag_kinds, to_tmx

TSV_HEADER = ("src_ids", "tgt_ids", "score", "source", "target", "flags", "unsupported")

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


def tsv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Rows as tab-separated text, quoted as spreadsheets and csv readers expect: a
    field holding a tab, a line break or a double quote is put in double quotes (the
    quotes inside doubled), so a sentence that opens with a quotation mark comes back
    whole from ``csv.reader(f, delimiter="\\t")``, pandas, LibreOffice or Excel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def tsv_rows(alignment: Alignment, script: str = "original") -> list[tuple[str, ...]]:
    """One row per bead, in ``alignment.pairs`` order (see :func:`to_tsv`)."""
    return [(",".join(map(str, pair.src)),
             ",".join(map(str, pair.tgt)),
             f"{pair.score:.4f}",
             bead_text(alignment.source, pair.src, script=script),
             bead_text(alignment.target, pair.tgt, script=script),
             ",".join(flag_kinds(pair)),
             describe(pair))
            for pair in alignment.pairs]


def to_tsv(alignment: Alignment, script: str = "original") -> str:
    """One row per bead, in ``alignment.pairs`` order, under a header row.

    Columns: source ids, target ids (comma-joined), score, source text, target
    text (Chinese in the ``script`` the TMX gets), flag kinds (comma-joined),
    unsupported spans (``target 3: span; …``, see :func:`align.support.describe`).
    Unmatched sentences appear with an empty id list on the other side, so the
    file accounts for every sentence.
    """
    return tsv(TSV_HEADER, tsv_rows(alignment, script))


def write_outputs(
    alignment: Alignment,
    out_dir: str | os.PathLike,
    name: str,
    *,
    tmx_options: Mapping[str, Any] | None = None,
) -> dict[str, Path]:
    """Write ``<name>.json``, ``<name>.tmx`` and ``<name>.tsv`` into ``out_dir``.

    ``tmx_options`` are keyword arguments of :func:`align.tmx.to_tmx` (its ``script``
    applies to the TSV too). All three texts are built, then written as one set
    (:func:`align.atomic.write_atomic_set`): a bad option (say an invalid language
    code) or a file that cannot be written leaves the previous outputs untouched,
    never a new JSON beside a stale TMX.
    """
    check_name(name)
    options = dict(tmx_options or {})
    out = Path(out_dir)
    contents = {
        out / f"{name}.json": to_json(alignment),
        out / f"{name}.tmx": to_tmx(alignment, **options),
        out / f"{name}.tsv": to_tsv(alignment, script=options.get("script", "original")),
    }
    return dict(zip(("json", "tmx", "tsv"), write_atomic_set(contents)))


def check_name(name: str) -> None:
    """An output name is a file name stem, not a path (``--name``)."""
    if not name or name in (".", "..") or os.sep in name or "/" in name:
        raise InputError("--name", f"not a plain file name: {name!r}")


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
