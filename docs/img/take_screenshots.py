"""Retake the screenshots in docs/classroom.md from the real app (headless Chromium).

PYTHONPATH=. python docs/img/take_screenshots.py          # the demo's and the class game's
PYTHONPATH=. python docs/img/take_screenshots.py class    # the class game's only
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
IMG = ROOT / "docs" / "img"


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(*args: str) -> subprocess.Popen:
    """Start ``simrun ARGS`` from the project root in its own session (so it can be stopped with its children)."""
    return subprocess.Popen(
        [sys.executable, "-m", "sim.cli", *args], cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True
    )


def wait(url: str) -> None:
    """Wait until ``url`` answers (at most about 3 minutes), else stop the script."""
    for _ in range(600):
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer")


def demo_screenshots(browser, port: int) -> None:  # noqa: ANN001 - a Playwright browser
    """The demo's screenshots, from the page served on ``port``."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"http://127.0.0.1:{port}/")
    page.get_by_text("Teacher's controls").wait_for(timeout=120_000)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(IMG / "demo-start.png"))
    for n in (1, 2, 3):
        page.get_by_role("button", name="Step").click()
        page.get_by_text(f"Round {n} of 12").wait_for()
    page.wait_for_timeout(1500)
    page.screenshot(path=str(IMG / "demo-round3.png"))
    page.get_by_role("button", name="Sanctions on AI firms").click()
    page.get_by_role("button", name="Run to the end").click()
    page.get_by_text("End of the run").wait_for()
    page.get_by_role("button", name="Run 100 times").click()
    page.locator(".simrun-many-result").wait_for(timeout=120_000)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(IMG / "demo-end.png"), full_page=True)


def class_screenshots(browser, port: int, code: str, teacher_url: str) -> None:  # noqa: ANN001
    """The class game's screenshots: a teacher and seats joining with ``code``."""
    teacher = browser.new_page(viewport={"width": 1100, "height": 900})
    teacher.goto(teacher_url)
    teacher.locator("#code_shown").wait_for()
    seats = {}
    for actor, team in (
        ("us", "Team DC"),
        ("eu", "Team Brussels"),
        ("china", "Team Beijing"),
        ("china_firms", "Team Shenzhen"),
    ):
        seat = browser.new_context(viewport={"width": 1000, "height": 1200}).new_page()
        seat.goto(f"http://127.0.0.1:{port}/")
        seat.fill("#code", code)
        seat.fill("#team", team)
        seat.select_option("#seatpick", actor)
        seat.click("#joinbtn")
        seat.locator("#seatname").wait_for()
        seats[actor] = seat
    teacher.fill("#seconds", "120")
    teacher.click("#open")
    seats["china"].wait_for_function("document.getElementById('status').dataset.phase === 'open'")
    seats["china"].click("#v_reject")
    seats["china"].fill("#counterform input[data-issue=forum]", "0.8")
    seats["china"].click("#counterbtn")
    seats["china_firms"].click("#c_bloc")
    seats["china"].wait_for_timeout(1500)
    seats["china"].screenshot(path=str(IMG / "class-seat.png"), full_page=True)
    seats["china_firms"].screenshot(path=str(IMG / "class-company.png"), full_page=True)
    teacher.wait_for_timeout(1500)
    teacher.screenshot(path=str(IMG / "class-teacher.png"))
    teacher.click("#close")
    teacher.click("[data-event=summit]")
    teacher.click("#open")
    teacher.click("#close")
    teacher.click("#end")
    seats["eu"].locator("#classline").wait_for(timeout=120_000)
    seats["eu"].wait_for_timeout(1500)
    seats["eu"].locator("#debrief").screenshot(path=str(IMG / "class-debrief.png"))


def main() -> None:
    """Start the servers, take the screenshots, stop the servers."""
    demo_port, class_port = free_port(), free_port()
    only_class = sys.argv[1:] == ["class"]
    demo = None if only_class else start("demo", "scenarios/bletchley.yaml", "--port", str(demo_port))
    game = start("class", "scenarios/bletchley.yaml", "--port", str(class_port), "--seed", "2")
    try:
        code = re.search(r"code (\d{6})", game.stdout.readline())[1]
        teacher_url = re.search(r"open (http://\S+)", game.stdout.readline())[1]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--headless"])
            if demo is not None:
                wait(f"http://127.0.0.1:{demo_port}/")
                demo_screenshots(browser, demo_port)
            class_screenshots(browser, class_port, code, teacher_url)
            browser.close()
    finally:
        for proc in (demo, game):
            if proc is not None:
                os.killpg(proc.pid, signal.SIGTERM)


if __name__ == "__main__":
    main()
