"""Class mode: the game's rules (tokens, votes, timer, debrief), a load of 30 devices, and a
full game in headless Chromium with a teacher and three seats."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
from conftest import ROOT

from sim.classroom.classgame import EVENTS, ClassGame, RefusedError
from sim.classroom.classserver import make_server
from sim.scenario import load_scenario

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def bletchley():
    return load_scenario(ROOT / "scenarios" / "bletchley.yaml")


def test_only_the_teacher_changes_the_game_and_a_seat_votes_for_itself_only(bletchley):
    game = ClassGame(bletchley, seed=2)
    with pytest.raises(RefusedError, match="wrong join code"):
        game.join("not the code", "eu")
    eu = game.join(game.join_code, "eu", "Team Brussels")
    with pytest.raises(RefusedError, match="the seat of European Union is taken"):
        game.join(game.join_code, "eu")
    for action in ("open", "close", "event", "end"):
        with pytest.raises(RefusedError, match="only the teacher's token"):
            game.teacher(eu, action)
    with pytest.raises(RefusedError, match="no round is open"):
        game.vote(eu, "reject")
    game.teacher(game.teacher_token, "open", seconds=60)
    with pytest.raises(RefusedError, match="unknown seat token"):
        game.vote("made-up", "reject")
    game.vote(eu, "reject")
    assert game.state(game.teacher_token)["votes"] == {"us": "agent", "eu": "reject", "uk": "agent", "china": "agent"}
    assert "votes" not in game.state(eu) and "join_code" not in game.state(eu)  # a seat sees its own vote only
    assert game.state(eu)["seat"]["vote"] == "reject"
    game.teacher(game.teacher_token, "close")
    # nothing is signed before the summit, and the plenary says the refusal was the team's choice
    assert not game.model.deals
    assert any(
        s.startswith("Round 1: European Union rejects ") and s.endswith("its player said no.") for s in game.plenary
    )


def test_a_seats_utility_terms_add_up_and_the_round_timer_closes_the_round(bletchley):
    game = ClassGame(bletchley, seed=5)
    china = game.join(game.join_code, "china")
    for row in game.state(china)["seat"]["utility"]:
        total = row["legitimacy"] + row["cooperation"] - row["content"] - row["rivalry"] - row["too_deep"]
        assert total == pytest.approx(row["value"], abs=2e-3)
    game.teacher(game.teacher_token, "open", seconds=10)
    game.deadline = time.monotonic() - 1  # the timer ran out
    state = game.state()
    assert state["round"] == 1 and state["phase"] == "closed"


def test_events_pause_and_the_debrief(bletchley):
    game = ClassGame(bletchley, seed=3, runs=40)  # the class compares with 200 runs; 40 keep the test short
    us = game.join(game.join_code, "us", "Team DC")
    before = game.model.tension
    game.teacher(game.teacher_token, "event", name="export_controls")
    assert game.model.tension == pytest.approx(min(1.0, before + EVENTS["export_controls"][1]))
    game.teacher(game.teacher_token, "open", seconds=30)
    game.teacher(game.teacher_token, "pause")
    with pytest.raises(RefusedError, match="no round is open for votes"):
        game.vote(us, "accept")
    game.teacher(game.teacher_token, "resume")
    game.vote(us, "accept")
    game.teacher(game.teacher_token, "end")  # ends the open round, then the game
    debrief = game.state(us)["debrief"]
    assert debrief["runs"] == 40 and sum(debrief["distribution"].values()) == pytest.approx(1.0)
    assert debrief["seats"]["us"]["played_by"] == "Team DC" and debrief["seats"]["us"]["votes"] == {1: "accept"}
    assert debrief["seats"]["eu"]["played_by"] == "the model's agent"
    with pytest.raises(RefusedError, match="the game has ended"):
        game.teacher(game.teacher_token, "open")


def test_each_seat_s_debrief_names_the_round_where_it_parted_from_its_agent(bletchley):
    game = ClassGame(bletchley, seed=3, runs=20)
    us = game.join(game.join_code, "us", "Team DC")
    game.teacher(game.teacher_token, "open", seconds=30)
    game.vote(us, "reject")  # the US's agent signs the chair's round-1 draft; the team refuses it
    game.teacher(game.teacher_token, "end")
    seats = game.state(us)["debrief"]["seats"]
    point = seats["us"]["turning_point"]
    assert point["round"] == 1
    assert point["class"] and all(a.endswith("reject") for a in point["class"])
    assert any(a.endswith("accept") for a in point["agent"])
    assert all(s["turning_point"] is None or s["turning_point"]["round"] >= 1 for s in seats.values())


def _call(url: str, body: dict | None = None) -> tuple[int, dict, float]:
    start = time.perf_counter()
    request = urllib.request.Request(
        url, data=None if body is None else json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            status, data = r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        status, data = exc.code, json.loads(exc.read())
    return status, data, time.perf_counter() - start


def test_thirty_devices_at_once_all_get_answers(bletchley):
    """30 devices (teams share a seat's token) poll and vote together through one round: every answer arrives."""
    game = ClassGame(bletchley, seed=4)
    server = make_server(game, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        tokens = [_call(f"{base}/api/join", {"code": game.join_code, "seat": s})[1]["token"] for s in game.seats]
        assert _call(f"{base}/api/teacher", {"token": game.teacher_token, "action": "open"})[0] == 200
        results: list[tuple[int, float]] = []

        def device(i: int) -> None:
            token = tokens[i % len(tokens)]
            for k in range(5):
                status, state, took = _call(f"{base}/api/state?token={token}")
                results.append((status, took))
                assert state["seat"]["actor"] == list(game.seats)[i % len(tokens)]
                status, _, took = _call(f"{base}/api/vote", {"token": token, "vote": ("accept", "auto")[k % 2]})
                results.append((status, took))

        threads = [threading.Thread(target=device, args=(i,)) for i in range(30)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert len(results) == 30 * 10 and all(status == 200 for status, _ in results)
        assert _call(f"{base}/api/teacher", {"token": game.teacher_token, "action": "close"})[0] == 200
        assert game.model.round == 1
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed")
def test_a_class_plays_a_full_game_in_the_browser(tmp_path):
    """`simrun class`: a teacher and three seats in separate browser contexts play two rounds and end the game."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", "class", "scenarios/bletchley.yaml", "--port", str(port), "--seed", "2"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        first, second = proc.stdout.readline(), proc.stdout.readline()
        code = re.search(r"join with code (\d{6})", first)[1]
        teacher_url = re.search(r"open (http://\S+#teacher=\S+)", second)[1]
        url = f"http://127.0.0.1:{port}/"
        problems: list[str] = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless"])

            def new_page(address: str):  # noqa: ANN202
                page = browser.new_context().new_page()
                page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
                page.on("requestfailed", lambda r: problems.append(r.url))
                page.goto(address)
                return page

            teacher = new_page(teacher_url)
            teacher.locator("#code_shown").wait_for()
            assert teacher.locator("#code_shown").inner_text() == code
            seats = {}
            for actor, team in (("us", "Team DC"), ("eu", "Team Brussels"), ("china", "Team Beijing")):
                page = new_page(url)
                page.fill("#code", code)
                page.fill("#team", team)
                page.select_option("#seatpick", actor)
                page.click("#joinbtn")
                page.locator("#seatname").wait_for()
                seats[actor] = page
            assert seats["eu"].locator("#seatname").inner_text() == "Your seat: European Union"
            assert "Rebecca Arcesati" in seats["china"].locator("#brief").inner_text()
            for round_no, eu_vote in ((1, "reject"), (2, "accept")):
                teacher.click("#open")
                for page in seats.values():
                    page.wait_for_function("document.getElementById('status').dataset.phase === 'open'")
                seats["eu"].click(f"#v_{eu_vote}")
                seats["us"].click("#v_accept")
                seats["eu"].wait_for_function(f"document.getElementById('myvote').dataset.vote === '{eu_vote}'")
                teacher.wait_for_function(
                    f"document.getElementById('votes').textContent.includes('European Union {eu_vote}')"
                )
                teacher.click("#close")
                for page in seats.values():
                    page.wait_for_function(f"document.getElementById('status').dataset.round === '{round_no}'")
            plenary = seats["china"].locator("#plenary").inner_text()
            assert re.search(r"Round 1: European Union rejects [a-z ]+ — its player said no\.", plenary)
            teacher.click("[data-event=summit]")
            teacher.click("#end")
            for page in [teacher, *seats.values()]:
                page.locator("#classline").wait_for(timeout=60_000)
            row = seats["eu"].locator("tr.seatrow[data-seat=eu]").inner_text()
            assert row.startswith("European Union\tTeam Brussels\t")
            assert "In 200 model runs of the same scenario" in seats["us"].locator("#classline").inner_text()
            teacher.screenshot(path=str(tmp_path / "teacher.png"), full_page=True)
            browser.close()
        assert not problems, problems
        # SIGTERM stops the class server and frees the port
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
