"""Files written from a review: TMX, TSV and JSON with the reviewer's marks, and a Markdown report."""

from __future__ import annotations

import json
from pathlib import Path

from align.atomic import write_atomic_set
from align.claims import ELSEWHERE
from align.export import TSV_HEADER, tsv, tsv_rows
from align.review.state import (
    HIGH_CONFIDENCE,
    LOW_CONFIDENCE,
    SIDES,
    UNREVIEWED,
    Review,
    document,
    pair_key,
    pair_label,
    side_name,
)
from align.review.store import now
from align.tmx import DEFAULT_MIN_SCORE, to_tmx


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


def export_tsv(review: Review, script: str = "original") -> str:
    """:func:`align.export.to_tsv` with two more columns, the status and the note."""
    rows = tsv_rows(review.alignment, script)
    return tsv((*TSV_HEADER, "status", "note"),
               [(*row, m.status, m.note) for row, m in zip(rows, review.marks)])


def export_json(review: Review) -> str:
    """The reviewed alignment's JSON with a ``review`` list (status and note per pair)."""
    return json.dumps(review.to_dict(), ensure_ascii=False, indent=2) + "\n"


# Backslash-escaped wherever a text from a file is written into Markdown: CommonMark's
# emphasis, code, links, images, HTML, headings, tables, and the `$` (LaTeX) and `~`
# (strike-through) that Streamlit's Markdown adds.
MARKDOWN_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_[]<>#|$~"})


def md_literal(text: str) -> str:
    """``text`` as Markdown that shows exactly ``text``: a file named ``**b**.txt`` is
    not bold, ``[x](javascript:…)`` is not a link, ``<img …>`` is not HTML."""
    return text.translate(MARKDOWN_SPECIAL)


def report_markdown(review: Review, name: str) -> str:
    """The review report: where it came from, counts by status and band, unmatched claims, notes."""
    alignment, counts, decided = review.alignment, review.counts(), review.decisions()
    lines = [
        f"# Review report: {md_literal(name)}",
        "",
        f"- Source: {md_literal(alignment.source.path)} ({alignment.source.lang})",
        f"- Target: {md_literal(alignment.target.path)} ({alignment.target.lang})",
        f"- Mode: {alignment.mode}; model: {md_literal(alignment.model)}",
        f"- Written: {now()}",
        "",
        "## Decisions",
        "",
        (f"{decided['made']} of {decided['needed']} decisions made (links and unmatched claims; "
         "captions, bylines and datelines need none)."),
        "",
        "| decision | count |",
        "|---|---:|",
        *(f"| {s} | {decided[s]} |" for s in ("confirmed", "rejected links", "to decide")),
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
        lines += ["", f"## Unmatched claims, {side_name(side)} ({doc.lang}): {len(unmatched)}", ""]
        status = {i: m.status for p, m in zip(alignment.pairs, review.marks)
                  for i in getattr(p, side)}
        lines += [f"- [{s.id}] {md_literal(s.text)} *({status.get(s.id, UNREVIEWED)})*" for s in unmatched]
    lines += _one_sided_figures(review)
    notes = [(pair_key(p), m) for p, m in zip(alignment.pairs, review.marks) if m.note]
    if notes:
        lines += ["", "## Reviewer notes", ""]
        lines += [f"- pair {key} ({m.status}): {md_literal(m.note)}" for key, m in notes]
    return "\n".join(lines) + "\n"


EXPORT_FILES = {"tmx": ".reviewed.tmx", "tsv": ".reviewed.tsv", "json": ".reviewed.json",
                "report": ".review.md"}


def write_exports(review: Review, out_dir: str | Path, name: str, *, confirmed_only: bool = True,
                  min_score: float = DEFAULT_MIN_SCORE, script: str = "original") -> dict[str, Path]:
    """Write the reviewed TMX, TSV, JSON and the Markdown report into ``out_dir``, atomically.

    Everything is built, then written as one set: a bad option or a file that cannot
    be written leaves the earlier exports as they were.
    """
    contents = {
        "tmx": export_tmx(review, confirmed_only=confirmed_only, min_score=min_score, script=script),
        "tsv": export_tsv(review, script),
        "json": export_json(review),
        "report": report_markdown(review, name),
    }
    paths = write_atomic_set({Path(out_dir) / f"{name}{EXPORT_FILES[kind]}": data
                              for kind, data in contents.items()})
    return dict(zip(contents, paths))


def _one_sided_figures(review: Review) -> list[str]:
    """A section listing numbers, dates and quantities stated on one side of a link only
    (``40 countries``, ``three-day``, ``July 26``): what a reviewer checks first."""
    alignment = review.alignment
    found = [(p, m, f) for p, m in zip(alignment.pairs, review.marks) for f in p.flags
             if f.kind.startswith("number-only") or f.kind == ELSEWHERE]
    lines = ["", f"## One-sided figures: {len(found)}", ""]
    for pair, mark, flag in found:
        doc = document(alignment, flag.side)
        other = alignment.target if flag.side == "src" else alignment.source
        where = (f"; the {side_name('tgt' if flag.side == 'src' else 'src')} states it elsewhere "
                 f"({other.lang} {flag.where})" if flag.kind == ELSEWHERE else "")
        lines.append(f"- {md_literal(pair_label(alignment, pair))}: {md_literal(flag.span)} only in the "
                     f"{side_name(flag.side)} ({doc.lang} {flag.sentence}){where} *({mark.status})*")
    return lines
