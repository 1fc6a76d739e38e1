"""The review store on the real flagship alignment: actions, undo, durability, two writers, exports.

``tests/data/review_waic2025.json`` is the output of ``align demo`` on
corpus/001 (Xinhua, Traditional script) and corpus/003 (English coverage),
frozen so these tests do not move when the aligner improves. It has a 2-1
bead (``3,31:1``), a crossing link with one-sided figures (``26:3``), the
encoding-damaged sentence (zh 4, ``上??疾鞎r``), captions and a dateline.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sqlite3
from pathlib import Path

import pytest
from lxml import etree

from align.errors import InputError
from align.export import read_json
from align.model import Alignment
from align.review import (
    CONFIRMED,
    REJECTED,
    REVIEWER_SCORE,
    UNREVIEWED,
    Review,
    ReviewStore,
    band,
    export_json,
    export_tmx,
    export_tsv,
    pair_key,
    report_markdown,
    store_path,
    write_exports,
)
from align.tmx import read_tmx

DATA = Path(__file__).parent / "data"
FIXTURE = DATA / "review_waic2025.json"
DTD = etree.DTD(str(DATA / "tmx14.dtd"))

DAMAGED = "李強表示,習近平主席今年4月在上??疾鞎r強調,人工智能技術加速迭代,正迎來爆發式發展;"
REPAIRED = "李強表示,習近平主席今年4月在上海考察時強調,人工智能技術加速迭代,正迎來爆發式發展;"
OPENING_ZH = "國務院總理李強7月26日在上海出席2025世界人工智能大會暨人工智能全球治理高級別會議開幕式并致辭。"
CUT = OPENING_ZH.index("在上海")  # 國務院總理李強7月26日 | 在上海出席...


@pytest.fixture
def alignment() -> Alignment:
    return read_json(FIXTURE)


@pytest.fixture
def store(tmp_path, alignment):
    with ReviewStore(store_path(tmp_path, "waic2025")) as s:
        s.start(alignment, {"name": "waic2025", "mode": "comparable"})
        yield s


def status_of(review: Review, key: str) -> str:
    return review.marks[review.find(key)].status


def test_store_lives_in_the_output_folder_and_starts_unreviewed(tmp_path, store):
    assert store.path == tmp_path / "waic2025.review.sqlite"
    review = store.load()
    assert review.pair_keys()[:6] == [":0", "0:", "1:", "2:", "3,31:1", ":2"]
    assert {m.status for m in review.marks} == {UNREVIEWED}
    assert store.origin() == {"name": "waic2025", "mode": "comparable"}
    assert store.history() == []


def test_confirm_is_on_disk_at_once_for_a_new_reader(store):
    store.confirm("3,31:1")
    with ReviewStore(store.path) as other:  # another tab, or the server after a restart
        review = other.load()
        assert status_of(review, "3,31:1") == CONFIRMED
        assert [(a["kind"], a["args"]) for a in other.history()] == [
            ("confirm", {"pair": "3,31:1"})]


def _confirm_and_die(path: str) -> None:
    store = ReviewStore(path)
    store.confirm("26:3")
    os.kill(os.getpid(), signal.SIGKILL)  # no close, no cleanup: as when a server is killed


def test_a_killed_process_loses_no_action(store):
    worker = multiprocessing.get_context("fork").Process(target=_confirm_and_die,
                                                         args=(str(store.path),))
    worker.start()
    worker.join(30)
    assert worker.exitcode == -signal.SIGKILL
    assert status_of(store.load(), "26:3") == CONFIRMED


def test_reject_unmatches_both_sides_and_keeps_the_note(store):
    store.note("26:3", "40 countries and the three-day event are not in the Chinese")
    review = store.reject("26:3")
    assert "26:3" not in review.pair_keys()
    for key in ("26:", ":3"):
        mark = review.marks[review.find(key)]
        assert mark.status == REJECTED
        assert mark.note.startswith("40 countries")
    assert 26 in [s.id for s in review.alignment.unmatched("src")]
    assert 3 in [s.id for s in review.alignment.unmatched("tgt")]
    # English-only beads sit after the link that precedes them in English order.
    assert review.pair_keys()[4:7] == ["3,31:1", ":2", ":3"]


def test_bulk_confirm_is_one_action_and_one_undo(store):
    review = store.load()
    high = review.unreviewed_links(0.8)
    keys = [review.pair_keys()[i] for i in high]
    assert len(keys) == 4 and all(review.alignment.pairs[i].score >= 0.8 for i in high)
    review = store.confirm_many(keys)
    assert all(status_of(review, k) == CONFIRMED for k in keys) and len(store.history()) == 1
    assert review.unreviewed_links(0.8) == []
    assert store.undo().confirmed() == []
    store.reject(keys[0])
    with pytest.raises(InputError, match="no such pair"):  # all or nothing
        store.confirm_many(keys)
    assert store.load().confirmed() == []


def test_reject_needs_a_link(store):
    with pytest.raises(InputError, match="not linked"):
        store.reject("4:")


def test_a_pair_changed_elsewhere_is_refused_not_guessed(store):
    stale = store.load()
    store.reject("26:3")
    with pytest.raises(InputError, match="another tab"):
        store.confirm(pair_key(stale.alignment.pairs[stale.find("26:3")]))


def test_edit_repairs_encoding_damage_keeping_ids(store):
    before = store.load().alignment.source.sentences[4]
    assert before.text == DAMAGED and before.has_flag("encoding-damage")
    review = store.edit_text("src", 4, REPAIRED)
    after = review.alignment.source.sentences[4]
    assert (after.id, after.text) == (4, REPAIRED)
    assert not after.has_flag("encoding-damage")
    assert after.norm.startswith("李强表示，习近平主席今年4月在上海考察时强调")  # Simplified, for the encoder
    assert review.pair_keys() == store.load().pair_keys() == Review.start(read_json(FIXTURE)).pair_keys()


def test_edit_refuses_empty_text_and_changes_nothing(store):
    with pytest.raises(InputError, match="empty text"):
        store.edit_text("tgt", 1, " \n ")
    assert store.history() == []
    assert store.load().alignment.target.sentences[1].text.startswith("Premier Li Qiang")


def test_relink_drops_and_takes_sentences_and_recomputes_figures(store):
    review = store.relink("3,31:1", "src", [3])
    assert "3:1" in review.pair_keys() and "31:" in review.pair_keys()
    pair = review.alignment.pairs[review.find("3:1")]
    assert pair.score == REVIEWER_SCORE and status_of(review, "3:1") == CONFIRMED
    # zh 31's "26日" left with it; zh 3's "7月26日" is still not in the English.
    assert [f.span for f in pair.flags] == ["7月26日"]
    # Taking en 6 from "21:6" leaves zh 21 unmatched.
    review = store.relink("8:4,5", "tgt", [4, 5, 6], taking=["21:6"])
    assert "8:4,5,6" in review.pair_keys() and "21:" in review.pair_keys()
    assert status_of(review, "21:") == UNREVIEWED


def test_relinking_a_linked_sentence_is_refused_unless_the_reviewer_agreed(store):
    """Fault 1: re-linking zh 26's English to en 1 silently took it from confirmed zh 3 ↔ en 1."""
    store.confirm("3,31:1")
    before = store.load().to_dict()
    with pytest.raises(InputError, match=r"zh 3\+31 ↔ en 1 \(confirmed\) would lose a sentence"):
        store.relink("26:3", "tgt", [1])
    with pytest.raises(InputError, match=r"zh 22 ↔ en 7 \(unreviewed\) would lose"):
        store.link_unmatched("tgt", 2, [22])
    assert store.load().to_dict() == before and len(store.history()) == 1

    review = store.relink("26:3", "tgt", [1], taking=["3,31:1"])
    assert status_of(review, "26:1") == CONFIRMED  # the link the reviewer made
    # zh 3 and zh 31 fell apart into unmatched sentences: unreviewed, not confirmed.
    assert status_of(review, "3:") == status_of(review, "31:") == UNREVIEWED
    assert status_of(review, ":3") == UNREVIEWED
    assert review.confirmed() == [review.find("26:1")]
    undone = store.undo()  # both pairs come back as they were
    assert undone.to_dict() == before


def test_link_unmatched_uses_a_ranked_candidate(store):
    alignment = store.load().alignment
    repaired_sentence = alignment.source.sentences[4]
    assert repaired_sentence.candidates[0][0] == 1  # en 1 ranks first for the damaged sentence
    review = store.link_unmatched("tgt", 2, [22], taking=["22:7"])
    assert "22:2" in review.pair_keys() and ":2" not in review.pair_keys()
    assert "22:7" not in review.pair_keys() and ":7" in review.pair_keys()  # en 7 lost its partner
    with pytest.raises(InputError, match="already linked"):
        store.link_unmatched("src", 3, [2])


def test_split_and_merge_renumber_consistently(store, tmp_path):
    review = store.split("src", 3, CUT)
    source = review.alignment.source
    assert [s.text for s in source.sentences[3:5]] == [OPENING_ZH[:CUT], OPENING_ZH[CUT:]]
    assert [s.id for s in source.sentences] == list(range(len(source.sentences)))
    assert "3,4,32:1" in review.pair_keys() and "27:3" in review.pair_keys()  # later ids moved up by one
    assert review.alignment.target.sentences[1].candidates[:2] == [(3, 0.7611), (32, 0.6781)]
    assert source.sentences[5].has_flag("encoding-damage")  # the damaged sentence, renumbered
    exported = tmp_path / "split.json"
    exported.write_text(export_json(review), encoding="utf-8")
    assert len(read_json(exported).source.sentences) == 48  # read_json checks id == position

    review = store.merge_next("src", 3)
    assert review.alignment.source.sentences[3].text == OPENING_ZH
    assert review.pair_keys()[:7] == Review.start(read_json(FIXTURE)).pair_keys()[:7]


def test_split_can_pair_the_halves_in_the_same_step(store):
    """Fault 8: splitting zh 8 of 8:4,5 gave a 2:2 bead that took two more re-links
    (and hit fault 1) to separate."""
    cut = "同時人工智能帶來的風險挑戰引發廣泛關注,".__len__()
    review = store.split("src", 8, cut, pair_with=5)
    assert "8:4" in review.pair_keys() and "9:5" in review.pair_keys()
    assert status_of(review, "8:4") == status_of(review, "9:5") == CONFIRMED
    assert review.alignment.source.sentences[9].text.startswith("如何在發展和安全之間")
    assert len(store.history()) == 1
    assert store.undo().pair_keys() == Review.start(read_json(FIXTURE)).pair_keys()
    with pytest.raises(InputError, match="choose one of"):
        store.split("src", 8, cut, pair_with=4)  # the first half would have no English


def test_merging_a_caption_into_text_makes_it_content(store):
    review = store.merge_next("src", 1)  # byline 新華社記者 王曄 攝 + dateline
    merged = review.alignment.source.sentences[1]
    assert merged.text == "新華社記者 王曄 攝新華社上海7月26日電(記者王慧慧、龔雯)"
    assert not merged.has_flag("byline") and not merged.has_flag("dateline")


@pytest.mark.parametrize(("action", "args", "problem"), [
    ("split", {"side": "src", "sentence": 3, "at": 0}, "both parts must have text"),
    ("merge_next", {"side": "src", "sentence": 46}, "last sentence"),
    ("relink", {"pair": "8:4,5", "side": "tgt", "ids": []}, "at least one"),
    ("edit_text", {"side": "tgt", "sentence": 13, "text": "x"}, "no such sentence"),
    ("confirm", {"pair": "8:4"}, "no such pair"),
    ("confirm", {"key": "8:4,5"}, "bad arguments"),
    ("approve", {"pair": "8:4,5"}, "unknown action"),
    ("relink", {"pair": "8:4,5", "side": "en", "ids": [4]}, "'src' or 'tgt'"),
])
def test_bad_actions_are_refused_and_leave_no_trace(store, action, args, problem):
    before = store.load().to_dict()
    with pytest.raises(InputError, match=problem):
        store.act(action, **args)
    assert store.load().to_dict() == before
    assert store.history() == []


def test_renumbered_sentences_refuse_stale_ids(store):
    drawn = store.load()
    store.split("src", 3, CUT)
    with pytest.raises(InputError, match="re-numbered"):
        store.edit_text("src", 20, "…", layout=drawn.layout)
    store.confirm("24:8", layout=store.load().layout)  # a fresh view works (23 is now 24)


def test_undo_replays_to_the_state_before(store):
    store.confirm("23:8")
    store.edit_text("src", 4, REPAIRED)
    before_split = store.load()
    store.split("src", 3, CUT)
    undone = store.undo()
    assert undone.to_dict() == before_split.to_dict()
    assert undone.layout == before_split.layout + 2  # split and its undo both renumber
    undone = store.undo()
    assert undone.alignment.source.sentences[4].text == DAMAGED
    assert status_of(undone, "23:8") == CONFIRMED
    assert [a["kind"] for a in store.history()] == ["confirm"]
    kinds = [row[0] for row in sqlite3.connect(store.path).execute("SELECT kind FROM action")]
    assert kinds == ["confirm", "edit_text", "split", "undo", "undo"]  # the log is append-only


def test_undo_checks_it_cancels_what_the_reviewer_saw(store):
    store.confirm("23:8")
    seen = store.history()[-1]["seq"]
    store.confirm("22:7")  # from another tab
    with pytest.raises(InputError, match="no longer the one shown"):
        store.undo(expect=seen)
    store.undo()
    store.undo()
    with pytest.raises(InputError, match="nothing to undo"):
        store.undo()


def test_a_new_alignment_keeps_the_old_review_on_record(store, alignment):
    store.confirm("23:8")
    review = store.start(alignment, {"name": "waic2025", "model": "use-m3"})
    assert status_of(review, "23:8") == UNREVIEWED and store.history() == []
    assert store.origin()["model"] == "use-m3"
    con = sqlite3.connect(store.path)
    assert con.execute("SELECT COUNT(*) FROM snapshot").fetchone() == (2,)
    assert con.execute("SELECT kind FROM action").fetchall() == [("confirm",)]


def _confirm_many(path: str, keys: list[str], note: str) -> None:
    with ReviewStore(path) as store:
        for key in keys:
            store.confirm(key)
            store.note("23:8", note)


def test_two_writers_lose_no_rows_and_last_note_wins(store):
    review = store.load()
    matched = [k for k, p in zip(review.pair_keys(), review.alignment.pairs) if not p.matched]
    halves = matched[::2], matched[1::2]
    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=_confirm_many, args=(str(store.path), keys, f"tab {n}"))
               for n, keys in enumerate(halves)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    assert [w.exitcode for w in workers] == [0, 0]
    review = store.load()
    assert all(status_of(review, k) == CONFIRMED for k in matched)
    assert len(store.history()) == 2 * len(matched)
    last = store.history()[-1]["args"]["text"]
    assert review.marks[review.find("23:8")].note == last


def test_progress_counts_decisions_not_rows(store):
    """Fault 6: one rejection counted as 2; captions, bylines and datelines counted as
    unreviewed."""
    review = store.load()
    metadata = {k for k, p in zip(review.pair_keys(), review.alignment.pairs)
                if not p.matched and not any(review.alignment.source.sentences[i].matchable
                                             for i in p.src)
                and not any(review.alignment.target.sentences[j].matchable for j in p.tgt)}
    assert {"0:", "1:", "2:", ":0"} <= metadata  # captions, byline, datelines
    start = review.decisions()
    assert start["needed"] == len(review.alignment.pairs) - len(metadata)
    assert start["made"] == 0 and start["to decide"] == start["needed"]
    assert not metadata & {review.pair_keys()[i] for i in review.select("unreviewed")}
    review = store.reject("26:3")
    after = review.decisions()
    assert after["rejected links"] == 1
    # The two unmatched rows it leaves are that one decision: the bar read "3 of 43" after
    # one confirmation and one rejection.
    assert after["made"] == 1 and after["needed"] == start["needed"]
    review = store.confirm("23:8")
    assert review.decisions()["confirmed"] == 1 and review.decisions()["made"] == 2


def test_links_first_then_unmatched_by_paragraph(alignment):
    review = Review.start(alignment)
    order = review.links_first(review.select())
    links = [i for i in order if review.alignment.pairs[i].matched]
    assert order[:len(links)] == links == sorted(links)
    rest = [review.paragraph_of(i) for i in order[len(links):]]
    assert rest == sorted(rest, key=lambda p: (("src", "tgt").index(p[0]), p[1]))


def test_filters_and_search(alignment):
    review = Review.start(alignment)
    keys = review.pair_keys()
    low = [keys[i] for i in review.select("low confidence")]
    assert low and all(band(review.alignment.pairs[review.find(k)].score) == "low" for k in low)
    # Fault 5: the filter is for weak links; an unmatched row's score means something else.
    assert all(review.alignment.pairs[review.find(k)].matched for k in low)
    assert any(not p.matched and band(p.score) == "low" for p in review.alignment.pairs)
    unmatched = {keys[i] for i in review.select("unmatched")}
    assert "4:" in unmatched and ":2" in unmatched
    assert not {"0:", "1:", "2:", ":0"} & unmatched  # caption, byline, datelines are not claims
    flagged = {keys[i] for i in review.select("flagged")}
    assert {"0:", "4:", "26:3", "20:11"} <= flagged  # caption, damage, figures, crossing
    # A Simplified query finds the Traditional text (two captions and the opening sentence).
    assert [keys[i] for i in review.select("all", "国务院")] == ["0:", "3,31:1", "11:"]
    assert [keys[i] for i in review.select("all", "hallucinations")] == ["8:4,5"]
    review.marks[review.find("8:4,5")].status = CONFIRMED
    assert "8:4,5" not in {keys[i] for i in review.select("unreviewed")}
    with pytest.raises(InputError, match="unknown filter"):
        review.select("everything")


def test_tmx_of_confirmed_pairs_carries_status_and_note(store):
    store.confirm("37:10")  # low confidence, but a reviewer's word overrides the score
    store.note("37:10", "2030年 is only in the Chinese")
    store.edit_text("src", 3, OPENING_ZH.replace("并致辭", "並致辭"))
    store.confirm("3,31:1")
    review = store.load()
    tmx = export_tmx(review)
    root = etree.fromstring(tmx)
    assert DTD.validate(root), DTD.error_log
    units = root.findall("body/tu")
    assert [u.get("tuid") for u in units] == [str(review.find("3,31:1")), str(review.find("37:10"))]
    assert [u.findtext("prop[@type='x-status']") for u in units] == [CONFIRMED, CONFIRMED]
    assert units[1].findtext("note") == "2030年 is only in the Chinese"
    assert "並致辭" in units[0].findtext("tuv/seg")


def test_tmx_above_a_threshold_and_tsv_with_status(store, tmp_path):
    store.confirm("22:7")
    review = store.load()
    path = tmp_path / "all.tmx"
    path.write_bytes(export_tmx(review, confirmed_only=False, min_score=0.8))
    expected = [p for p in review.alignment.matched_pairs() if p.score >= 0.8]
    assert len(read_tmx(path)) == len(expected) == 4
    # Fault 9: every unit says its status, unreviewed ones too.
    statuses = [u.findtext("prop[@type='x-status']")
                for u in etree.parse(str(path)).getroot().findall("body/tu")]
    assert statuses.count(CONFIRMED) == 1 and statuses.count(UNREVIEWED) == 3
    rows = [line.split("\t") for line in export_tsv(review).splitlines()]
    assert rows[0][-2:] == ["status", "note"]
    assert rows[1 + review.find("22:7")][-2:] == [CONFIRMED, ""]
    assert len(rows) == 1 + len(review.alignment.pairs)


def test_report_counts_and_lists_unmatched_claims(store, tmp_path):
    store.confirm("23:8")
    store.reject("26:3")
    review = store.load()
    paths = write_exports(review, tmp_path, "waic2025")
    assert sorted(p.name for p in paths.values()) == [
        "waic2025.review.md", "waic2025.reviewed.json", "waic2025.reviewed.tmx",
        "waic2025.reviewed.tsv"]
    report = paths["report"].read_text(encoding="utf-8")
    # One rejected link is one decision, though it leaves two unmatched rows (fault 6).
    assert "| confirmed | 1 |" in report and "| rejected links | 1 |" in report
    assert f"## Unmatched claims, source (zh): {len(review.alignment.unmatched('src'))}" in report
    assert "- [26] 國內外嘉賓及人工智能產學研領域代表1000多人出席大會開幕式。 *(rejected)*" in report
    assert "## Unmatched claims, target (en): 4" in report  # 3, plus en 3 of the rejected pair
    # Fault 9: the figures stated on one side only have their own section.
    assert "## One-sided figures: 3" in report  # 26:3's two left with the rejection
    # The English gives the date in another sentence: said so, with where.
    assert ("- zh 3+31 ↔ en 1: 7月26日 only in the source (zh 3); the target states it "
            "elsewhere (en 12) *(unreviewed)*") in report
    assert "- zh 37 ↔ en 10: 2030年 only in the source (zh 37) *(unreviewed)*" in report
    before = report_markdown(store.undo(), "waic2025")
    assert "## One-sided figures: 5" in before
    assert "- zh 26 ↔ en 3: 40 countries only in the target (en 3)" in before
    assert "- zh 26 ↔ en 3: three-day only in the target (en 3)" in before
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["review"][review.find("23:8")] == {"status": CONFIRMED, "note": ""}
    assert Review.from_dict(data).to_dict() == review.to_dict()
    assert report_markdown(review, "waic2025").count("\n- [") == (
        len(review.alignment.unmatched("src")) + len(review.alignment.unmatched("tgt")))


def test_a_damaged_state_is_reported_as_input_error(store):
    con = sqlite3.connect(store.path)
    with con:
        con.execute("UPDATE state SET review = ?", ('{"pairs": []}',))
    with pytest.raises(InputError, match="damaged review store"):
        store.load()
