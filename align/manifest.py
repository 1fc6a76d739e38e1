"""Batch manifests: which document pairs to align, one pair per row.

Three spellings of the same table, chosen by file extension (``.csv``,
``.tsv``/``.tab``, ``.jsonl``/``.ndjson``; anything else is sniffed):

- CSV or TSV with a header row naming the columns;
- JSON lines, one object per line with the same keys (or a JSON array of them).

``source`` and ``target`` are required; ``id``, ``src_lang``, ``tgt_lang`` and
``mode`` are optional, and any other column (``note``, a corpus's own
metadata) is ignored. Relative paths are relative to the manifest's folder,
so a corpus folder can be moved or shared with its manifest inside it
(``corpus/manifest.tsv`` is one).

The whole manifest is checked before anything runs: a typo found on row 900
after hours of embedding would waste them. Problems with the files a row
points to (missing, empty, not text) are left to the batch run, which
reports that pair as failed and carries on.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError
from .pipeline import MODES

REQUIRED = ("source", "target")
OPTIONAL = ("id", "src_lang", "tgt_lang", "mode")
JSONL_SUFFIXES = (".jsonl", ".ndjson")
DELIMITERS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}

# An id names the pair's output files (<id>.json, ...), so it must be a
# relative path that stays inside the output folder: word characters, dots
# and hyphens, optionally in sub-folders ("books/ch01"), never "." or "..".
_ID_PART = r"[\w.-]+"
_ID = re.compile(rf"{_ID_PART}(?:/{_ID_PART})*")
# Names of the batch-wide outputs written beside the pairs' own files.
RESERVED_IDS = frozenset({"batch", "batch-summary"})


@dataclass(frozen=True)
class PairJob:
    """One pair to align: its id (the output name), its files and per-pair overrides.

    ``src_lang``/``tgt_lang``/``mode`` are ``None`` when the manifest leaves
    them to the batch's defaults. ``origin`` says where the row came from
    (``manifest.tsv line 3``) for messages.
    """

    id: str
    source: Path
    target: Path
    src_lang: str | None = None
    tgt_lang: str | None = None
    mode: str | None = None
    origin: str = ""


def read_manifest(path: str | Path) -> list[PairJob]:
    """Parse a CSV/TSV/JSON-lines (or JSON array) manifest into jobs, in file order."""
    path = Path(path)
    text = _read(path)
    if not text.strip():
        raise InputError(str(path), "the manifest is empty: it needs a header row (source, "
                                    "target) and a row per pair")
    if text.lstrip().startswith("["):
        rows = _json_array_rows(text, path)
    elif path.suffix.lower() in JSONL_SUFFIXES or _looks_like_jsonl(path, text):
        rows = _jsonl_rows(text, path)
    else:
        rows = _table_rows(text, path)
    if not rows:
        raise InputError(str(path), "no pairs listed (only a header or blank lines)")
    jobs = [_job(row, origin, path) for origin, row in rows]
    check_ids(jobs, str(path))
    return jobs


def check_ids(jobs: list[PairJob], where: str) -> None:
    """Reject ids that would overwrite each other's (or the batch's) output files."""
    seen: dict[str, str] = {}
    for job in jobs:
        if not _ID.fullmatch(job.id) or any(part in (".", "..") for part in job.id.split("/")):
            raise InputError(where, f"{job.origin}: id {job.id!r} is not a usable file name "
                                    "(letters, digits, '.', '_', '-', '/' between folders)")
        if job.id in RESERVED_IDS:
            raise InputError(where, f"{job.origin}: id {job.id!r} is reserved for the batch's "
                                    "own outputs; choose another")
        if job.id in seen:
            raise InputError(where, f"{job.origin}: id {job.id!r} repeats {seen[job.id]}; "
                                    "ids name output files, so they must be unique")
        seen[job.id] = job.origin


def _read(path: Path) -> str:
    if not path.is_file():
        raise InputError(str(path), "no such manifest file" if not path.exists() else "not a file")
    try:
        return path.read_text(encoding="utf-8-sig")  # spreadsheets save CSV with a BOM
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not UTF-8 text (byte {exc.start}); save the manifest "
                                    "as UTF-8") from exc


def _looks_like_jsonl(path: Path, text: str) -> bool:
    return path.suffix.lower() not in DELIMITERS and text.lstrip().startswith("{")


def _json_array_rows(text: str, path: Path) -> list[tuple[str, dict]]:
    """A JSON array of row objects (what a script writing JSON gives), item by item."""
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"line {exc.lineno}: not valid JSON: {exc.msg}") from exc
    if not isinstance(items, list):
        raise InputError(str(path), "expected a JSON array of objects, or one object per line")
    rows = []
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise InputError(str(path), f"item {number}: expected a JSON object with "
                                        "\"source\" and \"target\"")
        rows.append((f"item {number}", item))
    return rows


def _jsonl_rows(text: str, path: Path) -> list[tuple[str, dict]]:
    rows = []
    for line_no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(str(path), f"line {line_no}: not valid JSON: {exc.msg}") from exc
        if not isinstance(row, dict):
            raise InputError(str(path), f"line {line_no}: expected a JSON object with "
                                        "\"source\" and \"target\"")
        rows.append((f"line {line_no}", row))
    return rows


def _table_rows(text: str, path: Path) -> list[tuple[str, dict]]:
    """Rows of a CSV/TSV with a header; the delimiter is the extension's, else sniffed.

    The sniff only chooses between tab and comma from the header line, the
    one line sure to hold every column: csv.Sniffer guesses wildly on
    paths full of dots and slashes.
    """
    header = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = DELIMITERS.get(path.suffix.lower()) or ("\t" if "\t" in header else ",")
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    columns = [c.strip() for c in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise InputError(str(path), f"the header has no {' or '.join(missing)} column (found: "
                                    f"{', '.join(columns) or 'nothing'}); the first row must "
                                    "name the columns, e.g. id, source, target")
    reader.fieldnames = columns
    rows = []
    for row in reader:
        if not any((v or "").strip() for k, v in row.items() if k is not None):
            continue
        if row.get(None):
            raise InputError(str(path), f"line {reader.line_num}: more fields than the header "
                                        f"has columns ({len(columns)})")
        rows.append((f"line {reader.line_num}", {k: v for k, v in row.items() if k is not None}))
    return rows


def _job(row: dict, origin: str, manifest: Path) -> PairJob:
    values = {key: _field(row, key, manifest, origin) for key in REQUIRED + OPTIONAL}
    for key in REQUIRED:
        if not values[key]:
            raise InputError(str(manifest), f"{origin}: no {key} file given")
    mode = values["mode"]
    if mode and mode not in MODES:
        raise InputError(str(manifest), f"{origin}: unknown mode {mode!r} "
                                        f"(use one of {', '.join(MODES)})")
    source = _resolve(values["source"], manifest)
    return PairJob(
        id=values["id"] or _default_id(source),
        source=source,
        target=_resolve(values["target"], manifest),
        src_lang=values["src_lang"],
        tgt_lang=values["tgt_lang"],
        mode=mode,
        origin=origin,
    )


def _field(row: dict, key: str, manifest: Path, origin: str) -> str | None:
    """A cell as a trimmed string, ``None`` when absent or blank."""
    value = row.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(str(manifest), f"{origin}: {key} must be a string, not {value!r}")
    return value.strip() or None


def _resolve(name: str, manifest: Path) -> Path:
    path = Path(name)
    return path if path.is_absolute() else manifest.parent / path


def _default_id(source: Path) -> str:
    """The source file's stem (``report.zh.txt`` → ``report.zh``)."""
    return source.stem
