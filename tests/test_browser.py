"""End to end in a real browser: confirm a pair, reload the page, the confirmation is still there.

Starts ``streamlit run ui/app.py`` on a free loopback port with a fresh output
folder, drives the system Chromium headless through Playwright, saves a
screenshot to ``artifacts/review-app.png`` for CI and stops the server by its
PID. Needs Debian's chromium and a CJK font (``scripts/install-browser``) and
pip playwright (test extra); skipped with the reason when they are missing.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from align.review import CONFIRMED, Review, ReviewStore, pair_key, store_path
from align.review.state import key_label
from ui.panels import PAGE_SIZE, row_name, widget_key

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (test extra)")

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "ui" / "app.py"
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
FLAGSHIP = "waic2025"
# The first page load aligns the flagship: models load, embeddings may not be cached yet.
SERVER_START_SECONDS = 60
FIRST_LOAD_MS = 300_000
STEP_MS = 30_000
SERVER_STOP_SECONDS = 10
VIEWPORT = {"width": 1500, "height": 1100}
# WCAG 2.2 target size is 24 px; 36 px is what the issue asks for a row's buttons.
MIN_TARGET_PX = 36

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} missing: run scripts/install-browser", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"streamlit exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"streamlit did not answer on {url} within {SERVER_START_SECONDS} s")


def stop(server: subprocess.Popen) -> None:
    """SIGTERM by PID, SIGKILL if it lingers: never by name, other servers may be running."""
    if server.poll() is None:
        os.kill(server.pid, signal.SIGTERM)
        try:
            server.wait(SERVER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.kill(server.pid, signal.SIGKILL)
            server.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server for the module; each test opens its own copy of the flagship's review
    (``fresh_pair``), so tests do not see each other's actions."""
    tmp_path = tmp_path_factory.mktemp("browser")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "ALIGN_OUT": str(tmp_path / "out"), "OMP_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1"}
    with open(tmp_path / "streamlit.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(port),
             "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_up(url, process)
            yield url, tmp_path / "out"
        finally:
            stop(process)


@pytest.fixture(scope="module")
def browser(server):
    """Chromium, and the flagship aligned once by the first page load."""
    url, _ = server
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = chromium.new_page(viewport=VIEWPORT)
            open_review(page, url)
            page.close()
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def fresh_pair(server, browser, request) -> str:
    """A copy of the flagship's untouched review under a name of this test's own."""
    _, out = server
    name = re.sub(r"\W+", "-", request.node.name)[:60]
    shutil.copy(store_path(out, FLAGSHIP), store_path(out, name))
    return name


@pytest.fixture
def page(browser):
    page = browser.new_page(viewport=VIEWPORT)
    yield page
    page.close()


@pytest.fixture
def small_page(browser):
    """A 1280x800 window, the smallest the app is checked at."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    yield page
    page.close()


def stored(out: Path, name: str) -> Review:
    with ReviewStore(store_path(out, name)) as store:
        return store.load()


def open_review(page, url: str, name: str = FLAGSHIP) -> None:
    page.goto(f"{url}/?pair={name}")
    page.get_by_role("heading", name=f"Review · {name}").wait_for(timeout=FIRST_LOAD_MS)
    # The heading comes before the pair is aligned (models loaded, word links): first-load
    # work, which took over 30 s on two loaded cores.
    wait_for_run(page, FIRST_LOAD_MS)


def wait_for_run(page, timeout: int = STEP_MS) -> None:
    """Until the script run is over: the last tab's content is drawn, and Streamlit's
    "running" indicator and its placeholder skeletons are gone."""
    page.get_by_text("Write TMX, TSV, JSON and review report").wait_for(state="attached",
                                                                        timeout=timeout)
    for busy in ("stStatusWidget", "stSkeleton"):
        sync_api.expect(page.get_by_test_id(busy)).to_have_count(0, timeout=timeout)


def test_a_confirmation_survives_a_reload(server, page, fresh_pair):
    url, out = server
    open_review(page, url, fresh_pair)
    key = next(pair_key(p) for p in stored(out, fresh_pair).alignment.pairs if p.matched)
    confirm = page.locator(f".st-key-{widget_key('confirm', key)} button").first
    confirm.click()
    sync_api.expect(page.locator(".badge.confirmed")).to_have_count(1, timeout=STEP_MS)

    page.reload()
    open_review(page, url, fresh_pair)
    sync_api.expect(page.locator(".badge.confirmed")).to_have_count(1, timeout=STEP_MS)
    sync_api.expect(confirm).to_be_disabled(timeout=STEP_MS)
    sync_api.expect(page.get_by_text("國務院總理李強", exact=False).first).to_be_visible()
    wait_for_run(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "review-app.png"))
    with ReviewStore(store_path(out, fresh_pair)) as store:
        review = store.load()
        assert review.marks[review.find(key)].status == CONFIRMED
        assert [a["kind"] for a in store.history()] == ["confirm"]


@pytest.mark.parametrize("size", [(1280, 800), (1600, 1000)], ids=["1280x800", "1600x1000"])
def test_row_buttons_are_large_enough_and_labelled(server, browser, fresh_pair, size):
    """Fault 3: at 1280x800 the ✓/✗/✎ buttons were 28 px wide, glyphs clipped, all named "✓"."""
    url, out = server
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    try:
        open_review(page, url, fresh_pair)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"review-app-{size[0]}x{size[1]}.png"))
        # The first row is whole on the first screen (at 1280x800 the header pushed it
        # below the fold).
        first_row_bottom = page.locator('[class*="st-key-confirm-"]').first.evaluate(
            """cell => cell.closest('[data-testid="stHorizontalBlock"]').parentElement
                .closest('[data-testid="stHorizontalBlock"]').getBoundingClientRect().bottom""")
        assert first_row_bottom <= size[1]
        page.locator('[class*="st-key-confirm-"]').first.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"review-rows-{size[0]}x{size[1]}.png"))
        review = stored(out, fresh_pair)
        for pair in review.alignment.pairs[:PAGE_SIZE]:
            name = row_name(review.alignment, pair)
            for verb in ("Confirm", "Reject", "Edit"):
                button = page.get_by_role("button", name=f"{verb} {name}", exact=True)
                box = button.bounding_box()
                assert box["width"] >= MIN_TARGET_PX and box["height"] >= MIN_TARGET_PX, (verb, name, box)
        assert page.get_by_role("button", name="✓", exact=True).count() == 0
        glyph = page.locator('[class*="st-key-confirm-"] button').first.evaluate(
            "b => getComputedStyle(b, '::before').content")
        assert glyph.startswith('"✓"')
    finally:
        page.close()


def test_the_filter_keeps_its_selection_after_confirm_and_undo(server, page, fresh_pair):
    """Fault 4: after confirm or undo no filter option was selected (list still filtered)."""
    url, _ = server
    open_review(page, url, fresh_pair)
    radio = page.get_by_test_id("stSidebar").get_by_role("radio", name=re.compile("^unreviewed"))
    page.get_by_test_id("stSidebar").get_by_text(re.compile("^unreviewed")).first.click()
    sync_api.expect(radio).to_be_checked(timeout=STEP_MS)
    wait_for_run(page)
    page.locator('[class*="st-key-confirm-"] button').first.click()
    sync_api.expect(page.get_by_role("button", name=re.compile("^↶ Undo"))).to_be_visible(
        timeout=STEP_MS)
    wait_for_run(page)
    sync_api.expect(radio).to_be_checked()
    page.get_by_role("button", name=re.compile("^↶ Undo")).click()
    sync_api.expect(page.get_by_role("button", name="↶ Nothing to undo")).to_be_visible(
        timeout=STEP_MS)
    wait_for_run(page)
    sync_api.expect(radio).to_be_checked()


def test_relink_after_an_edit(server, page, fresh_pair):
    """Fault 2: after saving an edit of an English sentence, re-linking that side said
    "no such sentence … changed in another tab" and emptied the field."""
    url, out = server
    open_review(page, url, fresh_pair)
    review = stored(out, fresh_pair)
    pair = next(p for p in review.alignment.pairs if p.matched)
    key, english = pair_key(pair), pair.tgt[0]
    page.locator(f".st-key-{widget_key('open', key)} button").first.click()
    box = page.get_by_label(f"English sentence {english}")
    box.wait_for(timeout=STEP_MS)
    box.fill("Edited: " + box.input_value())
    page.locator(f".st-key-edit-tgt-{english} button").first.click()
    wait_for_run(page)
    sync_api.expect(page.locator(f'[class*="st-key-{widget_key("choose-tgt", key)}-"]')
                    .get_by_text(f"en {english} · Edited:", exact=False)).to_be_visible(
        timeout=STEP_MS)
    page.locator(f".st-key-{widget_key('link-tgt', key)} button").first.click()
    # The run the click starts may not have begun when wait_for_run looks (a loaded
    # machine): the undo button naming the re-link is drawn only once it is saved.
    sync_api.expect(page.get_by_role("button", name=re.compile("^↶ Undo: Re-linked"))
                    ).to_be_visible(timeout=STEP_MS)
    wait_for_run(page)
    sync_api.expect(page.get_by_test_id("stAlert").filter(has_text="no such sentence")).to_have_count(0)
    with ReviewStore(store_path(out, fresh_pair)) as store:
        assert [a["kind"] for a in store.history()] == ["edit_text", "relink"]


def current_row(page) -> str | None:
    return page.evaluate("(document.querySelector('.kb-current') || {dataset: {}}).dataset.pairKey")


def test_the_keyboard_reviews_without_the_mouse(server, page, fresh_pair):
    """j/k move, c confirms, x rejects, u undoes, / searches; the row keeps the focus."""
    url, out = server
    open_review(page, url, fresh_pair)
    firsts = [c.split("st-key-confirm-")[1].split()[0] for c in page.locator(
        '[class*="st-key-confirm-"]').evaluate_all("cells => cells.map(c => c.className)")]
    page.keyboard.press("j")
    assert current_row(page) == firsts[0]
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert current_row(page) == firsts[0]
    page.keyboard.press("c")
    sync_api.expect(page.locator(".badge.confirmed")).to_have_count(1, timeout=STEP_MS)
    wait_for_run(page)
    assert current_row(page) == firsts[0]  # the same row, focused, after the redraw
    assert page.evaluate("document.activeElement.dataset.pairKey") == firsts[0]
    assert stored(out, fresh_pair).decisions()["confirmed"] == 1
    page.keyboard.press("u")
    sync_api.expect(page.locator(".badge.confirmed")).to_have_count(0, timeout=STEP_MS)
    wait_for_run(page)
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.closest('.st-key-query') !== null")
    page.keyboard.type("xc")  # typed into the search box, not taken as shortcuts
    assert stored(out, fresh_pair).decisions()["made"] == 0


def test_the_keyboard_still_reviews_after_a_filter_is_picked_with_the_mouse(server, page,
                                                                           fresh_pair):
    """The filter's radio keeps the focus after a click; letters used to count as typing
    there, so j/k/c did nothing until the reviewer clicked somewhere empty."""
    url, _ = server
    open_review(page, url, fresh_pair)
    page.get_by_test_id("stSidebar").get_by_text("unreviewed", exact=True).click()
    wait_for_run(page)
    assert page.evaluate("document.activeElement.type") == "radio"
    first = page.locator('[class*="st-key-confirm-"]').first.evaluate(
        "cell => cell.className").split("st-key-confirm-")[1].split()[0]
    page.keyboard.press("j")
    assert current_row(page) == first


def choose(page, chooser, option, says: str, then) -> None:
    """Pick ``option`` (whose text includes ``says``) in the multiselect ``chooser`` and
    close the list with Esc, until ``then`` shows. A late redraw (a loaded machine) can
    swallow the key, close the list again or drop the click: each try ends at ``then``,
    and a slow ``then`` is not chosen twice."""
    for attempt in range(3):
        wait = STEP_MS if attempt == 2 else STEP_MS // 3
        if attempt and then.is_visible():
            break
        chooser.get_by_role("combobox").focus()
        page.keyboard.press("ArrowDown")  # opens the list (a click may land on a chip)
        try:
            sync_api.expect(option).to_contain_text(says, timeout=wait)
            option.click(timeout=5_000)
            page.keyboard.press("Escape")
            sync_api.expect(then).to_be_visible(timeout=wait)
            break
        except (AssertionError, sync_api.TimeoutError):
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
            wait_for_run(page)


def test_taking_another_pairs_sentence_asks_and_undo_restores_both(server, page, fresh_pair):
    """Fault 1 between two pairs, in the browser: the candidate says it is linked and
    confirmed; choosing it warns what the other pair becomes and nothing changes until
    "Take it"; one undo restores both pairs."""
    url, out = server
    open_review(page, url, fresh_pair)
    review = stored(out, fresh_pair)
    first, second = [p for p in review.alignment.pairs if p.matched][:2]
    page.locator(f".st-key-{widget_key('confirm', pair_key(first))} button").first.click()
    sync_api.expect(page.locator(".badge.confirmed")).to_have_count(1, timeout=STEP_MS)
    wait_for_run(page)
    before = stored(out, fresh_pair).to_dict()
    page.locator(f".st-key-{widget_key('open', pair_key(second))} button").first.click()
    wait_for_run(page)
    chooser = page.locator(f'[class*="st-key-{widget_key("choose-tgt", pair_key(second))}-"]')
    label = key_label(review.alignment, pair_key(first))
    option = page.get_by_role("option").filter(has_text=f"en {first.tgt[0]} · ")
    warning = page.get_by_test_id("stAlert").filter(has_text=f"{label} (confirmed). Taking it")
    choose(page, chooser, option, f"in {label}, confirmed", warning)
    wait_for_run(page)
    assert stored(out, fresh_pair).to_dict() == before
    page.get_by_role("button", name=re.compile("^Take it: ")).click()
    sync_api.expect(page.get_by_role("button", name=re.compile("^↶ Undo: Re-linked"))).to_be_visible(
        timeout=STEP_MS)
    after = stored(out, fresh_pair)
    assert after.confirmed() == [after.bead_of("src", second.src[0])]
    page.get_by_role("button", name=re.compile("^↶ Undo: Re-linked")).click()
    sync_api.expect(page.get_by_role("button", name=re.compile("^↶ Undo: Confirmed"))).to_be_visible(
        timeout=STEP_MS)
    assert stored(out, fresh_pair).to_dict() == before


def test_the_first_click_after_choosing_a_counterpart_takes_it(server, small_page, fresh_pair):
    """While the list has the focus it is a line taller (at 1280 px the chosen sentence
    fills its width); pressing the button below blurred it, the button moved up ~30 px
    under the pointer and the click was lost (the reviewer chose a counterpart, pressed
    Esc, clicked "Take it" and nothing happened). One click."""
    url, out = server
    page = small_page
    open_review(page, url, fresh_pair)
    review = stored(out, fresh_pair)
    first, second = [p for p in review.alignment.pairs if p.matched][:2]
    key = pair_key(second)
    page.locator(f".st-key-{widget_key('open', key)} button").first.click()
    wait_for_run(page)
    chooser = page.locator(f'[class*="st-key-{widget_key("choose-tgt", key)}-"]')
    take = page.get_by_role("button", name=re.compile("^Take it: "))
    choose(page, chooser, page.get_by_role("option").filter(has_text=f"en {first.tgt[0]} · "),
           f"en {first.tgt[0]} · ", take)
    wait_for_run(page)
    chooser.get_by_role("combobox").focus()  # where Esc leaves it, after any late redraw
    assert page.evaluate("document.activeElement.getAttribute('role')") == "combobox"
    take.click()
    sync_api.expect(page.get_by_role("button", name=re.compile("^↶ Undo: Re-linked"))).to_be_visible(
        timeout=STEP_MS)
    with ReviewStore(store_path(out, fresh_pair)) as store:
        assert [a["kind"] for a in store.history()] == ["relink"]
    # The list let the focus go: the keys review again.
    wait_for_run(page)
    page.keyboard.press("j")
    assert current_row(page) is not None


def test_linking_an_unmatched_claim_keeps_its_tab(server, page, fresh_pair):
    """The tab's label counts the unmatched claims, so a link from that tab changed it and
    the page fell back to "Side by side" after every link made there."""
    url, out = server
    open_review(page, url, fresh_pair)
    alignment = stored(out, fresh_pair).alignment
    zh, en = alignment.unmatched("src")[0].id, alignment.unmatched("tgt")[0].id
    page.get_by_role("tab", name=re.compile("^Unmatched claims")).click()
    wait_for_run(page)
    page.locator(f'[class*="st-key-linkto-src-{zh}-"]').get_by_role("combobox").click()
    page.get_by_role("option").filter(has_text=f"· en {en} ·").click(timeout=STEP_MS)
    wait_for_run(page)
    page.locator(f".st-key-link-src-{zh} button").first.click()
    sync_api.expect(page.get_by_role("button", name=re.compile("^↶ Undo: Linked"))).to_be_visible(
        timeout=STEP_MS)
    wait_for_run(page)
    unmatched = (len(alignment.unmatched("src")) - 1, len(alignment.unmatched("tgt")) - 1)
    sync_api.expect(page.locator("[role=tab][aria-selected=true]")).to_have_text(
        f"Unmatched claims (Chinese {unmatched[0]} · English {unmatched[1]})")


def test_bulk_confirm_from_its_popover_closes_it(server, small_page, fresh_pair):
    """"Confirm many…" opens the slider and button over the first rows: after confirming
    it closes, so the rows it changed are in view; one undo takes every one back."""
    url, out = server
    page = small_page
    open_review(page, url, fresh_pair)
    page.get_by_role("button", name="Confirm many…").click()
    confirm = page.get_by_role("button", name=re.compile(r"^Confirm \d+ links? ≥ 0\.80$"))
    wanted = int(confirm.inner_text(timeout=STEP_MS).split()[1])
    confirm.click()
    sync_api.expect(page.get_by_role("button", name=re.compile("^↶ Undo: Confirmed"))).to_be_visible(
        timeout=STEP_MS)
    wait_for_run(page)
    sync_api.expect(confirm).to_have_count(0)
    sync_api.expect(page.locator(".badge.confirmed")).to_have_count(wanted)
    assert stored(out, fresh_pair).decisions()["confirmed"] == wanted > 0
