"""The review app listens on this machine only, unless someone decides otherwise (fault 11).

``streamlit run ui/app.py`` used to bind every interface with no sign-in: anyone on
the network could read unpublished texts and change a reviewer's decisions.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 60


def test_the_project_config_binds_to_localhost():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["address"] == "localhost"


def outside_address() -> str | None:
    """One of this machine's addresses that is not loopback, if it has one."""
    try:
        names = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return next((a for a in names.stdout.split() if "." in a and not a.startswith("127.")), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def test_the_readme_command_is_not_reachable_from_the_network(tmp_path):
    """The README's command, run from the project root, with no address option."""
    outside = outside_address()
    if outside is None:
        pytest.skip("this machine has no non-loopback address to try")
    port = free_port()
    env = {**os.environ, "ALIGN_OUT": str(tmp_path)}
    with open(tmp_path / "streamlit.log", "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "ui/app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + START_SECONDS
            while not answers("127.0.0.1", port) and time.monotonic() < deadline:
                assert server.poll() is None, (tmp_path / "streamlit.log").read_text()
                time.sleep(0.3)
            assert answers("127.0.0.1", port)
            assert not answers(outside, port)
        finally:
            os.kill(server.pid, signal.SIGTERM)  # by PID: other servers may be running
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(server.pid, signal.SIGKILL)
                server.wait()
    assert "Network URL" not in (tmp_path / "streamlit.log").read_text()
