"""The ``align`` command: bad input, legacy encodings of the seeds, ``--beads``, ``eval``, ``demo``.

Bad input must end in one line ``align: <file or option>: <problem>``, exit
code 2, no traceback and nothing written to ``--out``. Runs in-process through
``cli.main``, and for a few cases as a real ``python -m align`` subprocess, the
way a user meets it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from align import cli
from align.evaluate import format_beads

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
ZH = CORPUS / "001_6e67b410ee902a66.txt"
EN = CORPUS / "003_3cceb59c81ded892.txt"
GOLD = CORPUS / "gold" / "waic2025.align"
BEAD_LINE = re.compile(r"\[(\d+(?:, \d+)*)?\]:\[(\d+(?:, \d+)*)?\]")
# Whole lines of the seeds: the Premier's speech paragraph (with a photo
# caption after it) and the English report of it.
ZH_LINES = (2, 3, 4)
EN_LINES = (1, 5)


def seed_lines(path: Path, lines) -> str:
    text = path.read_text(encoding="utf-8").splitlines()
    return "\n\n".join(text[n - 1] for n in lines) + "\n"


@pytest.fixture
def small_pair(tmp_path) -> tuple[Path, Path]:
    zh, en = tmp_path / "speech.zh.txt", tmp_path / "speech.en.txt"
    zh.write_text(seed_lines(ZH, ZH_LINES), encoding="utf-8")
    en.write_text(seed_lines(EN, EN_LINES), encoding="utf-8")
    return zh, en


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    """cli.main in-process; argparse's own exits come back as their code."""
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, names: tuple[str, ...]) -> None:
    assert code == 2, f"exit code {code}; stderr ends {err.strip()[-200:]!r}"
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("align: ")]
    assert len(lines) == 1, err
    assert any(name in lines[0] for name in names), (lines[0], names)


def assert_nothing_written(out: Path) -> None:
    assert not out.exists() or not any(out.iterdir()), sorted(out.iterdir())


# --- bad input: each makes one input file bad, the other side stays a real seed snippet ------


def bad_elf(path: Path) -> None:
    path.write_bytes(Path(sys.executable).resolve().read_bytes()[:4096])


def bad_docx(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("word/document.xml", seed_lines(EN, EN_LINES))


def bad_truncated_utf16(path: Path) -> None:
    # A UTF-16 file cut in the middle of a surrogate pair.
    path.write_bytes("\ufeff".encode("utf-16-le") + seed_lines(EN, EN_LINES).encode("utf-16-le")
                     + "\U0001f600".encode("utf-16-le")[:2])


def bad_high_bytes(path: Path) -> None:
    path.write_bytes(bytes(range(0x80, 0x100)) * 20)


def bad_huge_line(path: Path) -> None:
    line = seed_lines(EN, EN_LINES).replace("\n", " ")
    path.write_text(line * (1_000_000 // len(line) + 1), encoding="utf-8")


BAD_FILES = {
    "empty": lambda p: p.write_bytes(b""),
    "whitespace only": lambda p: p.write_text(" \n\n\t\n\u3000\n", encoding="utf-8"),
    "binary (ELF)": bad_elf,
    "docx": bad_docx,
    "truncated UTF-16": bad_truncated_utf16,
    "undecodable bytes": bad_high_bytes,
    "one huge line": bad_huge_line,
}


@pytest.mark.parametrize("side", ["source", "target"])
@pytest.mark.parametrize("make", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_file_is_one_line_naming_it(tmp_path, capsys, small_pair, make, side):
    zh, en = small_pair
    bad = tmp_path / "bad.txt"
    make(bad)
    src, tgt = (bad, en) if side == "source" else (zh, bad)
    out = tmp_path / "out"
    code, _, err = run(["pair", str(src), str(tgt), "--out", str(out)], capsys)
    assert_one_line_error(code, err, (str(bad),))
    assert_nothing_written(out)


def test_missing_path(tmp_path, capsys, small_pair):
    zh, _ = small_pair
    missing, out = tmp_path / "no-such.en.txt", tmp_path / "out"
    code, _, err = run(["pair", str(zh), str(missing), "--out", str(out)], capsys)
    assert_one_line_error(code, err, (str(missing),))
    assert_nothing_written(out)


def test_unknown_model(tmp_path, capsys, small_pair):
    zh, en = small_pair
    out = tmp_path / "out"
    code, _, err = run(["pair", str(zh), str(en), "--out", str(out), "--model", "no-such-model"],
                       capsys)
    assert_one_line_error(code, err, ("--model",))
    assert "no-such-model" in err
    assert_nothing_written(out)


@pytest.mark.parametrize("code_given", [
    "klingon",
    "xx",
    "e1",
])
def test_unknown_language_code(tmp_path, capsys, small_pair, code_given):
    """Malformed (klingon, e1) or well-formed but no language at all (xx: unassigned in ISO 639)."""
    zh, en = small_pair
    out = tmp_path / "out"
    code, _, err = run(["pair", str(zh), str(en), "--out", str(out), "--tgt-lang", code_given],
                       capsys)
    assert_one_line_error(code, err, (str(en), "--tgt-lang"))
    assert code_given in err
    assert_nothing_written(out)


OPTION_ERRORS = {
    "--out is a file": (lambda t: ["--out", str(t / "speech.zh.txt")], "--out",
                        "is a file, not a folder"),
    "--out cannot be written": (lambda t: ["--out", "/proc/zhen-align-out"], "--out",
                                "cannot write into /proc/zhen-align-out"),
    "--name is a path": (lambda t: ["--out", str(t / "out"), "--name", "../x"], "--name",
                         "not a plain file name: '../x'"),
    "--src-code is no code": (lambda t: ["--out", str(t / "out"), "--src-code", 'zh"<'],
                              "--src-code", "not a language code"),
}


@pytest.mark.parametrize("case", OPTION_ERRORS.values(), ids=OPTION_ERRORS.keys())
def test_option_errors_come_before_the_models_load(tmp_path, capsys, small_pair, monkeypatch,
                                                   case):
    """A mistyped option used to surface only after the pair was aligned (13 s here, minutes
    on a book), and the output folder was named as the language or a plain 'name'."""
    def align_files(*args, **kwargs):
        raise AssertionError("aligned before the options were checked")

    monkeypatch.setattr(cli, "align_files", align_files)
    options, option, problem = case
    zh, en = small_pair
    code, _, err = run(["pair", str(zh), str(en), *options(tmp_path)], capsys)
    assert_one_line_error(code, err, (option,))
    assert f"align: {option}: " in err and problem in err
    assert_nothing_written(tmp_path / "out")


def test_a_tmx_or_json_file_is_not_taken_for_text(tmp_path, capsys, small_pair):
    zh, en = small_pair
    memory, alignment = tmp_path / "memory.tmx", tmp_path / "speech.json"
    memory.write_text('<?xml version="1.0"?>\n<tmx version="1.4"><body><tu><tuv xml:lang="en">'
                      f"<seg>{en.read_text(encoding='utf-8').split('.')[0]}.</seg></tuv></tu>"
                      "</body></tmx>\n", encoding="utf-8")
    alignment.write_text('{"source": {"lang": "zh", "sentences": []}}\n', encoding="utf-8")
    for bad, expected in ((memory, "this is a TMX translation memory, not a text to align"),
                          (alignment, "this is a JSON file")):
        code, _, err = run(["pair", str(zh), str(bad), "--out", str(tmp_path / "out")], capsys)
        assert_one_line_error(code, err, (str(bad),))
        assert expected in err
    assert_nothing_written(tmp_path / "out")


def test_mode_typo_is_refused_by_argparse(tmp_path, capsys, small_pair):
    zh, en = small_pair
    out = tmp_path / "out"
    code, _, err = run(["pair", str(zh), str(en), "--out", str(out), "--mode", "comparible"], capsys)
    assert code == 2
    assert "Traceback" not in err
    assert "--mode" in err and "comparible" in err
    assert_nothing_written(out)


@pytest.mark.parametrize("case", ["missing", "undecodable bytes", "unknown model"])
def test_real_subprocess_error(tmp_path, small_pair, case):
    zh, en = small_pair
    bad = tmp_path / "bad.txt"
    args, names = [str(zh), str(bad)], (str(bad),)
    if case == "undecodable bytes":
        bad_high_bytes(bad)
    elif case == "unknown model":
        args, names = [str(zh), str(en), "--model", "no-such-model"], ("--model",)
    out = tmp_path / "out"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "align", "pair", *args, "--out", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.stdout == ""
    assert_one_line_error(proc.returncode, proc.stderr, names)
    assert proc.stderr.strip().count("\n") == 0, proc.stderr
    assert_nothing_written(out)


# --- legacy encodings of the flagship --------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gbk", "big5hkscs", "utf-16"])
def test_legacy_encodings_of_the_seed_align_as_utf8(tmp_path, capsys, flagship, encoding):
    """GBK (mainland), Big5-HKSCS (Hong Kong Big5, which has the pinyin vowels) and UTF-16."""
    copy = tmp_path / f"xinhua.{encoding}.txt"
    copy.write_bytes(ZH.read_text(encoding="utf-8").encode(encoding))
    out = tmp_path / "out"
    code, stdout, err = run(["pair", str(copy), str(EN), "--out", str(out), "--beads"], capsys)
    assert code == 0, err
    assert stdout == format_beads(flagship.pairs)
    record = json.loads((out / f"xinhua.{encoding}.json").read_text(encoding="utf-8"))
    assert [s["text"] for s in record["source"]["sentences"]] == \
        [s.text for s in flagship.source.sentences]


def test_utf16_english_target(tmp_path, capsys, flagship):
    copy = tmp_path / "chinadaily.utf16.txt"
    copy.write_bytes(EN.read_text(encoding="utf-8").encode("utf-16"))
    code, stdout, err = run(["pair", str(ZH), str(copy), "--out", str(tmp_path / "out"), "--beads"],
                            capsys)
    assert code == 0, err
    assert stdout == format_beads(flagship.pairs)


# --- beads, eval, demo -------------------------------------------------------------------------


def test_beads_cover_every_sentence_once(tmp_path, capsys, flagship):
    code, stdout, err = run(["pair", str(ZH), str(EN), "--out", str(tmp_path), "--beads"], capsys)
    assert code == 0, err
    lines = stdout.splitlines()
    assert all(BEAD_LINE.fullmatch(line) for line in lines), lines
    assert "[26]:[3]" in lines and "[25]:[]" in lines and "[]:[9]" in lines
    beads = [[[int(i) for i in side.split(", ")] if side else [] for side in m.groups()]
             for m in map(BEAD_LINE.fullmatch, lines)]
    assert sorted(i for s, _ in beads for i in s) == list(range(len(flagship.source.sentences)))
    assert sorted(j for _, t in beads for j in t) == list(range(len(flagship.target.sentences)))
    # Written next to the beads: the three outputs, named after the source.
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{ZH.stem}.{ext}" for ext in
                                                          ("json", "tmx", "tsv")]


def test_beads_need_no_output_folder(tmp_path, capsys, flagship, monkeypatch):
    """Printing beads for ``align eval`` writes nothing unless --out is given."""
    monkeypatch.chdir(tmp_path)
    code, stdout, err = run(["pair", str(ZH), str(EN), "--beads"], capsys)
    assert code == 0, err
    assert stdout == format_beads(flagship.pairs)
    assert list(tmp_path.iterdir()) == []


def test_eval_gold_against_itself(capsys):
    code, stdout, _ = run(["eval", str(GOLD), str(GOLD)], capsys)
    assert code == 0
    lines = stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["strict", "lax"]
    assert all(line.endswith("f1 1.000") for line in lines), lines


def test_eval_missing_test_file(tmp_path, capsys):
    missing = tmp_path / "none.align"
    code, _, err = run(["eval", str(GOLD), str(missing)], capsys)
    assert_one_line_error(code, err, (str(missing),))


@pytest.mark.parametrize("content", ["", "\n\n"])
def test_eval_empty_file_is_an_error_not_a_score_of_zero(tmp_path, capsys, content):
    empty = tmp_path / "empty.align"
    empty.write_text(content, encoding="utf-8")
    for gold, test in ((GOLD, empty), (empty, GOLD)):
        code, stdout, err = run(["eval", str(gold), str(test)], capsys)
        assert_one_line_error(code, err, (str(empty),))
        assert "no beads: the file is empty" in err and not stdout


def test_demo_lists_claims_not_captions(tmp_path, capsys, flagship):
    code, stdout, err = run(["demo", "--out", str(tmp_path)], capsys)
    assert code == 0, err
    assert (tmp_path / "waic2025.json").is_file() and (tmp_path / "waic2025.tmx").is_file()
    claims = stdout.split("Unmatched claims (source):", 1)[1]
    assert "聯合國秘書長古特雷斯等發表致辭。" in claims  # zh 25: the UN Secretary-General
    assert "[31] 中國政府26日倡議成立世界人工智能合作組織" in claims  # WAICO in Shanghai
    assert "這是開幕式后" not in claims  # a photo caption
    assert "新華社記者 王曄 攝" not in claims  # a byline
    assert "新華社上海7月26日電" not in claims  # a dateline
    assert "date 2025-07-27" not in claims


@pytest.fixture
def clock(monkeypatch):
    """tqdm's clock, moved by hand: a bar's delay and rate without sleeping."""
    import tqdm.std
    now = [1000.0]
    monkeypatch.setattr(tqdm.std, "time", lambda: now[0])
    return now


def test_a_step_the_cache_made_nearly_free_shows_no_bar(capsys, clock):
    bar = cli._Bar()
    bar("source windows (use-m3)", 0, 300)
    clock[0] += 0.01
    bar("source windows (use-m3)", 300, 300)
    bar("aligning", 0, 1)
    bar.close()
    err = capsys.readouterr().err
    assert "windows" not in err and "aligning: 00:00" in err


def test_a_long_step_shows_its_own_rate(capsys, clock):
    bar = cli._Bar()
    bar("embedding (e5-small)", 0, 1000)
    for done in (100, 200, 300):
        clock[0] += 1.0
        bar("embedding (e5-small)", done, 1000)
    err = capsys.readouterr().err
    assert "embedding (e5-small)" in err and "300/1000" in err
    assert "100.00sent/s" in err


def test_a_stage_first_reported_finished_opens_no_bar(capsys, clock):
    bar = cli._Bar()
    bar("unsupported spans", 0, 5)
    clock[0] += 2.0
    bar("unsupported spans", 5, 5)
    capsys.readouterr()
    bar("aligning", 1, 1)
    bar.close()
    assert "aligning" not in capsys.readouterr().err
