"""e5 sentence vectors of a long text from several processes, one core each.

e5 is most of the time of aligning a book (the 10,000-sentence pair of
``bench/bench_alignment.py``: ~770 of ~870 s), and one process runs it on one
core: torch's own threads fight the other model's and each other over a few
cores (``align/engines.py``), so a process keeps to one thread and parallelism
comes from processes. Each worker loads the model once (~5 s, torch import
included), so only calls with many texts are shared out (:data:`MIN_TEXTS`);
a document pair's sentences are one call. Vectors agree with one process's to
float rounding (a batch holds other neighbours). On a GPU, or inside any
worker (the batch pool already runs one pair per core), texts stay here.

The workers are plain ``python -m align.e5_processes`` children that read
chunks of texts on stdin and write vectors on stdout, not ``multiprocessing``
ones: those re-run the caller's main script on start, which breaks a user's
script that has no ``if __name__ == "__main__"`` guard. A chunk a worker fails
on (it died, or could not start) is encoded here.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import subprocess
import sys
import threading

import numpy as np

from .engines import PACKAGE_DIR, THREAD_ENV, WORKER_ENV

MIN_TEXTS = 2000
"""Fewer texts are encoded in this process: below ~1,000 a worker's share takes
about as long as loading the model there."""
MAX_PROCESSES = 4
"""Each worker holds its own copy of the model (~0.6 GB resident)."""
CHUNK = 256
"""Texts per task: small enough to share the work out evenly and report progress."""


def processes_for(n_texts: int, device_type: str) -> int:
    """How many processes should encode ``n_texts`` texts (1: this one)."""
    if n_texts < MIN_TEXTS or device_type != "cpu" or os.environ.get(WORKER_ENV):
        return 1
    return max(1, min(usable_cores(), MAX_PROCESSES))


def usable_cores() -> int:
    """Cores this process may run on (its affinity where the OS tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def encode_in_processes(texts: list[str], processes: int, encode_here, progress=None) -> np.ndarray:
    """Unit sentence vectors ``[n, H]`` of ``texts`` (at least one), encoded by
    ``processes`` workers; ``encode_here(texts)`` encodes what they could not.

    Longest texts first, so the last tasks are short and no worker is left with
    a long tail while the others wait. Progress is reported from this thread
    (the review app's widgets accept no other); if it raises (the app stops a
    run that way) or Ctrl-C comes, the workers are stopped at once.
    """
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    tasks: queue.Queue = queue.Queue()
    for k in range(0, len(order), CHUNK):
        tasks.put(order[k:k + CHUNK])
    results: queue.Queue = queue.Queue()
    workers: list[subprocess.Popen] = []
    stop = threading.Event()
    env = {**os.environ, **THREAD_ENV,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE_DIR.parent),
                                                       os.environ.get("PYTHONPATH")]))}
    for _ in range(processes):
        threading.Thread(target=_feed, args=(texts, tasks, results, env, workers, stop),
                         daemon=True).start()
    parts, done, running = [], 0, processes
    try:
        if progress:  # the bar starts now: the first chunk comes after the workers' start-up
            progress("embedding", 0, len(texts))
        while running:
            item = results.get()
            if item is None:  # a worker has no more tasks (or failed)
                running -= 1
                continue
            parts.append(item)
            done += len(item[0])
            if progress:
                progress("embedding", done, len(texts))
    except BaseException:  # Ctrl-C, or the app stopping the run: the work is not wanted
        stop.set()
        for worker in workers:
            worker.terminate()
        raise
    left = [i for chunk in _drain(tasks) for i in chunk]
    if left:
        parts.append((left, encode_here([texts[i] for i in left])))
    out = np.empty((len(texts), parts[0][1].shape[1]), dtype=np.float32)
    for chunk, vecs in parts:
        out[chunk] = vecs
    return out


def _drain(tasks: queue.Queue) -> list[list[int]]:
    out = []
    while not tasks.empty():
        out.append(tasks.get_nowait())
    return out


def _feed(texts: list[str], tasks: queue.Queue, results: queue.Queue, env: dict,
          workers: list[subprocess.Popen], stop: threading.Event) -> None:
    """Run one worker (listed in ``workers``): send it chunks until none are left or
    ``stop`` is set. Whatever happens, a chunk it does not return goes back to the
    queue and the caller hears that this worker is done."""
    worker = None
    try:
        worker = subprocess.Popen([sys.executable, "-m", "align.e5_processes"], env=env,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        workers.append(worker)
        while not stop.is_set():
            try:
                chunk = tasks.get_nowait()
            except queue.Empty:
                return
            try:
                pickle.dump([texts[i] for i in chunk], worker.stdin)
                worker.stdin.flush()
                vecs = pickle.load(worker.stdout)
            except BaseException:
                tasks.put(chunk)
                raise
            results.put((chunk, vecs))
    except (OSError, EOFError, pickle.UnpicklingError):
        return  # it could not start, or died: the other workers or the caller take over
    finally:
        results.put(None)
        if worker is not None:
            with contextlib.suppress(OSError):  # unsent bytes to a dead worker
                worker.stdin.close()
            worker.wait()


def _serve() -> None:
    """The worker: one model, one thread; chunks of texts in, vectors out, until the
    parent closes the pipe (also how it stops on Ctrl-C, which is the parent's to handle)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from align.e5_torch import E5Torch

    model = E5Torch(device="cpu", threads=1)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    try:
        while True:
            pickle.dump(model.encode(pickle.load(stdin)), stdout)
            stdout.flush()
    except (EOFError, BrokenPipeError):
        return


if __name__ == "__main__":
    _serve()
