"""The jumping pass and coverage blocks (align/jumps.py, align/continuum.py).

The model-free tests drive the DP with hand-made unit vectors, so what they
check is the path (blocks found in another order, one claim per sentence),
not alignment quality. The quality check makes coverage from a MAC-Dev
chapter (../shared, skipped where absent) and aligns it with the default
encoder.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import numpy as np
import pytest

from align.comparable import View, align_comparable
from align.continuum import (ContinuumParams, NullModel, align_continuum, clause_match, coverage,
                             in_order, linked_ratio, shows_its_order, undiluted)
from align.jumps import _one_claim_each, align_jumps
from align.parallel import (MAX_CLAUSES, ClauseSpans, ParallelParams, Windows, length_ratio,
                            window_chars)

ROOT = Path(__file__).resolve().parents[1]
P = ContinuumParams()


def windows(vecs: np.ndarray) -> Windows:
    """Windows of averaged neighbours, as an encoder that averages would embed them."""
    n = len(vecs)
    levels = []
    for k in range(min(4, n)):
        w = sum(vecs[i:n - k + i] for i in range(k + 1))
        levels.append(w / np.linalg.norm(w, axis=1, keepdims=True))
    return Windows(levels, window_chars(np.full(n, 30.0), 4))


def unit(rng, n: int, d: int = 64) -> np.ndarray:
    v = rng.standard_normal((n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def noisy(rng, v: np.ndarray, noise: float = 0.3) -> np.ndarray:
    w = v + noise * unit(rng, len(v), v.shape[1])
    return w / np.linalg.norm(w, axis=1, keepdims=True)


def blocks_in_another_order(seed: int = 0):
    """12 source sentences; the target tells them in blocks of 4 as 8-11, 0-3, 4-7."""
    rng = np.random.default_rng(seed)
    src = unit(rng, 12)
    order = [*range(8, 12), *range(0, 4), *range(4, 8)]
    return src, noisy(rng, src[order]), order


def test_jumping_pass_finds_blocks_told_in_another_order():
    src, tgt, order = blocks_in_another_order()
    beads = align_jumps(windows(src), windows(tgt), ParallelParams(), P.jump)
    assert sorted((s, t) for s, t, _ in beads) == sorted(([i], [k]) for k, i in enumerate(order))


def test_a_skip_that_gains_does_not_trap_the_walk_back():
    """With a skip that gains (skip > 0) the best cell of a row can be reached along the row
    by skips; the walk back used to jump from a cell on that way to the best cell again,
    forever (found pricing the jumping pass's skips at a coverage pair's gap share)."""
    def hung(signum, frame):
        raise TimeoutError("align_jumps did not finish")
    src, tgt, order = blocks_in_another_order()
    signal.signal(signal.SIGALRM, hung)
    signal.alarm(30)
    try:
        beads = align_jumps(windows(src), windows(tgt), ParallelParams(skip=0.03), P.jump)
    finally:
        signal.alarm(0)
    assert sorted((s, t) for s, t, _ in beads) == sorted(([i], [k]) for k, i in enumerate(order))


def test_links_in_one_order_show_it_and_shuffled_blocks_do_not():
    """A sign test over the mutual best links: 12 of 12 in order shows it, blocks of four told
    as 8-11, 0-3, 4-7 keep 8 of 12 on one chain (a coin would put 8 or more there 19 % of the
    time), and in a short text 4 of 5 (two sentences swapped) is not enough either."""
    rng = np.random.default_rng(0)
    src = unit(rng, 12)
    assert shows_its_order(windows(src), windows(noisy(rng, src)), P)
    src, tgt, _ = blocks_in_another_order()
    assert not shows_its_order(windows(src), windows(tgt), P)
    five = unit(rng, 5)
    assert shows_its_order(windows(five), windows(noisy(rng, five)), P)
    assert not shows_its_order(windows(five), windows(noisy(rng, five[[0, 1, 2, 4, 3]])), P)


def test_a_plain_monotone_pass_cannot_follow_the_blocks():
    """What the jump is for: without it (a cost beyond any gain) the block told first is lost."""
    src, tgt, order = blocks_in_another_order()
    beads = align_jumps(windows(src), windows(tgt), ParallelParams(), jump=1e9)
    found = [(s, t) for s, t, _ in beads]
    assert sum(([i], [k]) in found for k, i in enumerate(order)) == 8, found
    assert not any(([i], [k]) in found for k, i in enumerate(order[:4])), found


def test_each_target_sentence_goes_to_one_bead_the_stronger():
    beads = [([0], [3], 0.05), ([5], [3, 4], 0.12), ([7], [9], 0.01)]
    out = _one_claim_each(beads, ParallelParams())
    assert [(s, t) for s, t, _ in out] == [([5], [3, 4]), ([7], [9])]


def view(vecs: np.ndarray) -> View:
    return View(vecs, np.zeros((0, vecs.shape[1]), np.float32), np.zeros(0, dtype=int))


def test_coverage_adds_block_links_and_keeps_every_comparable_link():
    src, tgt, order = blocks_in_another_order(seed=3)
    s, t = windows(src), windows(tgt)

    alone = {(i, j) for a, b, _ in align_comparable(view(src), view(tgt), P.single)
             for i in a for j in b}
    got = sum(coverage(s, t, (view(src), view(tgt)), NullModel(s, t), P), [])
    links = {(i, j) for a, b, _ in got for i in a for j in b}
    assert alone <= links
    assert links == {(i, k) for k, i in enumerate(order)}
    assert sorted(i for a, _, _ in got for i in a) == list(range(12))


@pytest.mark.parametrize("n, m", [(1, 1), (1, 5), (5, 1), (2, 7), (6, 3), (7, 7)])
def test_every_sentence_lands_in_exactly_one_bead_whatever_the_sizes(n, m):
    """Tiny sides reach every regime (few windows, a null model of a handful of rows)."""
    rng = np.random.default_rng(n * 10 + m)
    for related in (False, True):
        s, t = unit(rng, n), unit(rng, m)
        if related:
            k = min(n, m)
            t[:k] = noisy(rng, s[rng.permutation(n)[:k]])
        beads, regime = align_continuum(windows(s), windows(t), lambda a, b: (view(s), view(t)))
        assert sorted(i for b in beads for i in b[0]) == list(range(n)), (regime, beads)
        assert sorted(j for b in beads for j in b[1]) == list(range(m)), (regime, beads)


def test_a_sentence_merged_in_for_want_of_its_own_counterpart_is_left_unmatched():
    """Source 1 says nothing of target 0 (its counterpart was cut): beside source 0 it only thins
    the window out. Source 3 and 4 each say half of target 1: together they match it better."""
    rng = np.random.default_rng(5)
    src = unit(rng, 5)
    tgt = np.vstack([noisy(rng, src[:1], 0.1), src[3] + src[4], noisy(rng, src[2:3], 0.1)])
    tgt /= np.linalg.norm(tgt, axis=1, keepdims=True)
    beads = [([0, 1], [0], 0.9), ([2], [2], 0.9), ([3, 4], [1], 0.9)]
    out = sorted((s, t) for s, t, _ in undiluted(beads, windows(src), windows(tgt)))
    assert out == [([0], [0]), ([1], []), ([2], [2]), ([3, 4], [1])]


def test_the_length_a_translator_gives_is_read_from_the_beads_that_stand_not_the_whole_sides():
    """Five Chinese sentences of 20 characters rendered in 50 each, two of them with their
    English cut, and one English-only sentence of 10: the sides' totals say 1.6 English
    characters a Chinese one, the three linked beads the translator's 2.5."""
    rng = np.random.default_rng(2)
    src, tgt = windows(unit(rng, 5)), windows(unit(rng, 4))
    src.chars = window_chars(np.full(5, 20.0), 4)
    tgt.chars = window_chars(np.array([50.0, 50.0, 10.0, 50.0]), 4)
    judged = [([0], [0], 0.9), ([1], [1], 0.9), ([4], [3], 0.9)]
    assert length_ratio(src, tgt) == pytest.approx(1.6)
    assert linked_ratio(judged, src, tgt) == pytest.approx(2.5)
    assert linked_ratio([], src, tgt) == pytest.approx(1.6)


def test_a_single_link_that_jumps_across_the_blocks_is_left_unmatched():
    # Blocks hold zh 0-1 ↔ en 0-2 and zh 4 ↔ en 5: the order is kept. Of the links made one
    # at a time, zh 3 ↔ en 4 fits the gap between them; zh 5 ↔ en 1 jumps back across them.
    kept = [([0], [0], 0.9), ([1], [1, 2], 0.9), ([4], [5], 0.9)]
    rest = [([5], [1], 0.8), ([3], [4], 0.7), ([2], [], 0.6)]
    assert in_order(rest, kept) == [([5], [], pytest.approx(0.2)), ([], [1], pytest.approx(0.2)),
                                    ([3], [4], 0.7), ([2], [], 0.6)]


def with_clauses(w: Windows, clauses: dict[int, list[np.ndarray]]) -> Windows:
    """``w`` with a fast model's clause runs: ``clauses[i]`` are sentence i's clause vectors,
    each run embedded as their normalised sum (sentence vectors serve as the fast model's)."""
    index = np.full((w.n, MAX_CLAUSES + 1, MAX_CLAUSES + 1), -1, dtype=np.int32)
    counts, vecs = np.zeros(w.n, dtype=int), []
    for i, parts in clauses.items():
        counts[i] = len(parts)
        for a in range(len(parts)):
            for b in range(a + 1, len(parts) + 1):
                if (a, b) != (0, len(parts)):
                    index[i, a, b] = len(vecs)
                    run = sum(parts[a:b])
                    vecs.append(run / np.linalg.norm(run))
    spans = ClauseSpans(index, counts, np.array(vecs, np.float32), w.vecs[0])
    return Windows(w.vecs, w.chars, spans)


def test_a_member_is_matched_against_the_other_sides_clause_runs_too():
    """Target 0 has four clauses, of which source 1 renders the second and third (a translator's
    split): the whole sentence matches source 1 weakly, a run of its clauses exactly. Target 1
    does not split: its whole sentence is all there is to match."""
    rng = np.random.default_rng(7)
    src = unit(rng, 3)
    parts = [*unit(rng, 1), *noisy(rng, src[1:2], 0.4), *noisy(rng, src[1:2], 0.4), *unit(rng, 1)]
    whole = sum(parts) / np.linalg.norm(sum(parts))
    tgt = np.array([whole, src[2]], np.float32)
    spans = with_clauses(windows(tgt), {0: parts}).clauses
    run = (parts[1] + parts[2]) / np.linalg.norm(parts[1] + parts[2])
    assert clause_match(spans, [0], src[1]) == pytest.approx(float(run @ src[1]), abs=1e-6)
    assert clause_match(spans, [0], src[1]) > float(whole @ src[1]) + 0.2
    assert clause_match(spans, [1], src[2]) == pytest.approx(1.0, abs=1e-6)
    assert clause_match(spans, [0, 1], src[2]) == pytest.approx(1.0, abs=1e-6)


def test_beads_that_are_not_one_run_are_left_as_they_are():
    """No window holds source 0 and 2 together, so the test cannot be made: the bead stays."""
    rng = np.random.default_rng(6)
    src, tgt = unit(rng, 4), unit(rng, 2)
    beads = [([0, 2], [0], 0.5), ([1], [1], 0.5)]
    assert undiluted(beads, windows(src), windows(tgt)) == beads


# --- quality on real text ----------------------------------------------------------------------

GOLD = ROOT.parent / "shared" / "gold" / "mac-dev"
sys.path.insert(0, str(ROOT / "bench"))  # the coverage-case generator and its scorer


def aligned(case, encoder, mode: str = "auto"):
    """The alignment ``mode`` makes of a made coverage case (``coverage.make_case``)."""
    from align.ingest import document_from_text
    from align.pipeline import align_documents

    zh = document_from_text("\n".join(case.src), "zh", presplit=True)
    en = document_from_text("\n".join(case.tgt), "en", presplit=True)
    return align_documents(zh, en, encoder, mode=mode, words=False)


def pair_counts(case, pairs) -> np.ndarray:
    """Link and unmatched counts (``coverage.counts``) of aligned ``pairs`` on a made case."""
    from bench_alignment import beads_of
    from coverage import counts

    return counts(case.gold, beads_of(pairs))


def case_counts(case, encoder, mode: str) -> np.ndarray:
    """Link and unmatched counts (``coverage.counts``) of ``mode`` on a made coverage case."""
    return pair_counts(case, aligned(case, encoder, mode).pairs)


def splits_found_whole(case, got: set[tuple[int, int]]) -> tuple[int, int]:
    """How many Chinese sentences the translator split into 2+ English ones, and how many
    of them ``got`` links to every half."""
    split = [(a, b) for a, b in case.gold if len(a) == 1 and len(b) >= 2]
    return len(split), sum(all((a[0], j) in got for j in b) for a, b in split)


def split_figures(case, encoder) -> tuple[int, int, float, float]:
    """Auto mode on a made coverage case: splits (:func:`splits_found_whole`), link P and R."""
    from coverage import prf

    pairs = aligned(case, encoder).pairs
    split, whole = splits_found_whole(case, {(i, j) for p in pairs for i in p.src for j in p.tgt})
    precision, recall = prf(pair_counts(case, pairs))[:2]
    return split, whole, precision, recall


def mac_case(index: int, setting_name: str):
    """MAC-Dev chapter ``index`` made into the coverage setting so named (seed 0)."""
    from bench_continuum import gold_documents
    from coverage import SETTINGS, make_case

    doc, src, tgt, gold = gold_documents("mac")[index]
    return make_case(doc, src, tgt, gold, next(s for s in SETTINGS if s.name == setting_name), 0)


@pytest.mark.skipif(not GOLD.is_dir(),
                    reason="../shared/gold/mac-dev absent (evaluation data, not shipped)")
def test_coverage_in_blocks_of_eight_finds_more_than_comparable_mode(default_encoder):
    """A MAC-Dev chapter as coverage: a fifth of the English cut, the rest in shuffled blocks of
    up to 8 beads. Auto mode's blocks must add links that one-at-a-time matching misses."""
    from bench_continuum import gold_documents
    from coverage import Setting, make_case, prf

    doc, src, tgt, gold = gold_documents("mac")[0]
    case = make_case(doc, src, tgt, gold, Setting("blocks of 8", 0.2, 0.1, block=8), 0)
    f1 = {mode: prf(case_counts(case, default_encoder, mode))[2] for mode in ("auto", "comparable")}
    assert f1["auto"] >= f1["comparable"] + 0.05, f1


@pytest.mark.skipif(not GOLD.is_dir(),
                    reason="../shared/gold/mac-dev absent (evaluation data, not shipped)")
def test_coverage_finds_both_halves_of_a_split_sentence(default_encoder):
    """MAC-Dev chapter 006 as coverage: half the English cut, the rest in shuffled blocks of 1-2
    beads. Its translator split 15 of the surviving Chinese sentences into 2-3 English ones;
    one-at-a-time matching links one half (3 found whole at 0.1.7 before growing beads), the
    neighbour that completes the bead must join it (6 found whole), and a half linked to an
    orphan beside its bead must move there (11 since 0.1.13), without costing precision."""
    case = mac_case(5, "cut 50/20, blocks 1-2 shuffled")
    got = {(i, j) for p in aligned(case, default_encoder).pairs for i in p.src for j in p.tgt}
    split, whole = splits_found_whole(case, got)
    gold_links = {(i, j) for a, b in case.gold for i in a for j in b}
    assert split == 15 and whole >= 9, whole
    assert len(got & gold_links) / len(got) >= 0.75


@pytest.mark.skipif(not GOLD.is_dir(),
                    reason="../shared/gold/mac-dev absent (evaluation data, not shipped)")
def test_a_sentence_whose_counterpart_was_cut_is_not_kept_beside_a_split(default_encoder):
    """MAC-Dev chapter 002 with 35 % of the English and 15 % of the Chinese cut, order kept: 57
    Chinese sentences its translator split into 2-4 English ones survive, and 90 Chinese
    sentences lost their English. Judged against the English window alone, a split's second
    half looks as weak as an orphan merged in beside a sentence (0.1.10: 16 splits whole, 16
    orphans in larger beads, link precision 0.716); against the English clause runs, and with a
    half left beside its bead joining it, 23, 11 and 0.759 (0.1.11); 26, 13 and 0.757 when the
    half joins as it would stay (0.1.12). Since 0.1.14 the passes skip at the pair's own gap
    share: 21, 11 and 0.704 — the one MAC-Dev chapter that change lowers, since it splits
    most and a half is now as cheap to skip as to merge (docs/development.md)."""
    from coverage import prf, unmatched

    case = mac_case(1, "cut 35/15, order kept")
    pairs = aligned(case, default_encoder).pairs
    got = {(i, j) for p in pairs for i in p.src for j in p.tgt}
    split, whole = splits_found_whole(case, got)
    orphans = unmatched(case.gold, 0)
    merged = [i for p in pairs if p.tgt and len(p.src) > 1 for i in p.src if i in orphans]
    precision = prf(pair_counts(case, pairs))[0]
    assert (split, len(orphans)) == (57, 90)
    assert whole >= 20 and len(merged) <= 11 and precision >= 0.70, (whole, merged, precision)


@pytest.mark.skipif(not GOLD.is_dir(),
                    reason="../shared/gold/mac-dev absent (evaluation data, not shipped)")
def test_a_translation_with_gaps_skips_at_its_own_gap_share(default_encoder):
    """MAC-Dev chapter 005 with 35 % of the English and 15 % of the Chinese cut, order kept.
    At a complete translation's price of a skip the passes merged an orphan into the bead
    beside it, which then failed the member tests and broke its block (0.1.13: link precision
    0.823, recall 0.734, unmatched-English F1 0.632); priced at the share the first pass left
    unsupported (0.31 here), the orphans are skipped and the blocks hold (0.873, 0.814,
    0.738). Since 0.1.23 the passes expect the linked beads' lengths (:func:`linked_ratio`):
    0.837, 0.814, 0.675 on this draw, the one MAC-Dev chapter at 35/15 that change lowers
    (its other draw rises; the two together are level, docs/development.md)."""
    from coverage import prf

    precision, recall, _, _, unmatched_en = prf(
        case_counts(mac_case(4, "cut 35/15, order kept"), default_encoder, "auto"))
    assert precision >= 0.83 and recall >= 0.80, (precision, recall)
    assert unmatched_en >= 0.66, unmatched_en


@pytest.mark.skipif(not GOLD.is_dir(),
                    reason="../shared/gold/mac-dev absent (evaluation data, not shipped)")
def test_a_translation_with_gaps_expects_the_lengths_of_its_linked_beads(default_encoder):
    """MAC-Dev chapter 001 with 35 % of the English and 15 % of the Chinese cut, order kept:
    the whole English is 0.74 of the length the kept Chinese takes, so at the sides' ratio an
    English sentence that renders half of a Chinese one looked like too much (0.1.22: 6 of 16
    splits found whole, unmatched-English F1 0.761). At the ratio of the first pass's linked
    beads, 9 and 0.806."""
    from coverage import prf

    case = mac_case(0, "cut 35/15, order kept")
    pairs = aligned(case, default_encoder).pairs
    split, whole = splits_found_whole(case, {(i, j) for p in pairs for i in p.src for j in p.tgt})
    unmatched_en = prf(pair_counts(case, pairs))[4]
    assert split == 16 and whole >= 8 and unmatched_en >= 0.79, (split, whole, unmatched_en)


@pytest.mark.skipif(not GOLD.is_dir(),
                    reason="../shared/gold/mac-dev absent (evaluation data, not shipped)")
def test_a_heavily_cut_translation_that_kept_its_order_is_aligned_in_order(default_encoder):
    """MAC-Dev chapter 002 with half of the English and a fifth of the Chinese cut, order
    kept: the first pass leaves 0.39 unsupported, past ``coverage_gap``, and the pair was
    matched as coverage (link precision 0.635, recall 0.399, F1 0.490). 17 of its 19 mutual
    best links lie on one chain, so it is aligned in order, block by block (0.597, 0.519,
    0.556)."""
    from coverage import prf

    case = mac_case(1, "cut 50/20, order kept")
    alignment = aligned(case, default_encoder)
    assert alignment.mode == "continuum"
    _, recall, f1, _, _ = prf(pair_counts(case, alignment.pairs))
    assert recall >= 0.48 and f1 >= 0.53, (recall, f1)


@pytest.mark.skipif(not GOLD.is_dir(),
                    reason="../shared/gold/mac-dev absent (evaluation data, not shipped)")
def test_a_lone_weak_link_in_coverage_by_paragraphs_is_left_unmatched(default_encoder):
    """MAC-Dev chapter 003 as coverage in shuffled blocks of 1-8 beads: most links have
    another one beside them, and a sentence whose counterpart was cut finds its best match
    alone. Such a link must clear comparable mode's bar by a step (margin 1.09): link
    precision 0.725 → 0.843, F1 0.562 → 0.581. (The flagship, whose English retells single
    sentences in its own order, keeps its lone links: ``tests/test_pipeline.py``.)"""
    from coverage import prf

    precision, _, f1, _, _ = prf(
        case_counts(mac_case(2, "cut 20/10, blocks 1-8 shuffled"), default_encoder, "auto"))
    assert precision >= 0.80 and f1 >= 0.575, (precision, f1)


@pytest.mark.skipif(not GOLD.is_dir(),
                    reason="../shared/gold/mac-dev absent (evaluation data, not shipped)")
def test_a_lone_link_whose_words_do_not_agree_is_left_unmatched(default_encoder):
    """MAC-Dev chapter 003 made news-like (the English keeps 30 % of the chapter, shuffled):
    most Chinese sentences lost their English and find a best match elsewhere in the same
    scene, alone. Token by token such a pair agrees less than the chapter's pairs do: link
    precision 0.541 → 0.605 with recall unchanged (0.377); by CC-CEDICT's reading too (0.1.17):
    0.634, recall 0.369."""
    from coverage import prf

    precision, recall, _, _, _ = prf(case_counts(
        mac_case(2, "news-like: keep 30%, cut 10%, shuffled"), default_encoder, "auto"))
    assert precision >= 0.62 and recall >= 0.36, (precision, recall)


@pytest.mark.skipif(not GOLD.is_dir(),
                    reason="../shared/gold/mac-dev absent (evaluation data, not shipped)")
def test_the_other_half_of_a_split_joins_its_bead_in_shuffled_coverage(default_encoder):
    """MAC-Dev chapter 003 as coverage, 35 % of the English and 15 % of the Chinese cut, the
    rest in shuffled blocks of 1-4 beads: one link finds one half of a split sentence, and the
    other half, a few clauses of a long Chinese sentence, is rarely that sentence's best match
    as a whole. Joining when it would stay (it stands out against the bead's clause runs, the
    window matches better with it) finds 17 of 57 splits whole, against 9 when its best match
    had to lie in the bead (0.1.11: link recall 0.350, 0.1.12 0.386, precision 0.677 → 0.638;
    0.1.13: 20 whole, 0.398, 0.658 with a half linked to an orphan moving to its bead, and 22,
    0.423, 0.662 with splits mined as pairs of unmatched neighbours)."""
    split, whole, precision, recall = split_figures(mac_case(2, "cut 35/15, blocks 1-4 shuffled"),
                                                    default_encoder)
    assert split == 57
    assert whole >= 14 and recall >= 0.37 and precision >= 0.6, (whole, recall, precision)


@pytest.mark.skipif(not GOLD.is_dir(),
                    reason="../shared/gold/mac-dev absent (evaluation data, not shipped)")
def test_half_of_a_split_linked_to_the_orphan_beside_it_moves_to_its_bead(default_encoder):
    """MAC-Dev chapter 006 made news-like: the English keeps 30 % of the chapter, shuffled. A
    Chinese sentence whose English was cut resembles its neighbour (same scene), and one half
    of the neighbour's split rendering can be its mutual best match: a wrong link no margin
    tells from a right one. The half would join the neighbour's bead and matches one of its
    clause runs better than the orphan, so it moves there and the orphan is left unmatched
    (0.1.12: 13 orphans linked, link precision 0.808, recall 0.766; 0.1.13 9, 0.863, 0.818).
    Since 0.1.17 an orphan taken into a neighbour's bead leaves it when CC-CEDICT finds less
    of it in the bead's English than of a typical pair: 3, 0.938, 0.792."""
    from coverage import prf, unmatched

    case = mac_case(5, "news-like: keep 30%, cut 10%, shuffled")
    pairs = aligned(case, default_encoder).pairs
    orphans = unmatched(case.gold, 0)
    linked = [i for p in pairs if p.tgt for i in p.src if i in orphans]
    precision, recall = prf(pair_counts(case, pairs))[:2]
    assert len(orphans) == 128
    assert len(linked) <= 5 and precision >= 0.91 and recall >= 0.78, (linked, precision, recall)


@pytest.mark.skipif(not GOLD.is_dir(),
                    reason="../shared/gold/mac-dev absent (evaluation data, not shipped)")
def test_a_split_neither_half_of_which_is_found_alone_is_found_as_a_pair(default_encoder):
    """MAC-Dev chapter 002 as coverage, 35 % of the English and 15 % of the Chinese cut, the
    rest in shuffled blocks of 1-4 beads: 62 Chinese sentences its translator split. When
    neither half is the sentence's best match one link at a time finds neither; read
    together, the two unmatched halves are its best match and it theirs (0.1.13 before
    mining them: 12 found whole, link precision 0.546, recall 0.319; then 15, 0.574, 0.358;
    0.1.17, lone links and Chinese members also judged by CC-CEDICT: 15, 0.626, 0.335)."""
    split, whole, precision, recall = split_figures(mac_case(1, "cut 35/15, blocks 1-4 shuffled"),
                                                    default_encoder)
    assert split == 62
    assert whole >= 14 and recall >= 0.33 and precision >= 0.6, (whole, recall, precision)


NEWS = ROOT.parent / "shared" / "gold" / "zh-en-words"


needs_news = pytest.mark.skipif(
    not NEWS.is_dir(), reason="../shared/gold/zh-en-words absent (evaluation data, not shipped)")


def news_figures(setting_name: str, encoder) -> tuple[float, ...]:
    """Auto mode's ``coverage.prf`` over the 7 Xinhua articles made into one coverage
    setting (seed 0): link P, R, F1, unmatched F1 zh, en."""
    from bench_continuum import gold_documents
    from coverage import SETTINGS, make_case, prf

    setting = next(s for s in SETTINGS if s.name == setting_name)
    return prf(sum(case_counts(make_case(doc, src, tgt, gold, setting, 0), encoder, "auto")
                   for doc, src, tgt, gold in gold_documents("news")))


@needs_news
def test_news_sentences_whose_counterpart_was_cut_stay_unmatched(default_encoder):
    """The 7 Xinhua articles with half the English and a fifth of the Chinese cut, order kept.
    A Chinese sentence whose English was cut used to join its neighbour's bead (link precision
    0.68 with every true link found); it must be left unmatched, the true links kept. In
    articles of 3-5 English sentences a Chinese and an English sentence whose counterparts
    were both cut are each other's best match by margin (precision 0.83, unmatched-English F1
    0.50 at 0.1.6): not as similar as the article's real pairs, they stay unmatched too."""
    precision, recall, _, unmatched_zh, unmatched_en = news_figures("cut 50/20, order kept",
                                                                     default_encoder)
    assert precision >= 0.9 and recall >= 0.95, (precision, recall)
    assert unmatched_zh >= 0.9 and unmatched_en >= 0.85, (unmatched_zh, unmatched_en)


@needs_news
def test_news_english_only_sentences_are_not_linked_across_the_order(default_encoder):
    """The 7 Xinhua articles with a fifth of the English and a tenth of the Chinese cut, order
    kept. An English sentence whose Chinese was cut used to be linked to a Chinese orphan
    elsewhere in the article, against the order the rest kept (unmatched-English F1 0.86 at
    0.1.5, seed 0); nothing corroborates such a link, so it is left unmatched."""
    precision, recall, _, _, unmatched_en = news_figures("cut 20/10, order kept", default_encoder)
    assert precision >= 0.9 and recall >= 0.95, (precision, recall)
    assert unmatched_en >= 0.95, unmatched_en


def test_a_two_sentence_translation_is_called_a_translation(default_encoder):
    """Two sentences a side give the null model too few non-pairs to support any bead, so
    coverage's steps link them; when they link every sentence in order the pair is still
    a translation (the review app opens a translation in document order)."""
    from align.ingest import document_from_text
    from align.pipeline import align_documents

    zh = document_from_text("今天上午，市政府召开新闻发布会。\n发言人介绍了新的公共交通计划。", "zh",
                            presplit=True)
    en = document_from_text("The city government held a press conference this morning.\n"
                            "A spokesman presented the new public transport plan.", "en",
                            presplit=True)
    alignment = align_documents(zh, en, default_encoder, mode="auto", words=False)
    assert [(p.src, p.tgt) for p in alignment.pairs] == [([0], [0]), ([1], [1])]
    assert alignment.mode == "parallel"
