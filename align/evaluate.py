"""The standard bead scorer of Vecalign and Bertalign, so our figures compare with theirs.

Published sentence-alignment results (Vecalign, Bertalign, Hunalign and
Gale-Church on MAC-Dev and Text+Berg) are all computed with the scorer
from Vecalign's ``score.py``. Its details move the numbers, so they are
reproduced exactly:

- beads are compared as (source ids, target ids) tuples, as written;
  duplicates count once and beads empty on both sides are ignored;
- precision runs over the test beads, 1-0 and 0-1 beads included; a
  strict hit is a bead present verbatim in the gold, a lax hit is any
  bead one of whose target ids the gold links to one of its source ids
  (so a wrong 1-0 or 0-1 bead, having no links, is never a lax hit);
- recall is the same function with the roles swapped, after removing every
  bead with an empty side from both: gold 1-0/0-1 beads never count;
- counts are summed over all files before the ratios are taken.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from align.errors import InputError
from align.model import Pair

Bead = tuple[tuple[int, ...], tuple[int, ...]]

BEAD_SUFFIX = ".align"

# One side of a bead: "[0, 1]", "[5]", "[]".
_ID_LIST = re.compile(r"\[\s*(\d+(\s*,\s*\d+)*)?\s*\]")


def _parse_ids(text: str) -> tuple[int, ...] | None:
    text = text.strip()
    if not _ID_LIST.fullmatch(text):
        return None
    return tuple(int(i) for i in text[1:-1].split(",") if i.strip())


def _parse_bead(line: str) -> Bead:
    """``SRC:TGT`` or ``SRC:TGT:COST``; raises ValueError with what is wrong."""
    fields = line.split(":")
    if len(fields) not in (2, 3):
        raise ValueError(f"expected SRC:TGT or SRC:TGT:COST, got {line!r}")
    src, tgt = _parse_ids(fields[0]), _parse_ids(fields[1])
    if src is None or tgt is None:
        raise ValueError(f"expected id lists like [0,1]:[2], got {line!r}")
    if len(fields) == 3:
        try:
            float(fields[2])
        except ValueError:
            raise ValueError(f"cost is not a number in {line!r}") from None
    return src, tgt


def read_beads(path: str | os.PathLike) -> list[Bead]:
    """The beads of one ``.align`` file, in file order; blank lines are skipped.

    A sentence in two different beads is accepted, as Vecalign's scorer accepts it:
    published gold has one (Text+Berg 002, source sentence 218)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not UTF-8 text (byte {exc.start})") from exc
    beads = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            beads.append(_parse_bead(line.strip()))
        except ValueError as exc:
            raise InputError(str(path), f"line {number}: {exc}") from exc
    if not beads:  # scored, it would print 0.000 as if the aligner had got everything wrong
        raise InputError(str(path), "no beads: the file is empty")
    return beads


def format_beads(pairs: Iterable[Pair]) -> str:
    """Pairs as bead lines (``[0, 1]:[2]``), the format :func:`read_beads` and Vecalign read."""
    return "".join(f"{list(p.src)}:{list(p.tgt)}\n" for p in pairs)


def _counts(gold: Iterable[Bead], test: Iterable[Bead]) -> tuple[int, int, int, int]:
    """(strict hits, strict misses, lax hits, lax misses) of the test beads against the gold."""
    gold_set = {bead for bead in gold if bead[0] or bead[1]}
    test_set = {bead for bead in test if bead[0] or bead[1]}
    links = defaultdict(set)
    for src, tgt in gold_set:
        for s in src:
            links[s].update(tgt)
    strict = lax = 0
    for src, tgt in test_set:
        if (src, tgt) in gold_set:
            strict += 1
            lax += 1
        elif any(t in links[s] for s in src for t in tgt):
            lax += 1
    return strict, len(test_set) - strict, lax, len(test_set) - lax


def _both_sides(beads: Iterable[Bead]) -> list[Bead]:
    return [(src, tgt) for src, tgt in beads if src and tgt]


def _ratio(hits: int, total: int) -> float:
    return hits / total if total else 0.0


def _f1(precision: float, recall: float) -> float:
    total = precision + recall
    return 2 * precision * recall / total if total else 0.0


def score(gold_docs: Sequence[Sequence[Bead]], test_docs: Sequence[Sequence[Bead]]) -> dict:
    """Strict and lax precision, recall and F1 of test beads against gold, summed over files.

    ``gold_docs[k]`` and ``test_docs[k]`` are the beads of the same file.
    Returns ``{"strict": {"precision", "recall", "f1"}, "lax": {...},
    "files": n}``.
    """
    if len(gold_docs) != len(test_docs):
        raise ValueError(f"{len(gold_docs)} gold files but {len(test_docs)} test files")
    p_counts = [0, 0, 0, 0]
    r_counts = [0, 0, 0, 0]
    for gold, test in zip(gold_docs, test_docs):
        p_counts = [a + b for a, b in zip(p_counts, _counts(gold, test))]
        recall = _counts(_both_sides(test), _both_sides(gold))
        r_counts = [a + b for a, b in zip(r_counts, recall)]
    result: dict[str, Any] = {}
    for name, hit, miss in (("strict", 0, 1), ("lax", 2, 3)):
        precision = _ratio(p_counts[hit], p_counts[hit] + p_counts[miss])
        recall = _ratio(r_counts[hit], r_counts[hit] + r_counts[miss])
        result[name] = {"precision": precision, "recall": recall, "f1": _f1(precision, recall)}
    result["files"] = len(gold_docs)
    return result


def _bead_files(folder: Path) -> dict[str, Path]:
    """Bead files of a folder keyed by name without ``.align``.

    Files without any suffix count too: the Text+Berg gold names its files
    ``001``, ``002``..., while aligners write ``001.align``.
    """
    files = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and not path.name.startswith(".") and path.suffix in ("", BEAD_SUFFIX):
            files[path.name.removesuffix(BEAD_SUFFIX)] = path
    return files


def score_paths(gold: str | os.PathLike, test: str | os.PathLike) -> dict:
    """Score two ``.align`` files, or two folders of them matched by file name."""
    gold, test = Path(gold), Path(test)
    for path in (gold, test):
        if not path.exists():
            raise InputError(str(path), "no such file or folder")
    if gold.is_dir() != test.is_dir():
        folder, other = (gold, test) if gold.is_dir() else (test, gold)
        raise InputError(str(other), f"is a file but {folder} is a folder: give two of a kind")
    if not gold.is_dir():
        return score([read_beads(gold)], [read_beads(test)])
    gold_files, test_files = _bead_files(gold), _bead_files(test)
    if not gold_files:
        raise InputError(str(gold), f"no {BEAD_SUFFIX} files")
    missing = sorted(gold_files.keys() - test_files.keys())
    if missing:
        raise InputError(str(test), f"no counterpart for gold {gold_files[missing[0]].name}")
    extra = sorted(test_files.keys() - gold_files.keys())
    if extra:
        raise InputError(str(gold), f"no gold for {test_files[extra[0]].name}")
    names = sorted(gold_files)
    return score(
        [read_beads(gold_files[n]) for n in names],
        [read_beads(test_files[n]) for n in names],
    )
