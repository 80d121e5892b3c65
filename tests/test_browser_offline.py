"""The HTML report in a real headless Chromium, offline; and the demo launcher's signals.

Apart from tests/test_browser.py (which shares one demo server between its tests) so
that the two files can run on different test workers.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGKILL])
def test_a_signal_to_the_supervisor_stops_its_child_group(tmp_path, signum):
    """The demo's launcher (supervise) takes its child's whole process group down on each signal."""
    script = (
        "import sys; from sim.classroom.demo import supervise; "
        "sys.exit(supervise([sys.executable, '-c', 'import time, os; print(os.getpid(), flush=True); time.sleep(60)'], {}))"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        child = int(parent.stdout.readline())
        os.kill(parent.pid, signum)
        # SIGKILL leaves no handler to run: the child then hears of its parent's death from Linux
        assert parent.wait(timeout=15) == (-signum if signum == signal.SIGKILL else 128 + signum)
        deadline = time.time() + 10
        while time.time() < deadline and os.path.exists(f"/proc/{child}"):
            time.sleep(0.1)
        assert not os.path.exists(f"/proc/{child}"), "the child outlived its supervisor"
    finally:
        parent.kill()


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed")
def test_report_opens_offline_in_the_browser(tmp_path):
    from playwright.sync_api import sync_playwright

    out = tmp_path / "run"
    run = subprocess.run(
        [sys.executable, "-m", "sim.cli", "scenarios/bletchley.yaml", "-n", "20", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert run.returncode == 0, run.stderr
    assert (
        subprocess.run([sys.executable, "-m", "sim.cli", "report", str(out)], cwd=ROOT, capture_output=True).returncode
        == 0
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(offline=True)
        page = context.new_page()
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto((out / "report.html").as_uri())
        assert page.locator("h1").inner_text().startswith("AI safety standards with China")
        # the embedded plots decode and have a real size
        widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
        assert len(widths) == 2 and min(widths) > 500
        assert page.locator("table").count() >= 5
        assert all(u.startswith(("file:", "data:")) for u in requests), requests
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report.png"))
        browser.close()
