"""Shared fixtures: a private embedding cache, the default encoder and the flagship alignment.

Embedding is the slow step (the default fuses two models, e5-small at ~15-20
sentences/s per core), so the whole suite shares one cache and embeds the
flagship pair once: every later run of the same texts, in-process CLI runs
included, is a cache hit.
"""

from __future__ import annotations

import os

# Set before numpy/torch start their thread pools: on a 2-core machine two
# OpenMP pools fight each other and per-call latency grows 4-20x.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# Tests never download: a hub model name must fail with a clear error, and
# huggingface_hub reads this once, when it is first imported.
os.environ["HF_HUB_OFFLINE"] = "1"

from pathlib import Path

import pytest

from align.embed import Encoder, load_encoder
from align.model import Alignment
from align.pipeline import align_files

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
FLAGSHIP_ZH = CORPUS / "001_6e67b410ee902a66.txt"
FLAGSHIP_EN = CORPUS / "003_3cceb59c81ded892.txt"


@pytest.fixture(scope="session", autouse=True)
def cache_dir(tmp_path_factory) -> Path:
    """A session-wide embedding cache: tests never read or fill the user's own."""
    path = tmp_path_factory.mktemp("embedding-cache")
    old = os.environ.get("ALIGN_CACHE_DIR")
    os.environ["ALIGN_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        del os.environ["ALIGN_CACHE_DIR"]
    else:
        os.environ["ALIGN_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def default_encoder(cache_dir) -> Encoder:
    """The embedded offline default (use-m3 + e5-small), cached in the session cache."""
    return load_encoder("default")


@pytest.fixture(scope="session")
def flagship(default_encoder) -> Alignment:
    """corpus/001 (Xinhua, zh) against corpus/003 (English coverage), auto mode, default model."""
    return align_files(FLAGSHIP_ZH, FLAGSHIP_EN, model=default_encoder)


# Fixtures that run a real model: every test using one is slow.
MODEL_FIXTURES = {"default_encoder", "flagship"}
MODEL_LOADERS = ("align.embed.USEEncoder.__init__", "align.embed.E5SmallEncoder.__init__",
                 "align.embed.SentenceTransformerEncoder.__init__", "align.e5_torch.E5Torch.__init__")


def pytest_collection_modifyitems(items) -> None:
    """Model fixtures and the browser make a test slow (the app's own tests are marked
    in their module: they run the whole app script)."""
    for item in items:
        if MODEL_FIXTURES & set(getattr(item, "fixturenames", ())) or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _models_only_in_slow_tests(request, monkeypatch) -> None:
    """``pytest -m "not slow"`` is the model-free suite (under a minute): a test that
    loads a real model without the ``slow`` mark fails here, so the mark cannot rot."""
    if request.node.get_closest_marker("slow"):
        return

    def refuse(*_args, **_kwargs):
        raise AssertionError(f"{request.node.nodeid} loads a real model: mark it @pytest.mark.slow")

    for loader in MODEL_LOADERS:
        monkeypatch.setattr(loader, refuse)
