"""The review app: ``streamlit run ui/app.py`` (from the project root).

Opens on the flagship pair; any corpus pair, an alignment JSON (or a batch
output folder) or two uploaded files can be chosen in the sidebar. Settings,
for scripted use and tests:

- ``ALIGN_OUT``: output folder holding the review stores and exports (default ``out``);
- ``ALIGN_PAIR`` or the ``?pair=`` query parameter: the pair to open first;
- ``ALIGN_JSON``, ``?json=`` or ``streamlit run ui/app.py -- PATH...``: alignment JSON
  files or ``align batch`` folders to list (and, for ``?json=``, to open);
- ``ALIGN_MODEL``: the embedding model for new alignments (default: the embedded one).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run ui/app.py` puts only ui/ on the path
    sys.path.insert(0, str(ROOT))

from align.embed import PACKAGED, Encoder, known_models, load_encoder
from align.errors import InputError
from align.pipeline import MODES
from align.review import FILTERS, Review, ReviewStore, store_path
from align.review.exports import md_literal
from ui import pairs as catalogue
from ui import panels, progress, render, theme

DEFAULT_MODEL = "default"
LOG = logging.getLogger("zhen-align.app")
# Our own script only (no user text in it): the keyboard shortcuts (ui/keys.js).
KEYS_SCRIPT = f"<script>{(Path(__file__).parent / 'keys.js').read_text(encoding='utf-8')}</script>"


def out_dir() -> Path:
    return Path(os.environ.get("ALIGN_OUT", "out"))


@st.cache_resource(show_spinner=False)
def _encoder(name: str) -> Encoder:
    """Loaded once per server process, shared by all sessions (embeddings are cached on disk)."""
    return load_encoder(name)


@st.cache_resource(show_spinner=False)
def _align_lock() -> threading.Lock:
    """One alignment at a time: two at once would fight over 2 cores and the model."""
    return threading.Lock()


def align_into(store: ReviewStore, origin: dict, model: str) -> Review | None:
    """Align a pair with a visible progress bar and start its review; None on bad input."""
    with st.status(f"Aligning {md_literal(origin['name'])}…", expanded=True) as status:
        bar = st.progress(0.0, text="loading the model")
        report = progress.reporter(bar)
        try:
            with _align_lock():
                report("loading the model", 0, 1)
                encoder = _encoder(model)
                report("loading the model", 1, 1)
                alignment = catalogue.align_origin(origin, encoder, report)
        except InputError as exc:
            status.update(label=f"Could not align {md_literal(origin['name'])}", state="error")
            panels.error(exc)
            return None
        review = store.start(alignment, {**origin, "model": model})
        status.update(label=f"Aligned {origin['name']}: {len(alignment.matched_pairs())} links",
                      state="complete", expanded=False)
    return review


def open_alignment(store: ReviewStore, origin: dict) -> Review:
    """Start the review of an alignment JSON as it is (a book aligned by ``align pair``)."""
    alignment = catalogue.open_json(origin)
    return store.start(alignment, {
        **origin, "source": alignment.source.path, "target": alignment.target.path,
        "src_lang": alignment.source.lang, "tgt_lang": alignment.target.lang,
        "mode": alignment.mode, "model": alignment.model})


# --- sidebar --------------------------------------------------------------------------------


def choose_pair(available: dict[str, dict]) -> str:
    wanted = (st.query_params.get("pair") or os.environ.get("ALIGN_PAIR") or catalogue.FLAGSHIP)
    if wanted not in available:
        st.warning(f"No pair named {md_literal(repr(wanted))}: showing {catalogue.FLAGSHIP}.")
        wanted = catalogue.FLAGSHIP
    st.query_params["pair"] = wanted  # a reload comes back to the same pair
    st.session_state["pair_picker"] = wanted
    st.sidebar.selectbox("Pair", list(available), key="pair_picker", on_change=_switch_pair,
                         format_func=lambda n: f"{n}: {available[n].get('note', 'uploaded')}"[:80])
    return wanted


def _switch_pair() -> None:
    st.query_params["pair"] = st.session_state["pair_picker"]
    st.session_state["open"] = None


def upload_form(out: Path) -> None:
    with st.sidebar.expander("Align two uploaded files"):
        st.file_uploader("Source file", type=["txt", "md", "html", "htm"], key="upload_src")
        st.file_uploader("Target file", type=["txt", "md", "html", "htm"], key="upload_tgt")
        left, right = st.columns(2)
        left.text_input("Source language", "zh", key="upload_src_lang",
                        help="ISO code, e.g. zh, en, de; empty: detect")
        right.text_input("Target language", "en", key="upload_tgt_lang")
        st.selectbox("Mode", MODES, key="upload_mode",
                     help="comparable: coverage of the same event (reordered, most sentences "
                          "unmatched); parallel: a translation; auto: decided from the texts")
        st.button("Align uploaded files", key="upload_go", on_click=_take_upload, args=(out,))
        if "upload_error" in st.session_state:
            st.error(md_literal(st.session_state.pop("upload_error")), icon=":material/error:")


def _take_upload(out: Path) -> None:
    state = st.session_state
    files = state.get("upload_src"), state.get("upload_tgt")
    if not all(files):
        state["upload_error"] = "Choose a source and a target file first."
        return
    try:
        origin = catalogue.save_upload(
            out, (files[0].name, files[0].getvalue()), (files[1].name, files[1].getvalue()),
            state.get("upload_src_lang", "").strip(), state.get("upload_tgt_lang", "").strip(),
            state.get("upload_mode", "auto"))
    except InputError as exc:
        state["upload_error"] = f"{exc.where}: {exc.problem}"
        return
    except Exception as exc:  # never a traceback for a user's file; the server log keeps it
        LOG.exception("upload failed")
        state["upload_error"] = f"could not read the upload: {type(exc).__name__}: {exc}"
        return
    state.setdefault("uploads", {})[origin["name"]] = origin
    st.query_params["pair"] = origin["name"]
    state["open"] = None


def filters(review: Review) -> dict:
    """Filter, search and script toggle; returns the display options for the rows."""
    # Counts go in captions, not in the option labels: the browser keeps a radio's
    # choice by its label, so a label that changes with a count loses the choice.
    counts = [len(review.select(f)) for f in FILTERS]
    st.sidebar.radio("Show", FILTERS, key="view", captions=[f"{n} rows" for n in counts])
    st.sidebar.text_input("Search either language", key="query",
                          help="Matches the original or its Simplified form")
    st.sidebar.toggle("Chinese in Simplified script", key="simplified")
    return {"simplified": st.session_state.get("simplified", False),
            "query": st.session_state.get("query", "")}


def realign_form(origin: dict, actions: int) -> None:
    with st.sidebar.expander("Re-run the alignment"):
        models = list(dict.fromkeys([origin.get("model", DEFAULT_MODEL), *PACKAGED,
                                     *known_models()]))
        st.selectbox("Model", models, key="realign_model")
        st.selectbox("Mode", MODES, index=MODES.index(origin.get("mode") or "auto"), key="realign_mode")
        sure = True
        if actions:
            st.warning(f"This pair has {actions} review action{'s' * (actions > 1)}. Re-aligning "
                       "starts a new review; the current one stays in the store file, for the "
                       "record, but is no longer shown.")
            sure = st.checkbox(f"Yes, set my {actions} review actions aside", key="realign_sure")
        st.button("Re-align", key="realign", disabled=not sure, on_click=_ask_realign)


def _ask_realign() -> None:
    st.session_state["realign"] = {"model": st.session_state["realign_model"],
                                   "mode": st.session_state["realign_mode"]}
    st.session_state["realign_sure"] = False


# --- main -----------------------------------------------------------------------------------


def header(name: str, review: Review, history: list[dict], path: Path) -> None:
    alignment = review.alignment
    src, tgt = alignment.source, alignment.target
    # File names are the user's (an upload named "**b**.txt"): shown as written, never as
    # Markdown (fault 10).
    st.title(f"Review · {md_literal(name)}")
    st.caption(f"{md_literal(src.path)} ({render.language_name(src.lang)}) ⇄ {md_literal(tgt.path)} "
               f"({render.language_name(tgt.lang)}) · {alignment.mode} mode · model "
               f"`{alignment.model}` · every action is saved at once to `{path}`")
    decided = review.decisions()
    values = [("Links", len(alignment.matched_pairs())), ("Confirmed", decided["confirmed"]),
              ("Rejected links", decided["rejected links"]), ("To decide", decided["to decide"]),
              (f"Unmatched {src.lang}", len(alignment.unmatched("src"))),
              (f"Unmatched {tgt.lang}", len(alignment.unmatched("tgt")))]
    *metric_columns, undo_column = st.columns([1] * len(values) + [2.2])
    for column, (label, value) in zip(metric_columns, values):
        column.metric(label, value)
    if history:
        last = history[-1]
        what = panels.describe(last["kind"], last["args"], alignment)
        # The column is narrow: the whole label is also the tooltip.
        undo_column.button(f"↶ Undo: {what}", key="undo", on_click=panels.undo,
                           args=(last["seq"], what), help=f"Undo: {what} (u)")
    else:
        undo_column.button("↶ Nothing to undo", key="undo", disabled=True)
    progress_bar(decided)


def tabs(labels: list[str]):
    """The page's tabs, kept by position across runs. Left to the browser, the open tab
    sometimes fell back to the first after a run (after "Write TMX…" in Export); kept as
    a widget, Streamlit holds it by its label, and a label counts what changes
    ("Unmatched claims (Chinese 31 …)"), so the position is what is remembered."""
    state = st.session_state
    at = min(state.get("tab_at", 0), len(labels) - 1)
    return st.tabs(labels, key="tab", default=labels[at], on_change=_remember_tab, args=(labels,))


def _remember_tab(labels: list[str]) -> None:
    st.session_state["tab_at"] = labels.index(st.session_state["tab"])


def progress_bar(decided: dict[str, int]) -> None:
    """"x of y decisions made": links and unmatched claims; metadata rows need none."""
    share = decided["made"] / decided["needed"] if decided["needed"] else 1.0
    st.progress(share, text=f"{decided['made']} of {decided['needed']} decisions made "
                            "(links and unmatched claims)")


def main() -> None:
    st.set_page_config(page_title="zhen-align review", page_icon="⇄", layout="wide")
    st.html(theme.CSS)
    st.html(KEYS_SCRIPT, unsafe_allow_javascript=True)
    try:
        review_page(out_dir())
    except InputError as exc:  # e.g. an unreadable output folder or review store
        panels.error(exc)


def opened_files() -> list[str]:
    """Alignment JSON files or batch folders to list: from the command line
    (``streamlit run ui/app.py -- book.json``), ``ALIGN_JSON`` (several joined by
    the path separator), ``?json=`` and the sidebar's "Open" field."""
    # sys.argv holds the script's own arguments under `streamlit run`, a test runner's otherwise.
    argv = sys.argv[1:] if Path(sys.argv[0]).resolve() == Path(__file__).resolve() else []
    given = [*argv, *filter(None, os.environ.get("ALIGN_JSON", "").split(os.pathsep)),
             *st.query_params.get_all("json"), *st.session_state.get("opened", [])]
    return list(dict.fromkeys(given))


def open_form() -> None:
    with st.sidebar.expander("Open an alignment (JSON or batch folder)"):
        st.text_input("Path on this machine", key="open_path",
                      placeholder="out/book.json or a folder `align batch` wrote",
                      help="Opens what align pair / align batch wrote, without re-aligning")
        st.button("Open", key="open_go", on_click=_take_open)
        if "open_error" in st.session_state:
            st.error(md_literal(st.session_state.pop("open_error")), icon=":material/error:")


def _take_open() -> None:
    state = st.session_state
    path = (state.get("open_path") or "").strip()
    found = catalogue.alignment_files([path]) if path and Path(path).expanduser().exists() else {}
    if not found:
        state["open_error"] = f"{path or 'nothing given'}: no alignment JSON there"
        return
    state["opened"] = [*state.get("opened", []), path]
    st.query_params["pair"] = next(iter(found))
    state["open"] = None


def review_page(out: Path) -> None:
    opened = catalogue.alignment_files(opened_files())
    available = {**catalogue.available_pairs(out), **opened, **st.session_state.get("uploads", {})}
    if "json" in st.query_params and "pair" not in st.query_params:  # ?json=book.json
        st.query_params["pair"] = next(iter(catalogue.alignment_files(
            st.query_params.get_all("json"))), catalogue.FLAGSHIP)
    name = choose_pair(available)
    open_form()
    upload_form(out)
    path = store_path(out, name)
    st.session_state["store_path"] = str(path)
    panels.show_flash()
    # The alignment's status and the page are placeholders: each run replaces the
    # previous page at once, so an alignment in progress never shows over it, greyed out.
    note, body = st.empty(), st.empty()
    with ReviewStore(path) as store:
        origin = {**available[name], **store.origin()}
        again = st.session_state.pop("realign", None)
        review = store.load()
        if review is None and "json" in origin and not again:
            review = open_alignment(store, origin)
        if review is None or again:
            settings = again or {"model": os.environ.get("ALIGN_MODEL", DEFAULT_MODEL)}
            with note.container():
                review = align_into(store, {**origin, **settings}, settings["model"]) or review
            if review is None:  # nothing to show; the sidebar still offers other pairs
                st.stop()
        history = store.history()
    options = filters(review)
    realign_form(origin, len(history))
    with body.container():
        header(name, review, history, path)
        src = render.language_name(review.alignment.source.lang)
        tgt = render.language_name(review.alignment.target.lang)
        unmatched = (len(review.alignment.unmatched("src")), len(review.alignment.unmatched("tgt")))
        batch = {n: o for n, o in available.items() if "batch" in origin
                 and o.get("batch") == origin["batch"]}
        side_by_side, only, reorder, chart, export, *batch_tab = tabs([
            "Side by side", f"Unmatched claims ({src} {unmatched[0]} · {tgt} {unmatched[1]})",
            f"{tgt} order and link map", "Summary", "Export",
            *([f"Batch ({len(batch)} pairs)"] if batch else [])])
        with side_by_side:
            shown = review.select(st.session_state.get("view", "all"), options["query"])
            panels.pair_list(review, shown, options)
        with only:
            panels.unmatched_lists(review, options)
        with reorder:
            panels.target_order(review)
        with chart:
            panels.summary(review)
        with export:
            panels.export_panel(review, out, name)
        for tab in batch_tab:
            with tab:
                panels.batch_progress(out, batch)


main()
