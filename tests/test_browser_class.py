"""`simrun class` in headless Chromium: a teacher, a projector and three seats, each in its own browser context,
play a whole game; the debrief states the class's cross-bloc pattern and how often the model reaches it."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys

import pytest
from conftest import ROOT, dies_with_the_tests

from sim.classroom.compare import model_runs, signers
from sim.scenario import load_scenario

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def phase(page, value: str) -> None:  # noqa: ANN001 - a Playwright page
    page.wait_for_function(f"document.getElementById('status').dataset.phase === '{value}'")


def test_a_class_plays_a_full_game_with_a_projector_and_the_debrief_states_its_pattern(tmp_path):
    """Rounds 1-11 are sessions (a company group votes, the governments are not asked to sign); at the summit
    China's team signs everything the chair tables: shared testing across blocs, which the model never reaches."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", "class", "scenarios/bletchley.yaml", "--port", str(port), "--seed", "2"]
        + ["--per-device", "3", "--out", str(tmp_path / "class")],  # the three seats all come from 127.0.0.1
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=dies_with_the_tests,  # a killed test run leaves no server behind
    )
    try:
        first, second, third = (proc.stdout.readline() for _ in range(3))
        code = re.search(r"join with code ([A-Z0-9]{4}-[A-Z0-9]{4})$", first.strip())[1]
        teacher_url = re.search(r"open (http://\S+#teacher=\S+)", second)[1]
        token = teacher_url.split("#teacher=")[1]
        url = f"http://127.0.0.1:{port}/"
        assert f"{url}projector" in third and token not in third
        problems: list[str] = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless"])

            def new_page(address: str, **context):  # noqa: ANN202
                page = browser.new_context(**context).new_page()
                page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: problems.append(str(e)))
                page.on("requestfailed", lambda r: problems.append(r.url))
                page.goto(address)
                return page

            teacher = new_page(teacher_url)
            teacher.locator("#code_shown").wait_for()
            assert teacher.locator("#code_shown").inner_text() == code
            assert token not in teacher.url  # the token left the address bar at once
            # the projector: its own context, no token in its address; the teacher pairs it with the code it shows
            projector = new_page(f"{url}projector")
            projector.locator("#paircode_shown").wait_for()
            assert code not in projector.content()  # not paired yet: no join code
            teacher.fill("#paircode", projector.locator("#paircode_shown").inner_text())
            teacher.click("#pairbtn")
            projector.locator("#projcode").wait_for()
            assert projector.locator("#projcode").inner_text() == code
            assert projector.locator("#qr svg").count() == 1
            assert projector.url == f"{url}projector" and token not in projector.content()
            join_url = f"{url}#code={code}"  # what the QR code holds
            seats = {}
            for actor, team, size in (
                ("us", "Team DC", None),
                ("china", "Team Beijing", {"width": 390, "height": 844}),  # a phone
                ("china_firms", "Team Shenzhen", None),
            ):
                page = new_page(join_url, **({"viewport": size} if size else {}))
                assert page.input_value("#code") == code and "#" not in page.url  # filled in, gone from the address
                page.fill("#team", team)
                page.select_option("#seatpick", actor)
                page.click("#joinbtn")
                page.locator("#seatname").wait_for()
                seats[actor] = page
            china, firms = seats["china"], seats["china_firms"]
            projector.wait_for_function(
                "document.querySelector('#projseats [data-seat=china]').textContent.includes('Team Beijing')"
            )
            # round 1, a session: the status names the round being played; governments are not asked to sign
            teacher.click("#open")
            for page in seats.values():
                phase(page, "open")
            assert china.locator("#status").inner_text().startswith("Round 1 of 12 · open for votes")
            assert china.locator("#v_accept").is_hidden() and china.locator("#v_reject").is_hidden()
            assert "Nothing is signed this round" in china.locator("#signnote").inner_text()
            assert "Texts are signed only at the summit (round 12)" in china.locator("#summitline").inner_text()
            firms.click("#c_neither")
            firms.wait_for_function("document.getElementById('myvote').dataset.vote === 'neither'")
            width = china.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the phone's page is {width} px wide"
            teacher.click("#close")
            teacher.wait_for_function("document.getElementById('status').dataset.round === '1'")
            for round_no in range(2, 12):  # the other sessions, at the teacher's pace
                teacher.click("#open")
                phase(teacher, "open")
                teacher.click("#close")
                teacher.wait_for_function(f"document.getElementById('status').dataset.round === '{round_no}'")
            teacher.click("#open")  # the summit
            for page in seats.values():
                phase(page, "open")
            # the seat's page refreshes on its own poll: wait for the summit's line rather than race it
            china.wait_for_function(
                "document.getElementById('summitline').innerText.includes('texts are open for signature now')"
            )
            china.click("#v_accept")
            seats["us"].click("#v_accept")
            firms.click("#c_common")
            china.wait_for_function("document.getElementById('myvote').dataset.vote === 'accept'")
            teacher.wait_for_function(
                "document.getElementById('votes').textContent.includes('China accept')"
                " && document.getElementById('votes').textContent.includes('United States accept')"
                " && document.getElementById('votes').textContent.includes('Chinese AI companies common')"
            )
            teacher.click("#close")
            teacher.wait_for_function("document.getElementById('status').dataset.round === '12'")
            teacher.click("#end")
            for page in [teacher, projector, *seats.values()]:
                page.locator("#classline").wait_for(timeout=60_000)
            for page in seats.values():  # no vote buttons after the end
                assert page.locator("#v_accept").is_hidden() and page.locator("#c_common").is_hidden()
            # the model's frequency of the class's pattern, counted here from the same 200 runs
            scenario = load_scenario(ROOT / "scenarios" / "bletchley.yaml")
            rows = model_runs(scenario, 2, 200, 12)
            everyone = frozenset({"us", "eu", "uk", "china"})
            same = sum(r["gov_level"] == "shared_testing" and signers(r, "shared_testing") == everyone for r in rows)
            china_signs = sum("china" in signers(r, "shared_testing") for r in rows)
            lesson = china.locator("#classline").inner_text()
            assert lesson.startswith(
                "Your class's deepest text was shared testing standards, signed by United States, European Union, "
                "United Kingdom and China: across blocs."
            )
            assert f"in {same} of 200 model runs of the same scenario ({round(100 * same / 200)}%)" in lesson
            assert (
                f"Your class got China to sign shared testing standards; the model's China does so in "
                f"{round(100 * china_signs / 200)}% of runs, because the text goes deeper than China wants to commit"
                in lesson
            )
            assert "Will United States and China both sign? In your class: yes" in lesson
            assert not re.search(r"\b[a-z]+_[a-z_]+\b", lesson)  # no internal ids
            assert (
                china.locator("#patterns tr.ours")
                .inner_text()
                .startswith(
                    "shared testing standards signed by United States, European Union, United Kingdom and China"
                )
            )
            row = china.locator("tr.seatrow[data-seat=china]").inner_text()
            assert row.startswith("China\tTeam Beijing\tshared testing standards / shallow declaration\t")
            assert "China signed below zero: its player chose to sign" in china.locator("#debrieftext").inner_text()
            assert lesson == teacher.locator("#classline").inner_text() == projector.locator("#classline").inner_text()
            # the debrief comes first on the page, above the table and the plenary
            top = china.evaluate("document.getElementById('debrief').getBoundingClientRect().top")
            assert top < china.evaluate("document.getElementById('tablepart').getBoundingClientRect().top")
            assert china.evaluate("document.documentElement.scrollWidth") <= 390
            teacher.screenshot(path=str(tmp_path / "teacher.png"), full_page=True)
            browser.close()
        assert not problems, problems
        proc.send_signal(signal.SIGTERM)  # SIGTERM stops the class server and frees the port
        assert proc.wait(timeout=20) == 0
        said = proc.stdout.read()
        assert "Traceback" not in said
        assert f"The game's record: {tmp_path / 'class' / 'class-game.json'}" in said
        record = json.loads((tmp_path / "class" / "class-game.json").read_text())  # the game, to hand out
        assert record["phase"] == "ended" and lesson.startswith(record["debrief"]["compare"]["sentences"][0])
        assert record["moves"][11]["votes"]["china"] == "accept" and code.replace("-", "") not in json.dumps(record)
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
