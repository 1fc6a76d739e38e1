"""Word alignment inside a sentence pair, from the token states of the packaged e5 model.

SimAlign's recipe (Jalili Sabet et al. 2020) without its big model: run both
sentences through the encoder, take one layer's token states, compare every
source token with every target token by cosine, and keep the links an
extraction rule picks; subword links become word links. The layer and the rule
are chosen by measurement on gold word alignments (``bench/bench_words.py``).

Words: a pre-tokenised line keeps its tokens (the input of every word aligner,
and of the gold sets) and the model sees them joined by spaces, Chinese too:
every word then starts a new subword, so no subword straddles two words. That
measured better than rejoining Chinese as written (dev AER 0.220 against 0.231
at layer 7, itermax), though XLM-R learnt Chinese unspaced. Raw Chinese is
segmented with jieba and other languages on letters/digits and punctuation,
with spans into the text as written.

Extraction rules, both SimAlign's:

- ``argmax``: a link where each token is the other's most similar (intersection
  of both directions): high precision, misses many-to-one links.
- ``itermax``: argmax, then once more among the tokens still unlinked (a
  linked token's row and column are damped by 0.9, so an unlinked one may
  still attach to it), adding the new mutual bests.
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .e5_torch import E5Torch
from .errors import InputError
from .lexicon import joined_words
from .model import is_chinese
from .normalise import HAN, to_simplified

METHODS = ("argmax", "itermax")
LEVELS = ("subword", "word")

# Chosen on the 50 dev pairs of ../shared/gold/zh-en-words (bench/bench_words.py):
# see README for the per-layer table and the held-out (five-fold) estimate of the choice.
LAYER = 8
METHOD = "itermax"
LEVEL = "subword"

# Penn Treebank escapes found in tokenised English (the gold sets use them): the
# model should see the brackets themselves.
PTB = {"-LRB-": "(", "-RRB-": ")", "-LSB-": "[", "-RSB-": "]", "-LCB-": "{", "-RCB-": "}",
       "``": '"', "''": '"'}
_CJK = re.compile(f"[{HAN}\u3000-\u303f\uff00-\uffef]")
# A number with its thousands separators and decimals is one word (1,000 ↔ 1000).
_LATIN_WORD = re.compile(r"\d+(?:[.,]\d+)*|\w+(?:[-'’.]\w+)*|[^\w\s]")


@dataclass
class Sentence:
    """A sentence as the aligner sees it: ``text`` for the model and its words as
    ``(start, end)`` character spans of ``text``."""

    text: str
    spans: list[tuple[int, int]]

    @property
    def words(self) -> list[str]:
        return [self.text[a:b] for a, b in self.spans]

    @classmethod
    def from_tokens(cls, tokens: Sequence[str], spaced: bool = True) -> Sentence:
        """Pre-tokenised words as text: joined by spaces, or (``spaced=False``) as
        written, with no space between two tokens where either side is CJK."""
        text, spans = "", []
        for token in tokens:
            token = PTB.get(token, token)
            if text and (spaced or not (_CJK.match(text[-1]) or _CJK.match(token[0]))):
                text += " "
            spans.append((len(text), len(text) + len(token)))
            text += token
        return cls(text, spans)

    @classmethod
    def from_text(cls, text: str, lang: str) -> Sentence:
        """Raw text split into words: jieba for Chinese, letters/digits and single
        punctuation marks for others. Spans point into ``text`` unchanged."""
        if is_chinese(lang):
            import jieba

            jieba.setLogLevel(60)  # its "building prefix dict" chatter goes to stderr
            # jieba's dictionary is Simplified: Traditional text segments badly as read
            # (國內外嘉賓 → 國內 / 外嘉賓). OpenCC converts character by character
            # almost always; when it does, its word spans carry over unchanged.
            simplified = to_simplified(text)
            read = simplified if len(simplified) == len(text) else text
            spans, start = [], 0
            for piece in jieba.cut(read, HMM=True):
                if piece.strip():
                    spans.append((start, start + len(piece)))
                start += len(piece)
            return cls(text, joined_words(read, spans))
        return cls(text, [m.span() for m in _LATIN_WORD.finditer(text)])


@dataclass(frozen=True)
class Link:
    src: int
    tgt: int
    score: float


def mutual_argmax(sim: np.ndarray) -> np.ndarray:
    """Boolean matrix: ``sim[i, j]`` is the maximum of its row and of its column."""
    m, n = sim.shape
    forward = np.zeros((m, n), dtype=bool)
    forward[np.arange(m), sim.argmax(axis=1)] = True
    backward = np.zeros((m, n), dtype=bool)
    backward[sim.argmax(axis=0), np.arange(n)] = True
    return forward & backward


def itermax(sim: np.ndarray, rounds: int = 2, damp: float = 0.9) -> np.ndarray:
    """SimAlign's itermax on a similarity matrix in [0, 1] ((cos + 1) / 2, as there).

    Each further round looks again at pairs where at least one token is still
    unlinked: a row or column already linked counts ``damp`` instead of 1, so
    an unlinked token may attach to a linked one (many-to-one) but two linked
    tokens never get a second link to each other.
    """
    links = mutual_argmax(sim)
    m, n = sim.shape
    if min(m, n) <= 2:
        return links
    for _ in range(rounds - 1):
        free_row = ~links.any(axis=1)
        free_col = ~links.any(axis=0)
        if not free_row.any() or not free_col.any():
            break
        weight = np.clip(damp * free_row[:, None] + damp * free_col[None, :], 0.0, 1.0)
        open_ = free_row[:, None] | free_col[None, :]
        new = mutual_argmax(sim * weight) & open_
        if not (new & ~links).any():
            break
        links |= new
    return links


EXTRACT = {"argmax": mutual_argmax, "itermax": itermax}


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def _overlapping(words: list[tuple[int, int]], tokens: list[tuple[int, int] | None]
                 ) -> list[list[int]]:
    """Per token span, the words it overlaps. Both run left to right without overlap,
    so each token starts its search where the words ending after it begin: linear in
    the sentence, where testing every word for every token took minutes on a line of
    40,000 words."""
    ends = [b for _, b in words]
    out = []
    for span in tokens:
        hits = []
        if span:
            w = bisect_right(ends, span[0])
            while w < len(words) and words[w][0] < span[1]:
                hits.append(w)
                w += 1
        out.append(hits)
    return out


class WordAligner:
    """Links between the words of sentence pairs, from one layer of e5's token states.

    ``layer`` (0 = embeddings, 12 = final), ``method`` (``argmax``/``itermax``) and
    ``level`` (link ``subword`` tokens then map them to words, SimAlign's default;
    or pool each word's subwords by mean first, ``word``) have defaults measured on
    the zh-en dev gold (see ``LAYER``/``METHOD``/``LEVEL``). Pass a loaded
    :class:`E5Torch` to share it with the sentence encoder.
    """

    def __init__(self, model: E5Torch | None = None, layer: int = LAYER, method: str = METHOD,
                 level: str = LEVEL) -> None:
        if method not in EXTRACT:
            raise InputError("--method", f"unknown method {method!r}: use one of {', '.join(METHODS)}")
        if level not in LEVELS:
            raise InputError("--level", f"unknown level {level!r}: use one of {', '.join(LEVELS)}")
        self.model = model or E5Torch()
        if not 0 <= layer <= self.model.config.layers:
            raise InputError("--layer", f"layer must be 0-{self.model.config.layers}, not {layer}")
        self.layer, self.method, self.level = layer, method, level

    def signature(self) -> str:
        return f"e5-small|layer:{self.layer}|method:{self.method}|level:{self.level}"

    def token_words(self, sentences: Sequence[Sentence], layer: int | str | None = None):
        """Per sentence: its token states (``[layers, tokens, H]``) and, per token,
        the words it overlaps (tokens covering no word, like a bare ``▁``, overlap none)."""
        _, states = self.model.run([s.text for s in sentences],
                                   states=self.layer if layer is None else layer, vectors=False)
        return [(st.hidden, _overlapping(sentence.spans, st.spans))
                for sentence, st in zip(sentences, states)]

    def links(self, src_states: np.ndarray, tgt_states: np.ndarray, src_owners: list[list[int]],
              tgt_owners: list[list[int]], n_src: int, n_tgt: int, method: str | None = None,
              level: str | None = None) -> list[Link]:
        """Word links of one pair from its token states (``[tokens, H]`` each, one layer)."""
        method, level = method or self.method, level or self.level
        if level == "word":
            src_states, src_owners = _pool(src_states, src_owners, n_src)
            tgt_states, tgt_owners = _pool(tgt_states, tgt_owners, n_tgt)
        src_keep = [k for k, o in enumerate(src_owners) if o]
        tgt_keep = [k for k, o in enumerate(tgt_owners) if o]
        if not src_keep or not tgt_keep:
            return []
        sim = _unit(src_states[src_keep]) @ _unit(tgt_states[tgt_keep]).T
        chosen = EXTRACT[method]((sim + 1.0) / 2.0)
        best: dict[tuple[int, int], float] = {}
        for a, b in zip(*np.nonzero(chosen)):
            for i in src_owners[src_keep[a]]:
                for j in tgt_owners[tgt_keep[b]]:
                    best[i, j] = max(best.get((i, j), -1.0), float(sim[a, b]))
        return [Link(i, j, s) for (i, j), s in sorted(best.items())]

    def align(self, pairs: Sequence[tuple[Sentence, Sentence]], chunk: int = 256) -> list[list[Link]]:
        """Word links of each pair (source word index, target word index, cosine)."""
        out: list[list[Link]] = []
        for start in range(0, len(pairs), chunk):
            part = pairs[start:start + chunk]
            enc = self.token_words([s for s, _ in part] + [t for _, t in part])
            for k, (src, tgt) in enumerate(part):
                (hs, so), (ht, to) = enc[k], enc[len(part) + k]
                out.append(self.links(hs[-1], ht[-1], so, to, len(src.spans), len(tgt.spans)))
        return out


def _pool(states: np.ndarray, owners: list[list[int]], n: int) -> tuple[np.ndarray, list[list[int]]]:
    """Each word's vector as the mean of its subwords' states (SimAlign's word level);
    a word with no subword gets no owner, so it is never linked."""
    member = np.zeros((n, len(owners)), dtype=np.float32)
    for k, words in enumerate(owners):
        member[words, k] = 1.0
    counts = member.sum(axis=1, keepdims=True)
    pooled = member @ states / np.maximum(counts, 1.0)
    return pooled, [[i] if counts[i, 0] else [] for i in range(n)]


# --- the de-facto file formats of word aligners --------------------------------------

def read_pairs(path: str | Path, target: str | Path | None = None) -> list[tuple[list[str], list[str]]]:
    """``source ||| target`` lines (fast_align's input), or two line-aligned files, of
    words separated by spaces. A bad line is one :class:`InputError`: ``<file>: line N: …``."""
    if target is None:
        pairs = []
        for n, line in _lines(path):
            if "|||" not in line:
                raise InputError(str(path), f"line {n}: no '|||' between source and target")
            src, _, tgt = line.partition("|||")
            pairs.append(_pair(path, n, src.split(), tgt.split()))
        return pairs
    src_lines, tgt_lines = list(_lines(path)), list(_lines(target))
    if len(src_lines) != len(tgt_lines):
        raise InputError(str(target), f"has {len(tgt_lines)} lines, the source {len(src_lines)}")
    return [_pair(path if not s.split() else target, n, s.split(), t.split())
            for (n, s), (_, t) in zip(src_lines, tgt_lines)]


def _pair(path, n: int, src: list[str], tgt: list[str]) -> tuple[list[str], list[str]]:
    if not src or not tgt:
        raise InputError(str(path), f"line {n}: empty {'source' if not src else 'target'} side")
    return src, tgt


def _lines(path: str | Path) -> Iterable[tuple[int, str]]:
    try:
        raw = sys.stdin.buffer.read() if str(path) == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise InputError(str(path), exc.strerror or "cannot read")
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if not lines:
        raise InputError(str(path), "empty file")
    for n, line in enumerate(lines, 1):
        try:
            yield n, line.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError as exc:
            raise InputError(str(path), f"line {n}: not UTF-8 (byte {exc.start + 1}: "
                                        f"{line[exc.start:exc.start + 1].hex()})")


def pharaoh(links: Iterable[Link]) -> str:
    """``0-0 1-2 …``: source-target word indices, 0-based, as fast_align writes them."""
    return " ".join(f"{link.src}-{link.tgt}" for link in links)
