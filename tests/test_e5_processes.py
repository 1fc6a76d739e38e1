"""A book's e5 vectors shared out among worker processes: same vectors, same order."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from align import e5_processes
from align.e5_processes import MIN_TEXTS, encode_in_processes, processes_for, usable_cores
from align.engines import WORKER_ENV
from align.ingest import load_document

ROOT = Path(__file__).resolve().parents[1]
CORPUS = [ROOT / "corpus" / name
          for name in ("001_6e67b410ee902a66.txt", "003_3cceb59c81ded892.txt")]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """The flagship pair's sentences, both languages, in document order."""
    return [s.norm for path in CORPUS for s in load_document(path).sentences]


@pytest.fixture(scope="module")
def model():
    from align.e5_torch import E5Torch

    return E5Torch()


def recorded_workers(monkeypatch, kill_first: bool = False) -> list[subprocess.Popen]:
    """The worker processes ``encode_in_processes`` starts, real ones, listed as they
    start; ``kill_first``: the first is killed as it starts (as the OOM killer would)."""
    real_popen, started = subprocess.Popen, []

    def popen(*args, **kwargs):
        started.append(real_popen(*args, **kwargs))
        if kill_first and len(started) == 1:
            started[0].kill()
        return started[-1]

    monkeypatch.setattr(e5_processes.subprocess, "Popen", popen)
    return started


def test_how_many_processes(monkeypatch) -> None:
    monkeypatch.delenv(WORKER_ENV, raising=False)
    assert processes_for(MIN_TEXTS - 1, "cpu") == 1
    assert processes_for(MIN_TEXTS, "cuda") == 1
    assert processes_for(MIN_TEXTS, "cpu") == min(usable_cores(), e5_processes.MAX_PROCESSES)
    monkeypatch.setenv(WORKER_ENV, "1")  # a worker starts no workers of its own
    assert processes_for(10 * MIN_TEXTS, "cpu") == 1


@pytest.mark.slow
def test_workers_give_this_process_vectors_in_order(texts, model, monkeypatch) -> None:
    monkeypatch.setattr(e5_processes, "CHUNK", 16)  # several chunks per worker
    here = model.encode(texts)
    reports: list[tuple[int, int, bool]] = []

    def progress(stage, done, total):
        reports.append((done, total, threading.current_thread() is threading.main_thread()))

    def refuse(_texts):
        raise AssertionError("the workers encode everything")

    there = encode_in_processes(texts, 2, refuse, progress)
    assert there.shape == here.shape
    # Row i is text i's vector (chunks went out longest first, came back in any order).
    assert np.einsum("id,id->i", here, there).min() > 0.99999
    distinct = np.array(texts)[:, None] != np.array(texts)[None, :]
    assert (here @ here.T)[distinct].max() < 0.999  # so no other text's row would pass
    assert reports[-1][:2] == (len(texts), len(texts))
    assert all(main for _, _, main in reports)


@pytest.mark.slow
def test_chunks_no_worker_takes_are_encoded_here(texts, model, monkeypatch) -> None:
    """A worker that cannot start (here: no such interpreter) loses no text."""
    monkeypatch.setattr(sys, "executable", str(ROOT / "no-such-python"))
    here: list[str] = []

    def encode_here(batch):
        here.extend(batch)
        return model.encode(batch)

    vecs = encode_in_processes(texts[:40], 2, encode_here)
    assert sorted(here) == sorted(texts[:40])
    assert np.einsum("id,id->i", vecs, model.encode(texts[:40])).min() > 0.99999


@pytest.mark.slow
def test_a_worker_that_dies_loses_no_text(texts, model, monkeypatch) -> None:
    """One of two workers is killed as it starts: the other encodes its chunks, and
    every row is the right text's."""
    started = recorded_workers(monkeypatch, kill_first=True)
    monkeypatch.setattr(e5_processes, "CHUNK", 8)
    vecs = encode_in_processes(texts, 2, lambda batch: pytest.fail("the live worker takes all"))
    assert len(started) == 2
    assert np.einsum("id,id->i", vecs, model.encode(texts)).min() > 0.99999


@pytest.mark.slow
def test_a_stopped_run_stops_its_workers(texts, monkeypatch) -> None:
    """The review app stops a run by raising from the progress callback (Ctrl-C raises
    there too): the error reaches the caller and the workers are ended, not left to
    encode the rest."""
    started = recorded_workers(monkeypatch)
    monkeypatch.setattr(e5_processes, "CHUNK", 4)

    class Stopped(Exception):
        pass

    def progress(stage, done, total):
        if done:
            raise Stopped

    with pytest.raises(Stopped):
        encode_in_processes(texts, 2, lambda batch: pytest.fail("nothing is encoded here"),
                            progress)
    assert len(started) == 2
    assert [p.wait(timeout=10) for p in started] == [-signal.SIGTERM] * 2
