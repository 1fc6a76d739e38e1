"""Align many document pairs: a manifest or a folder in, per-pair outputs and one TMX out.

``run_batch`` is built for runs of hours that get interrupted:

- **Resumable.** A pair is finished when its ``<id>.done`` marker exists and
  matches: the marker is written atomically *after* the pair's JSON, TMX and
  TSV, and records a fingerprint of the inputs' bytes and of every option
  that changes the output. Rerunning the same command skips finished pairs;
  changing a file or an option redoes exactly the pairs it affects. The
  embedding cache (:mod:`align.embed`) makes redoing a pair cheap.
- **Nothing half-written.** Workers only compute; this process alone writes,
  each file atomically (:mod:`align.atomic`), so Ctrl-C or a kill leaves
  every file either complete or absent.
- **A bad pair is not a bad batch.** A pair that fails (missing file, empty
  side, not text) is reported with its reason and skipped; the rest go on,
  and the caller gets the failures to turn into an exit code.

Outputs in ``out_dir``: per pair the same ``<id>.json``/``.tmx``/``.tsv`` as
``align pair``; ``batch.tmx``, every finished pair's translation units in one
TMX (each tagged with an ``x-pair`` prop); ``batch-summary.tsv``, one row per
pair with its counts or its failure.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import io
import json
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from lxml import etree

from . import __version__
from .atomic import check_folder, write_atomic, write_atomic_set
from .embed import Encoder, check_model, load_encoder
from .engines import map_unordered
from .errors import InputError
from .export import summary, to_json, to_tsv, tsv
from .manifest import PairJob, check_ids, read_manifest
from .ingest import load_document
from .pipeline import align_documents
from .tmx import ADMIN_LANG, DOCTYPE, TMX_VERSION, TOOL_NAME, tmx_lang, to_tmx

MERGED_TMX = "batch.tmx"
SUMMARY_TSV = "batch-summary.tsv"
DONE_SUFFIX = ".done"
OUTPUT_KINDS = ("json", "tmx", "tsv")  # written in this order, then the marker
# Folder convention: <stem>.<lang>.<ext>, e.g. report.zh.txt ↔ report.en.txt.
DEFAULT_FOLDER_LANGS = ("zh", "en")
TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
SUMMARY_COLUMNS = ("id", "status", "source", "target", "mode", "src_sentences",
                   "tgt_sentences", "matched", "unmatched_src", "unmatched_tgt",
                   "mean_confidence", "problem")
HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class BatchOptions:
    """Alignment and export options shared by every pair (a manifest row may override
    ``src_lang``, ``tgt_lang`` and ``mode``). All of it goes into each pair's fingerprint."""

    model: str = "default"
    mode: str = "auto"
    src_lang: str | None = None
    tgt_lang: str | None = None
    presplit: bool = False
    min_score: float = 0.5
    script: str = "original"
    src_code: str | None = None
    tgt_code: str | None = None

    def tmx_options(self) -> dict[str, Any]:
        return {"min_score": self.min_score, "script": self.script,
                "src_code": self.src_code, "tgt_code": self.tgt_code}


@dataclass
class PairResult:
    """What became of one pair: its summary counts, or why it failed.

    ``status`` is ``aligned`` (this run), ``skipped`` (finished by an earlier
    run) or ``failed``. ``outputs`` holds the rendered files on their way
    from a worker to the writer and is emptied once they are written.
    """

    id: str
    status: str
    source: str = ""
    target: str = ""
    stats: dict[str, Any] = field(default_factory=dict)
    problem: str = ""
    outputs: dict[str, bytes] = field(default_factory=dict, repr=False)

    @property
    def sentences(self) -> int:
        return self.stats.get("src_sentences", 0) + self.stats.get("tgt_sentences", 0)


@dataclass
class BatchReport:
    """All pairs' results in manifest order, and where the batch-wide files went."""

    results: list[PairResult]
    out_dir: Path
    seconds: float = 0.0

    def by_status(self, status: str) -> list[PairResult]:
        return [r for r in self.results if r.status == status]

    @property
    def failures(self) -> list[PairResult]:
        return self.by_status("failed")


# --- finding the pairs ---------------------------------------------------------------------


def find_jobs(path: str | Path, src_lang: str | None = None,
              tgt_lang: str | None = None) -> list[PairJob]:
    """The pairs a manifest lists, or a folder holds by the ``x.zh.txt`` ↔ ``x.en.txt`` convention."""
    path = Path(path)
    if path.is_dir():
        return discover_pairs(path, src_lang or DEFAULT_FOLDER_LANGS[0],
                              tgt_lang or DEFAULT_FOLDER_LANGS[1])
    return read_manifest(path)


def discover_pairs(folder: str | Path, src_lang: str = "zh", tgt_lang: str = "en") -> list[PairJob]:
    """Pair ``<stem>.<src_lang>.<ext>`` with ``<stem>.<tgt_lang>.<ext>`` anywhere under ``folder``.

    The id is the stem's path relative to ``folder`` (``books/ch01``), so
    outputs mirror the folder's layout. A file without its partner is still
    listed, with the partner's expected name, so the run reports it as a
    failed pair ("no such file") instead of silently dropping half a corpus
    whose names have a typo.
    """
    folder = Path(folder)
    sides = {src_lang: _by_stem(folder, src_lang), tgt_lang: _by_stem(folder, tgt_lang)}
    stems = sorted(set(sides[src_lang]) | set(sides[tgt_lang]))
    if not stems:
        raise InputError(str(folder), f"no files named <name>.{src_lang}.txt or "
                                      f"<name>.{tgt_lang}.txt (also .md, .html) in this folder")
    jobs = []
    for stem in stems:
        source = sides[src_lang].get(stem) or folder / f"{stem}.{src_lang}.txt"
        target = sides[tgt_lang].get(stem) or folder / f"{stem}.{tgt_lang}.txt"
        jobs.append(PairJob(id=stem, source=source, target=target, src_lang=src_lang,
                            tgt_lang=tgt_lang, origin=f"{stem}.{src_lang}/.{tgt_lang}"))
    check_ids(jobs, str(folder))
    return jobs


def _by_stem(folder: Path, lang: str) -> dict[str, Path]:
    found: dict[str, Path] = {}
    ending = f".{lang}"
    for path in sorted(folder.rglob(f"*{ending}.*")):
        if not path.is_file() or path.suffix.lower() not in TEXT_SUFFIXES:
            continue
        name = path.name[: -len(path.suffix)]
        if not name.endswith(ending) or name == ending:
            continue
        stem = path.parent.relative_to(folder).joinpath(name[: -len(ending)]).as_posix()
        if stem in found:
            raise InputError(str(folder), f"two {lang} files for {stem!r}: {found[stem].name} and "
                                          f"{path.name}; keep one")
        found[stem] = path
    return found


# --- one pair (runs in a worker) -----------------------------------------------------------


@functools.lru_cache(maxsize=2)
def _encoder(model: str) -> Encoder:
    """One encoder per worker process: loading the default model takes seconds."""
    return load_encoder(model)


def align_job(job: PairJob, options: BatchOptions) -> PairResult:
    """Align one pair and render its outputs; never raises for a bad pair.

    Runs in a worker: it reads the inputs but writes nothing. Bad input is
    reported with the InputError's one line; anything else (a bug met on one
    odd document) is reported too rather than ending a batch of thousands.
    """
    result = PairResult(id=job.id, status="failed", source=str(job.source), target=str(job.target))
    try:
        # The files first: a missing or empty one fails before the models load.
        source = load_document(job.source, job.src_lang or options.src_lang, options.presplit)
        target = load_document(job.target, job.tgt_lang or options.tgt_lang, options.presplit)
        alignment = align_documents(source, target, _encoder(options.model),
                                    mode=job.mode or options.mode)
        result.outputs = {"json": to_json(alignment).encode("utf-8"),
                          "tmx": to_tmx(alignment, **options.tmx_options()),
                          "tsv": to_tsv(alignment, options.script).encode("utf-8")}
    except InputError as exc:
        result.problem = str(exc)
        return result
    except Exception as exc:  # noqa: BLE001  (see the docstring)
        result.problem = f"internal error (please report it): {type(exc).__name__}: {exc}"
        return result
    result.status = "aligned"
    result.stats = {"mode": alignment.mode, "src_sentences": len(alignment.source.sentences),
                    "tgt_sentences": len(alignment.target.sentences), **summary(alignment)}
    return result


# --- the batch (runs in the driver) --------------------------------------------------------


def run_batch(jobs: list[PairJob], out_dir: str | Path, options: BatchOptions = BatchOptions(), *,
              engine: str = "local", workers: int | None = None, address: str | None = None,
              show_progress: bool = False) -> BatchReport:
    """Align every unfinished pair, write its outputs, then the merged TMX and the summary.

    ``engine``/``workers``/``address`` choose where pairs run (see
    :func:`align.engines.map_unordered`). Interrupting (Ctrl-C, SIGTERM)
    stops the workers and raises KeyboardInterrupt; every file already
    written is complete, and a rerun picks up where this one stopped.
    """
    check_options(options)
    out = check_folder(out_dir, "--out")
    started = time.perf_counter()
    fingerprints = {job.id: fingerprint(job, options) for job in jobs}
    results = {job.id: _finished(out, job, fingerprints[job.id]) for job in jobs}
    pending = [job for job in jobs if results[job.id] is None]
    work = functools.partial(align_job, options=options)
    with _sigterm_as_interrupt(), _Progress(len(pending), show_progress) as progress:
        for result in map_unordered(work, pending, engine=engine, workers=workers,
                                    address=address):
            if result.status == "aligned":
                _write_pair(out, result, fingerprints[result.id])
            results[result.id] = result
            progress.update(result)
    report = BatchReport([results[job.id] for job in jobs], out)
    write_merged_tmx(report)
    write_atomic(out / SUMMARY_TSV, summary_tsv(report))
    report.seconds = time.perf_counter() - started
    return report


def check_options(options: BatchOptions) -> None:
    """Catch a mistyped option before the run, not once per pair after it.

    A bad model name would otherwise fail every pair of a long batch, each
    with the same message; these checks are cheap and load nothing.
    """
    check_model(options.model)
    if not 0.0 <= options.min_score <= 1.0:
        raise InputError("--min-score", f"must be between 0 and 1, not {options.min_score}")
    for option, code in (("--src-code", options.src_code), ("--tgt-code", options.tgt_code)):
        if code:
            tmx_lang(code, where=option)


def fingerprint(job: PairJob, options: BatchOptions) -> str:
    """Hash of everything a pair's outputs depend on: tool version, options, input bytes.

    Input files are hashed by content, not date, so touching a file (a copy,
    a checkout) does not redo it, and editing one does. A file that cannot
    be read gets no fingerprint; the pair is then never considered finished.
    """
    digest = hashlib.sha256()
    settings = {"tool": __version__, "options": dataclasses.asdict(options),
                "src_lang": job.src_lang, "tgt_lang": job.tgt_lang, "mode": job.mode,
                "source": str(job.source), "target": str(job.target)}
    digest.update(json.dumps(settings, sort_keys=True).encode("utf-8"))
    for path in (job.source, job.target):
        try:
            with open(path, "rb") as f:
                while chunk := f.read(HASH_CHUNK):
                    digest.update(chunk)
        except OSError:
            return ""
    return digest.hexdigest()


def _output_path(out: Path, job_id: str, suffix: str) -> Path:
    return out / f"{job_id}{suffix}"


def _finished(out: Path, job: PairJob, print_: str) -> PairResult | None:
    """The result recorded by an earlier run, if it finished this pair with the same inputs."""
    marker = _output_path(out, job.id, DONE_SUFFIX)
    if not print_ or not marker.is_file():
        return None
    try:
        record = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # unreadable marker: redo the pair rather than trust it
    if not isinstance(record, dict) or record.get("fingerprint") != print_:
        return None
    if not all(_output_path(out, job.id, f".{kind}").is_file() for kind in OUTPUT_KINDS):
        return None
    return PairResult(id=job.id, status="skipped", source=str(job.source),
                      target=str(job.target), stats=record.get("stats", {}))


def _write_pair(out: Path, result: PairResult, print_: str) -> None:
    """The three outputs, then the marker that says they are all there."""
    write_atomic_set({_output_path(out, result.id, f".{kind}"): result.outputs[kind]
                      for kind in OUTPUT_KINDS})
    record = {"id": result.id, "fingerprint": print_, "stats": result.stats}
    write_atomic(_output_path(out, result.id, DONE_SUFFIX),
                 json.dumps(record, ensure_ascii=False, indent=1) + "\n")
    result.outputs = {}  # written: do not keep thousands of pairs' files in memory


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Treat ``kill`` like Ctrl-C, so the workers are stopped, not orphaned.

    Signal handlers can only be set from the main thread (the review app
    runs code in others); there the default behaviour stays.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _Progress:
    """A tqdm bar over pairs, with sentences done and their rate as its postfix."""

    def __init__(self, total: int, show: bool) -> None:
        self.bar = None
        self.sentences = 0
        self.failed = 0
        self.started = time.perf_counter()
        if show and total:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc="pairs", unit="pair", file=sys.stderr,
                            dynamic_ncols=True)

    def update(self, result: PairResult) -> None:
        self.sentences += result.sentences
        self.failed += result.status == "failed"
        if self.bar is not None:
            rate = self.sentences / max(time.perf_counter() - self.started, 1e-9)
            self.bar.set_postfix_str(f"{self.sentences:,} sentences, {rate:.1f} sent/s, "
                                     f"{self.failed} failed", refresh=False)
            self.bar.update(1)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()


# --- batch-wide outputs --------------------------------------------------------------------


def write_merged_tmx(report: BatchReport) -> Path:
    """``batch.tmx``: the translation units of every finished pair, in manifest order.

    Built from the pairs' own TMX files, so it carries exactly what they
    export (same score threshold and script) and covers pairs finished by
    earlier runs too. Each unit gets an ``x-pair`` prop naming its pair and a
    ``tuid`` made unique across the batch (``<id>:<index>``). The header's
    ``srclang`` is the pairs' common source language, or ``*all*`` (which
    the standard provides for mixed files) when they differ.
    """
    finished = [r for r in report.results if r.status in ("aligned", "skipped")]
    trees = ((r.id, _read_pair_tmx(report.out_dir, r.id)) for r in finished)
    srclangs = {_pair_srclang(report.out_dir, r.id) for r in finished}
    srclang = srclangs.pop() if len(srclangs) == 1 else "*all*"
    buffer = io.BytesIO()
    with etree.xmlfile(buffer, encoding="UTF-8") as xf:
        xf.write_declaration()
        xf.write_doctype(DOCTYPE)
        with xf.element("tmx", version=TMX_VERSION):
            xf.write(_merged_header(srclang, len(finished)), pretty_print=True)
            with xf.element("body"):
                for pair_id, root in trees:
                    for tu in root.iterfind("body/tu"):
                        _tag_unit(tu, pair_id)
                        xf.write(tu, pretty_print=True)
    return write_atomic(report.out_dir / MERGED_TMX, buffer.getvalue())


def _read_pair_tmx(out: Path, pair_id: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             remove_blank_text=True)
    return etree.parse(str(_output_path(out, pair_id, ".tmx")), parser).getroot()


def _pair_srclang(out: Path, pair_id: str) -> str:
    """The ``srclang`` of a pair's TMX, read from its header without parsing the body."""
    for _, element in etree.iterparse(str(_output_path(out, pair_id, ".tmx")), tag="header",
                                      resolve_entities=False, no_network=True, load_dtd=False):
        return element.get("srclang", "*all*")
    return "*all*"


def _merged_header(srclang: str, pairs: int) -> etree._Element:
    header = etree.Element("header", creationtool=TOOL_NAME, creationtoolversion=__version__,
                           segtype="sentence", adminlang=ADMIN_LANG, srclang=srclang,
                           datatype="plaintext", **{"o-tmf": TOOL_NAME})
    etree.SubElement(header, "prop", type="x-batch-pairs").text = str(pairs)
    return header


def _tag_unit(tu: etree._Element, pair_id: str) -> None:
    tu.set("tuid", f"{pair_id}:{tu.get('tuid', '')}")
    prop = etree.Element("prop", type="x-pair")
    prop.text = pair_id
    tu.insert(0, prop)  # the DTD allows notes and props in any order, before the <tuv>s


def summary_tsv(report: BatchReport) -> str:
    """One row per pair in manifest order: counts for finished pairs, the reason for failed ones.

    The status column says ``aligned`` or ``failed``, whichever run did the
    work, so the file describes the output folder, not the last run.
    """
    rows = []
    for r in report.results:
        values = {"id": r.id, "status": "failed" if r.status == "failed" else "aligned",
                  "source": r.source, "target": r.target, "problem": r.problem, **r.stats}
        rows.append([values.get(c, "") for c in SUMMARY_COLUMNS])
    return tsv(SUMMARY_COLUMNS, rows)


def format_report(report: BatchReport) -> str:
    """The closing table the CLI prints: totals over all pairs, then one line per failure."""
    done = report.by_status("aligned") + report.by_status("skipped")

    def total(key: str) -> int:
        return sum(r.stats.get(key, 0) for r in done)

    # Each pair's mean weighted by its bead count: the mean over all beads.
    beads = total("pairs")
    confidence = sum(r.stats.get("mean_confidence", 0) * r.stats.get("pairs", 0) for r in done)
    lines = [
        (f"pairs            {len(report.results):,}: {len(report.by_status('aligned')):,} "
         f"aligned, {len(report.by_status('skipped')):,} already done, "
         f"{len(report.failures):,} failed"),
        f"sentences        {total('src_sentences'):,} source, {total('tgt_sentences'):,} target",
        f"matched          {total('matched'):,} pairs",
        (f"unmatched        {total('unmatched_src'):,} source, {total('unmatched_tgt'):,} "
         "target sentences (captions, bylines, datelines not counted)"),
        f"mean confidence  {f'{confidence / beads:.3f}' if beads else 'n/a (no pair aligned)'}",
        f"time             {report.seconds:.1f} s",
        f"outputs          {report.out_dir / MERGED_TMX}, {report.out_dir / SUMMARY_TSV}",
    ]
    if report.failures:
        lines.append(f"failed ({len(report.failures)}):")
        lines += [f"  {r.id}: {r.problem}" for r in report.failures]
    return "\n".join(lines)
