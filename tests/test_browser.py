"""The demo in a real headless Chromium (Debian's chromium, driven by Playwright).

Starts `simrun demo` on a free loopback port with an audit hook in its processes,
checks that two browser sessions have their own runs, that the teacher's tension
control and Step change the plots and the log, that no console error or outside
request happens, that the server connects to nothing outside the machine, and that
a SIGTERM to `simrun demo` frees the port. A screenshot is kept in test-artifacts/.
"""

from __future__ import annotations

import contextlib
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
from conftest import ROOT, dies_with_the_tests

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SITECUSTOMIZE = """
import os, sys
_log = os.environ.get("SIMRUN_AUDIT_LOG")
if _log:
    with open(_log, "a") as fh:
        fh.write(f"{os.getpid()} start {sys.argv[:3]!r}\\n")

    def _hook(event, args):
        if event == "socket.connect":  # args: socket, address
            with open(_log, "a") as fh:
                fh.write(f"{os.getpid()} connect {args[1]!r}\\n")
        elif event == "socket.getaddrinfo":  # a name looked up: without a network, no connect follows
            with open(_log, "a") as fh:
                fh.write(f"{os.getpid()} connect {args[0]!r}\\n")

    sys.addaudithook(_hook)
"""
"""Injected into the demo's processes via PYTHONPATH: logs every outgoing socket connection."""

LOOPBACK = ("127.", "::1", "localhost", "/", "None")  # loopback, Unix sockets (a path), no host


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`simrun demo` with an audit hook and an empty HOME; stopped with SIGTERM to the parent only."""
    tmp = tmp_path_factory.mktemp("demo")
    (tmp / "hook").mkdir()
    (tmp / "hook" / "sitecustomize.py").write_text(SITECUSTOMIZE)
    (tmp / "home").mkdir()
    audit = tmp / "connections.log"
    port = free_port()
    env = {
        **os.environ,
        "MPLBACKEND": "Agg",
        "HOME": str(tmp / "home"),
        "SIMRUN_AUDIT_LOG": str(audit),
        "PYTHONPATH": os.pathsep.join([str(tmp / "hook"), str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", "demo", "scenarios/bletchley.yaml", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=dies_with_the_tests,  # a killed test run leaves no server behind
        env=env,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("demo did not start")
        yield {"url": url, "port": port, "audit": audit, "home": tmp / "home"}
        # issue 13: a SIGTERM to `simrun demo` alone (not its group) must stop the Solara child too
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        deadline = time.time() + 10
        while time.time() < deadline and listening_addresses(port):
            time.sleep(0.2)
        assert not listening_addresses(port), "the Solara child still serves the port after SIGTERM"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def browser_args() -> list[str]:
    return ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


class Watch:
    """Console errors, page errors, failed requests and requests to any other origin, on every page."""

    def __init__(self, origin: str):
        self.origin, self.problems = origin, []

    def attach(self, page) -> None:  # noqa: ANN001 - a Playwright page
        page.on("console", lambda m: self.problems.append(f"console {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.problems.append(f"page error {e}"))
        page.on("requestfailed", lambda r: self.problems.append(f"failed {r.url}"))
        page.on(
            "request",
            lambda r: None if r.url.startswith((self.origin, "blob:", "data:")) else self.problems.append(r.url),
        )


def round_shown(page) -> str:  # noqa: ANN001 - a Playwright page
    return page.locator(".simrun-round").inner_text()


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
    addresses = listening_addresses(server["port"])
    assert addresses, "the demo is not listening"
    # 0100007F is 127.0.0.1 in /proc's little-endian hex; an IPv6 loopback would end in 01000000
    assert all(a in ("0100007F", "00000000000000000000000001000000") for a in addresses), addresses


def test_two_browser_sessions_are_private(server):
    """Each browser context is a session with its own run: stepping or resetting one leaves the other."""
    from playwright.sync_api import sync_playwright

    watch = Watch(server["url"])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=browser_args())
        pages = []
        for _ in range(2):
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            watch.attach(page)
            page.goto(server["url"])
            page.get_by_text("Teacher's controls").wait_for(timeout=60_000)
            pages.append(page)
        a, b = pages
        a.get_by_role("button", name="Step").click()
        a.get_by_text("Round 1 of 12").wait_for(timeout=20_000)
        a.get_by_role("button", name="Step").click()
        a.get_by_text("Round 2 of 12").wait_for(timeout=20_000)
        assert round_shown(b) == "Round 0 of 12"
        b.get_by_role("button", name="Step").click()
        b.get_by_text("Round 1 of 12").wait_for(timeout=20_000)
        a.get_by_role("button", name="Reset").click()
        a.get_by_text("Round 0 of 12").wait_for(timeout=20_000)
        assert round_shown(b) == "Round 1 of 12"
        # a fresh visitor starts at round 0, whatever earlier visitors did
        c = browser.new_context().new_page()
        watch.attach(c)
        c.goto(server["url"])
        c.get_by_text("Teacher's controls").wait_for(timeout=60_000)
        assert round_shown(c) == "Round 0 of 12"
        browser.close()
    assert not watch.problems, watch.problems


def test_tension_and_step_change_the_plots_and_the_log(server):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    watch = Watch(server["url"])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=browser_args())
        page = browser.new_page(viewport={"width": 1500, "height": 1300})
        watch.attach(page)
        page.goto(server["url"])
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
        page.wait_for_function(
            # the newest line is round 1's (a session says "Round 1 (session of …): …")
            "() => /^Round 1[^0-9]/.test(document.querySelector('.simrun-log-line').innerText)",
            timeout=20_000,
        )
        assert re.fullmatch(
            r"Round 1 · tension 0\.\d\d · business restriction 0\.\d\d", page.locator(".simrun-status").inner_text()
        )
        # "how often?": 100 runs of these settings, a distribution drawn
        page.get_by_role("button", name="Run 100 times").click()
        page.locator(".simrun-many-result").wait_for(timeout=60_000)
        assert re.fullmatch(
            r"A common business standard across blocs in \d+ % of runs\.",
            page.locator(".simrun-many-result").inner_text(),
        )
        page.screenshot(path=str(ARTIFACTS / "demo.png"), full_page=True)
        browser.close()
    assert (ARTIFACTS / "demo.png").stat().st_size > 50_000
    assert not watch.problems, watch.problems


def test_the_server_connects_to_nothing_outside_and_writes_no_id(server):
    """Every socket the demo's processes opened went to loopback (audit hook); no ~/.solara was made."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:  # some traffic of our own first, so the server has done its work
        browser = p.chromium.launch(executable_path=CHROMIUM, args=browser_args())
        page = browser.new_page()
        page.goto(server["url"])
        page.get_by_text("Teacher's controls").wait_for(timeout=60_000)
        page.get_by_role("button", name="Step").click()
        page.get_by_text("Round 1 of 12").wait_for(timeout=20_000)
        # nobody touched the tension: the slider showing Bletchley's 0.663 must not log a teacher's move
        log = " | ".join(page.locator(".simrun-log-line").all_inner_texts())
        assert "Teacher sets tension" not in log, log
        browser.close()
    lines = server["audit"].read_text().splitlines()
    started = [line for line in lines if " start " in line]
    assert any("'sim.classroom.app'" in line for line in started), lines  # the hook ran in the Solara server
    outside = [
        line
        for line in lines
        if " connect " in line and not line.split(" connect ")[1].strip("('\"").startswith(LOOPBACK)
    ]
    assert not outside, outside
    assert not (server["home"] / ".solara").exists(), list((server["home"] / ".solara").rglob("*"))
