#!/bin/sh
# What the end-to-end browser test (tests/test_browser.py) needs on Debian/Ubuntu:
# the system Chromium and its driver, a font with Chinese glyphs (without one the
# screenshot shows boxes), and the Python playwright client. Playwright drives the
# system Chromium (executable_path), so `playwright install` is never run.
set -eu
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium chromium-driver fonts-wqy-microhei
python -m pip install "playwright>=1.40"
