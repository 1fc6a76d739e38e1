"""The parallel (translation) aligner on a small hand-made translation, with real models.

The story below is translated the way book translators work: the first
Chinese sentence is split into two English sentences (1-2), the next two are
merged into one (2-1), the rest are 1-1. These tests run everywhere (no
../shared needed); MAC-Dev figures are in bench/ and tests/test_pipeline.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from align.embed import EmbeddingCache, load_encoder
from align.ingest import document_from_text, load_document
from align.parallel import clause_spans, split_gains
from align.pipeline import align_documents
from align.segment import clause_bounds

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
FLAGSHIP_ZH, FLAGSHIP_EN = CORPUS / "001_6e67b410ee902a66.txt", CORPUS / "003_3cceb59c81ded892.txt"

ZH = [
    "小王早上七点起床，先喝了一杯咖啡，然后骑车去公司。",
    "公司离家不远。",
    "他到了以后发现门还锁着。",
    "于是他给经理打了电话，经理说钥匙在保安那里。",
    "保安却不在。",
    "小王只好在门口等了半个小时。",
    "九点钟，同事们陆续来了。",
    "大家都笑他来得太早。",
    "他说下次一定晚一点出门。",
]
EN = [
    "Xiao Wang got up at seven in the morning.",
    "He drank a cup of coffee first and then cycled to the office.",
    "The office was not far from his home, but when he arrived he found the door still locked.",
    "So he phoned the manager, who said the key was with the security guard.",
    "The guard, however, was nowhere to be seen.",
    "Xiao Wang had to wait at the door for half an hour.",
    "At nine o'clock his colleagues began to arrive.",
    "They all laughed at him for coming so early.",
    "He said that next time he would certainly leave later.",
]
GOLD = [((0,), (0, 1)), ((1, 2), (2,))] + [((k,), (k,)) for k in range(3, 9)]


@pytest.fixture(scope="module")
def use_m3():
    return load_encoder("use-m3")


@pytest.fixture(scope="module")
def spans(use_m3):
    """USE clause spans of the Chinese side and USE vectors of the English side."""
    zh = clause_spans(ZH, [clause_bounds(s) for s in ZH], use_m3.encode_runs, use_m3.encode(ZH))
    return zh, use_m3.encode(EN)


def test_split_and_merged_beads_are_found(default_encoder):
    alignment = align_documents(document_from_text("\n".join(ZH), "zh", presplit=True),
                                document_from_text("\n".join(EN), "en", presplit=True),
                                default_encoder, mode="parallel")
    assert [(tuple(p.src), tuple(p.tgt)) for p in alignment.pairs] == GOLD
    assert all(p.score > 0.5 for p in alignment.pairs)


def test_split_evidence_prefers_the_sentences_a_clause_cut_explains(spans):
    """ZH 0's clauses (got up | coffee | cycled) explain EN 0 + EN 1, not EN 1 + EN 2."""
    zh, en = spans
    right, shifted = split_gains(zh, np.array([0, 0]), en, np.array([0, 1]), 2)
    assert right > shifted


def test_split_evidence_is_zero_for_a_sentence_with_too_few_clauses(spans):
    zh, en = spans
    assert zh.counts[1] == 0  # 公司离家不远。 has one clause
    assert split_gains(zh, np.array([1]), en, np.array([1]), 2).tolist() == [0.0]


def test_split_evidence_for_many_cells_equals_one_cell_at_a_time(spans):
    """The vectorised gather (cells of mixed clause counts) matches cell-by-cell answers."""
    zh, en = spans
    split = np.array([0, 3, 6, 0, 1, 3])
    starts = np.array([0, 3, 6, 2, 4, 5])
    together = split_gains(zh, split, en, starts, 2)
    alone = [split_gains(zh, split[c:c + 1], en, starts[c:c + 1], 2)[0] for c in range(len(split))]
    np.testing.assert_allclose(together, alone, rtol=1e-6)
    assert len(set(np.round(together, 6))) > 2  # real, distinct evidence, not a constant



# The fast member's steps, in the order its thread runs them.
FAST_STEPS = {"parallel": ["embedding (use-m3)", "source windows (use-m3)", "source clauses (use-m3)",
                           "target windows (use-m3)", "target clauses (use-m3)"],
              "comparable": ["embedding (use-m3)", "source clauses (use-m3)",
                             "target clauses (use-m3)"]}


@pytest.mark.slow
@pytest.mark.parametrize("mode, stages", [
    ("parallel", ["embedding (e5-small)", "aligning"]),
    ("comparable", ["embedding (e5-small)", "source clauses (e5-small)",
                    "target clauses (e5-small)", "aligning"]),
])
def test_progress_names_every_embedding_step_and_finishes_each(tmp_path, mode, stages):
    """A long book must not sit at a frozen 'aligning' while windows and clauses embed,
    and each member of the fused default has its own bar (their speeds differ ~20x).
    e5 embeds the sentences while a thread does the fast member's steps
    (``Aligner.prepare``): whichever of those is still under way when e5 is done is shown
    after e5, counting the work it has left, so which of them show depends on timing;
    ``stages`` are the steps always shown. On a warm cache the embedding steps did no
    work and report nothing: one bar.

    The flagship pair: its long sentences have clauses to embed in either mode.
    """
    encoder = load_encoder("default", cache=EmbeddingCache(tmp_path / "cache.sqlite"))
    # After the alignment, the unsupported-span test embeds each matched side without
    # each candidate stretch (the fast model): a bar of its own, then aligning completes.
    for expected in (stages + ["unsupported spans", "aligning"], ["aligning"]):
        events = []
        align_documents(load_document(FLAGSHIP_ZH), load_document(FLAGSHIP_EN), encoder,
                        mode=mode, progress=lambda *e: events.append(e))
        order = [stage for k, (stage, _, _) in enumerate(events) if k == 0 or events[k - 1][0] != stage]
        assert [stage for stage in order if not stage.endswith("(use-m3)")] == expected
        fast = [stage for stage in order if stage.endswith("(use-m3)")]
        assert fast == [stage for stage in FAST_STEPS[mode] if stage in fast]
        assert all(0 <= done <= total for _, done, total in events)
        last = {stage: (done, total) for stage, done, total in events}
        assert all(done == total > 0 for done, total in last.values())


@pytest.mark.slow
def test_the_fast_members_steps_show_while_they_run_after_e5(tmp_path):
    """e5's sentences already cached, USE's not: e5 is done at once and the thread's steps
    must show from then on (the bar must not sit still), each counting up to its end."""
    encoder = load_encoder("default", cache=EmbeddingCache(tmp_path / "cache.sqlite"))
    source, target = load_document(FLAGSHIP_ZH), load_document(FLAGSHIP_EN)
    e5 = next(enc for enc, _ in encoder.members if not enc.fast)
    e5.encode([s.norm for s in source.sentences if s.matchable]
              + [s.norm for s in target.sentences if s.matchable])
    events = []
    align_documents(source, target, encoder, mode="parallel", words=False,
                    progress=lambda *e: events.append(e))
    fast = [e for e in events if e[0].endswith("(use-m3)")]
    assert fast and events[0][0].endswith("(use-m3)")  # no e5 bar: its work was cached
    assert all(0 <= done <= total for _, done, total in fast)
    assert fast[-1][1] == fast[-1][2]
