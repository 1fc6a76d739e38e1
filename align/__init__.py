"""Chinese↔English sentence alignment and parallel-text review.

Pipeline: :mod:`align.ingest` (read, decode, normalise, segment) →
:mod:`align.embed` → :mod:`align.aligners` (:mod:`align.continuum`,
:mod:`align.parallel`, :mod:`align.comparable`) → :mod:`align.claims` →
:mod:`align.export`; :mod:`align.pipeline` runs it end to end.
"""

__version__ = "0.1.23"
