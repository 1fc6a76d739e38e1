"""Unsupported spans: what one side of a matched pair says and the other does not.

A matched pair can still disagree inside: coverage adds "from upwards of 40
countries and international organizations" to a sentence whose Chinese says only
國內外嘉賓…1000多人出席. Two kinds of evidence find such stretches:

- *where*: the word links of :mod:`align.evidence`. A content word whose best
  link is weak (or that has none) is not supported by the other side;
  unsupported words are merged into spans; function words and punctuation join
  a span but never make one alone, and a figure the claims step already flags as
  one-sided (:mod:`align.claims`) counts as unsupported too (its word may well be
  linked, to a different figure). For Chinese–English a word that CC-CEDICT finds
  said on the other side (:func:`align.lexicon.backed_words`: 開幕式 ↔ "opening
  ceremony") is supported as surely as by a perfect link. Every clause (the
  sentence cut at commas, semicolons, colons) is a candidate as well: translators
  and reporters add and drop whole clauses.
- *whether*: a candidate is flagged only when the pair matches better without
  it — the same rule that leaves an omitted sentence out of its neighbour's bead
  (:func:`align.continuum.dilutes`), one level down. Removing a stretch the
  other side also says moves the two sides apart; removing one it does not say
  brings them together. Word links alone cannot tell a translator's free
  rendering from an addition (literary text is full of weak links); the
  sentence model, reading the whole context, can.

Four settings, calibrated together on clauses inserted into MAC-Dev translation
pairs (``bench/bench_unsupported.py``, which prints the leave-one-document-out
figures): ``bar`` (the cosine a word's best link must reach at the word
aligner's layer, averaged over ``window`` content words either side),
``min_words`` (unsupported content words a word span needs) and ``dilution``
(how much closer, in cosine, the pair must be without the stretch). The
dictionary (``dictionary``) was added after them and left them as they were: the
default's character F1 0.715 → 0.735, untouched pairs flagged 0.308 → 0.286.
"""

from __future__ import annotations

from dataclasses import dataclass

from .claims import ONLY_IN
from .embed import Encoder, Progress
from .lexicon import backed_words
from .model import Alignment, Document, Flag, Pair, is_chinese
from .normalise import WORD_CHAR
from .segment import clause_bounds

KIND = "unsupported"

# Chosen on MAC-Dev pairs with inserted clauses (bench/bench_unsupported.py; README has the
# grid and the leave-one-document-out figures).
BAR = 0.35
WINDOW = 1
MIN_WORDS = 3
DILUTION = 0.03

# Words that carry grammar, not content: they may sit inside a span but never make one.
EN_FUNCTION_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each either few for
from further had has have having he her here hers herself him himself his how i if in into is
it its itself just may me might more most must my myself neither no nor not now of off on once
only or other our ours ourselves out over own same shall she should so some such than that the
their theirs them themselves then there these they this those through to too under until up
upon us very was we were what when where whether which while who whom whose why will with
within without would yet you your yours 's ’s n't
""".split())
ZH_FUNCTION_WORDS = frozenset("""
的 地 得 了 着 过 在 是 和 与 及 以及 并 并且 而 而且 或 或者 也 都 就 又 还 很 将 把 被 对 对于 为 为了
从 向 于 以 之 其 这 那 这些 那些 这个 那个 该 此 个 一个 等 等等 中 上 下 里 们 我 你 他 她 它 我们 你们
他们 她们 它们 自己 所 所以 因为 但 但是 如果 虽然 可以 要 会 能 让 使 给 由 到 吗 呢 吧 啊 呀 么 什么
怎么 没有 不 没 有 已 已经 正在 更 最 非常 一 一些 各 每 这样 那样 如此 一样 之后 以后 之前 以来 时
""".split())


@dataclass(frozen=True)
class Settings:
    """The four calibrated numbers, and whether a dictionary's word (see the module
    docstring) counts as support."""

    bar: float = BAR
    window: int = WINDOW
    min_words: int = MIN_WORDS
    dilution: float = DILUTION
    dictionary: bool = True

    def signature(self) -> str:
        dictionary = "cc-cedict" if self.dictionary else "none"
        return (f"bar:{self.bar}|window:{self.window}|min_words:{self.min_words}"
                f"|dilution:{self.dilution}|dictionary:{dictionary}")


def is_content(word: str, lang: str) -> bool:
    """A word that can carry a claim: letters or digits, not a function word."""
    if not WORD_CHAR.search(word):
        return False
    stop = ZH_FUNCTION_WORDS if is_chinese(lang) else EN_FUNCTION_WORDS
    return word.lower() not in stop


def spans(text: str, tokens: list[tuple[int, int]], support: list[float], lang: str,
          settings: Settings = Settings(), forced: frozenset[int] = frozenset()) -> list[tuple[int, int]]:
    """Character spans of ``text`` that the other side does not support.

    ``support[k]`` is the best link score of word ``k`` (-1 for none, counted as
    0). Each content word's score is averaged with its ``window`` content
    neighbours on either side: what a translation leaves out comes in runs, and
    one chance link inside a run ("40 countries and *international*
    organizations") or one missing link in a well-linked clause is noise. A
    span runs over consecutive content words below ``bar`` (function words
    between them join it) and needs ``min_words`` of them. Words in ``forced``
    (figures the claims step found on one side only) are unsupported whatever
    their neighbours: that evidence is not noisy.
    """
    content = [k for k, (a, b) in enumerate(tokens) if is_content(text[a:b], lang)]
    scores = [max(support[k], 0.0) for k in content]
    w = settings.window
    smooth = [sum(scores[max(0, n - w):n + w + 1]) / len(scores[max(0, n - w):n + w + 1])
              for n in range(len(scores))]
    found: list[tuple[int, int]] = []
    run: list[int] = []
    for n, k in enumerate(content + [None]):
        if k is not None and (smooth[n] < settings.bar or k in forced):
            run.append(k)
            continue
        if len(run) >= settings.min_words:
            found.append((tokens[run[0]][0], tokens[run[-1]][1]))
        run = []
    return found


def clause_spans(text: str, tokens: list[tuple[int, int]], lang: str) -> list[tuple[int, int]]:
    """Each clause of ``text`` (cut as :func:`align.segment.clause_bounds` cuts) from its
    first to its last word, if it has a content word; none when the sentence does not split."""
    out = []
    for a, b in clause_bounds(text):
        words = [t for t in tokens if a <= t[0] and t[1] <= b and WORD_CHAR.search(text[slice(*t)])]
        if any(is_content(text[slice(*t)], lang) for t in words):
            out.append((words[0][0], words[-1][1]))
    return out


@dataclass
class _Side:
    """One side of a matched pair written as one text, and where each sentence starts in it."""

    text: str
    starts: dict[int, int]

    @classmethod
    def of(cls, doc: Document, ids: list[int]) -> _Side:
        return cls(*doc.written(ids))

    def without(self, sid: int, a: int, b: int) -> str:
        at = self.starts[sid]
        return self.text[:at + a] + self.text[at + b:]


def _support(pair: Pair, side: str, sentence: int, n: int) -> list[float]:
    """Best link score of each word of one sentence of the pair (-1: no link)."""
    best = [-1.0] * n
    for s, i, t, j, score in pair.words:
        sid, k = (s, i) if side == "src" else (t, j)
        if sid == sentence:
            best[k] = max(best[k], score)
    return best


def _one_sided_figures(pair: Pair, side: str, sentence: int, tokens) -> frozenset[int]:
    """Words inside a figure the claims step flags as stated on this side only."""
    out = set()
    for f in pair.flags:
        if f.kind == ONLY_IN[side] and f.sentence == sentence and f.start is not None:
            out |= {k for k, (a, b) in enumerate(tokens) if a < f.end and f.start < b}
    return frozenset(out)


def candidates(pair: Pair, source: Document, target: Document, settings: Settings = Settings(),
               clauses: bool = True) -> list[tuple[str, int, int, int, bool]]:
    """``(side, sentence, start, end, figure)`` of every stretch of a matched pair
    (``words`` filled) that may be unsupported: word spans and (if ``clauses``)
    clauses; ``figure`` when the stretch is a word span holding a figure stated on
    this side only."""
    out = []
    for side, doc, ids in (("src", source, pair.src), ("tgt", target, pair.tgt)):
        other_doc, other_ids = (target, pair.tgt) if side == "src" else (source, pair.src)
        other = other_doc.joiner.join(other_doc.sentences[i].text for i in other_ids)
        for sid in ids:
            sentence = doc.sentences[sid]
            if not sentence.matchable or not sentence.tokens:
                continue
            support = _support(pair, side, sid, len(sentence.tokens))
            if settings.dictionary:
                for k in backed_words(sentence.text, sentence.tokens, doc.lang, other,
                                      other_doc.lang):
                    support[k] = 1.0
            forced = _one_sided_figures(pair, side, sid, sentence.tokens)
            for k in forced:
                support[k] = -1.0
            words = spans(sentence.text, sentence.tokens, support, doc.lang, settings, forced)
            found = {(a, b): any(a <= sentence.tokens[k][0] < b for k in forced) for a, b in words}
            if clauses:
                for stretch in clause_spans(sentence.text, sentence.tokens, doc.lang):
                    found.setdefault(stretch, False)
            out += [(side, sid, a, b, figure) for (a, b), figure in sorted(found.items())]
    return out


def flag_unsupported(alignment: Alignment, encoder: Encoder | None,
                     settings: Settings = Settings(),
                     progress: Progress | None = None) -> Alignment:
    """Recompute the ``unsupported`` flags of every matched pair (word links must be in).

    A candidate stretch is flagged when ``encoder`` (a sentence model; the
    fast member of a fusion does) finds its side closer to the other without
    it, by more than ``settings.dilution``, or when it holds a one-sided
    figure (exact evidence, which a sentence model reads past: "the three-day
    event, themed …" against a Chinese sentence that gives neither);
    overlapping flagged stretches are joined. Every text of every pair is
    encoded in one call. Without an encoder the word spans are flagged as
    they are (the word evidence alone: the baseline the bench prints).
    """
    source, target = alignment.source, alignment.target
    plans = []
    for pair in alignment.matched_pairs():
        sides = {"src": _Side.of(source, pair.src), "tgt": _Side.of(target, pair.tgt)}
        found = candidates(pair, source, target, settings, clauses=bool(encoder))
        plans.append((pair, sides, found))
    vecs = {}
    if encoder:
        texts = sorted({t for _, sides, found in plans for t in (
            sides["src"].text, sides["tgt"].text,
            *(sides[side].without(sid, a, b) for side, sid, a, b, _ in found))})
        vecs = dict(zip(texts, encoder.encode(texts, progress))) if texts else {}

    def dilutes(sides: dict[str, _Side], side: str, sid: int, a: int, b: int) -> bool:
        if not encoder:
            return True
        other = vecs[sides["tgt" if side == "src" else "src"].text]
        gain = vecs[sides[side].without(sid, a, b)] @ other - vecs[sides[side].text] @ other
        return gain > settings.dilution

    for pair, sides, found in plans:
        kept: dict[tuple[str, int], list[tuple[int, int]]] = {}
        for side, sid, a, b, figure in found:
            if figure or dilutes(sides, side, sid, a, b):
                kept.setdefault((side, sid), []).append((a, b))
        pair.flags = [f for f in pair.flags if f.kind != KIND]
        for (side, sid), stretches in sorted(kept.items()):
            text = (source if side == "src" else target).sentences[sid].text
            pair.flags += [Flag(KIND, span=text[a:b], side=side, sentence=sid, start=a, end=b)
                           for a, b in _joined(stretches)]
    alignment.signature["unsupported"] = settings.signature()
    return alignment


def _joined(stretches: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping stretches as one."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(stretches):
        if out and a < out[-1][1]:
            out[-1] = (out[-1][0], max(b, out[-1][1]))
        else:
            out.append((a, b))
    return out


def supported_share(pair: Pair, alignment: Alignment, side: str) -> float:
    """Share of one side's characters (spaces aside) that no unsupported span covers."""
    doc = alignment.source if side == "src" else alignment.target
    total = sum(len("".join(doc.sentences[i].text.split())) for i in getattr(pair, side))
    out = sum(len("".join(f.span.split())) for f in pair.flags if f.kind == KIND and f.side == side)
    return 1.0 - out / total if total else 1.0


def describe(pair: Pair) -> str:
    """A pair's unsupported spans in one line, for TSV, TMX notes and the CLI:
    ``target 3: from upwards of 40 countries; target 3: three-day event``."""
    return "; ".join(f"{'source' if f.side == 'src' else 'target'} {f.sentence}: {f.span}"
                     for f in pair.flags if f.kind == KIND)
