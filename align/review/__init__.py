"""Reviewing an alignment: a translator's decisions, saved the moment they are made.

Four modules, one job each: :mod:`~align.review.state` (a review: the
alignment and a mark per pair; filters and counts), :mod:`~align.review.actions`
(what a reviewer does to it), :mod:`~align.review.store` (SQLite: snapshot,
append-only log, current state) and :mod:`~align.review.exports` (TMX, TSV,
JSON, Markdown report). The names most callers need are importable from here.
"""

from align.review.actions import RENUMBERING, apply
from align.review.exports import (
    export_json,
    export_tmx,
    export_tsv,
    report_markdown,
    write_exports,
)
from align.review.state import (
    BANDS,
    CONFIRMED,
    FILTERS,
    HIGH_CONFIDENCE,
    LOW_CONFIDENCE,
    REJECTED,
    REVIEWER_SCORE,
    SIDES,
    STATUSES,
    UNREVIEWED,
    Mark,
    Review,
    band,
    document,
    other_side,
    pair_key,
)
from align.review.store import STORE_SUFFIX, ReviewStore, store_path

__all__ = [
    "BANDS", "CONFIRMED", "FILTERS", "HIGH_CONFIDENCE", "LOW_CONFIDENCE", "REJECTED",
    "RENUMBERING", "REVIEWER_SCORE", "SIDES", "STATUSES", "STORE_SUFFIX", "UNREVIEWED", "Mark",
    "Review", "ReviewStore", "apply", "band", "document", "export_json", "export_tmx",
    "export_tsv", "other_side", "pair_key", "report_markdown", "store_path", "write_exports",
]
