"""End to end in a real browser: confirm a pair, reload the page, the confirmation is still there.

Starts ``streamlit run ui/app.py`` on a free loopback port with a fresh output
folder, drives the system Chromium headless through Playwright, saves a
screenshot to ``artifacts/review-app.png`` for CI and stops the server by its
PID. Needs Debian's chromium and a CJK font (``scripts/install-browser``) and
pip playwright (test extra); skipped with the reason when they are missing.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from align.review import CONFIRMED, ReviewStore, pair_key, store_path
from ui.panels import widget_key

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


@pytest.fixture
def server(tmp_path):
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


def open_review(page, url: str) -> None:
    page.goto(f"{url}/?pair={FLAGSHIP}")
    page.get_by_role("heading", name=f"Review · {FLAGSHIP}").wait_for(timeout=FIRST_LOAD_MS)
    wait_for_run(page)


def wait_for_run(page) -> None:
    """Until the script run is over: the last tab's content is drawn, and Streamlit's
    "running" indicator and its placeholder skeletons are gone."""
    page.get_by_text("Write TMX, TSV, JSON and review report").wait_for(state="attached",
                                                                        timeout=STEP_MS)
    for busy in ("stStatusWidget", "stSkeleton"):
        sync_api.expect(page.get_by_test_id(busy)).to_have_count(0, timeout=STEP_MS)


def test_a_confirmation_survives_a_reload(server):
    url, out = server
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            open_review(page, url)
            with ReviewStore(store_path(out, FLAGSHIP)) as store:
                review = store.load()
            key = next(pair_key(p) for p in review.alignment.pairs if p.matched)
            confirm = page.locator(f".st-key-{widget_key('confirm', key)} button").first
            confirm.click()
            sync_api.expect(page.locator(".badge.confirmed")).to_have_count(1, timeout=STEP_MS)

            page.reload()
            open_review(page, url)
            sync_api.expect(page.locator(".badge.confirmed")).to_have_count(1, timeout=STEP_MS)
            sync_api.expect(confirm).to_be_disabled(timeout=STEP_MS)
            sync_api.expect(page.get_by_text("國務院總理李強", exact=False).first).to_be_visible()
            wait_for_run(page)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "review-app.png"))
        finally:
            browser.close()
    with ReviewStore(store_path(out, FLAGSHIP)) as store:
        review = store.load()
        assert review.marks[review.find(key)].status == CONFIRMED
        assert [a["kind"] for a in store.history()] == ["confirm"]
