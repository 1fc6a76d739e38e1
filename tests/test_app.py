"""The review app driven through ``streamlit.testing.v1.AppTest`` on the flagship pair.

The app aligns corpus/001 → corpus/003 once with the embedded default model
(module fixture); every other test starts from a copy of that review store in
its own output folder, clicks through the real app and checks the store on
disk and the files it exports. Pair keys are read from the store rather than
written down, so the tests hold when the aligner's links change.
"""

from __future__ import annotations

import random
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from lxml import etree
from streamlit.testing.v1 import AppTest

from align.export import read_json, to_json
from align.model import Alignment, Document, Pair, Sentence
from align.review import (
    CONFIRMED,
    FILTERS,
    LOW_CONFIDENCE,
    REJECTED,
    Review,
    ReviewStore,
    pair_key,
    store_path,
)
from align.review.exports import md_literal
from align.review.state import document, key_label
from ui.panels import PAGE_SIZE, row_name, widget_key
from ui.theme import BAND_COLOURS

# Every test here runs the whole app script (one to several seconds each): slow.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "ui" / "app.py"
CORPUS = ROOT / "corpus"
DTD = etree.DTD(str(Path(__file__).parent / "data" / "tmx14.dtd"))
# The first run loads both packaged models and embeds the flagship (cached on disk after).
FIRST_RUN_SECONDS = 300
RUN_SECONDS = 60
FLAGSHIP = "waic2025"
DAMAGED_SPAN = "上??疾鞎r"
OPENING_ZH = "在上海出席2025世界人工智能大會"  # after 7月26日, which is highlighted


def open_app(out: Path, monkeypatch, timeout: float = RUN_SECONDS) -> AppTest:
    monkeypatch.setenv("ALIGN_OUT", str(out))
    return AppTest.from_file(str(APP), default_timeout=timeout).run()


def stored(out: Path, name: str = FLAGSHIP) -> Review:
    with ReviewStore(store_path(out, name)) as store:
        return store.load()


def html(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def without_word_links(page: str) -> str:
    """The page with the word-link tooltips (``<abbr class="w">``) unwrapped, to read the text
    as shown; file content can never make one: its ``<`` is a character reference."""
    return re.sub(r'<abbr class="w" title="[^"]*">|</abbr>', "", page)


def metric(at: AppTest, label: str) -> int:
    return int(next(m.value for m in at.metric if m.label == label))


def matched_keys(review: Review) -> list[str]:
    return [pair_key(p) for p in review.alignment.pairs if p.matched]


def widget(elements, prefix: str):
    """The one widget whose key starts with ``prefix`` (choice widgets add a version)."""
    found = [e for e in elements if (e.key or "").startswith(prefix)]
    assert len(found) == 1, [e.key for e in elements]
    return found[0]


def assert_no_trace(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """The app opened on an empty output folder: it aligns the flagship pair."""
    out = tmp_path_factory.mktemp("first")
    with pytest.MonkeyPatch.context() as mp:
        at = open_app(out, mp, FIRST_RUN_SECONDS)
    return out, at


@pytest.fixture
def out(first_run, tmp_path, monkeypatch) -> Path:
    """A fresh output folder holding a copy of the flagship's untouched review store."""
    shutil.copy(store_path(first_run[0], FLAGSHIP), store_path(tmp_path, FLAGSHIP))
    return tmp_path


@pytest.fixture
def app(out, monkeypatch) -> AppTest:
    return open_app(out, monkeypatch)


def test_opens_on_the_flagship_aligned_with_progress(first_run):
    out, at = first_run
    assert_no_trace(at)
    review = stored(out)
    assert at.title[0].value == f"Review · {FLAGSHIP}"
    status = at.status[0]
    assert status.state == "complete"
    assert status.label == f"Aligned {FLAGSHIP}: {len(matched_keys(review))} links"
    assert at.progress[0].value == 100
    assert metric(at, "Links") == len(matched_keys(review))
    # Captions, bylines and datelines need no decision (fault 6).
    needed = review.decisions()["needed"]
    assert needed < len(review.alignment.pairs)
    assert metric(at, "To decide") == needed
    assert at.progress[-1].text == f"0 of {needed} decisions made (links and unmatched claims)"


def test_side_by_side_view_marks_what_a_reviewer_must_see(app, out):
    review = stored(out)
    page = without_word_links(html(app))
    # Chinese on the left, English on the right, in the Chinese reading order.
    opening = review.alignment.pairs[review.bead_of("src", 3)]
    row = without_word_links(next(m.value for m in app.markdown
                                  if '<span class="sid">zh 3</span>' in m.value))
    assert OPENING_ZH in row
    if opening.matched:
        english = review.alignment.target.sentences[opening.tgt[0]].text[:30]
        assert row.index(OPENING_ZH) < row.index(english)
    # Flagged details are highlighted in the text itself.
    assert f'<mark class="damage" title="encoding damage">{DAMAGED_SPAN}</mark>' in page
    figures = [f for p in review.alignment.pairs for f in p.flags if f.kind.startswith("number-only")]
    assert figures
    for flag in figures:
        assert re.search(rf'<mark class="figure" title="figure only in the [^"]*">{re.escape(flag.span)}<', page)
    assert "photo caption</span>" in page and "byline</span>" in page
    crossing = sum(p.has_flag("crossing") for p in review.alignment.pairs)
    assert page.count("⤨ crossing") == crossing
    # Unmatched claims, per side, labelled and counted.
    src, tgt = len(review.alignment.unmatched("src")), len(review.alignment.unmatched("tgt"))
    assert f"Unmatched claims (Chinese {src} · English {tgt})" in [t.label for t in app.tabs]
    assert [h.value for h in app.subheader] == [
        f"Only in the Chinese: {src} unmatched claims", f"Only in the English: {tgt} unmatched claims"]


def test_the_english_order_shows_where_each_sentence_comes_from(app, out):
    """Reordering made visible: English in its own order with its Chinese source passage,
    and a link map with a line per link."""
    review = stored(out)
    assert "English order and link map" in [t.label for t in app.tabs]
    table = app.dataframe[0].value
    english = review.alignment.target.sentences
    assert list(table["en"]) == [s.id for s in english]
    for s, source in zip(english, table["from zh"]):
        pair = review.alignment.pairs[next(k for k, p in enumerate(review.alignment.pairs)
                                           if s.id in p.tgt)]
        assert source == (", ".join(map(str, pair.src)) or "none")
    svg = next(m.value for m in app.markdown if 'aria-label="link map"' in m.value)
    links = sum(len(p.src) * len(p.tgt) for p in review.alignment.matched_pairs())
    assert svg.count('class="link"') == links
    crossing = sum(len(p.src) * len(p.tgt) for p in review.alignment.matched_pairs()
                   if p.has_flag("crossing"))
    assert svg.count('stroke="#1565c0"') == crossing


def test_reopening_a_pair_uses_the_store_and_aligns_nothing(out, monkeypatch):
    at = open_app(out, monkeypatch)
    assert_no_trace(at)
    assert not at.status  # no alignment ran
    snapshots = sqlite3.connect(store_path(out, FLAGSHIP)).execute("SELECT COUNT(*) FROM snapshot")
    assert snapshots.fetchone() == (1,)


def shown_rows(at: AppTest) -> int:
    return sum(1 for b in at.button if (b.key or "").startswith("confirm-"))


def test_row_buttons_are_named_for_their_row(app, out):
    """Fault 3: 51 buttons were named "✓"; each now says what it does to which row."""
    review = stored(out)
    labels = [b.label for b in app.button]
    assert not {"✓", "✗", "✎", "▲"} & set(labels)
    for pair in review.alignment.pairs:
        name = row_name(review.alignment, pair)
        for verb, action in (("Confirm", "confirm"), ("Reject", "reject"), ("Edit", "open")):
            assert app.button(key=widget_key(action, pair_key(pair))).label == f"{verb} {name}"
    zh3 = review.alignment.pairs[review.bead_of("src", 3)]
    if zh3.matched:
        assert row_name(review.alignment, zh3).startswith("pair zh 3")
        assert " ↔ en " in row_name(review.alignment, zh3)


def test_filters_search_and_script(app, out):
    review = stored(out)
    for view in ("low confidence", "unmatched", "flagged", "unreviewed"):
        app.radio(key="view").set_value(view).run()
        assert shown_rows(app) == len(review.select(view)) > 0, view
    app.radio(key="view").set_value("all").run()
    app.text_input(key="query").set_value("国务院").run()  # Simplified query, Traditional text
    assert shown_rows(app) == len(review.select("all", "国务院")) > 0
    assert '<mark class="search" title="search match">國務院</mark>' in html(app)
    app.toggle(key="simplified").set_value(True).run()
    page = html(app)
    assert '<mark class="search" title="search match">国务院</mark>总理李强' in page
    assert "總理李強" not in page


def test_unmatched_rows_are_not_shown_as_links(app, out):
    """Fault 5: unmatched rows showed "1.00" in green like a link's confidence, and made
    up 4 of the 5 rows of the low-confidence filter."""
    review = stored(out)
    rows = {found.group(1): m.value for m in app.markdown if m.value.startswith('<div class="pair')
            and (found := re.search(r'<span class="sid">(\w+ \d+)</span>', m.value))}
    for pair in review.alignment.pairs:
        side = "src" if pair.src else "tgt"
        doc = review.alignment.source if pair.src else review.alignment.target
        row = rows[f"{doc.lang} {getattr(pair, side)[0]}"]
        if pair.matched:
            assert f">{pair.score:.2f}</span>" in row and 'class="score"' in row
        else:
            assert 'class="pair unmatched' in row and 'class="score"' not in row
            assert BAND_COLOURS["high"] not in row
            if pair.src and review.alignment.source.sentences[pair.src[0]].matchable:
                assert "no counterpart" in row and f"sure: {pair.score:.2f}" in row
    app.radio(key="view").set_value("low confidence").run()
    assert shown_rows(app) == len([p for p in review.alignment.pairs
                                   if p.matched and p.score < LOW_CONFIDENCE])


def test_the_filter_keeps_its_selection_after_actions(app, out):
    """Fault 4: after confirm or undo the radio showed no option selected."""
    app.radio(key="view").set_value("unreviewed").run()
    shown = shown_rows(app)
    first = next(b for b in app.button if (b.key or "").startswith("confirm-") and not b.disabled)
    first.click().run()
    assert app.radio(key="view").value == "unreviewed"
    assert app.radio(key="view").index == FILTERS.index("unreviewed")
    assert shown_rows(app) == shown - 1
    app.button(key="undo").click().run()
    assert app.radio(key="view").value == "unreviewed" and shown_rows(app) == shown


def test_confirm_is_saved_and_survives_a_reload(app, out, monkeypatch):
    key = matched_keys(stored(out))[0]
    app.button(key=widget_key("confirm", key)).click().run()
    assert_no_trace(app)
    assert stored(out).marks[stored(out).find(key)].status == CONFIRMED
    # In a reviewer's words, not the internal key "3,31:1" (fault 6).
    assert app.toast[0].value == f"Confirmed pair {key_label(stored(out).alignment, key)}"
    assert app.button(key="undo").label == (
        f"↶ Undo: Confirmed pair {key_label(stored(out).alignment, key)}")
    reloaded = open_app(out, monkeypatch)  # a new session: closed tab, reload, restarted server
    assert metric(reloaded, "Confirmed") == 1
    assert '<span class="badge confirmed">✓ confirmed</span>' in html(reloaded)
    assert reloaded.button(key=widget_key("confirm", key)).disabled


def test_bulk_confirm_above_a_confidence_is_one_undo_step(app, out):
    review = stored(out)
    app.slider(key="bulk_threshold").set_value(0.7).run()
    expected = review.unreviewed_links(0.7)
    assert expected
    button = app.button(key="bulk_confirm")
    assert button.label == f"Confirm {len(expected)} link{'s' * (len(expected) != 1)} ≥ 0.70"
    button.click().run()
    assert_no_trace(app)
    assert stored(out).confirmed() == expected
    assert app.button(key="undo").label == f"↶ Undo: Confirmed {len(expected)} links at once"
    app.button(key="undo").click().run()
    assert stored(out).confirmed() == []


def test_bulk_confirm_takes_only_the_rows_shown(app, out):
    """It confirmed every link above the bar whatever the filter and search hid; with
    nothing shown it still offered to confirm links the reviewer could not see."""
    review = stored(out)
    app.radio(key="view").set_value("partly supported").run()
    shown = set(review.select("partly supported"))
    expected = [i for i in review.unreviewed_links(0.5) if i in shown]
    assert expected and len(expected) < len(review.unreviewed_links(0.5))
    app.slider(key="bulk_threshold").set_value(0.5).run()
    app.button(key="bulk_confirm").click().run()
    assert stored(out).confirmed() == expected
    app.radio(key="view").set_value("all").run()
    app.text_input(key="query").set_value("zzzz-nothing").run()
    assert_no_trace(app)
    assert app.button(key="bulk_confirm").disabled
    assert any("No row matches this filter and search" in i.value for i in app.info)


def test_captions_bylines_and_datelines_offer_no_confirmation(app, out):
    review = stored(out)
    metadata = [p for p in review.alignment.pairs if not p.matched
                and not any(document(review.alignment, side).sentences[i].matchable
                            for side in ("src", "tgt") for i in getattr(p, side))]
    assert metadata
    for pair in metadata:
        assert app.button(key=widget_key("confirm", pair_key(pair))).disabled
    link = next(p for p in review.alignment.pairs if p.matched)
    assert not app.button(key=widget_key("confirm", pair_key(link))).disabled


def test_reject_makes_both_sides_unmatched(app, out):
    review = stored(out)
    key = matched_keys(review)[0]
    pair = review.alignment.pairs[review.find(key)]
    app.button(key=widget_key("reject", key)).click().run()
    after = stored(out)
    singles = [f"{i}:" for i in pair.src] + [f":{j}" for j in pair.tgt]
    assert key not in after.pair_keys()
    assert [after.marks[after.find(k)].status for k in singles] == [REJECTED] * len(singles)
    assert len(singles) >= 2 and metric(app, "Rejected links") == 1  # one decision (fault 6)


def test_relink_from_the_ranked_candidates(app, out):
    review = stored(out)
    key = matched_keys(review)[0]
    pair = review.alignment.pairs[review.find(key)]
    app.button(key=widget_key("open", key)).click().run()
    choose = widget(app.multiselect, widget_key("choose-tgt", key) + "-")
    assert choose.value == pair.tgt
    best = review.alignment.source.sentences[pair.src[0]].candidates
    assert choose.options[0].startswith(f"{best[0][1]:.2f} · en {best[0][0]} · ")
    extra = next(j for j, _ in best if j not in pair.tgt)
    choose.set_value(sorted([*pair.tgt, extra])).run()
    app.button(key=widget_key("link-tgt", key)).click().run()
    assert_no_trace(app)
    after = stored(out)
    new_key = f"{','.join(map(str, pair.src))}:{','.join(map(str, sorted([*pair.tgt, extra])))}"
    assert after.marks[after.find(new_key)].status == CONFIRMED


def test_relinking_across_two_pairs_asks_and_undo_restores_both(app, out):
    """Fault 1: taking a sentence of another (confirmed) pair says so and asks first;
    no confirmation moves to a pair nobody confirmed; undo restores both pairs."""
    review = stored(out)
    first, second = (review.alignment.pairs[review.find(k)] for k in matched_keys(review)[:2])
    with ReviewStore(store_path(out, FLAGSHIP)) as store:
        store.note(pair_key(first), "dateline *checked*")
    app.run()
    app.button(key=widget_key("confirm", pair_key(first))).click().run()
    before = stored(out).to_dict()
    app.button(key=widget_key("open", pair_key(second))).click().run()
    choose = widget(app.multiselect, widget_key("choose-tgt", pair_key(second)) + "-")
    taken = first.tgt[0]
    first_label = key_label(review.alignment, pair_key(first))
    assert choose.options[[*choose.options].index(next(o for o in choose.options
                                                         if f"en {taken} · " in o))].endswith(
        f" · in {first_label}, confirmed")
    assert not choose.options or "Select all" not in choose.options
    choose.set_value([taken]).run()
    assert_no_trace(app)
    warning = next(w.value for w in app.warning if first_label in w.value)
    assert "(confirmed). Taking it leaves" in warning and "no confirmation moves" in warning
    assert 'Its note stays with' in warning and r'"dateline \*checked\*"' in warning
    assert stored(out).to_dict() == before  # nothing happened yet: it asks first
    go = app.button(key=widget_key("link-tgt", pair_key(second)))
    assert go.label.startswith("Take it: ")
    go.click().run()
    assert_no_trace(app)
    after = stored(out)
    made = after.bead_of("src", second.src[0])
    assert after.alignment.pairs[made].tgt == [taken] and after.marks[made].status == CONFIRMED
    assert after.confirmed() == [made]  # the first pair's confirmation did not move or stay
    for i in first.src:
        assert after.marks[after.bead_of("src", i)].status == "unreviewed"
    app.button(key="undo").click().run()
    assert stored(out).to_dict() == before


def test_taking_from_the_unmatched_tab_asks_too(app, out):
    review = stored(out)
    linked = review.alignment.pairs[review.find(matched_keys(review)[0])]
    sentence = review.alignment.unmatched("tgt")[0].id
    choice = widget(app.selectbox, f"linkto-tgt-{sentence}-")
    choice.set_value(linked.src[0]).run()
    label = key_label(review.alignment, pair_key(linked))
    assert any(label in w.value for w in app.warning)
    assert app.button(key=f"link-tgt-{sentence}").label == "Take it"
    app.button(key=f"link-tgt-{sentence}").click().run()
    after = stored(out)
    assert after.alignment.pairs[after.bead_of("tgt", sentence)].src == [linked.src[0]]


def test_relink_after_an_edit_of_that_side(app, out):
    """Fault 2: after saving an edit of an English sentence, re-linking its side said
    "no such sentence … changed in another tab" and emptied the choice."""
    review = stored(out)
    key = matched_keys(review)[0]
    pair = review.alignment.pairs[review.find(key)]
    app.button(key=widget_key("open", key)).click().run()
    english = pair.tgt[0]
    box = next(t for t in app.text_area if t.label == f"English sentence {english}")
    box.set_value("Edited: " + box.value).run()
    app.button(key=f"edit-tgt-{english}").click().run()
    assert stored(out).alignment.target.sentences[english].text.startswith("Edited: ")
    choose = widget(app.multiselect, widget_key("choose-tgt", key) + "-")
    assert choose.value == pair.tgt  # the chip shows the saved text, not the old one
    assert any(f"en {english} · Edited: " in o for o in choose.options)
    extra = next(j for j, _ in review.alignment.source.sentences[pair.src[0]].candidates
                 if j not in pair.tgt and review.alignment.pairs[review.bead_of("tgt", j)].matched
                 is False)
    choose.set_value(sorted([*pair.tgt, extra])).run()
    app.button(key=widget_key("link-tgt", key)).click().run()
    assert_no_trace(app)
    assert not app.error, [e.value for e in app.error]
    after = stored(out)
    assert after.alignment.pairs[after.bead_of("src", pair.src[0])].tgt == sorted([*pair.tgt, extra])


def test_edit_split_merge_and_undo(app, out):
    review = stored(out)
    key = pair_key(review.alignment.pairs[review.bead_of("src", 3)])
    app.button(key=widget_key("open", key)).click().run()
    box = next(t for t in app.text_area if t.label == "Chinese sentence 3")
    cut = box.value.index("在上海")
    box.set_value(box.value[:cut] + "\n" + box.value[cut:]).run()
    app.button(key="split-src-3").click().run()
    assert_no_trace(app)
    split = stored(out).alignment.source.sentences
    assert (split[3].text, split[4].text[:3]) == ("國務院總理李強7月26日", "在上海")
    assert len(split) == len(review.alignment.source.sentences) + 1

    new_key = pair_key(stored(out).alignment.pairs[stored(out).bead_of("src", 4)])
    box = next(t for t in app.text_area if t.label == "Chinese sentence 4")
    box.set_value(box.value.replace("并致辭", "並致辭")).run()
    app.button(key="edit-src-4").click().run()
    assert stored(out).alignment.source.sentences[4].text.endswith("並致辭。")
    assert new_key in stored(out).pair_keys()

    app.button(key="merge-src-3").click().run()
    merged = stored(out).alignment.source.sentences
    assert merged[3].text == "國務院總理李強7月26日在上海出席2025世界人工智能大會暨人工智能全球治理" \
                             "高級別會議開幕式並致辭。"
    assert app.button(key="undo").label == "↶ Undo: Merged the next sentence into zh 3"
    app.button(key="undo").click().run()
    assert len(stored(out).alignment.source.sentences) == len(split)
    app.button(key="undo").click().run()
    app.button(key="undo").click().run()
    assert stored(out).to_dict() == review.to_dict()


def test_split_pairs_the_halves_in_one_step(out, monkeypatch):
    """Fault 8: a split left a 2:2 bead that needed two more re-links."""
    with ReviewStore(store_path(out, FLAGSHIP)) as store:
        review = store.load()
        pair = next(p for p in review.alignment.pairs if len(p.src) == 1 and len(p.tgt) >= 1)
        if len(pair.tgt) == 1:  # give it a second English sentence to pair a half with
            extra = next(s.id for s in review.alignment.unmatched("tgt"))
            store.relink(pair_key(pair), "tgt", sorted([*pair.tgt, extra]))
            pair = store.load().alignment.pairs[store.load().bead_of("src", pair.src[0])]
    app = open_app(out, monkeypatch)
    zh = pair.src[0]
    app.button(key=widget_key("open", pair_key(pair))).click().run()
    box = next(t for t in app.text_area if t.label == f"Chinese sentence {zh}")
    cut = len(box.value) // 2
    box.set_value(box.value[:cut] + "\n" + box.value[cut:]).run()
    app.selectbox(key=f"pairwith-src-{zh}-{stored(out).layout}").set_value(pair.tgt[1]).run()
    app.button(key=f"splitpair-src-{zh}").click().run()
    assert_no_trace(app)
    after = stored(out)
    first = after.alignment.pairs[after.bead_of("src", zh)]
    second = after.alignment.pairs[after.bead_of("src", zh + 1)]
    assert (first.src, first.tgt) == ([zh], pair.tgt[:1])
    assert (second.src, second.tgt) == ([zh + 1], pair.tgt[1:])
    assert after.marks[after.bead_of("src", zh + 1)].status == CONFIRMED


def test_link_an_unmatched_claim_from_its_list(app, out):
    review = stored(out)
    sentence = review.alignment.unmatched("src")[0]
    choice = widget(app.selectbox, f"linkto-src-{sentence.id}-")
    best = sentence.candidates[0][0]
    choice.set_value(best).run()
    app.button(key=f"link-src-{sentence.id}").click().run()
    assert_no_trace(app)
    after = stored(out)
    bead = after.alignment.pairs[after.bead_of("src", sentence.id)]
    assert bead.tgt == [best] and after.marks[after.bead_of("src", sentence.id)].status == CONFIRMED


def test_export_tmx_of_confirmed_pairs_with_notes(app, out):
    first, second = matched_keys(stored(out))[:2]
    app.button(key=widget_key("confirm", first)).click().run()
    app.button(key=widget_key("confirm", second)).click().run()
    app.button(key=widget_key("open", second)).click().run()
    note = next(t for t in app.text_input if t.label.startswith("Reviewer note"))
    note.set_value("checked against the Xinhua original").run()
    app.button(key=widget_key("savenote", second)).click().run()
    app.button(key="export").click().run()
    assert_no_trace(app)
    tmx = etree.parse(str(out / f"{FLAGSHIP}.reviewed.tmx"))
    assert DTD.validate(tmx), DTD.error_log
    units = tmx.findall("body/tu")
    assert len(units) == 2
    assert {u.findtext("prop[@type='x-status']") for u in units} == {CONFIRMED}
    reviewer_notes = [n.text for u in units for n in u.findall("note")
                      if not n.text.startswith("unsupported: ")]
    assert reviewer_notes == ["checked against the Xinhua original"]
    report = (out / f"{FLAGSHIP}.review.md").read_text(encoding="utf-8")
    assert "| confirmed | 2 |" in report
    assert [b.label for b in app.download_button] == [
        f"Download {FLAGSHIP}.reviewed.{ext}" for ext in ("tmx", "tsv", "json")] + [
        f"Download {FLAGSHIP}.review.md"]

    app.radio(key="tmx_scope").set_value("all pairs above a threshold").run()
    app.slider(key="tmx_threshold").set_value(0.0).run()
    app.button(key="export").click().run()
    tmx = etree.parse(str(out / f"{FLAGSHIP}.reviewed.tmx"))
    assert len(tmx.findall("body/tu")) == len(matched_keys(stored(out)))


ENGLISH = (CORPUS / "003_3cceb59c81ded892.txt").read_bytes()
CHINESE = (CORPUS / "001_6e67b410ee902a66.txt").read_bytes()


@pytest.mark.parametrize(("name", "data", "problem"), [
    ("empty.txt", b"", "empty.txt: file is empty"),
    ("photo.txt", b"\x89PNG\r\n\x1a\n" + random.Random(0).randbytes(4096),
     "photo.txt: binary data, not text"),
    ("report.txt", b"PK\x03\x04" + bytes(range(256)), "report.txt: this is a ZIP archive"),
    ("utf16.txt", b"\xff\xfe" + "國務院總理".encode("utf-16-le") + b"\x00",
     "utf16.txt: not valid UTF-16-LE"),
    ("coverage.txt", ENGLISH, "coverage.txt: expected Chinese text but found none"),
    ("huge.txt", CHINESE * 100, "huge.txt: too large for the app: 633 kB (limit 500 kB)"),
], ids=["empty", "binary", "zip", "bad-utf16", "wrong-language", "huge"])
def test_bad_uploads_get_a_message_and_the_app_keeps_working(app, out, name, data, problem):
    app.file_uploader(key="upload_src").set_value((name, data, "text/plain")).run()
    app.file_uploader(key="upload_tgt").set_value(("003.txt", ENGLISH, "text/plain")).run()
    app.button(key="upload_go").click().run()
    assert_no_trace(app)
    assert next(e.value for e in app.error if e.value.startswith(name)).startswith(problem)
    assert app.title[0].value == f"Review · {FLAGSHIP}"  # still on the pair it showed
    assert not any((out / "uploads").rglob("*.txt"))  # nothing of a refused upload is kept
    key = matched_keys(stored(out))[0]
    app.button(key=widget_key("confirm", key)).click().run()  # and still works
    assert metric(app, "Confirmed") == 1


def test_upload_two_files_aligns_and_opens_them(app, out, monkeypatch):
    chinese = b"\n\n".join(CHINESE.split(b"\n\n")[:6])
    english = b"\n\n".join(ENGLISH.split(b"\n\n")[:4])
    app.file_uploader(key="upload_src").set_value(("xinhua.txt", chinese, "text/plain")).run()
    app.file_uploader(key="upload_tgt").set_value(("chinadaily.txt", english, "text/plain")).run()
    app.selectbox(key="upload_mode").set_value("comparable").run()
    app.button(key="upload_go").click().run()
    assert_no_trace(app)
    name = app.query_params["pair"]
    name = name[0] if isinstance(name, list) else name
    assert name.startswith("upload-xinhua-")
    assert app.title[0].value == f"Review · {name}"
    review = stored(out, name)
    assert review.alignment.source.path == "xinhua.txt" and review.alignment.target.lang == "en"
    assert review.alignment.matched_pairs()
    with ReviewStore(store_path(out, name)) as store:
        assert store.origin()["source_name"] == "xinhua.txt"
    monkeypatch.setenv("ALIGN_PAIR", name)  # the upload is listed and reopens from its store
    again = open_app(out, monkeypatch)
    assert again.title[0].value == f"Review · {name}" and not again.status


HOSTILE = ('<img src=x onerror="alert(1)"> <script>alert(2)</script> '
           '[click me](javascript:alert(3)) **bold**')


def test_file_names_and_contents_are_shown_as_written_never_run(app, out):
    """Fault 10: an uploaded file's name was rendered as Markdown in the header; file
    content was escaped, and this keeps it so."""
    chinese = b"\n\n".join([*CHINESE.split(b"\n\n")[:3], "李強說：".encode() + HOSTILE.encode()])
    english = b"\n\n".join([*ENGLISH.split(b"\n\n")[:2], b"Li said: " + HOSTILE.encode()])
    app.file_uploader(key="upload_src").set_value(("**b**[x](javascript:alert(4)).txt", chinese,
                                                   "text/plain")).run()
    app.file_uploader(key="upload_tgt").set_value(("<img src=y onerror=alert(5)>.txt", english,
                                                   "text/plain")).run()
    app.selectbox(key="upload_mode").set_value("comparable").run()
    app.button(key="upload_go").click().run()
    assert_no_trace(app)
    caption = app.caption[0].value
    assert caption.startswith("\\*\\*b\\*\\*\\[x\\](javascript:alert(4)).txt (Chinese) ⇄ "
                              "\\<img src=y onerror=alert(5)\\>.txt (English)")
    rows = [m.value for m in app.markdown]
    page = without_word_links("\n".join(rows))
    assert "&#60;img src=x onerror=&#34;alert&#40;1&#41;&#34;&#62;" in page
    assert "&#60;script&#62;alert&#40;2&#41;&#60;/script&#62;" in page
    assert "&#91;click me&#93;&#40;javascript:alert&#40;3&#41;&#41; &#42;&#42;bold&#42;&#42;" in page
    for row in rows:
        assert "<img" not in row and "<script" not in row and "href=" not in row, row
        assert "**bold**" not in row and "](javascript:" not in row, row


FIXTURE_JSON = Path(__file__).parent / "data" / "review_waic2025.json"


def test_an_alignment_json_opens_from_the_url_without_aligning(out, monkeypatch):
    """At book scale: what `align pair` wrote opens as it is (?json=), nothing re-aligned."""
    monkeypatch.setenv("ALIGN_OUT", str(out))
    at = AppTest.from_file(str(APP), default_timeout=RUN_SECONDS)
    at.query_params["json"] = str(FIXTURE_JSON)
    at.run()
    assert_no_trace(at)
    assert at.title[0].value == "Review · review\\_waic2025" and not at.status
    review = stored(out, "review_waic2025")
    assert review.pair_keys() == Review.start(read_json(FIXTURE_JSON)).pair_keys()
    key = matched_keys(review)[0]
    at.button(key=widget_key("confirm", key)).click().run()
    assert stored(out, "review_waic2025").marks[review.find(key)].status == CONFIRMED


def test_a_batch_folder_lists_its_pairs(out, monkeypatch, tmp_path_factory):
    batch = tmp_path_factory.mktemp("batch")
    for name in ("chapter-1", "chapter-2"):
        shutil.copy(FIXTURE_JSON, batch / f"{name}.json")
    shutil.copy(FIXTURE_JSON, batch / "chapter-1.reviewed.json")  # an export, not a pair
    monkeypatch.setenv("ALIGN_JSON", str(batch))
    monkeypatch.setenv("ALIGN_PAIR", "chapter-2")
    at = open_app(out, monkeypatch)
    assert_no_trace(at)
    options = at.selectbox(key="pair_picker").options
    assert [o.split(":")[0] for o in options if o.startswith("chapter")] == ["chapter-1", "chapter-2"]
    assert at.title[0].value == "Review · chapter-2" and not at.status
    key = matched_keys(stored(out, "chapter-2"))[0]
    at.button(key=widget_key("confirm", key)).click().run()
    assert "Batch (2 pairs)" in [t.label for t in at.tabs]
    table = at.dataframe[-1].value
    needed = stored(out, "chapter-2").decisions()["needed"]
    assert table.to_dict("records") == [
        {"pair": "chapter-1", "decisions made": 0, "needed": needed, "progress": 0.0},
        {"pair": "chapter-2", "decisions made": 1, "needed": needed, "progress": 1 / needed}]


BOOK_SENTENCES = 150


@pytest.fixture
def book(tmp_path) -> Path:
    """A pair too long for one page: 150 links (sentence i ↔ i), ten sentences a paragraph,
    as `align pair` writes it."""
    def side(lang, text):
        return Document(lang, f"book.{lang}.txt", [
            Sentence(i, f"{text} {i}", f"{text} {i}", i // 10) for i in range(BOOK_SENTENCES)])
    alignment = Alignment(side("zh", "第句"), side("en", "Sentence"), "test", "parallel",
                          [Pair([i], [i], 0.9) for i in range(BOOK_SENTENCES)])
    path = tmp_path / "book.json"
    path.write_text(to_json(alignment), encoding="utf-8")
    return path


def open_book(out: Path, book: Path, monkeypatch, **query) -> AppTest:
    monkeypatch.setenv("ALIGN_OUT", str(out))
    at = AppTest.from_file(str(APP), default_timeout=RUN_SECONDS)
    at.query_params["json"] = str(book)
    for name, value in query.items():
        at.query_params[name] = value
    return at.run()


def first_row(at: AppTest) -> str:
    return next(b.key for b in at.button if (b.key or "").startswith("confirm-"))


def test_a_book_pages_from_top_and_bottom_and_keeps_its_page(out, book, monkeypatch):
    at = open_book(out, book, monkeypatch)
    assert_no_trace(at)
    assert at.number_input(key="page").value == 1 and first_row(at) == "confirm-s0-t0"
    at.button(key="page-next").click().run()  # the pager under the rows
    assert at.number_input(key="page").value == 2 and first_row(at) == f"confirm-s{PAGE_SIZE}-t{PAGE_SIZE}"
    assert at.query_params["page"] in ("2", ["2"])  # in the URL: a reload keeps it
    reloaded = open_book(out, book, monkeypatch, page="3")
    assert reloaded.number_input(key="page").value == 3
    assert first_row(reloaded) == f"confirm-s{2 * PAGE_SIZE}-t{2 * PAGE_SIZE}"


def test_go_to_a_sentence_id(out, book, monkeypatch):
    at = open_book(out, book, monkeypatch)
    at.radio(key="view").set_value("flagged").run()  # hides the row: go-to shows all again
    at.text_input(key="jump").set_value("en 130").run()
    assert_no_trace(at)
    assert at.number_input(key="page").value == 3 and at.radio(key="view").value == "all"
    target = [m.value for m in at.markdown if 'class="pair target"' in m.value]
    assert len(target) == 1 and "Sentence 130" in target[0]
    at.text_input(key="jump").set_value("zh 9999").run()
    assert "there is no zh 9999" in at.error[0].value


def test_paragraph_breaks_are_shown(out, book, monkeypatch):
    at = open_book(out, book, monkeypatch)
    breaks = [h.value for h in at.get("html") if "¶" in str(getattr(h, "value", ""))]
    assert [b.split("¶ ")[1].split("<")[0] for b in breaks] == [
        f"zh paragraph {n}" for n in range(1, PAGE_SIZE // 10 + 1)]


@pytest.mark.slow
def test_realigning_a_reviewed_pair_asks_first(app, out):
    key = matched_keys(stored(out))[0]
    app.button(key=widget_key("confirm", key)).click().run()
    assert app.button(key="realign").disabled
    app.checkbox(key="realign_sure").check().run()
    assert not app.button(key="realign").disabled
    app.selectbox(key="realign_model").set_value("use-m3").run()
    app.button(key="realign").click().run()
    assert_no_trace(app)
    assert app.status[0].state == "complete"
    with ReviewStore(store_path(out, FLAGSHIP)) as store:
        assert store.history() == [] and store.origin()["model"] == "use-m3"
        assert store.load().alignment.model == "use-m3"
    kept = sqlite3.connect(store_path(out, FLAGSHIP)).execute("SELECT kind FROM action").fetchall()
    assert kept == [("confirm",)]  # the earlier review is set aside, not deleted


def test_two_tabs_on_one_pair_keep_both_confirmations(out, monkeypatch):
    first, second = open_app(out, monkeypatch), open_app(out, monkeypatch)
    a, b = matched_keys(stored(out))[:2]
    first.button(key=widget_key("confirm", a)).click().run()
    second.button(key=widget_key("confirm", b)).click().run()  # drawn before the first click
    review = stored(out)
    assert {review.marks[review.find(k)].status for k in (a, b)} == {CONFIRMED}
    assert metric(second, "Confirmed") == 2
    second.button(key=widget_key("reject", a)).click().run()
    first.button(key=widget_key("reject", a)).click().run()  # stale: the pair is gone
    assert_no_trace(first)
    assert "changed in another tab" in first.error[0].value


@pytest.mark.slow
def test_a_failed_realign_keeps_the_review_and_says_why(app, out, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # fail fast instead of trying the network
    before = stored(out).to_dict()
    app.selectbox(key="realign_model").set_value("sentence-transformers/LaBSE").run()
    app.button(key="realign").click().run(timeout=FIRST_RUN_SECONDS)
    assert_no_trace(app)
    assert app.status[0].state == "error"
    assert app.error[0].value.startswith("--model: cannot load sentence-transformers model")
    assert app.title[0].value == f"Review · {FLAGSHIP}" and stored(out).to_dict() == before


def test_a_damaged_review_store_is_reported_not_a_traceback(out, monkeypatch):
    store_path(out, FLAGSHIP).write_bytes(b"SQLite format 3\x00" + bytes(200))  # truncated
    for wal in out.glob("*-wal"):
        wal.unlink()
    at = open_app(out, monkeypatch)
    assert_no_trace(at)
    assert at.error[0].value.startswith(md_literal(f"{store_path(out, FLAGSHIP)}: "))
    assert "review store" in at.error[0].value
