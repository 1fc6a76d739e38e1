"""Batch runs on small real pairs cut from the seed texts: outputs, failures, resume, engines.

Each pair takes whole paragraphs (lines) of corpus/001 (Traditional Chinese,
with pinyin glosses, a caption and the damaged span) and corpus/003 (English
coverage), or English against English (000 vs 002). No sentence appears in two
pairs, so every pair embeds the same batch of texts whichever worker runs it
(USE's float32 output moves by ~1e-7 with batch composition).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lxml import etree

from align import cli
from align.batch import (
    MERGED_TMX,
    SUMMARY_TSV,
    BatchOptions,
    find_jobs,
    format_report,
    run_batch,
)
from align.errors import InputError
from align.export import read_json
from align.tmx import read_tmx

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
DTD = Path(__file__).parent / "data" / "tmx14.dtd"
SEEDS = {"zh": "001_6e67b410ee902a66.txt", "en": "003_3cceb59c81ded892.txt",
         "mfa2024": "000_8585149f7048a6d3.txt", "waic2024": "002_397aee929ba39487.txt"}
# pair id -> (seed, 1-based lines) for source and target
PAIRS = {
    "speech": (("zh", [2, 3, 4]), ("en", [1, 5, 7])),  # line 4 is a photo caption
    "proposal": (("zh", [10, 11, 12]), ("en", [9, 11, 13])),
    "tour": (("zh", [6, 7, 8, 9]), ("en", [3, 15, 17])),
}
EN_EN = (("mfa2024", [4, 6]), ("waic2024", [4, 6]))
FAST = BatchOptions(model="use-m3")


def seed_lines(seed: str, lines: list[int]) -> str:
    text = (CORPUS / SEEDS[seed]).read_text(encoding="utf-8").splitlines()
    return "\n\n".join(text[n - 1] for n in lines) + "\n"


def make_folder(folder: Path, pairs=PAIRS) -> Path:
    """``<id>.zh.txt`` / ``<id>.en.txt`` files, the folder naming convention."""
    folder.mkdir(parents=True, exist_ok=True)
    for pair_id, ((src_seed, src_lines), (tgt_seed, tgt_lines)) in pairs.items():
        (folder / f"{pair_id}.zh.txt").write_text(seed_lines(src_seed, src_lines), encoding="utf-8")
        (folder / f"{pair_id}.en.txt").write_text(seed_lines(tgt_seed, tgt_lines), encoding="utf-8")
    return folder


def make_manifest(folder: Path) -> Path:
    """The three zh→en pairs plus an English↔English one, as JSON lines."""
    make_folder(folder)
    (src_seed, src_lines), (tgt_seed, tgt_lines) = EN_EN
    (folder / "li2024.txt").write_text(seed_lines(src_seed, src_lines), encoding="utf-8")
    (folder / "waic2024.txt").write_text(seed_lines(tgt_seed, tgt_lines), encoding="utf-8")
    rows = [{"id": p, "source": f"{p}.zh.txt", "target": f"{p}.en.txt"} for p in PAIRS]
    rows.append({"id": "en/li2024", "source": "li2024.txt", "target": "waic2024.txt",
                 "src_lang": "en", "tgt_lang": "en", "mode": "comparable"})
    manifest = folder / "pairs.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return manifest


def output_files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file()}


@pytest.mark.slow
def test_folder_batch_writes_what_align_pair_writes(tmp_path):
    folder = make_folder(tmp_path / "in")
    report = run_batch(find_jobs(folder), tmp_path / "out", FAST)
    assert [(r.id, r.status) for r in report.results] == [
        ("proposal", "aligned"), ("speech", "aligned"), ("tour", "aligned")]
    # The batch's per-pair files are byte for byte those of `align pair`.
    assert cli.main(["pair", str(folder / "speech.zh.txt"), str(folder / "speech.en.txt"),
                     "--out", str(tmp_path / "single"), "--name", "speech", "--model", "use-m3",
                     "--src-lang", "zh", "--tgt-lang", "en"]) == 0
    for kind in ("json", "tmx", "tsv"):
        single = (tmp_path / "single" / f"speech.{kind}").read_bytes()
        assert (tmp_path / "out" / f"speech.{kind}").read_bytes() == single
    speech = read_json(tmp_path / "out" / "speech.json")
    assert speech.source.lang == "zh" and speech.target.lang == "en"
    assert any(s.has_flag("caption") for s in speech.source.sentences)
    stats = report.results[1].stats
    assert stats["src_sentences"] == len(speech.source.sentences)
    assert stats["matched"] == len(speech.matched_pairs()) > 0


@pytest.mark.slow
def test_merged_tmx_is_valid_and_holds_every_pairs_units(tmp_path):
    manifest = make_manifest(tmp_path / "in")
    out = tmp_path / "out"
    report = run_batch(find_jobs(manifest), out, FAST)
    assert [r.status for r in report.results] == ["aligned"] * 4
    merged = etree.parse(str(out / MERGED_TMX))
    assert etree.DTD(str(DTD)).validate(merged), etree.DTD(str(DTD)).error_log
    units = merged.findall("body/tu")
    per_pair = {p: read_tmx(out / f"{p}.tmx") for p in [*PAIRS, "en/li2024"]}
    assert read_tmx(out / MERGED_TMX) == [seg for p in per_pair.values() for seg in p]
    assert [u.findtext("prop[@type='x-pair']") for u in units] == [
        p for p, segs in per_pair.items() for _ in segs]
    assert len({u.get("tuid") for u in units}) == len(units)
    # zh-TW and en-US sources in one file: the standard's *all*.
    assert merged.find("header").get("srclang") == "*all*"
    assert json.loads((out / "en/li2024.done").read_text())["stats"]["mode"] == "comparable"


@pytest.mark.slow
def test_bad_pairs_are_reported_and_the_rest_still_aligned(tmp_path, capsys):
    folder = make_folder(tmp_path / "in")
    (folder / "empty.zh.txt").write_text("\n\n", encoding="utf-8")
    (folder / "empty.en.txt").write_text(seed_lines("en", [1]), encoding="utf-8")
    (folder / "orphan.en.txt").write_text(seed_lines("en", [3]), encoding="utf-8")
    code = cli.main(["batch", str(folder), "--out", str(tmp_path / "out"), "--model", "use-m3"])
    printed = capsys.readouterr().out
    assert code == 1
    assert "pairs            5: 3 aligned, 0 already done, 2 failed" in printed
    assert f"  empty: {folder / 'empty.zh.txt'}: no text in the file" in printed
    assert f"  orphan: {folder / 'orphan.zh.txt'}: no such file" in printed
    rows = [line.split("\t") for line in (tmp_path / "out" / SUMMARY_TSV).read_text().splitlines()]
    assert [(r[0], r[1]) for r in rows[1:]] == [
        ("empty", "failed"), ("orphan", "failed"), ("proposal", "aligned"),
        ("speech", "aligned"), ("tour", "aligned")]
    assert not (tmp_path / "out" / "empty.json").exists()


def test_usage_errors_exit_2_before_anything_runs(tmp_path, capsys):
    folder = make_folder(tmp_path / "in")
    assert cli.main(["batch", str(folder), "--out", str(tmp_path / "o"), "--workers", "0"]) == 2
    assert cli.main(["batch", str(tmp_path / "none.tsv"), "--out", str(tmp_path / "o")]) == 2
    assert cli.main(["batch", str(folder), "--out", str(tmp_path / "o"), "--model", "labse"]) == 2
    assert cli.main(["batch", str(folder), "--out", str(tmp_path / "o"), "--src-code", "zh CN"]) == 2
    assert cli.main(["batch", str(folder), "--out", "/proc/zhen-align-out"]) == 2
    err = capsys.readouterr().err
    assert "align: --out: cannot write into /proc/zhen-align-out" in err
    assert "align: --workers: must be at least 1, not 0" in err
    assert "none.tsv: no such manifest file" in err
    assert "align: --model: unknown model 'labse'" in err
    assert "align: --src-code: not a language code: 'zh CN'" in err
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_rerun_skips_finished_pairs_and_redoes_changed_ones(tmp_path):
    folder = make_folder(tmp_path / "in")
    out = tmp_path / "out"
    first = run_batch(find_jobs(folder), out, FAST)
    before = {p: p.stat().st_mtime_ns for p in out.glob("*.json")}

    again = run_batch(find_jobs(folder), out, FAST)
    assert [r.status for r in again.results] == ["skipped"] * 3
    assert {p: p.stat().st_mtime_ns for p in out.glob("*.json")} == before
    assert format_report(again).splitlines()[1:5] == format_report(first).splitlines()[1:5]

    # A lost marker, or an edited source: exactly that pair is redone.
    (out / "tour.done").unlink()
    with open(folder / "speech.zh.txt", "a", encoding="utf-8") as f:
        f.write(seed_lines("zh", [5]))
    third = run_batch(find_jobs(folder), out, FAST)
    assert [(r.id, r.status) for r in third.results] == [
        ("proposal", "skipped"), ("speech", "aligned"), ("tour", "aligned")]
    assert third.results[1].stats["src_sentences"] > first.results[1].stats["src_sentences"]

    # An option that changes outputs redoes everything.
    fourth = run_batch(find_jobs(folder), out, BatchOptions(model="use-m3", min_score=0.9))
    assert {r.status for r in fourth.results} == {"aligned"}


@pytest.mark.slow
def test_two_local_workers_write_what_one_writes(tmp_path):
    jobs = find_jobs(make_manifest(tmp_path / "in"))
    run_batch(jobs, tmp_path / "one", FAST)
    run_batch(jobs, tmp_path / "two", FAST, workers=2)
    assert output_files(tmp_path / "two") == output_files(tmp_path / "one")


@pytest.mark.slow
def test_ray_engine_writes_what_the_local_engine_writes(tmp_path, monkeypatch):
    pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'zhen-align[ray]'")
    make_manifest(tmp_path / "in")
    monkeypatch.chdir(tmp_path)  # relative paths, as recorded in the outputs, must work too
    jobs = find_jobs("in/pairs.jsonl")
    assert not jobs[0].source.is_absolute()
    run_batch(jobs, tmp_path / "local", FAST)
    # A fresh cache: the Ray workers load the model and embed everything themselves.
    monkeypatch.setenv("ALIGN_CACHE_DIR", str(tmp_path / "ray-cache"))
    report = run_batch(jobs, tmp_path / "ray", FAST, engine="ray", workers=2)
    assert [r.status for r in report.results] == ["aligned"] * 4
    assert (tmp_path / "ray-cache" / "embeddings.sqlite").is_file()
    assert output_files(tmp_path / "ray") == output_files(tmp_path / "local")


def test_ray_address_needs_the_ray_engine():
    with pytest.raises(InputError, match="only used with --engine ray"):
        run_batch([], "unused", FAST, address="auto")


@pytest.mark.slow  # the default model in a real process
def test_killed_batch_leaves_only_whole_pairs_and_resumes(tmp_path):
    """The default model, killed after its first pair, in a real process."""
    pairs = {**PAIRS, "outlook": (("zh", [15, 16, 17]), ("en", [13]))}
    folder = make_folder(tmp_path / "in", pairs)
    out = tmp_path / "out"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "ALIGN_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "align", "batch", str(folder), "--out", str(out)]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    while not list(out.glob("*.done")) and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "align: interrupted" in err
    done = sorted(p.stem for p in out.glob("*.done"))
    assert 1 <= len(done) < len(pairs)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files
    for pair_id in pairs:  # every pair is complete or has no marker
        if pair_id in done:
            assert all((out / f"{pair_id}.{kind}").stat().st_size for kind in ("json", "tmx", "tsv"))
    assert not (out / MERGED_TMX).exists()

    rerun = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
                           check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert (f"{len(pairs)}: {len(pairs) - len(done)} aligned, {len(done)} already done, 0 failed"
            in rerun.stdout)
    assert len(read_tmx(out / MERGED_TMX)) > 0
    model = read_json(out / "speech.json").model  # the embedded default: both packaged models
    assert model.startswith("use-m3*") and "+e5-small*" in model, model


def test_pairs_whose_files_are_missing_fail_before_any_model_loads(tmp_path, monkeypatch):
    def no_model(name):
        raise AssertionError("a model was loaded for a pair whose files are missing")

    monkeypatch.setattr("align.batch._encoder", no_model)
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps([{"id": "gone", "source": "no.zh.txt", "target": "no.en.txt"}]),
                        encoding="utf-8")
    report = run_batch(find_jobs(manifest), tmp_path / "out")
    [failed] = report.failures
    assert failed.problem == f"{tmp_path / 'no.zh.txt'}: no such file"
    text = format_report(report)
    assert "mean confidence  n/a (no pair aligned)" in text and "0.000" not in text
