"""The ``align`` command: a thin layer over the library (``python -m align`` works too).

Bad input never produces a traceback: every :class:`~align.errors.InputError`
becomes one line ``align: <file or option>: <problem>`` and exit code 2, and
nothing half-written is left behind (outputs are written atomically, all at
the end).
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from tqdm import tqdm

from . import __version__, support
from .atomic import check_folder
from .batch import BatchOptions, check_options, find_jobs, format_report, run_batch
from .embed import known_models
from .engines import ENGINES
from .errors import InputError
from .evaluate import format_beads, score_paths
from .export import check_name, summary, write_outputs
from .pipeline import MODES, align_files
from .words import LAYER, LEVEL, LEVELS, METHOD, METHODS, Sentence, WordAligner, pharaoh, read_pairs

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
FLAGSHIP = "waic2025"


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except InputError as exc:
        print(f"align: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("align: interrupted; nothing was written for the unfinished pair", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="align", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"zhen-align {__version__}")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    p = sub.add_parser("pair", help="align two files and write JSON, TMX and TSV",
                       epilog="models (--model):\n" + models_help(),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", help="source file (txt, md, html; encoding detected)")
    p.add_argument("target", help="target file")
    p.add_argument("--out", help="output folder for JSON, TMX and TSV (default: write nothing, "
                                 "only print)")
    p.add_argument("--name", help="output file name stem (default: source file stem)")
    p.add_argument("--beads", action="store_true",
                   help="also print the alignment as beads ([0, 1]:[2]) for scoring against gold")
    _alignment_options(p)
    p.set_defaults(run=_run_pair)

    d = sub.add_parser("demo", help="align the flagship pair from corpus/ (Xinhua zh vs English coverage)")
    d.add_argument("--out", default="out", help="output folder (default: out)")
    d.add_argument("--model", default="default", help="embedding model (default: the embedded offline one)")
    d.set_defaults(run=_run_demo)

    b = sub.add_parser("batch", help="align every pair of a manifest (CSV/TSV/JSONL) or folder "
                                     "(x.zh.txt <-> x.en.txt); rerun to resume")
    b.add_argument("pairs", metavar="MANIFEST|FOLDER",
                   help="manifest with columns source, target (optional id, src_lang, tgt_lang, "
                        "mode; paths relative to it), or a folder of <name>.<lang>.txt files")
    b.add_argument("--out", required=True, help="output folder (per-pair files, batch.tmx, "
                                                "batch-summary.tsv)")
    b.add_argument("--workers", type=int,
                   help="worker processes (default: 1 locally, every CPU of a Ray cluster)")
    b.add_argument("--engine", choices=ENGINES, default="local",
                   help="local processes, or a Ray cluster (pip install 'zhen-align[ray]')")
    b.add_argument("--ray-address", help="Ray cluster to use (ray://HEAD:10001, or auto on a "
                                         "cluster node); default: start a local one")
    _alignment_options(b)
    b.set_defaults(run=_run_batch)

    e = sub.add_parser("eval", help="score test beads against gold (Vecalign/Bertalign semantics)")
    e.add_argument("gold", help="gold .align file or folder")
    e.add_argument("test", help="test .align file or folder")
    e.set_defaults(run=_run_eval)

    w = sub.add_parser("words", help="word alignment: 'source ||| target' lines of space-separated "
                                     "words in, Pharaoh links (0-0 1-2 ...) out")
    w.add_argument("input", help="file of 'source ||| target' lines (- for stdin), or the source "
                                 "file when TARGET is given")
    w.add_argument("target", nargs="?", help="target file, line-aligned with the source")
    w.add_argument("--layer", type=int, default=LAYER,
                   help=f"e5 layer whose token states are compared, 0-12 (default: {LAYER})")
    w.add_argument("--method", choices=METHODS, default=METHOD,
                   help=f"link extraction: mutual argmax, or itermax (default: {METHOD})")
    w.add_argument("--level", choices=LEVELS, default=LEVEL,
                   help=f"link subwords then map to words, or pool words first (default: {LEVEL})")
    w.set_defaults(run=_run_words)
    return parser


def _alignment_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="default",
                   help="embedding model: a name from models.txt or a local sentence-transformers "
                        "folder (default: the embedded offline model)")
    p.add_argument("--mode", default="auto", choices=MODES,
                   help="auto = anything from a complete translation to coverage (gaps, "
                        "reordered passages); parallel = force a complete translation; "
                        "comparable = force coverage (every link on its own)")
    p.add_argument("--src-lang", help="source language code (default: detected)")
    p.add_argument("--tgt-lang", help="target language code (default: detected)")
    p.add_argument("--presplit", action="store_true",
                   help="input is one sentence per line: no re-segmentation")
    p.add_argument("--min-score", type=_unit_interval, default=0.5,
                   help="lowest confidence of a pair exported to TMX (default: 0.5)")
    p.add_argument("--script", choices=("original", "simplified"), default="original",
                   help="Chinese script written to TMX/TSV: as read, or Simplified (default: original)")
    p.add_argument("--src-code", help="TMX xml:lang of the source (default from language and "
                                      "script: zh-TW for Traditional as read, zh-CN, en-US)")
    p.add_argument("--tgt-code", help="TMX xml:lang of the target (default from language, e.g. en-US)")


def _unit_interval(text: str) -> float:
    try:
        value = float(text)
    except ValueError:  # argparse would name this function in its message
        raise argparse.ArgumentTypeError(f"must be a number between 0 and 1, not {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, not {text}")
    return value


BAR_DELAY = 0.5
"""Seconds a counted step runs before its bar shows. A step the cache made nearly free
(a side's windows from cached token sums, the fast model's steps replayed once e5 is done)
would otherwise flash a bar with a rate like 1,700,000 text/s."""


class _Bar:
    """Turns pipeline progress callbacks into one tqdm bar per stage of real work.

    The pipeline reports only work it does (a warm cache reports no embedding),
    so a bar opens on a stage's first report and its rate and ETA are real; a
    counted step shows only once it has run ``BAR_DELAY`` seconds, and a stage first
    reported finished (the alignment closing after the unsupported spans) shows none.
    The alignment is one step: its bar shows the time it has taken, not a rate.
    """

    def __init__(self) -> None:
        self.stage, self.bar = None, None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            self.stage = stage
            if done < total:
                self.bar = self._open(stage, total)
        if self.bar is not None:
            self.bar.total = total
            self.bar.update(done - self.bar.n)

    @staticmethod
    def _open(stage: str, total: int) -> tqdm:
        if stage == "aligning":
            return tqdm(total=total, desc=stage, bar_format="{desc}: {elapsed}", leave=False,
                        file=sys.stderr)
        unit = "sent" if stage.startswith("embedding") else "text"
        return tqdm(total=total, desc=stage, unit=unit, leave=False, file=sys.stderr,
                    delay=BAR_DELAY)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _options(args) -> BatchOptions:
    """The alignment options of ``pair``, ``demo`` and ``batch``, in one record."""
    return BatchOptions(model=args.model, mode=args.mode, src_lang=args.src_lang,
                        tgt_lang=args.tgt_lang, presplit=args.presplit,
                        min_score=args.min_score, script=args.script,
                        src_code=args.src_code, tgt_code=args.tgt_code)


def _align_and_write(source, target, out: Path | None, name: str, args) -> dict:
    """Align and write, the options checked first: a mistyped code or an output folder
    that cannot be written fails in a second, not after the models load and align."""
    options = _options(args)
    check_options(options)
    if out is not None:
        check_name(name)
        check_folder(out, "--out")
    bar = _Bar()
    try:
        alignment = align_files(source, target, model=options.model, mode=options.mode,
                                src_lang=options.src_lang, tgt_lang=options.tgt_lang,
                                presplit=options.presplit, progress=bar)
    finally:
        bar.close()
    paths = write_outputs(alignment, out, name, tmx_options=options.tmx_options()) if out else {}
    return {"alignment": alignment, "paths": paths}


def _print_summary(result: dict) -> None:
    alignment, paths = result["alignment"], result["paths"]
    s = summary(alignment)
    print(f"{alignment.source.path} ({alignment.source.lang}) -> "
          f"{alignment.target.path} ({alignment.target.lang}): {alignment.mode} mode, "
          f"model {alignment.model}")
    print(f"  {s['matched']} aligned pairs, {s['flagged']} with flagged details; unmatched claims: "
          f"{s['unmatched_src']} source, {s['unmatched_tgt']} target sentences")
    for kind, path in paths.items():
        print(f"  {kind.upper():4} {path}")


def _print_pairs(alignment, pairs) -> None:
    """Each pair with its confidence and what one side states alone: figures (``!``)
    and unsupported spans (``+``, one line each)."""
    for pair in pairs:
        figures = ", ".join(
            f"{f.span or f.value} only in {'source' if f.side == 'src' else 'target'}"
            + (f" (the other text states it in sentence {f.where})" if f.where is not None else "")
            for f in pair.flags if f.kind.startswith("number-"))
        crossing = "  [reordered]" if pair.has_flag("crossing") else ""
        print(f"  {pair.score:.2f}  {_snippet(alignment.source, pair.src, 36)}{crossing}")
        print(f"        {_snippet(alignment.target, pair.tgt, 72)}")
        if figures:
            print(f"        ! {figures}")
        for f in pair.flags:
            if f.kind == support.KIND:
                print(f"        + {'source' if f.side == 'src' else 'target'} {f.sentence} only: {f.span}")


def _run_pair(args) -> int:
    name = args.name or Path(args.source).stem
    result = _align_and_write(args.source, args.target, Path(args.out) if args.out else None, name, args)
    if args.beads:
        print(format_beads(result["alignment"].pairs), end="")
    else:
        _print_summary(result)
        alignment = result["alignment"]
        partly = [p for p in alignment.matched_pairs() if p.has_flag(support.KIND)]
        if partly:
            print(f"\nPairs with unsupported spans ({len(partly)}; + what one side says alone):")
            _print_pairs(alignment, partly)
    return 0


def _run_demo(args) -> int:
    with open(CORPUS / "manifest.tsv", encoding="utf-8") as f:
        rows = {r["id"]: r for r in csv.DictReader(f, delimiter="\t")}
    row = rows[FLAGSHIP]
    # The flagship as `align pair` would take it, so demo shares pair's defaults.
    pair = _parser().parse_args(["pair", str(CORPUS / row["source"]), str(CORPUS / row["target"]),
                                 "--out", args.out, "--model", args.model, "--mode", row["mode"],
                                 "--src-lang", row["src_lang"], "--tgt-lang", row["tgt_lang"]])
    result = _align_and_write(pair.source, pair.target, Path(pair.out), FLAGSHIP, pair)
    _print_summary(result)
    alignment = result["alignment"]
    print("\nAligned pairs (confidence; details stated on one side only):")
    _print_pairs(alignment, alignment.matched_pairs())
    print("\nUnmatched claims (source):")
    for s in result["alignment"].unmatched("src"):
        print(f"  [{s.id}] {s.text}")
    print("Unmatched claims (target):")
    for s in result["alignment"].unmatched("tgt"):
        print(f"  [{s.id}] {s.text}")
    streamlit = Path(sys.executable).parent / "streamlit"
    launcher = streamlit if streamlit.exists() else "streamlit"
    print(f"\nReview it in the browser: {launcher} run {ROOT / 'ui' / 'app.py'}")
    return 0


def _run_batch(args) -> int:
    jobs = find_jobs(args.pairs, src_lang=args.src_lang, tgt_lang=args.tgt_lang)
    report = run_batch(jobs, args.out, _options(args), engine=args.engine, workers=args.workers,
                       address=args.ray_address, show_progress=True)
    print(format_report(report))
    return 1 if report.failures else 0


def _snippet(doc, ids: list[int], width: int) -> str:
    text = doc.joiner.join(doc.sentences[i].text for i in ids)
    label = f"{doc.lang} {','.join(map(str, ids))}: "
    return label + (text if len(text) <= width else text[: width - 1] + "…")


def _run_eval(args) -> int:
    result = score_paths(args.gold, args.test)
    for kind in ("strict", "lax"):
        r = result[kind]
        print(f"{kind:6} precision {r['precision']:.3f}  recall {r['recall']:.3f}  f1 {r['f1']:.3f}")
    return 0


def _run_words(args) -> int:
    pairs = read_pairs(args.input, args.target)  # bad input fails before the model loads
    aligner = WordAligner(layer=args.layer, method=args.method, level=args.level)
    links = aligner.align([(Sentence.from_tokens(s), Sentence.from_tokens(t)) for s, t in pairs])
    sys.stdout.write("".join(pharaoh(row) + "\n" for row in links))
    return 0


def models_help() -> str:
    return "\n".join(f"  {name}: {about}" for name, about in known_models().items())


if __name__ == "__main__":
    sys.exit(main())
