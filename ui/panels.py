"""The app's panels: pair rows with their actions, the unmatched lists, summary, export.

Every button calls :func:`act`, which opens the pair's review store, applies
one action in one transaction and closes it again: the page is redrawn from
the store on every run, so what a user sees is what is on disk, and a second
tab on the same pair sees the first one's work on its next redraw.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from align.errors import InputError
from align.export import read_json
from align.model import Alignment, Pair
from align.review import (
    BANDS,
    CONFIRMED,
    HIGH_CONFIDENCE,
    LOW_CONFIDENCE,
    SIDES,
    STATUSES,
    UNREVIEWED,
    Review,
    ReviewStore,
    document,
    other_side,
    pair_key,
    store_path,
    write_exports,
)
from align.review.actions import what_taking_does
from align.review.exports import md_literal
from align.review.state import ids_label, key_label, needs_decision, pair_label
from align.tmx import DEFAULT_MIN_SCORE
from ui import render
from ui.theme import STATUS_COLOURS

PAGE_SIZE = 60
# Share of a row's width for its text; the rest holds three buttons of at least
# 40 px at a 1280 px window with the sidebar open (checked by the browser test).
ROW_TEXT_SHARE = 0.8
# Above this many sentences, the re-link list offers only the ranked
# candidates and current counterparts, not the whole other document.
MAX_LINK_OPTIONS = 300
PREVIEW_CHARS = 80
LEGEND = (f"Colour and number: a link's confidence (green ≥ {HIGH_CONFIDENCE}, amber ≥ "
          f"{LOW_CONFIDENCE}, red below); slate, dashed: no counterpart. Highlighted: figures "
          "stated on one side only (yellow), words the other side does not say (blue, dotted), "
          "encoding damage (red).")


def row_name(alignment: Alignment, pair: Pair) -> str:
    """``pair zh 3 ↔ en 1`` or ``zh 5 (unmatched)``: how buttons and messages name a row."""
    label = pair_label(alignment, pair)
    return f"pair {label}" if pair.matched else label


def widget_key(action: str, key: str) -> str:
    """A widget key for a pair's control: ``confirm-s3_31-t1`` for pair ``3,31:1``.

    Only letters, digits, ``-`` and ``_``, because Streamlit turns keys into
    CSS classes (``st-key-...``) that a browser test selects on.
    """
    src, tgt = key.split(":")
    return f"{action}-s{src.replace(',', '_')}-t{tgt.replace(',', '_')}"


def _digest(text: str) -> str:
    """Part of a text widget's key: a new text (after undo, or another tab's edit) is a
    new widget, so the box never shows a stale draft as if it were saved."""
    return f"{zlib.crc32(text.encode()):08x}"


# --- actions --------------------------------------------------------------------------------


def flash(kind: str, text: str) -> None:
    st.session_state["flash"] = (kind, text)


def act(kind: str, layout: int, values: dict[str, str] | None = None, **args: Any) -> None:
    """Button callback: one action on the current pair's store; widget values by key."""
    args.update({name: st.session_state.get(k) for name, k in (values or {}).items()})
    try:
        with ReviewStore(st.session_state["store_path"]) as store:
            review = store.act(kind, layout=layout, **args)
        flash("success", describe(kind, args, review.alignment))
    except InputError as exc:
        flash("error", f"{exc.where}: {exc.problem}")


def undo(expect: int, what: str) -> None:
    try:
        with ReviewStore(st.session_state["store_path"]) as store:
            store.undo(expect=expect)
        flash("success", f"Undone: {what}")
    except InputError as exc:
        flash("error", f"{exc.where}: {exc.problem}")


def split_at_break(side: str, sentence: int, original: str, text_key: str, layout: int,
                   pair_key_: str | None = None) -> None:
    """Split where the reviewer put a line break in the sentence's text box; with
    ``pair_key_`` (a choice widget's key), also pair the halves as chosen there."""
    edited = (st.session_state.get(text_key) or "").replace("\r\n", "\n")
    at = edited.find("\n")
    if at < 0:
        flash("error", "To split a sentence, put a line break where it should be cut, "
                       "then press Split.")
    elif edited[:at] + edited[at + 1:] != original:
        flash("error", "Split only adds a line break: save (or undo) other changes to the "
                       "text first.")
    else:
        pair_with = st.session_state.get(pair_key_) if pair_key_ else None
        act("split", layout, side=side, sentence=sentence, at=at,
            **({} if pair_with is None else {"pair_with": pair_with}))


def describe(kind: str, args: dict[str, Any], alignment: Alignment) -> str:
    """What an action did, in a reviewer's words (toasts, the undo button):
    ``Confirmed pair zh 3 ↔ en 1``, ``Edited en 7``, never a pair key."""
    if "pair" in args:
        where = key_label(alignment, args["pair"])
        where = f"pair {where}" if "↔" in where else where
    else:
        where = ids_label(document(alignment, args.get("side", "src")).lang,
                          [args.get("sentence", "?")])
    if kind == "confirm_many":
        return f"Confirmed {len(args['pairs'])} links at once"
    verbs = {"confirm": "Confirmed", "reject": "Rejected", "note": "Saved the note on",
             "edit_text": "Edited", "relink": "Re-linked and confirmed",
             "link_unmatched": "Linked and confirmed", "merge_next": "Merged the next sentence into",
             "split": "Split"}
    return f"{verbs.get(kind, kind)} {where}"


def show_flash() -> None:
    """The last action's message; its text may hold file names, so never as Markdown."""
    kind, text = st.session_state.pop("flash", (None, None))
    if kind == "error":
        st.error(md_literal(text), icon=":material/error:")
    elif kind == "success":
        st.toast(md_literal(text), icon=":material/check_circle:")


def error(exc: InputError) -> None:
    st.error(md_literal(f"{exc.where}: {exc.problem}"), icon=":material/error:")


# --- side by side ---------------------------------------------------------------------------


ORDERS = ("reading order", "links first, unmatched by paragraph")


def pair_list(review: Review, shown: list[int], options: dict[str, Any]) -> None:
    """The filtered pairs, one row each, a page at a time (pager above and below), the
    open one with its tools; a paragraph break where a paragraph starts."""
    alignment = review.alignment
    src_name = render.language_name(alignment.source.lang)
    tgt_name = render.language_name(alignment.target.lang)
    order, jump = st.columns([3, 2], vertical_alignment="bottom")
    order.radio("Order", ORDERS, key="order", horizontal=True,
                index=1 if alignment.mode == "comparable" else 0)
    jump.text_input("Go to sentence", key="jump", placeholder=f"{alignment.source.lang} 1000",
                    on_change=go_to_sentence, help="A sentence id, e.g. zh 12 or en 3")
    if st.session_state.get("order") == ORDERS[1]:
        shown = review.links_first(shown)
    # One line, the legend in its tooltip, and bulk confirm behind a button: at 1280x800
    # the first row used to start below the fold.
    count, bulk = st.columns([3, 1], vertical_alignment="center")
    count.caption(f"{len(shown)} of {len(alignment.pairs)} rows · keys: j/k or ↓/↑ move, "
                  "c confirm, x reject, e edit, u undo, / search", help=LEGEND)
    with bulk.popover("Confirm many…", width="stretch", key="bulk", on_change="rerun"):
        bulk_confirm(review, shown)
    if not shown:
        st.info("No row matches this filter and search: choose another filter under Show, "
                "or clear the search.")
        return
    head, _ = st.columns([ROW_TEXT_SHARE, 1 - ROW_TEXT_SHARE])
    head.markdown(f'<div class="pair" style="--band:transparent"><b>confidence</b>'
                  f"<b>{src_name}</b><b>{tgt_name}</b></div>", unsafe_allow_html=True)
    previous = None
    for index in paged(shown, "page", bind=True):
        paragraph = review.paragraph_of(index)
        _pair_row(review, index, options, new_paragraph=paragraph if paragraph != previous else None)
        previous = paragraph
    pager_buttons(shown, "page")


def go_to_sentence() -> None:
    """"zh 1000": show the page holding that sentence's row, outlined; if the filter
    or search hides it, show all rows."""
    wanted = (st.session_state.get("jump") or "").split()
    with ReviewStore(st.session_state["store_path"]) as store:
        review = store.load()
    langs = {review.alignment.source.lang: "src", review.alignment.target.lang: "tgt"}
    if len(wanted) != 2 or wanted[0] not in langs or not wanted[1].isdigit():
        flash("error", f"Go to: write a language and a sentence id, e.g. "
                       f"{review.alignment.source.lang} 12")
        return
    try:
        index = review.bead_of(langs[wanted[0]], int(wanted[1]))
    except InputError:
        flash("error", f"Go to: there is no {wanted[0]} {wanted[1]}")
        return
    state = st.session_state
    shown = review.select(state.get("view", "all"), state.get("query", ""))
    if index not in shown:
        state["view"], state["query"] = "all", ""
        shown = review.select()
    if state.get("order") == ORDERS[1]:
        shown = review.links_first(shown)
    state["page"] = shown.index(index) // PAGE_SIZE + 1
    state["target"] = pair_key(review.alignment.pairs[index])


def bulk_confirm(review: Review, shown: list[int]) -> None:
    """Confirm every unreviewed link at or above a confidence among the rows the filter
    and search show (never one the reviewer cannot see), as one undo step: a book's full
    pass was ~1,390 clicks."""
    threshold = st.slider("Confirm every unreviewed link shown scoring at least", 0.5, 1.0,
                          HIGH_CONFIDENCE, 0.01, key="bulk_threshold")
    visible = set(shown)
    links = [i for i in review.unreviewed_links(threshold) if i in visible]
    st.button(f"Confirm {len(links)} link{'s' * (len(links) != 1)} ≥ {threshold:.2f}",
              key="bulk_confirm", disabled=not links, on_click=_confirm_many,
              help="One action: one undo takes it back",
              args=(review.layout, [pair_key(review.alignment.pairs[i]) for i in links]))


def _confirm_many(layout: int, pairs: list[str]) -> None:
    """Confirm, then close the popover: open, it covered the first rows the action changed."""
    act("confirm_many", layout, pairs=pairs)
    st.session_state["bulk"] = False


def paged(items: list, key: str, bind: bool = False) -> list:
    """One page of a long list: a book has thousands of rows, each with its own buttons.
    ``bind``: the page number lives in the URL too, so a reload stays on it."""
    pages = -(-len(items) // PAGE_SIZE)
    if pages <= 1:
        return items
    if st.session_state.get(key, 1) > pages:  # the filter now shows fewer rows
        st.session_state[key] = pages
    page = st.number_input(f"Page (of {pages})", 1, pages, key=key,
                           bind="query-params" if bind else None)
    return items[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]


def pager_buttons(items: list, key: str) -> None:
    """Previous/next under a long page: a book's page is ~4,000 px tall."""
    pages = -(-len(items) // PAGE_SIZE)
    if pages <= 1:
        return
    page = st.session_state.get(key, 1)
    back, where, forward = st.columns([1, 2, 1])
    back.button("◀ Previous page", key=f"{key}-back", disabled=page <= 1,
                on_click=_turn, args=(key, page - 1))
    where.caption(f"Page {page} of {pages}")
    forward.button("Next page ▶", key=f"{key}-next", disabled=page >= pages,
                   on_click=_turn, args=(key, page + 1))


def _turn(key: str, page: int) -> None:
    st.session_state[key] = page


def _pair_row(review: Review, index: int, options: dict[str, Any],
              new_paragraph: tuple[str, int] | None = None) -> None:
    pair, mark = review.alignment.pairs[index], review.marks[index]
    key = pair_key(pair)
    if new_paragraph:
        lang = document(review.alignment, new_paragraph[0]).lang
        st.html(f'<div class="para">¶ {lang} paragraph {new_paragraph[1] + 1}</div>')
    name = row_name(review.alignment, pair)
    text, buttons = st.columns([ROW_TEXT_SHARE, 1 - ROW_TEXT_SHARE])
    target = st.session_state.get("target") == key
    text.markdown(render.row_html(review.alignment, pair, mark, target=target, **options),
                  unsafe_allow_html=True)
    is_open = _holds(pair, st.session_state.get("open"))
    with buttons:
        # The label is the accessible name ("Confirm pair zh 3 ↔ en 1"); the CSS
        # (ui/theme.py) shows it as a large glyph, so three fit a narrow column.
        confirm, reject, more = st.columns(3, gap="small")
        confirm.button(f"Confirm {name}", key=widget_key("confirm", key), width="stretch",
                       help="Confirm (c)", on_click=act,
                       # A caption, byline or dateline needs no decision.
                       disabled=(mark.status == CONFIRMED
                                 or not needs_decision(pair, review.alignment)),
                       kwargs={"kind": "confirm", "layout": review.layout, "pair": key})
        reject.button(f"Reject {name}", key=widget_key("reject", key), width="stretch",
                      disabled=not pair.matched, on_click=act,
                      help="Reject (x): both sides become unmatched",
                      kwargs={"kind": "reject", "layout": review.layout, "pair": key})
        more.button(f"{'Close' if is_open else 'Edit'} {name}", key=widget_key("open", key),
                    width="stretch", type="primary" if is_open else "secondary",
                    help="Close (e)" if is_open else "Edit, re-link, split, merge, note (e)",
                    on_click=_toggle_open, args=(None if is_open else _anchor(pair),))
    if is_open:
        _pair_tools(review, index)


def _anchor(pair: Pair) -> tuple[str, int]:
    """What keeps a pair's tools open: its first sentence, not its key, so the panel
    stays with the pair while it is split, merged or re-linked."""
    side = "src" if pair.src else "tgt"
    return side, getattr(pair, side)[0]


def _holds(pair: Pair, anchor: tuple[str, int] | None) -> bool:
    return anchor is not None and anchor[1] in getattr(pair, anchor[0])


def _toggle_open(anchor: tuple[str, int] | None) -> None:
    st.session_state["open"] = anchor


def _pair_tools(review: Review, index: int) -> None:
    """Edit each sentence, split or merge it, re-link either side, write a note."""
    pair, mark = review.alignment.pairs[index], review.marks[index]
    key = pair_key(pair)
    with st.container(border=True):
        for side in SIDES:
            for sentence in getattr(pair, side):
                _sentence_tools(review, side, sentence)
        for side in SIDES:
            if getattr(pair, other_side(side)):
                _link_tools(review, pair, side)
        note_key = f"{widget_key('note', key)}-{_digest(mark.note)}"
        st.text_input("Reviewer note (exported to TMX as <note>)", value=mark.note, key=note_key)
        st.button("Save note", key=widget_key("savenote", key), on_click=act,
                  kwargs={"kind": "note", "layout": review.layout, "pair": key,
                          "values": {"text": note_key}})


def _sentence_tools(review: Review, side: str, sentence: int) -> None:
    doc = document(review.alignment, side)
    text = doc.sentences[sentence].text
    lang = render.language_name(doc.lang)
    text_key = f"text-{side}-{sentence}-{_digest(text)}"
    st.text_area(f"{lang} sentence {sentence}", value=text, key=text_key, height=90)
    save, split, merge = st.columns(3)
    save.button("Save text", key=f"edit-{side}-{sentence}", on_click=act,
                kwargs={"kind": "edit_text", "layout": review.layout, "side": side,
                        "sentence": sentence, "values": {"text": text_key}})
    split.button("Split at line break", key=f"split-{side}-{sentence}", on_click=split_at_break,
                 args=(side, sentence, text, text_key, review.layout),
                 help="Put a line break in the text where the sentence should be cut")
    merge.button(f"Merge with next {lang} sentence", key=f"merge-{side}-{sentence}",
                 disabled=sentence + 1 >= len(doc.sentences), on_click=act,
                 kwargs={"kind": "merge_next", "layout": review.layout, "side": side,
                         "sentence": sentence})
    _split_and_pair(review, side, sentence, text, text_key)


def _split_and_pair(review: Review, side: str, sentence: int, text: str, text_key: str) -> None:
    """When the sentence's bead has two or more sentences on the other side: split and
    pair the halves with them in one step (first half ↔ those before the chosen one)."""
    alignment = review.alignment
    others = getattr(alignment.pairs[review.bead_of(side, sentence)], other_side(side))
    if len(others) < 2:
        return
    lang = document(alignment, other_side(side)).lang
    mine = document(alignment, side).lang
    choice_key = f"pairwith-{side}-{sentence}-{review.layout}"

    def label(j: int) -> str:
        before = [i for i in others if i < j]
        after = [i for i in others if i >= j]
        return (f"first half ↔ {ids_label(lang, before)}, "
                f"second half ↔ {ids_label(lang, after)}")
    pick, go = st.columns([2, 1])
    pick.selectbox(f"Split {mine} {sentence} and pair its halves", others[1:], key=choice_key,
                   format_func=label)
    go.button("Split and pair the halves", key=f"splitpair-{side}-{sentence}",
              on_click=split_at_break,
              args=(side, sentence, text, text_key, review.layout, choice_key),
              help="Put a line break in the text where the sentence should be cut; the two "
                   "halves become two confirmed pairs")


def link_options(review: Review, pair: Pair, side: str) -> list[tuple[int, float | None]]:
    """Sentences of ``side`` a pair may link to, best first: the ranked candidates of its
    sentences on the other side (with similarity), its current ones, then the rest."""
    alignment = review.alignment
    best: dict[int, float] = {}
    for i in getattr(pair, other_side(side)):
        for j, score in document(alignment, other_side(side)).sentences[i].candidates:
            best[j] = max(score, best.get(j, score))
    ranked: list[tuple[int, float | None]] = sorted(best.items(), key=lambda c: -c[1])
    ranked += [(j, None) for j in getattr(pair, side) if j not in best]
    sentences = document(alignment, side).sentences
    if len(sentences) <= MAX_LINK_OPTIONS:
        listed = {j for j, _ in ranked}
        ranked += [(s.id, None) for s in sentences if s.id not in listed]
    return ranked


def _option_label(review: Review, side: str, scores: dict[int, float | None],
                  own: Pair | None):
    """``0.71 · en 1 · text… · in zh 3 ↔ en 1, confirmed``: a candidate says where it is
    linked now (with that pair's status), so taking it is never a surprise."""
    alignment = review.alignment
    doc = document(alignment, side)

    def label(j: int) -> str:
        score = scores.get(j)
        text = doc.sentences[j].text
        preview = text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "…"
        rank = f"{score:.2f} · " if score is not None else ""
        index = review.bead_of(side, j)
        holder = alignment.pairs[index]
        where = ""
        if holder is not own and (holder.matched or review.marks[index].status != UNREVIEWED):
            where = f" · in {pair_label(alignment, holder)}, {review.marks[index].status}"
        return f"{rank}{doc.lang} {j} · {preview}{where}"
    return label


def _choice_key(prefix: str, labels: list[str], layout: int) -> str:
    """A choice widget's key changes with its option labels: Streamlit keeps a choice
    by its label, so after an edit or a re-link elsewhere the old choice would no
    longer match any option (fault: "no such sentence" after an edit)."""
    return f"{prefix}-{layout}-{_digest(chr(31).join(labels))}"


def _ask_before_taking(review: Review, index: int, side: str, ids: list[int]) -> list[str]:
    """Say which other pairs the chosen sentences would leave and what those become;
    returns their keys (what the action may take), empty when nothing is taken."""
    alignment = review.alignment
    taken = what_taking_does(review, index, side, ids)
    for k, left in taken:
        other = alignment.pairs[k]
        moving = [i for i in getattr(other, side) if i in ids]
        note = review.marks[k].note
        # The note was written about that pair: say where it goes, so it is not lost from view.
        kept = f' Its note stays with {left}: "{md_literal(note)}".' if note else ""
        st.warning(f"{ids_label(document(alignment, side).lang, moving)} is in "
                   f"{pair_label(alignment, other)} ({review.marks[k].status}). Taking it "
                   f"leaves {left}, unreviewed; no confirmation moves to the new pair.{kept}",
                   icon=":material/warning:")
    return [pair_key(alignment.pairs[k]) for k, _ in taken]


def _link_tools(review: Review, pair: Pair, side: str) -> None:
    """Choose the ``side`` sentences of the pair from a ranked list (similarity first)."""
    key = pair_key(pair)
    index = review.find(key)
    scores = dict(link_options(review, pair, side))
    lang = render.language_name(document(review.alignment, side).lang)
    label = _option_label(review, side, scores, pair)
    choice_key = _choice_key(widget_key("choose-" + side, key), [label(j) for j in scores],
                             review.layout)
    chosen = st.multiselect(f"{lang} counterpart(s), best candidates first (similarity · id · "
                            "text · where it is linked now)", list(scores),
                            default=getattr(pair, side), key=choice_key, format_func=label,
                            select_all=False)
    taking = _ask_before_taking(review, index, side, chosen)
    if pair.matched:
        kwargs = {"kind": "relink", "pair": key, "side": side}
        verb = f"Re-link {lang} side and confirm"
    else:
        kwargs = {"kind": "link_unmatched", "side": other_side(side),
                  "sentence": getattr(pair, other_side(side))[0]}
        verb = f"Link to the chosen {lang} and confirm"
    st.button(f"Take it: {verb[0].lower()}{verb[1:]}" if taking else verb,
              key=widget_key("link-" + side, key), on_click=act,
              kwargs={**kwargs, "layout": review.layout, "taking": taking,
                      "values": {"ids": choice_key}})

# --- unmatched claims -----------------------------------------------------------------------


def unmatched_lists(review: Review, options: dict[str, Any]) -> None:
    """Each side's unmatched claims, counted, each with a one-step link to a candidate."""
    beads = {(side, i): k for k, pair in enumerate(review.alignment.pairs)
             for side in SIDES for i in getattr(pair, side)}
    columns = st.columns(2, gap="large")
    for side, column in zip(SIDES, columns):
        doc = document(review.alignment, side)
        claims = review.alignment.unmatched(side)
        with column:
            st.subheader(f"Only in the {render.language_name(doc.lang)}: "
                         f"{len(claims)} unmatched claim{'s' * (len(claims) != 1)}")
            for sentence in paged(claims, f"page-{side}"):
                _unmatched_item(review, side, sentence.id, beads[side, sentence.id], options)


def _unmatched_item(review: Review, side: str, sentence: int, index: int,
                    options: dict[str, Any]) -> None:
    alignment = review.alignment
    pair, mark = alignment.pairs[index], review.marks[index]
    html = render.sentence_html(alignment, side, document(alignment, side).sentences[sentence],
                                pair, **options)
    status = f' <span class="badge {mark.status}">{mark.status}</span>' if mark.status != "unreviewed" else ""
    st.markdown(html + status, unsafe_allow_html=True)
    other = other_side(side)
    scores = dict(link_options(review, pair, other))
    label = _option_label(review, other, scores, pair)
    choice_key = _choice_key(f"linkto-{side}-{sentence}", [label(j) for j in scores],
                             review.layout)
    pick, go = st.columns([5, 1])
    choice = pick.selectbox("Link to", list(scores), index=None, key=choice_key,
                            label_visibility="collapsed", placeholder="Link to a counterpart…",
                            format_func=label)
    taking = [] if choice is None else _ask_before_taking(review, index, other, [choice])
    go.button("Take it" if taking else "Link", key=f"link-{side}-{sentence}",
              on_click=_link_choice, args=(side, sentence, choice_key, review.layout, taking),
              help="Link and confirm")


def _link_choice(side: str, sentence: int, choice_key: str, layout: int, taking: list[str]) -> None:
    choice = st.session_state.get(choice_key)
    if choice is None:
        flash("error", "Choose a counterpart in the list first.")
    else:
        act("link_unmatched", layout, side=side, sentence=sentence, ids=[choice], taking=taking)


# --- the target's own order ----------------------------------------------------------------


def target_order(review: Review) -> None:
    """Coverage reorders: the target text in its own order, each sentence with the
    source passage it comes from (or none), beside a map of all links."""
    alignment = review.alignment
    src, tgt = alignment.source, alignment.target
    holder = {j: k for k, p in enumerate(alignment.pairs) for j in p.tgt}
    rows = []
    for s in tgt.sentences:
        pair, mark = alignment.pairs[holder[s.id]], review.marks[holder[s.id]]
        paragraphs = sorted({src.sentences[i].paragraph + 1 for i in pair.src})
        rows.append({
            f"{tgt.lang}": s.id, f"from {src.lang}": ", ".join(map(str, pair.src)) or "none",
            "paragraph": ", ".join(map(str, paragraphs)),
            "confidence": f"{pair.score:.2f}" if pair.matched else "—",  # not "None"
            "crossing": "⤨" if pair.has_flag("crossing") else "", "status": mark.status,
            "text": s.text})
    chart, table = st.columns([1, 2.4])
    with chart:
        st.caption("Left: the source in its order; right: the target in its order; a line per "
                   "link (blue: crossing, the target reorders); grey ticks: sentences with no "
                   "counterpart.")
        st.markdown(render.link_map_svg(alignment), unsafe_allow_html=True)
    with table:
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="target_order",
                     height=min(700, 38 + 35 * len(rows)))


# --- a batch ----------------------------------------------------------------------------------


def batch_progress(out: Path, pairs: dict[str, dict]) -> None:
    """Each pair of a batch folder with its review progress: x of y decisions made."""
    rows = []
    for name, origin in sorted(pairs.items()):
        made, needed = _decisions(str(store_path(out, name)), origin["json"])
        rows.append({"pair": name, "decisions made": made, "needed": needed,
                     "progress": made / needed if needed else 0.0})
    st.dataframe(pd.DataFrame(rows), hide_index=True, column_config={
        "progress": st.column_config.ProgressColumn("progress", min_value=0.0, max_value=1.0,
                                                    format="percent")})


def _decisions(store: str, alignment_json: str) -> tuple[int, int]:
    """(made, needed) from the pair's review store, or from its JSON if not opened yet."""
    if Path(store).exists():
        with ReviewStore(store) as opened:
            review = opened.load()
        if review is not None:
            decided = review.decisions()
            return decided["made"], decided["needed"]
    return 0, Review.start(read_json(alignment_json)).decisions()["needed"]


# --- summary and export ---------------------------------------------------------------------


def summary(review: Review) -> None:
    """Links by confidence band, stacked by status; all rows by status."""
    counts = review.counts()
    colours = [STATUS_COLOURS[s] for s in STATUSES]
    by_band = pd.DataFrame({s: [counts["band_status"][f"{b}/{s}"] for b in BANDS] for s in STATUSES},
                           index=pd.Index(BANDS, name="band"))
    by_status = pd.DataFrame({s: [counts["status"][s] if s == t else 0 for t in STATUSES]
                              for s in STATUSES}, index=pd.Index(STATUSES, name="status"))
    left, right = st.columns(2)
    with left:
        st.markdown("**Links by confidence band**")
        st.bar_chart(by_band, color=colours, stack=True, sort=False,
                     x_label="confidence band", y_label="links")
    with right:
        st.markdown("**Rows by status**")
        st.bar_chart(by_status, color=colours, stack=True, sort=False, x_label="status",
                     y_label="rows")
    st.table(pd.DataFrame({"band": BANDS, "links": [counts["band"][b] for b in BANDS],
                           "confirmed": [counts["band_status"][f"{b}/{CONFIRMED}"] for b in BANDS]}))


def export_panel(review: Review, out: Path, name: str) -> None:
    st.radio("Translation units in the TMX", ("confirmed pairs only", "all pairs above a threshold"),
             key="tmx_scope", horizontal=True)
    confirmed_only = st.session_state.get("tmx_scope", "confirmed pairs only") == "confirmed pairs only"
    st.slider("Lowest confidence exported", 0.0, 1.0, DEFAULT_MIN_SCORE, 0.05, key="tmx_threshold",
              disabled=confirmed_only)
    st.toggle("Chinese in Simplified script in the files", key="export_simplified")
    st.button("Write TMX, TSV, JSON and review report", key="export", type="primary",
              on_click=_export, args=(out, name))
    written = st.session_state.get("exported", {})
    for kind, path in written.items():
        path = Path(path)
        if path.exists():
            st.download_button(f"Download {path.name}", path.read_bytes(), file_name=path.name,
                               key=f"download-{kind}", on_click="ignore")


def _export(out: Path, name: str) -> None:
    try:
        with ReviewStore(st.session_state["store_path"]) as store:
            review = store.load()
        scope = st.session_state.get("tmx_scope", "confirmed pairs only")
        paths = write_exports(
            review, out, name, confirmed_only=scope == "confirmed pairs only",
            min_score=float(st.session_state.get("tmx_threshold", DEFAULT_MIN_SCORE)),
            script="simplified" if st.session_state.get("export_simplified") else "original")
        st.session_state["exported"] = {kind: str(p) for kind, p in paths.items()}
        flash("success", f"Wrote {len(paths)} files to {out}")
    except InputError as exc:
        flash("error", f"{exc.where}: {exc.problem}")
