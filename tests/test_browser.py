"""The demo in a real headless Chromium (Debian's chromium, driven by Playwright).

Starts `simrun demo` on a free loopback port, loads the page, moves the teacher's
tension control, presses Step, and checks that the plots change and the log grows.
A screenshot is kept in test-artifacts/ for a person to look at.
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

import pytest
from conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", "demo", "scenarios/bletchley.yaml", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        os.killpg(proc.pid, signal.SIGTERM)
        pytest.fail(f"demo did not start: {proc.stdout.read() if proc.stdout else ''}")
    yield url
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=20)


def listening_addresses(port: int) -> list[str]:
    """Local addresses in LISTEN state on ``port``, read from /proc/net/tcp and tcp6."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        with open(table) as fh:
            for line in fh.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                address, port_hex = local.rsplit(":", 1)
                if state == "0A" and int(port_hex, 16) == port:
                    found.append(address)
    return found


def test_server_binds_to_loopback_only(server):
    port = int(server.rsplit(":", 1)[1].strip("/"))
    addresses = listening_addresses(port)
    assert addresses, "the demo is not listening"
    # 0100007F is 127.0.0.1 in /proc's little-endian hex; an IPv6 loopback would end in 01000000
    assert all(a in ("0100007F", "00000000000000000000000001000000") for a in addresses), addresses


def test_page_loads_tension_and_step_change_the_plots_and_the_log(server):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--headless",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        page = browser.new_page(viewport={"width": 1500, "height": 1300})
        failed = []
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.goto(server)
        page.get_by_text("Teacher's controls").wait_for(timeout=60_000)
        page.get_by_text("Press Step to start the negotiation.").wait_for()
        images = page.locator("img")
        page.wait_for_function("document.querySelectorAll('img').length >= 3")
        before = [images.nth(i).get_attribute("src") for i in range(images.count())]

        # move the teacher's tension control: click near its left end
        slider = page.locator(".simrun-tension .v-slider").first
        box = slider.bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.2, box["y"] + box["height"] / 2)
        page.locator(".simrun-log-line").first.wait_for(timeout=20_000)
        first_line = page.locator(".simrun-log-line").first.inner_text()
        assert first_line.startswith("Round 0: Teacher sets tension to 0.")
        lines_before = page.locator(".simrun-log-line").count()

        page.get_by_role("button", name="Step").click()
        page.wait_for_function(
            "n => document.querySelectorAll('.simrun-log-line').length > n", arg=lines_before, timeout=30_000
        )
        deadline = time.time() + 30
        after = before
        while time.time() < deadline and after == before:
            page.wait_for_timeout(300)
            after = [images.nth(i).get_attribute("src") for i in range(images.count())]
        assert after != before, "no plot changed after Step"
        newest = page.locator(".simrun-log-line").first.inner_text()
        assert newest.startswith("Round 1: ")
        # our own status line (Mesa's information card words it differently across versions)
        assert page.get_by_text(re.compile(r"^Round 1 · tension 0\.\d\d")).count() == 1
        page.screenshot(path=str(ARTIFACTS / "demo.png"), full_page=True)
        browser.close()
    assert (ARTIFACTS / "demo.png").stat().st_size > 50_000
    assert not [u for u in failed if not u.startswith(server)], failed  # nothing fetched from outside


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
        page.screenshot(path=str(ARTIFACTS / "report.png"))
        browser.close()
