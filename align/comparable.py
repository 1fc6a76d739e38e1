"""Alignment of comparable texts: news coverage against its source.

Coverage reorders, summarises and leaves most of the source out, so there is
no monotone path to find. Instead every sentence looks for its best
counterpart anywhere on the other side, and a link is kept only when it
stands out from that sentence's other options: the *ratio margin* of Artetxe
& Schwenk (2019), ``cos(x, y) / mean(kNN(x) ∪ kNN(y))``. Raw cosines do not
transfer between models (e5 crowds zh/en cosines into 0.77-0.89, USE spreads
them over 0.1-0.7); margins do, which is what makes one threshold work.

Coverage also packs a source sentence into one clause of a longer sentence
("Also on July 26, the conference adopted the Action Plan, which calls on all
parties to ..." ↔ 大會發表《行動計劃》). Whole-sentence similarity dilutes such
a match, so long sentences are also embedded clause by clause and a pair
scores the best of its whole-sentence and clause-level similarities.

A link is kept if it is the best for either of its two sentences and clears
the threshold, or — a weaker margin, but corroborated — if the two sentences
are each other's best both on whole sentences and on clauses; and either way
only if it looks like one of this document's pairs (:func:`pair_bar`) or the
two sentences state a figure in common. One English
sentence can summarise two adjacent Chinese ones (and vice versa); linked
sentences are grouped into beads by connected components, and a component
that gathers far-apart sentences keeps only its strongest link, because a
translator merges neighbours, not sentences from different paragraphs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import spaceless
from .segment import clauses as split_clauses


@dataclass(frozen=True)
class ComparableParams:
    """Every knob that changes a comparable alignment (recorded in the output signature)."""

    k: int = 4
    """Neighbours in the margin's denominator (capped by the smaller side's size)."""
    threshold: float = 1.06
    """Margin at which a link is a coin flip; calibrated confidence is 0.5 there."""
    mutual_threshold: float = 1.03
    """Lower margin accepted for links that are mutual best on both sentences and clauses."""
    clause_chars: tuple[int, int] = (15, 50)
    """Shortest clause worth embedding on its own: (Han-script, other scripts), in characters."""
    slope: float = 0.03
    """Margin change that moves the confidence by one logit."""
    max_bead: int = 4
    """Most sentences one bead may gather on one side."""
    no_counterpart_at_non_pair: float = 0.95
    """Confidence that an unmatched sentence has no counterpart when its best match is only as
    similar as a typical non-pair of the document (0.5 when as similar as a typical pair).
    Set, not tuned: calibration error over the coverage settings, news 0.162 / 0.109 / 0.052
    at 0.90 / 0.95 / 0.99; MAC-Dev, which is over-confident at the top already, 0.056 at 0.95."""


def margins(sim: np.ndarray, k: int) -> np.ndarray:
    """Ratio margin of every cell of a similarity matrix."""
    n, m = sim.shape
    kr, kc = min(k, m), min(k, n)
    row = np.sort(sim, axis=1)[:, -kr:].mean(axis=1)
    col = np.sort(sim, axis=0)[-kc:, :].mean(axis=0)
    denom = (row[:, None] + col[None, :]) / 2
    return sim / np.where(np.abs(denom) < 1e-9, 1e-9, denom)


def confidence(margin: np.ndarray | float, p: ComparableParams, bar: float | None = None) -> np.ndarray:
    """Calibrated: 0.5 at the bar a link had to clear (``p.threshold`` unless given)."""
    bar = p.threshold if bar is None else bar
    # Clipped logits: a margin far from the bar (a negative cosine, a tiny side) is 0 or 1
    # either way, without numpy's overflow warning.
    return 1.0 / (1.0 + np.exp(np.clip(-(np.asarray(margin) - bar) / p.slope, -60, 60)))


def clauses(text: str, lang: str, p: ComparableParams = ComparableParams()) -> list[str]:
    """Clauses of a long sentence worth embedding on their own ([] if it does not split)."""
    return split_clauses(text, p.clause_chars[0] if spaceless(lang) else p.clause_chars[1])


@dataclass
class View:
    """One side's embeddings: whole sentences, plus clauses and the sentence each belongs to."""

    sentences: np.ndarray
    clauses: np.ndarray
    owner: np.ndarray
    runs: np.ndarray | None = None
    """Run number of each sentence: only sentences of one run are neighbours (None: one run)."""
    figures: list[frozenset[str]] | None = None
    """Numbers and dates each sentence states (normalised values; None: not known)."""


def pair_levels(sim: np.ndarray, mar: np.ndarray) -> tuple[float, float] | None:
    """A typical non-pair's and a typical pair's similarity in this document.

    Two sentences whose counterparts are both missing are still the same story:
    in a short article they are each other's best match and stand out by
    margin. What they lack is the similarity the document's real pairs have.
    The median of all sentence pairs (nearly all non-pairs) and the median of
    the mutual-best links (mostly pairs) are two levels of the document's own,
    and they follow it: a free literary translation has a lower pair level than
    a news translation. ``mar`` are the ratio margins of ``sim`` (the caller has them).
    None when no link is anyone's mutual best.
    """
    mutual = mutual_links(mar) if sim.size else set()
    if not mutual:
        return None
    return float(np.median(sim)), float(np.median([sim[ij] for ij in mutual]))


def pair_bar(levels: tuple[float, float] | None) -> float:
    """Halfway between the two :func:`pair_levels`: a link below it is nearer a typical
    non-pair than a typical pair. No tuned number."""
    return (levels[0] + levels[1]) / 2 if levels else -np.inf


def judge_by_pair_levels(beads: list, src: View, tgt: View, p: ComparableParams) -> list:
    """The beads judged against the document's own :func:`pair_levels` (on
    :func:`clause_similarity`).

    A 1-1 bead below :func:`pair_bar` whose sentences state no figure in common is
    left unmatched; larger beads stay (a member of a real 1-2 bead says only part of
    the other side). Every unmatched sentence gets its confidence of having no
    counterpart from where its best match lies between the two levels: a
    logistic through 0.5 at the pair level and ``p.no_counterpart_at_non_pair``
    at the non-pair level. The margin a sentence's best match has (comparable
    mode's own measure) says how it stands among its candidates, not whether it
    is a pair: in a short article a sentence whose counterpart was cut stands
    out against the rest of the story.
    """
    sim = clause_similarity(src, tgt)
    levels = pair_levels(sim, margins(sim, p.k))
    if levels is None:
        return beads
    low, high = levels
    slope = np.log(p.no_counterpart_at_non_pair / (1 - p.no_counterpart_at_non_pair))
    best = (sim.max(axis=1), sim.max(axis=0))

    def alone(side: int, k: int) -> float:
        r = (best[side][k] - low) / max(high - low, 1e-6)
        return float(1 / (1 + np.exp(np.clip(-slope * (1 - r), -50, 50))))
    bar = pair_bar(levels)
    out = []
    for s, t, c in beads:
        unlike = (len(s) == 1 and len(t) == 1 and sim[s[0], t[0]] < bar
                  and not share_figure(src, tgt, s[0], t[0]))
        if s and t and not unlike:
            out.append((s, t, c))
        else:
            out += [([i], [], alone(0, i)) for i in s] + [([], [j], alone(1, j)) for j in t]
    return out


def share_figure(src: View, tgt: View, i: int, j: int) -> bool:
    """Whether sentences ``i`` and ``j`` state a number or date in common."""
    return bool(src.figures and tgt.figures and src.figures[i] & tgt.figures[j])


def clause_similarity(src: View, tgt: View) -> np.ndarray:
    """Best of whole-sentence and clause-vs-sentence similarity for every pair."""
    sim = src.sentences @ tgt.sentences.T
    if len(src.clauses):
        np.maximum.at(sim, src.owner, src.clauses @ tgt.sentences.T)
    if len(tgt.clauses):
        np.maximum.at(sim.T, tgt.owner, tgt.clauses @ src.sentences.T)
    return sim


def link_margins(src: View, tgt: View, k: int) -> np.ndarray:
    """The margin comparable mode judges a link by: the better of the whole sentences' and
    the clauses' (:func:`clause_similarity`)."""
    return np.maximum(margins(src.sentences @ tgt.sentences.T, k),
                      margins(clause_similarity(src, tgt), k))


def _best_links(mar: np.ndarray) -> set[tuple[int, int]]:
    n, m = mar.shape
    return {(i, int(mar[i].argmax())) for i in range(n)} | {(int(mar[:, j].argmax()), j) for j in range(m)}


def mutual_links(mar: np.ndarray) -> set[tuple[int, int]]:
    """Pairs that are each other's best match."""
    best_t, best_s = mar.argmax(axis=1), mar.argmax(axis=0)
    return {(i, int(best_t[i])) for i in range(len(mar)) if best_s[best_t[i]] == i}


def align_comparable(src: View, tgt: View, p: ComparableParams = ComparableParams(),
                     used: tuple[np.ndarray, np.ndarray] | None = None):
    """Return ``[(src_ids, tgt_ids, confidence)]``: linked beads, then unmatched sentences.

    Sentences marked in ``used`` (source, target) are linked already (the
    continuum aligner's blocks): they still compete in every margin and best
    match, but get no link and no bead here.
    """
    n, m = len(src.sentences), len(tgt.sentences)
    if used is None:
        used = (np.zeros(n, bool), np.zeros(m, bool))
    if n == 0 or m == 0:
        return [([i], [], 1.0) for i in range(n)] + [([], [j], 1.0) for j in range(m)]
    whole = margins(src.sentences @ tgt.sentences.T, p.k)
    sim = clause_similarity(src, tgt)
    clause_mar = margins(sim, p.k)
    mar = np.maximum(whole, clause_mar)
    corroborated = mutual_links(whole) & mutual_links(mar)
    bar = pair_bar(pair_levels(sim, clause_mar))
    links = {(i, j) for i, j in _best_links(mar) if not used[0][i] and not used[1][j]
             and (mar[i, j] >= p.threshold
                  or ((i, j) in corroborated and mar[i, j] >= p.mutual_threshold))
             and (sim[i, j] >= bar or share_figure(src, tgt, i, j))}
    beads = []
    for s, t in _components(links):
        s, t = _trim(s, t, mar, p.max_bead)
        s, t = _neighbours_only(s, t, mar, src.runs, tgt.runs)
        kept = [(i, j) for i in s for j in t if (i, j) in links] or [max(
            ((i, j) for i in s for j in t), key=lambda ij: mar[ij])]
        conf = float(np.mean([confidence(mar[ij], p, p.mutual_threshold if ij in corroborated
                                         else p.threshold) for ij in kept]))
        beads.append((s, t, conf))
    linked_s = {i for s, _, _ in beads for i in s}
    linked_t = {j for _, t, _ in beads for j in t}
    best_s, best_t = mar.max(axis=1), mar.max(axis=0)
    beads += [([i], [], float(1 - confidence(best_s[i], p))) for i in range(n)
              if i not in linked_s and not used[0][i]]
    beads += [([], [j], float(1 - confidence(best_t[j], p))) for j in range(m)
              if j not in linked_t and not used[1][j]]
    return beads


def _components(links: set[tuple[int, int]]) -> list[tuple[list[int], list[int]]]:
    """Group links sharing a sentence into beads (union-find over both sides)."""
    parent: dict[tuple[str, int], tuple[str, int]] = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in links:
        parent[find(("s", i))] = find(("t", j))
    groups: dict[tuple[str, int], tuple[list[int], list[int]]] = {}
    for i, j in links:
        s, t = groups.setdefault(find(("s", i)), ([], []))
        s.append(i)
        t.append(j)
    return [(sorted(set(s)), sorted(set(t))) for s, t in groups.values()]


def _trim(s: list[int], t: list[int], mar: np.ndarray, most: int):
    """Keep a bead readable: drop its weakest sentences beyond ``most`` per side."""
    if len(s) > most:
        s = sorted(sorted(s, key=lambda i: -mar[i, t].max())[:most])
    if len(t) > most:
        t = sorted(sorted(t, key=lambda j: -mar[s, j].max())[:most])
    return s, t


def _neighbours_only(s: list[int], t: list[int], mar: np.ndarray, src_runs, tgt_runs):
    """Keep the run of adjacent sentences around the strongest link on each side."""
    i, j = np.unravel_index(np.argmax(mar[np.ix_(s, t)]), (len(s), len(t)))
    return _adjacent_run(s, s[i], src_runs), _adjacent_run(t, t[j], tgt_runs)


def _adjacent_run(ids: list[int], centre: int, runs: np.ndarray | None) -> list[int]:
    if runs is None:
        runs = np.zeros(max(ids) + 2, dtype=int)
    run = [centre]
    while run[0] - 1 in ids and runs[run[0] - 1] == runs[centre]:
        run.insert(0, run[0] - 1)
    while run[-1] + 1 in ids and runs[run[-1] + 1] == runs[centre]:
        run.append(run[-1] + 1)
    return run
