"""Class mode: the game's rules (tokens, votes, timer, debrief), a load of 30 devices, and a
full game in headless Chromium with a teacher and three seats."""

from __future__ import annotations

import contextlib
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

import numpy as np
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
    game = ClassGame(bletchley, seed=2, delegation=1)
    with pytest.raises(RefusedError, match="wrong join code"):
        game.join("not the code", "eu")
    eu = game.join(game.join_code, "eu", "Team Brussels")
    with pytest.raises(RefusedError, match=r"the seat of European Union is full \(1 in its delegation\)"):
        game.join(game.join_code, "eu")
    firms = game.join(game.join_code, "china_firms", "Team Shenzhen")
    for token in (eu, firms, "", "made-up"):
        for action in ("open", "close", "event", "pause", "resume", "end"):
            with pytest.raises(RefusedError, match="only the teacher's token"):
                game.teacher(token, action)
    with pytest.raises(RefusedError, match="no round is open"):
        game.vote(eu, "reject")
    game.teacher(game.teacher_token, "open", seconds=60)
    with pytest.raises(RefusedError, match="unknown seat token"):
        game.vote("made-up", "reject")
    game.vote(eu, "reject")
    votes = game.state(game.teacher_token)["votes"]
    assert votes == {
        "us": "agent",
        "eu": "reject",
        "uk": "agent",
        "china": "agent",
        "us_labs": "agent",
        "eu_firms": "agent",
        "uk_firms": "agent",
        "china_firms": "auto",
    }
    for token in (eu, firms):  # a seat sees its own vote only, never the join code or the others' votes
        assert "votes" not in game.state(token) and "join_code" not in game.state(token)
    assert game.state(eu)["seat"]["vote"] == "reject"
    game.teacher(game.teacher_token, "close")
    # nothing is signed before the summit, and the plenary says the refusal was the team's choice
    assert not game.model.deals
    assert any(
        s.startswith("Round 1: European Union rejects ") and s.endswith("its player said no.") for s in game.plenary
    )


def test_a_company_seat_s_token_acts_for_its_own_seat_only(bletchley):
    game = ClassGame(bletchley, seed=2)
    firms = game.join(game.join_code, "china_firms", "Team Shenzhen")
    game.teacher(game.teacher_token, "open")
    with pytest.raises(RefusedError, match="this token votes for Chinese AI companies only"):
        game.vote(firms, "both", seat="us_labs")
    with pytest.raises(RefusedError, match="this token votes for Chinese AI companies only"):
        game.vote(firms, "accept", seat="china")
    with pytest.raises(
        RefusedError, match="a vote of Chinese AI companies is one of bloc, common, both, neither, auto"
    ):
        game.vote(firms, "accept")  # a government's vote is not a company's
    with pytest.raises(RefusedError, match="only a government's seat can hand in a counter-proposal"):
        game.counter(firms, {"text": {"forum": 0.9}})
    game.vote(firms, "both", seat="china_firms")  # naming its own seat is fine
    votes = game.state(game.teacher_token)["votes"]
    assert votes["china_firms"] == "both" and votes["us_labs"] == votes["china"] == "agent"
    eu = game.join(game.join_code, "eu", "Team Brussels")
    with pytest.raises(RefusedError, match="a vote of European Union is one of accept, reject, auto"):
        game.vote(eu, "common")


def test_a_company_seat_s_vote_decides_what_its_companies_adopt(bletchley):
    """Round 1: China's companies would adopt their bloc's standard on their own (the agents' game); the team
    adopts neither, then both; the other groups stay with their agents; the debrief compares the two games."""
    game = ClassGame(bletchley, seed=2, runs=20)
    agents = ClassGame(bletchley, seed=2, runs=20)  # nobody seated: the agents' own game
    firms = game.join(game.join_code, "china_firms", "Team Shenzhen")
    brief = game.state(firms)["seat"]
    assert brief["kind"] == "company" and brief["count"] == 30 and brief["home"] == "China"
    assert [d["id"] for d in brief["drafts"]["bloc"]] == ["safety_testing", "risk_focus"]
    for row in brief["standards"]:
        assert row["legitimacy"] + row["market"] - row["content"] - row["rivalry"] == pytest.approx(
            row["value"], abs=2e-3
        )
    assert "Rebecca Arcesati" in " ".join(brief["quotes"])
    for round_no, vote in ((1, "neither"), (2, "both")):
        assert game.model.round == round_no - 1
        for g in (game, agents):
            g.teacher(g.teacher_token, "open")
        game.vote(firms, vote)
        for g in (game, agents):
            g.teacher(g.teacher_token, "close")
        mine = game.model.group_by_id["china_firms"].adopters()
        theirs = agents.model.group_by_id["china_firms"].adopters()
        assert mine == {"neither": (0, 0), "both": (30, 30)}[vote]
        assert theirs != mine and theirs[0] > 0  # on their own, some companies adopt their bloc's standard
        assert game.model.kernel.forum.shares[0, 1] == mine[1] / 30  # the China bloc's adoption of the common one
        assert game.plenary[-1].endswith(
            f"Chinese AI companies bloc standard {mine[0]} of 30, common standard {mine[1]} of 30 (Team Shenzhen: {vote})."
        )
    assert agents.plenary[-1].endswith("(their own choice).")
    game.teacher(game.teacher_token, "end")
    row = game.state(firms)["debrief"]["companies"]["china_firms"]
    assert row["played_by"] == "Team Shenzhen" and row["votes"] == {1: "neither", 2: "both"}
    assert row["adopted"][0] == [30, 30] and row["adopted"][1] == list(
        agents.model.group_by_id["china_firms"].adopters()
    )
    assert row["turning_point"]["round"] == 1 and row["turning_point"]["class"] == "bloc 0 of 30, common 0 of 30"
    t = row["terms"]
    assert row["utility"][0] == pytest.approx(
        t["legitimacy"][0] + t["market"][0] - t["content"][0] - t["rivalry"][0], abs=2e-3
    )


def test_a_delegation_votes_as_most_of_its_members_do(bletchley):
    game = ClassGame(bletchley, seed=2, delegation=3)
    a, b, c = (game.join(game.join_code, "eu", f"Team {k}") for k in "ABC")
    assert len({a, b, c}) == 3
    with pytest.raises(RefusedError, match=r"full \(3 in its delegation\)"):
        game.join(game.join_code, "eu", "Team D")
    game.teacher(game.teacher_token, "open")
    seat = game.seats["eu"]
    assert seat.vote() == "auto"  # nobody voted: the agent decides
    game.vote(a, "accept")
    game.vote(b, "reject")
    assert seat.vote() == "reject"  # a tie goes to the vote cast last
    game.vote(a, "reject")
    game.vote(c, "accept")
    assert seat.tally() == {"reject": 2, "accept": 1} and seat.vote() == "reject"
    view = game.state(c)["seat"]
    assert view["vote"] == "accept" and view["seat_vote"] == "reject" and view["members"] == 3
    assert game.state()["seats"]["eu"] == {
        "name": "European Union",
        "kind": "government",
        "taken": True,
        "full": True,
        "team": "Team A, Team B, Team C",
    }
    game.teacher(game.teacher_token, "close")
    assert seat.history == {1: "reject"}
    game.teacher(game.teacher_token, "open")
    assert seat.vote() == "auto"  # a new round starts with no votes


def _to_the_summit(game: ClassGame) -> None:
    """Play the sessions before bletchley's summit (round 12) with the agents, and open the summit's round."""
    for _ in range(game.scenario.rounds - 1):
        game.teacher(game.teacher_token, "open")
        game.teacher(game.teacher_token, "close")
    game.teacher(game.teacher_token, "open")


def test_the_chair_tables_a_counter_proposal_it_prefers_and_not_one_it_does_not(bletchley):
    """At the summit (round 12) each case is a new game with one counter-proposal.

    - The EU moves the chair's text 30 % towards the chair's (UK's) position, at the declaration: by the chair's
      objective (0.2·V_chair + 0.8·breadth) it beats the chair's own draft: the declaration signed is the EU's text.
    - China offers its own position at any depth: it would pass as a declaration, but scores below the chair's
      draft: not taken, the chair's draft is signed.
    - China offers its own position as binding standards: it passes at no rung: not taken.
    """
    ids = bletchley.issue_ids
    depth = ids.index("binding_force")  # bletchley's depth issue: a text's depth, set by its rung
    seen = {}
    for case, who, level in (("closer", "eu", "declaration"), ("weaker", "china", None), ("fails", "china", "binding")):
        game = ClassGame(bletchley, seed=2)
        token = game.join(game.join_code, who, f"Team {who}")
        _to_the_summit(game)
        m = game.model
        table = m.proposal(m.governments)
        x = table + 0.3 * (m.by_id["uk"].position - table) if case == "closer" else m.by_id["china"].position
        text = {k: round(float(v), 4) for k, v in zip(ids, x, strict=True) if k != "binding_force"}
        with pytest.raises(RefusedError, match="binding_force is a text's depth"):
            game.counter(token, {"text": {"binding_force": 0.9}})
        game.counter(token, {"text": text, "level": level})
        assert game.state(token)["seat"]["counter"]["level"] == level
        game.teacher(game.teacher_token, "close")
        counters = [row for row in m.log if row[0] == 12 and row[4] == "counter"]
        assert len(counters) == 1
        _, _, rung, actor, _, score, verdict, detail = counters[0]
        numbers = {k: float(v) for k, v in (p.split("=") for p in detail.split()) if k in ("own", "tabled")}
        content = np.delete(m.deals["declaration"].content, depth)
        seen[case] = (verdict, score, numbers, content, np.delete(x, depth), np.delete(table, depth))
        said = [line for line in game.plenary if "counter-propos" in line]
        assert said[0].startswith(f"Round 12: {m.by_id[who].name} (Team {who}) counter-proposes ")
        assert len(said) == 2  # the counter-proposal and what the chair made of it
        assert sorted(m.deals["declaration"].signatories) == ["china", "eu", "uk", "us"]
    verdict, score, numbers, content, x, table = seen["closer"]
    assert verdict == "taken" and score > numbers["own"] and score == pytest.approx(numbers["tabled"], abs=1e-3)
    assert content == pytest.approx(x, abs=1e-4) and np.abs(content - table).max() > 0.02
    verdict, score, numbers, content, x, table = seen["weaker"]
    assert verdict == "weaker" and np.isfinite(score) and score < numbers["tabled"] == numbers["own"]
    assert content == pytest.approx(table, abs=1e-9)
    verdict, score, numbers, content, x, table = seen["fails"]
    assert verdict == "fails" and score == -np.inf
    assert content == pytest.approx(table, abs=1e-9)


def test_a_team_in_the_chair_s_seat_still_weighs_counter_proposals_by_the_chair_s_interests(bletchley):
    """The UK's seat is taken and votes "accept" at the summit: the chair's objective still reads the UK's
    utility (not the team's vote, which would tie every text the team signs and always keep the chair's
    own draft), so the EU's counter-proposal towards the UK's position is taken, as with no team there."""
    ids = bletchley.issue_ids
    game = ClassGame(bletchley, seed=2)
    chair = game.join(game.join_code, "uk", "Team chair")
    eu = game.join(game.join_code, "eu", "Team eu")
    _to_the_summit(game)
    m = game.model
    table = m.proposal(m.governments)
    x = table + 0.3 * (m.by_id["uk"].position - table)
    game.counter(eu, {"text": {k: round(float(v), 4) for k, v in zip(ids, x, strict=True) if k != "binding_force"}})
    game.vote(chair, "accept")
    game.teacher(game.teacher_token, "close")
    (row,) = [r for r in m.log if r[0] == 12 and r[4] == "counter"]
    assert row[6] == "taken" and np.isfinite(row[5])
    depth = ids.index("binding_force")
    assert np.delete(m.deals["declaration"].content, depth) == pytest.approx(np.delete(x, depth), abs=1e-4)


def test_in_a_session_the_chair_floats_a_counter_proposal_it_values_more_as_its_deeper_draft(bletchley):
    """Round 3 is a session: nothing is signed, but the chair floats drafts. The UK's own position, offered at
    every rung, is the deeper text for a narrower group the chair (the UK) values most: it is floated as such."""
    from sim.classroom.play import build_model
    from sim.outputs.narrative import Narrator

    m = build_model(bletchley, 2)
    m.step(), m.step()
    uk = m.by_id["uk"].position
    m.counter_propose("uk", uk)
    assert list(m.counter_proposals) == ["uk"]
    before = len(m.log)
    m.step()
    rows = [r for r in m.log[before:] if r[4] == "counter"]
    assert [(r[3], r[6]) for r in rows] == [("uk", "taken deeper")]
    detail = dict(part.split("=") for part in rows[0][7].split())
    assert detail["kind"] == "draft" and float(detail["score"]) > float(detail["own"])
    drafts = [r for r in m.log[before:] if r[4] == "offer"]
    assert len(drafts) == 2 and drafts[1][2] == rows[0][2]  # the second draft floated is the counter-proposal
    assert drafts[1][7] == " ".join(f"{v:.3f}" for v in uk)
    assert not m.deals and m.kernel.counters == []  # nothing signed; the counter-proposal was for one round
    line = Narrator(m.spec).sentence(rows[0])
    assert line.startswith("Round 3: the chair takes United Kingdom's counter-proposal at ")
    assert "as a deeper text for a narrower group, as a draft (nothing is signed before the summit)" in line


def test_a_counter_proposal_is_checked_and_withdrawn(bletchley):
    game = ClassGame(bletchley, seed=2)
    eu = game.join(game.join_code, "eu")
    with pytest.raises(RefusedError, match="no round is open for counter-proposals"):
        game.counter(eu, {"text": {"forum": 0.5}})
    game.teacher(game.teacher_token, "open")
    for data, why in (
        ({}, "changes at least one issue or names a rung"),
        ({"text": {"forum": 1.5}}, "forum: 1.5 is outside 0 to 1"),
        ({"text": {"forum": "high"}}, "forum: give a number between 0 and 1"),
        ({"text": {"forum": True}}, "forum: give a number between 0 and 1"),
        ({"text": {"nuclear": 0.5}}, "unknown issue 'nuclear'"),
        ({"text": [0.5]}, "'text' maps issues to numbers"),
        ({"level": "treaty"}, "'level' is one of declaration, voluntary_commitments, shared_testing, binding"),
        ("binding", "a counter-proposal is an object"),
    ):
        with pytest.raises(RefusedError, match=re.escape(why)):
            game.counter(eu, data)
    game.counter(eu, {"text": {"forum": 0.5}})
    assert game.state(game.teacher_token)["counters"] == {"eu": {"forum": 0.5, "level": None}}
    game.counter(eu, {"withdraw": True})
    assert game.state(game.teacher_token)["counters"] == {}
    game.teacher(game.teacher_token, "close")
    assert not any("counter-propos" in line for line in game.plenary)


def test_company_players_and_counter_proposals_take_one_replication_only(bletchley):
    from sim.experiments.runner import replication_seed
    from sim.rules.kernel import Counter, Negotiation
    from sim.scenario.distributions import realize

    rngs = [np.random.default_rng(replication_seed(2, r)) for r in range(2)]
    kernel = Negotiation([realize(bletchley, rng) for rng in rngs], rngs)
    kernel.forum.players[0] = lambda _b, _c: (True, True)
    with pytest.raises(ValueError, match="one replication's adoption only"):
        kernel.step()
    kernel = Negotiation([realize(bletchley, rng) for rng in rngs], rngs)
    kernel.counters = [Counter(1, np.full(len(bletchley.issues), 0.5))]
    for _ in range(bletchley.rounds - 1):
        kernel.step()
        kernel.counters = [Counter(1, np.full(len(bletchley.issues), 0.5))]
    with pytest.raises(ValueError, match="one replication only"):
        kernel.step()


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
    assert debrief["events_replayed"] == 1
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


@contextlib.contextmanager
def serving(game: ClassGame):
    server = make_server(game, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_thirty_devices_each_with_its_own_token_all_get_answers(bletchley):
    """30 devices join the 8 seats (delegations of up to 4), each with its own token, then poll, vote and hand in
    counter-proposals together through one round: every answer arrives, and each seat votes as most members did."""
    game = ClassGame(bletchley, seed=4, delegation=4)
    seats = list(game.seats)
    with serving(game) as base:
        tokens = []
        for i in range(30):
            status, data, _ = _call(f"{base}/api/join", {"code": game.join_code, "seat": seats[i % 8], "team": f"T{i}"})
            assert status == 200
            tokens.append(data["token"])
        assert len(set(tokens)) == 30
        assert _call(f"{base}/api/teacher", {"token": game.teacher_token, "action": "open"})[0] == 200
        results: list[tuple[int, float]] = []

        def device(i: int) -> None:
            token, seat = tokens[i], seats[i % 8]
            kind = game.seats[seat].kind
            for _ in range(5):
                status, state, took = _call(f"{base}/api/state?token={token}")
                results.append((status, took))
                assert state["seat"]["actor"] == seat and state["seat"]["kind"] == kind
                vote = ("accept", "reject")[i % 2] if kind == "government" else ("bloc", "both")[i % 2]
                status, _, took = _call(f"{base}/api/vote", {"token": token, "vote": vote})
                results.append((status, took))
            if kind == "government" and i < 8:
                status, _, took = _call(f"{base}/api/counter", {"token": token, "text": {"forum": 0.4}})
                results.append((status, took))

        threads = [threading.Thread(target=device, args=(i,)) for i in range(30)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert len(results) == 30 * 10 + 4 and all(status == 200 for status, _ in results)
        # seat 0 (the US) has members 0, 8, 16, 24: all voted "accept"; seat 1 (the EU) 1, 9, 17, 25: "reject"
        votes = game.state(game.teacher_token)["votes"]
        assert votes["us"] == "accept" and votes["eu"] == "reject"
        assert votes["us_labs"] == "bloc" and votes["eu_firms"] == "both"
        assert set(game.state(game.teacher_token)["counters"]) == {"us", "eu", "uk", "china"}
        assert _call(f"{base}/api/teacher", {"token": game.teacher_token, "action": "close"})[0] == 200
        assert game.model.round == 1
        assert game.model.group_by_id["eu_firms"].adopters() == (20, 20)


def _raw(base: str, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(f"{base}{path}", data=body or None, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_bad_requests_get_a_clear_json_error_never_a_traceback(bletchley, capfd):
    game = ClassGame(bletchley, seed=4)
    with serving(game) as base:
        eu = _call(f"{base}/api/join", {"code": game.join_code, "seat": "eu"})[1]["token"]
        teacher = game.teacher_token
        cases = [
            ("POST", "/api/vote", b"[1, 2]", {}, 400, "send a JSON object"),
            ("POST", "/api/vote", b"{not json", {}, 400, "send a JSON object"),
            ("POST", "/api/vote", b"\xff\xfe", {}, 400, "send a JSON object"),
            ("POST", "/api/vote", b"[" * 4000, {}, 400, "send a JSON object"),  # deeper than Python recurses
            ("POST", "/api/vote", b"x" * 5000, {}, 413, "request too large"),
            ("POST", "/api/vote", b"{}", {"Content-Length": "many"}, 400, "send a Content-Length"),
            ("POST", "/api/nowhere", b"{}", {}, 404, "not found"),
            ("GET", "/etc/passwd", b"", {}, 404, "not found"),
            ("DELETE", "/api/state", b"", {}, 405, "use GET or POST"),
            ("POST", "/api/join", json.dumps({"code": [1], "seat": "eu"}).encode(), {}, 403, "wrong join code"),
            ("POST", "/api/join", json.dumps({"code": game.join_code, "seat": {"a": 1}}).encode(), {}, 403, "no seat"),
            ("POST", "/api/vote", json.dumps({"token": eu, "vote": ["accept"]}).encode(), {}, 403, "a vote of"),
            (
                "POST",
                "/api/vote",
                json.dumps({"token": [eu], "vote": "accept"}).encode(),
                {},
                403,
                "unknown seat token",
            ),
            (
                "POST",
                "/api/teacher",
                json.dumps({"token": teacher, "action": "open", "seconds": "soon"}).encode(),
                {},
                403,
                "seconds: a whole number",
            ),
            (
                "POST",
                "/api/teacher",
                json.dumps({"token": teacher, "action": "event", "name": [1]}).encode(),
                {},
                403,
                "events: ",
            ),
            ("POST", "/api/teacher", json.dumps({"token": teacher, "action": 7}).encode(), {}, 403, "actions: "),
            (
                "POST",
                "/api/teacher",
                json.dumps({"token": teacher, "action": "open", "seconds": float("inf")}).encode(),  # Infinity
                {},
                403,
                "seconds: a whole number",
            ),
            (
                "POST",
                "/api/teacher",
                json.dumps({"token": teacher, "action": "pause", "self": 1}).encode(),
                {},
                403,
                "no round is running",
            ),
            (
                "POST",
                "/api/counter",
                json.dumps({"token": eu, "text": {"forum": 2}}).encode(),
                {},
                403,
                "no round is open",
            ),
        ]
        for method, path, body, headers, status, error in cases:
            got, data = _raw(base, method, path, body, {"Content-Type": "application/json", **headers})
            assert (got, error in data.get("error", "")) == (status, True), (path, body[:40], got, data)
    assert "Traceback" not in capfd.readouterr().err


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed")
def test_a_class_plays_a_full_game_in_the_browser(tmp_path):
    """`simrun class`: a teacher and three seats (two governments, a company group) in separate browser contexts
    play two rounds, with a counter-proposal, and end the game."""
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
            for actor, team in (("us", "Team DC"), ("eu", "Team Brussels"), ("china_firms", "Team Shenzhen")):
                page = new_page(url)
                page.fill("#code", code)
                page.fill("#team", team)
                page.select_option("#seatpick", actor)
                page.click("#joinbtn")
                page.locator("#seatname").wait_for()
                seats[actor] = page
            firms = seats["china_firms"]
            assert seats["eu"].locator("#seatname").inner_text() == "Your seat: European Union"
            assert firms.locator("#seatname").inner_text() == "Your seat: Chinese AI companies (company group)"
            assert "Rebecca Arcesati" in firms.locator("#brief").inner_text()
            assert firms.locator("#standards tr[data-standard]").count() == 2 and firms.locator("#govseat").is_hidden()
            for round_no, eu_vote, firms_vote in ((1, "reject", "neither"), (2, "accept", "common")):
                teacher.click("#open")
                for page in seats.values():
                    page.wait_for_function("document.getElementById('status').dataset.phase === 'open'")
                seats["eu"].click(f"#v_{eu_vote}")
                seats["us"].click("#v_accept")
                firms.click(f"#c_{firms_vote}")
                if round_no == 2:  # the EU hands in a counter-proposal: the chair's text with forum at 0.9
                    seats["eu"].fill("#counterform input[data-issue=forum]", "0.9")
                    seats["eu"].click("#counterbtn")
                    seats["eu"].wait_for_function("document.getElementById('countershown').dataset.counter === 'yes'")
                seats["eu"].wait_for_function(f"document.getElementById('myvote').dataset.vote === '{eu_vote}'")
                firms.wait_for_function(f"document.getElementById('myvote').dataset.vote === '{firms_vote}'")
                teacher.wait_for_function(
                    f"document.getElementById('votes').textContent.includes('European Union {eu_vote}')"
                    f" && document.getElementById('votes').textContent.includes('Chinese AI companies {firms_vote}')"
                )
                teacher.click("#close")
                for page in seats.values():
                    page.wait_for_function(f"document.getElementById('status').dataset.round === '{round_no}'")
            plenary = firms.locator("#plenary").inner_text()
            assert re.search(r"Round 1: European Union rejects [a-z ]+ — its player said no\.", plenary)
            assert (
                "Chinese AI companies bloc standard 0 of 30, common standard 0 of 30 (Team Shenzhen: neither)"
                in plenary
            )
            assert (
                "Chinese AI companies bloc standard 0 of 30, common standard 30 of 30 (Team Shenzhen: common)"
                in plenary
            )
            assert "Round 2: European Union (Team Brussels) counter-proposes forum 0.90, at any depth." in plenary
            assert re.search(r"Round 2: the chair (does not take|takes) European Union's counter-proposal", plenary)
            teacher.click("[data-event=summit]")
            teacher.click("#end")
            for page in [teacher, *seats.values()]:
                page.locator("#classline").wait_for(timeout=60_000)
            row = seats["eu"].locator("tr.seatrow[data-seat=eu]").inner_text()
            assert row.startswith("European Union\tTeam Brussels\t")
            row = firms.locator("tr.companyrow[data-seat=china_firms]").inner_text()
            assert row.startswith("Chinese AI companies\tTeam Shenzhen\t") and "round 1: bloc 0 of 30" in row
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


def test_with_no_chair_the_verdict_on_a_counter_proposal_names_the_table_not_a_chair(bletchley):
    from sim.outputs.narrative import Narrator

    chaired, chairless = Narrator(bletchley), Narrator(bletchley.model_copy(update={"chair": None}))
    detail = "kind=text score=0.81 own=0.79 tabled=0.81"
    assert chaired.counter("eu", "declaration", "taken", detail).startswith("the chair takes European Union's")
    said = chairless.counter("eu", "declaration", "weaker", detail)
    assert said.startswith("the table does not take European Union's") and "no chair" in said


def test_the_runs_the_class_is_compared_with_replay_the_teacher_s_events(bletchley):
    """An event thrown in after two rounds is the scenario event of round 3, as live; the runs with a
    détente thrown in reach a declaration across blocs more often than the scenario's own runs."""
    from sim.classroom.debrief import with_events
    from sim.experiments.runner import run_replications

    replayed = with_events(bletchley, [(2, "détente", -0.5, -0.3), (bletchley.rounds, "too late", 0.5, 0.0)])
    (event,) = replayed.events[len(bletchley.events) :]
    assert (event.round, event.label, event.tension_change, event.restriction_change) == (3, "détente", -0.5, -0.3)
    assert with_events(bletchley, []) is bletchley

    def cross(s):
        runs = run_replications(s, replications=60, seed=5, log_events=False)
        return sum(r.outcome["gov_cross_level"] != "none" for r in runs) / len(runs)

    assert cross(replayed) > cross(bletchley) + 0.2


def test_a_debrief_that_fails_leaves_the_game_open_to_end_again(bletchley, monkeypatch):
    import sim.classroom.classgame as classgame

    game = ClassGame(bletchley, seed=3, runs=20)
    real = classgame.debrief

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(classgame, "debrief", broken)
    with pytest.raises(RuntimeError):
        game.teacher(game.teacher_token, "end")
    assert game.phase != "ended" and game.debrief is None  # not "ended" with no debrief to show
    monkeypatch.setattr(classgame, "debrief", real)
    game.teacher(game.teacher_token, "end")
    assert game.phase == "ended" and game.state(game.teacher_token)["debrief"]["runs"] == 20
