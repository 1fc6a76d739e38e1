"""Which pairs the app can open, and how an alignment gets into a review store.

A pair is described by an *origin*: the two files, their languages, the mode
and the model, or an alignment JSON file that ``align pair``/``align batch``
wrote (opened as it is, never re-aligned). Corpus pairs come from ``corpus/manifest.tsv``; uploaded pairs
are saved under ``<out>/uploads/<name>/`` so they can be re-aligned later, and
their origin lives in their review store. Everything here calls the
``align`` library; nothing is aligned or validated by the app itself.
"""

from __future__ import annotations

import csv
import hashlib
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from align.atomic import write_atomic
from align.embed import Encoder
from align.errors import InputError
from align.export import read_json
from align.ingest import load_document
from align.model import Alignment
from align.pipeline import MODES, align_documents
from align.review import STORE_SUFFIX, ReviewStore
from align.review.exports import EXPORT_FILES

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
FLAGSHIP = "waic2025"

# An upload is aligned while the user waits, at about 15-20 sentences a second
# on one core with the default model: 500 kB (some 5,000 Chinese sentences) is
# already minutes. Bigger texts belong to `align pair` on the command line.
MAX_UPLOAD_BYTES = 500_000
UPLOAD_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")

REVIEWED_SUFFIX = EXPORT_FILES["json"]

Origin = dict[str, Any]
Progress = Callable[[str, int, int], None]


def manifest_pairs() -> dict[str, Origin]:
    """The corpus pairs, by id, as origins with paths relative to the project root."""
    with open(CORPUS / "manifest.tsv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return {row["id"]: {"name": row["id"], "source": f"corpus/{row['source']}",
                        "target": f"corpus/{row['target']}", "src_lang": row["src_lang"],
                        "tgt_lang": row["tgt_lang"], "mode": row["mode"], "note": row["note"]}
            for row in rows}


def available_pairs(out: Path) -> dict[str, Origin]:
    """Corpus pairs, then every pair reviewed in ``out`` (uploads), by name."""
    pairs = manifest_pairs()
    for path in sorted(out.glob(f"*{STORE_SUFFIX}")):
        name = path.name[: -len(STORE_SUFFIX)]
        if name not in pairs:
            try:
                with ReviewStore(path) as store:
                    origin = store.origin()
            except InputError:  # a damaged store is reported when it is opened, not here
                continue
            if origin:
                pairs[name] = origin
    return pairs


def alignment_files(paths: list[str]) -> dict[str, Origin]:
    """Origins for alignment JSON files written by ``align pair`` or ``align batch``, by
    name (the file's stem): a folder gives every pair JSON in it (a batch output
    folder as a list of pairs). Opening one reads the file; nothing is re-aligned.
    Files that are not alignments are reported when opened, not here, so listing a
    folder of books stays one directory read."""
    found: dict[str, Origin] = {}
    for given in paths:
        path = Path(given).expanduser()
        files = sorted(path.glob("*.json")) if path.is_dir() else [path]
        batch = path.name if path.is_dir() else None
        for file in files:
            if file.name.endswith(REVIEWED_SUFFIX):  # the review app's own export
                continue
            found[file.stem] = {"name": file.stem, "json": str(file.resolve()),
                                "note": f"batch {batch}" if batch else "alignment file",
                                **({"batch": str(path.resolve())} if batch else {})}
    return found


def open_json(origin: Origin) -> Alignment:
    """The alignment an origin's JSON file holds (see :func:`alignment_files`)."""
    return read_json(origin["json"])


def _resolve(path: str) -> Path:
    """Origins store corpus paths relative to the project, upload paths absolute."""
    p = Path(path)
    return p if p.is_absolute() else ROOT / p


def align_origin(origin: Origin, encoder: Encoder, progress: Progress | None = None) -> Alignment:
    """Read both files of a pair and align them; documents keep the names a user knows."""
    source = load_document(_resolve(origin["source"]), origin.get("src_lang") or None)
    target = load_document(_resolve(origin["target"]), origin.get("tgt_lang") or None)
    source.path = origin.get("source_name") or origin["source"]
    target.path = origin.get("target_name") or origin["target"]
    return align_documents(source, target, encoder, mode=origin.get("mode") or "auto",
                           progress=progress)


def save_upload(out: Path, source: tuple[str, bytes], target: tuple[str, bytes],
                src_lang: str, tgt_lang: str, mode: str) -> Origin:
    """Check two uploaded files, keep them under ``out/uploads/<name>/`` and return the origin.

    Each file is read back through the library's own reader, so an empty,
    binary, undecodable or wrong-language file is refused here, with the
    user's file name, before any model is loaded.
    """
    if mode not in MODES:
        raise InputError("mode", f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
    for filename, data in (source, target):
        _check_upload(filename, data)
    digest = hashlib.sha1(source[1] + b"\0" + target[1]).hexdigest()[:8]
    name = f"upload-{_slug(Path(source[0]).stem)}-{digest}"
    folder = out / "uploads" / name
    paths = []
    try:
        for side, (filename, data), lang in (("source", source, src_lang), ("target", target, tgt_lang)):
            path = write_atomic(folder / f"{side}{Path(filename).suffix.lower()}", data)
            try:
                load_document(path, lang or None)
            except InputError as exc:
                raise InputError(filename, exc.problem) from exc
            paths.append(path)
    except InputError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return {"name": name, "source": str(paths[0].resolve()), "target": str(paths[1].resolve()),
            "source_name": source[0], "target_name": target[0], "src_lang": src_lang,
            "tgt_lang": tgt_lang, "mode": mode}


def _check_upload(filename: str, data: bytes) -> None:
    if Path(filename).suffix.lower() not in UPLOAD_SUFFIXES:
        raise InputError(filename, f"not a text file: upload {', '.join(UPLOAD_SUFFIXES)}")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError(filename, f"too large for the app: {len(data) / 1000:,.0f} kB "
                                   f"(limit {MAX_UPLOAD_BYTES // 1000:,} kB); align it with "
                                   "`align pair` on the command line")


def _slug(text: str) -> str:
    """A file-name-safe version of a file name (uploads may be named in Chinese)."""
    return re.sub(r"[^\w-]+", "-", text).strip("-")[:40] or "file"
