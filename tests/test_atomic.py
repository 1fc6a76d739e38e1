"""write_atomic: whole files or nothing, sensible permissions, no temporary leftovers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from align.atomic import write_atomic
from align.errors import InputError

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
HEADLINE = "國務(wù)院總理李強在上海出席2025世界人工智能大會"


def test_writes_text_as_utf8_and_bytes_as_is(tmp_path):
    assert write_atomic(tmp_path / "a.txt", HEADLINE).read_bytes() == HEADLINE.encode("utf-8")
    raw = (CORPUS / "001_6e67b410ee902a66.txt").read_bytes()
    assert write_atomic(tmp_path / "b.txt", raw).read_bytes() == raw


def test_replaces_an_existing_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "out.tsv"
    write_atomic(path, "old\n")
    write_atomic(path, HEADLINE)
    assert path.read_text(encoding="utf-8") == HEADLINE
    assert os.listdir(tmp_path) == ["out.tsv"]


def test_creates_missing_folders(tmp_path):
    path = write_atomic(tmp_path / "runs" / "2025" / "out.json", "{}")
    assert path.read_text() == "{}"


def test_new_files_get_the_umask_permissions_not_0600(tmp_path):
    umask = os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "shared.tmx", "x")
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_failed_write_keeps_the_old_file_and_cleans_up(tmp_path):
    target = tmp_path / "out.tmx"
    target.mkdir()  # a folder where the file should go: the rename must fail
    (target / "keep.txt").write_text("kept")
    with pytest.raises(InputError) as err:
        write_atomic(target, HEADLINE)
    assert err.value.where == str(target)
    assert err.value.problem.startswith("cannot write")
    assert (target / "keep.txt").read_text() == "kept"
    assert sorted(os.listdir(tmp_path)) == ["out.tmx"]


def test_an_interrupted_write_leaves_the_old_file_whole(tmp_path, monkeypatch):
    path = write_atomic(tmp_path / "out.json", '{"complete": true}')

    def interrupted(fd):
        raise KeyboardInterrupt  # Ctrl-C after the data was written, before it was synced

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(path, HEADLINE * 1000)
    assert path.read_text() == '{"complete": true}'
    assert os.listdir(tmp_path) == ["out.json"]
