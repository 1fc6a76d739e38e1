"""Comparable mode: margins, clauses, crossing links, and bead building on real sentences.

Sentences come from the flagship pair: corpus/001 (Xinhua, zh) and corpus/003
(English coverage), plus corpus/002 for an English sentence with a large
number. Embeddings are real (the default encoder, cached for the session).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from align.model import crossing
from align.comparable import (
    ComparableParams,
    View,
    _components,
    align_comparable,
    clauses,
    confidence,
    judge_by_pair_levels,
    margins,
    pair_bar,
    pair_levels,
    share_figure,
)
from align.ingest import load_document

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
P = ComparableParams()


@pytest.fixture(scope="module")
def zh():
    return load_document(CORPUS / "001_6e67b410ee902a66.txt")


@pytest.fixture(scope="module")
def en():
    return load_document(CORPUS / "003_3cceb59c81ded892.txt")


def view(encoder, doc, ids: list[int]) -> View:
    """A side as the pipeline builds it: sentence vectors plus clause vectors and owners."""
    vecs = encoder.encode([doc.sentences[i].norm for i in ids])
    owner, texts = [], []
    for k, i in enumerate(ids):
        for clause in clauses(doc.sentences[i].norm, doc.lang):
            owner.append(k)
            texts.append(clause)
    clause_vecs = encoder.encode(texts) if texts else np.zeros((0, vecs.shape[1]), np.float32)
    return View(vecs, clause_vecs, np.array(owner, dtype=int))


def beads_by_id(encoder, zh, en, zh_ids, en_ids):
    """align_comparable on a subset, with positions mapped back to document ids."""
    beads = align_comparable(view(encoder, zh, zh_ids), view(encoder, en, en_ids))
    return [([zh_ids[i] for i in s], [en_ids[j] for j in t], c) for s, t, c in beads]


# --- margins -----------------------------------------------------------------------------------


def test_margin_is_cosine_over_mean_of_both_neighbourhoods():
    sim = np.array([[0.9, 0.1, 0.2],
                    [0.3, 0.8, 0.4]])
    mar = margins(sim, k=2)
    row = np.array([(0.9 + 0.2) / 2, (0.8 + 0.4) / 2])
    col = np.array([(0.9 + 0.3) / 2, (0.8 + 0.1) / 2, (0.4 + 0.2) / 2])
    assert mar == pytest.approx(sim / ((row[:, None] + col[None, :]) / 2))


def test_margin_k_is_capped_by_the_smaller_side():
    sim = np.array([[0.9, 0.1, 0.2]])
    # One source sentence: its column neighbourhood is itself.
    assert margins(sim, k=4) == pytest.approx(sim / ((sim.mean() + sim) / 2))


def test_margins_single_out_the_true_partners(default_encoder, zh, en):
    """Zh 21-23 render as En 6-8 (three consecutive points of Li's speech)."""
    src = default_encoder.encode([zh.sentences[i].norm for i in (21, 22, 23)])
    tgt = default_encoder.encode([en.sentences[j].norm for j in (6, 7, 8)])
    mar = margins(src @ tgt.T, P.k)
    assert list(mar.argmax(axis=1)) == [0, 1, 2]
    assert list(mar.argmax(axis=0)) == [0, 1, 2]
    assert np.diag(mar).min() > 1 > mar[~np.eye(3, dtype=bool)].max()


def test_confidence_is_one_half_at_the_threshold():
    assert confidence(P.threshold, P) == pytest.approx(0.5)
    assert confidence(P.threshold + P.slope, P) == pytest.approx(1 / (1 + np.exp(-1)))


# --- clauses ------------------------------------------------------------------------------------


def test_english_clause_of_the_action_plan_sentence(en):
    # The docstring's own example: the Action Plan is one clause of a longer sentence.
    text = en.sentences[12].norm
    parts = clauses(text, "en")
    assert parts == ["Also on July 26, the conference adopted the Global AI Governance Action Plan,",
                     ("which calls on all parties to work in solidarity to advance AI development "
                      "and governance.")]
    assert " ".join(parts) == text


def test_chinese_clauses_of_a_long_sentence(zh):
    text = zh.sentences[6].norm
    parts = clauses(text, "zh")
    assert parts[0] == "当前，全球智能化浪潮风起云涌，"
    assert parts[-1] == "推动人工智能向更高效、强智能的方向快速发展。"
    assert "".join(parts) == text
    assert min(len(p) for p in parts) >= P.clause_chars[0]


def test_short_pieces_are_merged_not_embedded_alone(zh, en):
    # "In 2023," alone says nothing; it stays with what follows.
    parts = clauses(en.sentences[9].norm, "en")
    assert parts[0].startswith("In 2023, China proposed")
    assert min(len(p) for p in parts) >= P.clause_chars[1]
    # 陳吉寧、吳政隆 is a list of names, not two clauses.
    assert clauses(zh.sentences[29].norm, "zh") == []


@pytest.mark.parametrize("doc_name, sentence", [("zh", 26), ("en", 1)])
def test_sentence_without_a_break_has_no_clauses(doc_name, sentence, request):
    doc = request.getfixturevalue(doc_name)
    assert clauses(doc.sentences[sentence].norm, doc.lang) == []


@pytest.mark.parametrize("seed, start", [
    ("000_8585149f7048a6d3.txt", "About 1,000 people attended"),  # vs 003's "More than 1,000"
    ("002_397aee929ba39487.txt", "More than 200,000 government officials"),
])
def test_thousands_separator_is_not_a_clause_break(seed, start):
    """A comma between digit groups is part of the number: "1,000" must not become "1, 000"."""
    doc = load_document(CORPUS / seed)
    text = next(s.norm for s in doc.sentences if s.norm.startswith(start))
    parts = clauses(text, "en")
    assert parts, "the sentence has real clause breaks too"
    assert " ".join(parts) == text, parts
    assert parts[0].startswith(start), parts


# --- crossing ---------------------------------------------------------------------------------


def test_no_crossing_in_target_order():
    beads = [([0], [0]), ([1], []), ([2], [1, 2]), ([], [3]), ([3, 4], [4])]
    assert crossing(beads) == set()


def test_one_jump_is_the_crossing_bead():
    # Source 0 jumps to the end of the target; the other three keep order.
    beads = [([0], [9]), ([1], [1]), ([2], [2]), ([3], [3])]
    assert crossing(beads) == {0}


def test_crossing_indices_count_unmatched_beads_too():
    # Indices refer to the list given, so a pipeline can flag pairs[k] directly.
    beads = [([0], []), ([1], [5]), ([], [0]), ([2], [1]), ([3], [2]), ([4], [3])]
    assert crossing(beads) == {1}


def test_crossing_keeps_the_longest_increasing_run():
    # Target order 3, 4, 0, 1, 2: the run 0, 1, 2 is longer, so 3 and 4 cross.
    beads = [([0], [3]), ([1], [4]), ([2], [0]), ([3], [1]), ([4], [2])]
    assert crossing(beads) == {0, 1}


def test_crossing_of_nothing():
    assert crossing([]) == set()
    assert crossing([([0], []), ([], [0])]) == set()


# --- beads: components, adjacent merges --------------------------------------------------------


def test_components_group_links_sharing_a_sentence():
    links = {(0, 1), (1, 1), (5, 3), (7, 4), (7, 5)}
    assert sorted(_components(links)) == [([0, 1], [1]), ([5], [3]), ([7], [4, 5])]


def test_one_chinese_sentence_split_in_two_english_ones(default_encoder, zh, en):
    """Zh 8 (risks + balance, one sentence) is En 4 + 5 (hand-made gold)."""
    zh_ids = [5, 6, 7, 8, 9, 10, 14, 21, 22, 23]
    en_ids = [3, 4, 5, 6, 7, 8]
    beads = beads_by_id(default_encoder, zh, en, zh_ids, en_ids)
    linked = {(tuple(s), tuple(t)) for s, t, _ in beads if s and t}
    assert ((8,), (4, 5)) in linked
    assert {((21,), (6,)), ((22,), (7,)), ((23,), (8,))} <= linked


def test_far_apart_sentences_are_not_merged(default_encoder, zh, en):
    """Zh 11, a photo caption, repeats zh 3 almost word for word; both match En 1.

    Five sentences apart, they cannot be one bead: only one keeps the link.
    """
    zh_ids = [3, 4, 5, 6, 7, 11]
    beads = beads_by_id(default_encoder, zh, en, zh_ids, [1, 4, 12])
    with_en1 = [s for s, t, _ in beads if 1 in t]
    assert len(with_en1) == 1 and len(with_en1[0]) == 1 and with_en1[0][0] in (3, 11)
    loser = ({3, 11} - set(with_en1[0])).pop()
    assert any(s == [loser] and not t for s, t, _ in beads)


def test_every_sentence_is_accounted_for_once(default_encoder, zh, en):
    zh_ids = [3, 4, 5, 6, 7, 11]
    en_ids = [1, 4, 12]
    beads = beads_by_id(default_encoder, zh, en, zh_ids, en_ids)
    assert sorted(i for s, _, _ in beads for i in s) == zh_ids
    assert sorted(j for _, t, _ in beads for j in t) == en_ids
    assert all(0.0 <= c <= 1.0 for _, _, c in beads)


def test_empty_side_leaves_everything_unmatched(default_encoder, zh):
    src = view(default_encoder, zh, [3, 4])
    empty = View(np.zeros((0, src.sentences.shape[1]), np.float32),
                 np.zeros((0, src.sentences.shape[1]), np.float32), np.zeros(0, dtype=int))
    assert align_comparable(src, empty) == [([0], [], 1.0), ([1], [], 1.0)]


# --- the document's pair level -----------------------------------------------------------------

def _views_with(sim: np.ndarray, figures=None) -> tuple[View, View]:
    """Sides whose sentence similarities are exactly ``sim`` (source i is the unit vector e_i)."""
    n, m = sim.shape
    src = np.eye(n + 1, dtype=np.float32)[:n]
    tgt = np.vstack([sim, np.sqrt(1 - (sim ** 2).sum(axis=0))]).T.astype(np.float32)
    none = np.zeros((0, n + 1), np.float32), np.zeros(0, dtype=int)
    return (View(src, *none, figures=figures and figures[0]),
            View(tgt, *none, figures=figures and figures[1]))


# Two true pairs at 0.9, and two sentences whose counterparts are missing: each other's best
# match by a wide margin (1.4), but far below what this document's pairs look like.
ORPHANS = np.array([[0.90, 0.30, 0.30],
                    [0.30, 0.90, 0.30],
                    [0.30, 0.30, 0.55]])


def test_pair_bar_is_halfway_between_typical_non_pair_and_typical_pair():
    assert pair_bar(pair_levels(ORPHANS, margins(ORPHANS, P.k))) == pytest.approx((0.9 + 0.3) / 2)
    assert pair_bar(pair_levels(np.zeros((0, 3)), np.zeros((0, 3)))) == -np.inf


def test_a_block_bead_unlike_the_documents_pairs_is_unmatched_and_larger_beads_stay():
    """The rule holds for 1-1 beads that auto mode's blocks made too, not only for comparable
    mode's own links; the members of a larger bead each say only part of the other side."""
    beads = [([0], [0], 0.9), ([2], [2], 0.8), ([1], [1, 2], 0.7)]
    got = judge_by_pair_levels(beads, *_views_with(ORPHANS), P)
    assert [(s, t) for s, t, _ in got] == [([0], [0]), ([2], []), ([], [2]), ([1], [1, 2])]
    assert got[0][2] == 0.9 and got[3][2] == 0.7


def test_no_counterpart_confidence_follows_the_documents_own_levels():
    """0.5 when a sentence's best match is as similar as a typical pair of the document, 0.95
    when only as similar as a typical non-pair: the orphan's best match (0.55) lies 0.42 of
    the way from the non-pair level (0.3) to the pair level (0.9). Its margin (1.4, a clear
    best among its candidates) would have said it surely has a counterpart."""
    got = judge_by_pair_levels([([2], [], 0.1), ([], [2], 0.1)], *_views_with(ORPHANS), P)
    r = (0.55 - 0.3) / (0.9 - 0.3)
    expected = 1 / (1 + 19 ** -(1 - r))
    assert [c for _, _, c in got] == [pytest.approx(expected), pytest.approx(expected)]
    assert 0.5 < expected < P.no_counterpart_at_non_pair == 0.95


def test_orphans_that_stand_out_by_margin_alone_stay_unmatched():
    assert margins(ORPHANS, P.k)[2, 2] > P.threshold
    beads = align_comparable(*_views_with(ORPHANS))
    assert sorted((s, t) for s, t, _ in beads) == [([], [2]), ([0], [0]), ([1], [1]), ([2], [])]


def test_a_figure_both_state_is_evidence_enough():
    """The flagship's attendance pair (1000多人 ↔ More than 1,000, with 40 countries and a theme
    added) is below the bar on similarity; the shared figure keeps it."""
    figures = ([frozenset(), frozenset(), frozenset({"1000"})],
               [frozenset(), frozenset({"1000"}), frozenset({"1000", "40"})])
    src, tgt = _views_with(ORPHANS, figures)
    assert share_figure(src, tgt, 2, 2) and not share_figure(src, tgt, 0, 0)
    assert ([2], [2]) in [(s, t) for s, t, _ in align_comparable(src, tgt)]
