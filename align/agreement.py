"""Token agreement: how much of what one sentence says, word by word, the other says too.

A sentence vector places a sentence by its topic and scene as much as by its
claims, so in a novel made into coverage a sentence whose counterpart was cut
often finds its best match in another sentence of the same scene, far from its
own place, and stands out there by margin. Reading the two sentences token by
token tells them apart better: each token of one side looks for its most
similar token of the other (cosine of the packaged e5 model's states at
``LAYER``; tokens without a word character left out), a side's share is the
mean of its tokens' best similarities (BERTScore's recall and precision, Zhang
et al. 2020), and the pair's agreement is the better share: coverage packs a
sentence into one clause of a longer one (大會發表《行動計劃》 ↔ "Also on July
26, the conference adopted the … Action Plan, which calls on …"), and the short
side is then said whole. Over the 1-1 links the coverage regime leaves alone
on MAC-Dev made into coverage (seed 0, shuffled and news-like settings, 572
links, 328 right), right and wrong links separate with AUC 0.85 at layer 10
(BERTScore's F by layer 6 / 8 / 10 / 12: 0.83 / 0.84 / 0.86 / 0.80), against
0.83 for the link's margin and 0.74 for its cosine. The mean of the two shares
(0.86) lost the flagship's clause pair above (0.627 against its document's bar
of 0.635); see docs/development.md.

Like :func:`align.comparable.pair_bar`, the bar is the document's own: halfway
between the agreement of a typical non-pair and of a typical pair. For a
Chinese–English pair a link must also clear the same bar on a dictionary's
reading (:mod:`align.lexicon`), which the models' shared sense of a scene does
not sway.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .comparable import mutual_links
from .e5_torch import E5Torch
from .lexicon import Lexicon
from .normalise import WORD_CHAR

LAYER = 10
"""e5's layer whose token states are compared (measured above; the word links use 8)."""
SAMPLE = 100
"""Mutual-best links (evenly spread) whose agreement gives the document's pair level."""


class TokenAgreement:
    """Agreement of sentence pairs of one document pair; token states are computed
    for the sentences asked about only, in one pass per question, and kept."""

    def __init__(self, model: Callable[[], E5Torch], src: Sequence[str], tgt: Sequence[str],
                 lexicon: Lexicon | None = None) -> None:
        self._load, self._model = model, None
        self.texts = (list(src), list(tgt))
        self.lexicon = lexicon
        self._states: tuple[dict[int, np.ndarray], dict[int, np.ndarray]] = ({}, {})

    @staticmethod
    def signature() -> str:
        """What the output records of this evidence."""
        return (f"e5-small|layer:{LAYER}|better share|bar:halfway"
                f"|zh-en also {Lexicon.signature()}")

    def _need(self, links: list[tuple[int, int]]) -> None:
        want = [(side, k) for side in (0, 1) for k in sorted({link[side] for link in links})
                if k not in self._states[side]]
        if not want:
            return
        self._model = self._model or self._load()
        _, states = self._model.run([self.texts[side][k] for side, k in want],
                                    states=LAYER, vectors=False)
        for (side, k), st in zip(want, states):
            # Tokens that carry a word character: a bare word-start mark or a
            # full stop agrees with anything.
            keep = [t for t, span in enumerate(st.spans)
                    if span and WORD_CHAR.search(st.text[span[0]:span[1]])]
            x = st.hidden[-1][keep or slice(None)]
            self._states[side][k] = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)

    def scores(self, links: list[tuple[int, int]]) -> np.ndarray:
        """The agreement of each (source, target) link: the better of the two sides'
        mean best token cosine, in [-1, 1]."""
        self._need(links)
        out = np.empty(len(links))
        for n, (i, j) in enumerate(links):
            sim = self._states[0][i] @ self._states[1][j].T
            out[n] = max(sim.max(axis=1).mean(), sim.max(axis=0).mean()) if sim.size else 0.0
        return out

    def _sample(self, mar: np.ndarray) -> tuple[list, list] | None:
        """The document's typical pairs and non-pairs (see :meth:`below_pair_bar`)."""
        mutual = sorted(mutual_links(mar)) if mar.size else []
        if len(mutual) < 2:
            return None
        spread = np.linspace(0, len(mutual) - 1, min(SAMPLE, len(mutual))).astype(int)
        pairs = [mutual[k] for k in spread]
        half = len(pairs) // 2
        return pairs, [(pairs[k][0], pairs[(k + half) % len(pairs)][1]) for k in range(len(pairs))]

    def below_pair_bar(self, links: list[tuple[int, int]], mar: np.ndarray) -> list[bool]:
        """Whether each link agrees less than halfway between a typical non-pair and a
        typical pair of this document, token by token or (given a lexicon) by the
        dictionary.

        The typical pair is the median over mutual-best links of the margins ``mar``
        (mostly pairs; up to ``SAMPLE``, evenly spread); the typical non-pair the
        median over the same sentences paired half the list away (the same story,
        another place in it). All False when fewer than two links are mutual best.
        """
        sample = self._sample(mar)
        if sample is None or not links:
            return [False] * len(links)
        pairs, non_pairs = sample
        self._need(links + pairs + non_pairs)
        below = np.zeros(len(links), bool)
        for score in (self.scores, self.lexicon.scores) if self.lexicon else (self.scores,):
            below |= score(links) < (np.median(score(non_pairs)) + np.median(score(pairs))) / 2
        return below.tolist()

    def unbacked(self, members: list[tuple[int, list[int]]], mar: np.ndarray) -> list[bool]:
        """For each (Chinese sentence, the English sentences of its bead): whether the
        dictionary finds less of the sentence's words there than halfway between the
        document's typical non-pair and pair (:meth:`below_pair_bar`'s, on the Chinese
        share alone). All False without a lexicon."""
        sample = self._sample(mar) if self.lexicon else None
        if sample is None or not members:
            return [False] * len(members)
        z = self.lexicon.chinese_side
        level = [np.median(self.lexicon.said([(link[z], [link[1 - z]]) for link in links]))
                 for links in sample]
        return (self.lexicon.said(members) < sum(level) / 2).tolist()
