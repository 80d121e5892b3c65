"""Class mode: the game's rules (tokens, votes, timer, debrief, the teacher's moderation, the projector),
a load of 30 devices, bad requests; the full game in Chromium is in test_browser_class.py."""

from __future__ import annotations

import contextlib
import html
import json
import re
import threading
import time
import urllib.request

import numpy as np
import pytest
from conftest import ROOT

from sim.classroom.classgame import EVENTS, ClassGame, RefusedError
from sim.classroom.classserver import make_server
from sim.scenario import load_scenario


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
    # round 1 is a session: nothing can be signed, so a government is not asked to sign or refuse
    with pytest.raises(RefusedError, match=r"nothing is signed in round 1: .* only at the summit \(round 12\)"):
        game.vote(eu, "reject")
    game.vote(eu, "auto")  # leaving it to the agent is always fine
    game.teacher(game.teacher_token, "close")
    assert not game.model.deals  # nothing is signed before the summit
    for _ in range(10):
        game.teacher(game.teacher_token, "open")
        game.teacher(game.teacher_token, "close")
    game.teacher(game.teacher_token, "open")
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
    # the plenary says the refusal was the team's choice
    assert any(s.startswith("Round 12: European Union") and s.endswith("its player said no.") for s in game.plenary)


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
    _to_the_summit(game)
    game.teacher(game.teacher_token, "close")
    game.model.kernel.round -= 1  # the summit again (only its vote is tested here)
    game.phase = "closed"
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
        "members": 3,
        "voted": True,
    }
    game.teacher(game.teacher_token, "close")
    assert seat.history[12] == "reject"
    seat.new_round()
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


def test_the_plenary_tells_sessions_without_rejects_and_keeps_them_for_the_summit(bletchley):
    game = ClassGame(bletchley, seed=2, runs=0)
    for _ in range(bletchley.rounds):
        game.teacher(game.teacher_token, "open", seconds=30)
        game.teacher(game.teacher_token, "close")
    sessions = [line for line in game.plenary if not line.startswith(f"Round {bletchley.rounds}")]
    assert sessions and not any("rejects" in line for line in sessions)
    assert any("the chair floats a draft at " in line and "would sign it" in line for line in sessions)
    assert any(re.match(r"Round \d+ \(session\): .+ moved towards ", line) for line in sessions)
    summit = [line for line in game.plenary if line.startswith(f"Round {bletchley.rounds}:")]
    assert any(" rejects " in line for line in summit) and any("agreement on" in line for line in summit)
    assert any(", signed by " in line for line in summit)  # who signed, so a refuser is not read as signing


def test_events_pause_and_the_debrief(bletchley):
    game = ClassGame(bletchley, seed=3, runs=40)  # the class compares with 200 runs; 40 keep the test short
    us = game.join(game.join_code, "us", "Team DC")
    labs = game.join(game.join_code, "us_labs", "Team Valley")
    before = game.model.tension
    game.teacher(game.teacher_token, "event", name="export_controls")
    assert game.model.tension == pytest.approx(min(1.0, before + EVENTS["export_controls"][1]))
    game.teacher(game.teacher_token, "open", seconds=30)
    game.teacher(game.teacher_token, "pause")
    with pytest.raises(RefusedError, match="no round is open for votes"):
        game.vote(labs, "common")
    game.teacher(game.teacher_token, "resume")
    game.vote(labs, "common")
    game.teacher(game.teacher_token, "end")  # ends the open round, then the game
    debrief = game.state(us)["debrief"]
    assert debrief["runs"] == 40 and sum(debrief["distribution"].values()) == pytest.approx(1.0)
    assert (
        debrief["events_replayed"] == 1
        and "with the teacher's 1 event at the same rounds" in debrief["compare"]["sentences"][2]
    )
    assert debrief["seats"]["us"]["played_by"] == "Team DC" and debrief["seats"]["us"]["votes"] == {1: "auto"}
    assert debrief["companies"]["us_labs"]["votes"] == {1: "common"}
    assert debrief["seats"]["eu"]["played_by"] == "the model's agent"
    with pytest.raises(RefusedError, match="the game has ended"):
        game.teacher(game.teacher_token, "open")


def test_each_seat_s_debrief_names_the_round_where_it_parted_from_its_agent(bletchley):
    game = ClassGame(bletchley, seed=3, runs=20)
    us = game.join(game.join_code, "us", "Team DC")
    _to_the_summit(game)
    game.vote(us, "reject")  # the US's agent signs the chair's summit text; the team refuses it
    game.teacher(game.teacher_token, "end")
    seats = game.state(us)["debrief"]["seats"]
    point = seats["us"]["turning_point"]
    assert point["round"] == 12
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
    game = ClassGame(bletchley, seed=4, delegation=4, per_device=30)  # the 30 devices all come from 127.0.0.1
    seats = list(game.seats)
    for _ in range(bletchley.rounds - 1):  # the sessions: the devices vote at the summit
        game.teacher(game.teacher_token, "open")
        game.teacher(game.teacher_token, "close")
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
        assert game.model.round == 12
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


# -- the debrief compares like with like -----------------------------------------------------------------------


def _play_class(game: ClassGame, rounds: int, votes: dict[int, dict[str, str]]) -> None:
    """Open and close ``rounds`` rounds; ``votes``: round -> token -> vote."""
    for round_no in range(1, rounds + 1):
        game.teacher(game.teacher_token, "open")
        for token, vote in votes.get(round_no, {}).items():
            game.vote(token, vote)
        game.teacher(game.teacher_token, "close")


def test_the_debrief_sets_the_class_s_cross_bloc_pattern_against_the_same_pattern_in_the_runs(bletchley):
    """The issue's case: the class's China accepts shared testing at the summit, so the deepest text is signed
    by all four, across blocs. The old debrief highlighted "shared testing standards 100%" (the deepest rung
    alone); the model never gets China to sign it: the debrief says so, with the reason, in words first."""
    from sim.experiments.runner import run_replications

    game = ClassGame(bletchley, seed=2)
    china = game.join(game.join_code, "China", "Team Beijing")  # a seat named by its name, in any case
    _play_class(game, 11, {})
    game.teacher(game.teacher_token, "open")
    seen = {u["level"]: u["value"] for u in game.state(china)["seat"]["utility"]}
    game.vote(china, "accept")
    game.teacher(game.teacher_token, "end")
    d = game.state(china)["debrief"]
    c = d["compare"]
    assert sorted(game.model.deals["shared_testing"].signatories) == ["china", "eu", "uk", "us"]
    # the same pattern, counted independently in the same 200 runs
    runs = [r.outcome for r in run_replications(bletchley, replications=200, seed=2, log_events=False)]
    same = sum(
        r["gov_level"] == "shared_testing"
        and set(r["shared_testing_signatories"].split(";")) == {"us", "eu", "uk", "china"}
        for r in runs
    )
    china_signs = sum("china" in r["shared_testing_signatories"].split(";") for r in runs)
    assert c["runs"] == 200 and c["rounds"] == 12 and c["pattern"]["count"] == same == 0 and china_signs == 0
    assert c["pattern"]["cross"] and c["pattern"]["words"] == (
        "shared testing standards signed by United States, European Union, United Kingdom and China, across blocs"
    )
    text = " ".join(c["sentences"])
    assert c["sentences"][0] == (
        "Your class's deepest text was shared testing standards, signed by United States, European Union, "
        "United Kingdom and China: across blocs."
    )
    assert "in 0 of 200 model runs of the same scenario (0%)" in text
    assert (
        "It signs shared testing standards across blocs in 0% of runs, because China declines it in 100% of runs"
        in text
    )
    assert (
        "Your class got China to sign shared testing standards; the model's China does so in 0% of runs, because the "
        "text goes deeper than China wants to commit (too deep)." in text
    )
    # the worksheet's question, answered
    both = sum(set(r["declaration_signatories"].split(";")) >= {"us", "china"} for r in runs)
    assert "Will United States and China both sign? In your class: yes, both signed shared testing standards." in text
    assert f"both sign shallow declaration in {round(100 * both / 200)}% of runs" in text
    assert c["pair"]["class"]["shared testing standards"] and not c["pair"]["class"]["binding standards"]
    # no internal ids anywhere a student reads
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text)
    assert [p["words"] for p in c["patterns"] if p["ours"]] == [c["pattern"]["words"]]
    # the utility in the debrief is the one China's screen showed, with the reason it is below zero
    row = d["seats"]["china"]
    assert row["signed_label"][0] == "shared testing standards" and row["utility"][0] == pytest.approx(
        seen["shared testing standards"], abs=1e-3
    )
    assert row["utility"][0] < 0 and row["note"][0].startswith("its player chose to sign")
    assert row["turning_point"]["class"] == ["shared testing standards: accept"]
    agents = {a: r for a, r in d["seats"].items() if a != "china"}
    assert all(r["utility"][0] >= 0 and not r["note"][0] for r in agents.values())  # agents sign at zero or above


def test_a_game_ended_early_is_compared_with_runs_stopped_at_the_same_round(bletchley):
    game = ClassGame(bletchley, seed=2, runs=50)
    _play_class(game, 3, {})
    game.teacher(game.teacher_token, "end")
    c = game.debrief["compare"]
    assert c["rounds"] == 3 and game.debrief["rounds"] == 3
    text = " ".join(c["sentences"])
    assert "No text was signed in your class." in text
    assert "Texts are opened for signature only at the summit (round 12); the game ended after round 3" in text
    assert "in 50 of 50 model runs of the same scenario stopped after round 3, where the game ended (100%)" in text


# -- the teacher runs the room ------------------------------------------------------------------------------------


def test_one_client_cannot_take_more_places_than_the_cap_and_the_teacher_runs_the_room(bletchley):
    """The issue's loop on /api/join took 39 places: now one device holds at most ``per_device`` places, a seat
    at most ``delegation`` members, and the teacher removes a member, resets a seat, locks joining, sets the cap."""
    game = ClassGame(bletchley, seed=2)
    assert (game.delegation, game.per_device) == (3, 2)  # small defaults
    with serving(game) as base:
        got = [
            _call(f"{base}/api/join", {"code": game.join_code, "seat": seat, "team": "loop"})
            for seat in ["eu", "us", "uk", "china", "eu", "us_labs"] * 5
        ]
        assert [status for status, _, _ in got[:2]] == [200, 200]
        assert all(status == 403 for status, _, _ in got[2:])
        assert "this device already holds 2 places, the most one device may hold" in got[2][1]["error"]
        assert sum(len(s.members) for s in game.seats.values()) == 2
    # other devices (other addresses) fill the EU's delegation up to its cap
    tokens = [game.join(game.join_code, "eu", f"Team {k}", client=f"10.0.0.{k}") for k in range(2)]
    with pytest.raises(RefusedError, match=r"the seat of European Union is full \(3 in its delegation\)"):
        game.join(game.join_code, "eu", "Team 9", client="10.0.0.9")
    teacher = game.teacher_token
    roster = game.state(teacher)["members"]["eu"]
    assert [m["team"] for m in roster] == ["loop", "Team 0", "Team 1"] and all(m["id"] for m in roster)
    assert all(t not in json.dumps(roster) for t in game.by_token)  # the teacher sees members, not their tokens
    with serving(game) as base:
        for who in ("", tokens[0]):
            status, data, _ = _call(
                f"{base}/api/teacher", {"token": who, "action": "remove", "seat": "eu", "member": roster[0]["id"]}
            )
            assert status == 403 and "only the teacher's token" in data["error"]
        status, _, _ = _call(
            f"{base}/api/teacher", {"token": teacher, "action": "remove", "seat": "eu", "member": roster[0]["id"]}
        )
        assert status == 200
    assert [m.team for m in game.seats["eu"].members] == ["Team 0", "Team 1"]
    removed = next(iter(t for t, s in game.gone.items() if "removed" in s))
    assert game.state(removed)["notice"] == "the teacher removed you from European Union's seat"
    with pytest.raises(RefusedError, match="the teacher removed you from European Union's seat: join again"):
        game.vote(removed, "auto")
    game.teacher(teacher, "lock")
    with pytest.raises(RefusedError, match="the teacher has locked joining"):
        game.join(game.join_code, "uk", "late", client="10.0.0.7")
    assert game.state()["locked"]
    game.teacher(teacher, "unlock")
    game.teacher(teacher, "cap", members=1)
    with pytest.raises(RefusedError, match=r"full \(1 in its delegation\)"):
        game.join(game.join_code, "us", "second", client="10.0.0.8")
    for bad in (0, 31, "many", 10**400):
        with pytest.raises(RefusedError, match="members: a whole number from 1 to 30"):
            game.teacher(teacher, "cap", members=bad)
    game.teacher(teacher, "reset", seat="eu")
    assert not game.seats["eu"].members and all(t not in game.by_token for t in tokens)
    with pytest.raises(RefusedError, match="European Union has no member 'm999'"):
        game.teacher(teacher, "remove", seat="eu", member="m999")


def test_join_codes_are_long_and_guessing_them_is_slowed(bletchley):
    from sim.classroom.seats import CODE_ALPHABET, shown_code

    game = ClassGame(bletchley, seed=2)
    assert len(game.join_code) == 8 and set(game.join_code) <= set(CODE_ALPHABET)
    assert ClassGame(bletchley, seed=2).join_code != game.join_code
    shown = shown_code(game.join_code)
    token = game.join(" " + shown.lower() + " ", "eu", client="10.0.0.1")  # typed in any case, with its hyphen
    assert game.by_token[token].actor == "eu"
    with serving(game) as base:
        answers = [_call(f"{base}/api/join", {"code": f"WRONG{k:03d}", "seat": "uk"})[:2] for k in range(7)]
        assert [a[0] for a in answers] == [403] * 5 + [429] * 2
        assert answers[5][1]["error"].startswith("too many wrong join codes from this device: try again in ")
        # while slowed, even the right code waits: a guesser cannot tell a hit from a miss
        assert _call(f"{base}/api/join", {"code": game.join_code, "seat": "uk"})[0] == 429
    # another device is not slowed by this one
    game.join(game.join_code, "uk", client="10.0.0.2")


def test_members_who_leave_are_dropped(bletchley):
    game = ClassGame(bletchley, seed=2, leave_after=0.2)
    gone = game.join(game.join_code, "eu", "Team A", client="10.0.0.1")
    stays = game.join(game.join_code, "eu", "Team B", client="10.0.0.2")
    left = game.join(game.join_code, "uk", "Team C", client="10.0.0.3")
    game.leave(left)  # the "Leave this seat" button
    assert not game.seats["uk"].members
    for _ in range(4):
        time.sleep(0.1)
        game.state(stays)  # this device keeps polling; the other closed its tab
    assert [m.team for m in game.seats["eu"].members] == ["Team B"]
    assert game.state(gone)["notice"].startswith("no contact for 0 s, so you left European Union's seat")
    assert game.state()["seats"]["eu"]["members"] == 1


def test_the_projector_view_carries_no_token_and_shows_the_code_once_paired(bletchley):
    game = ClassGame(bletchley, seed=2)
    with serving(game) as base:
        with urllib.request.urlopen(f"{base}/projector") as r:
            page = r.read().decode()
        assert game.teacher_token not in page and game.join_code not in page
        status, screen, _ = _call(f"{base}/api/screen", {})
        assert status == 200 and len(screen["pair"]) == 6 and screen["key"] != game.teacher_token
        state = _call(f"{base}/api/state?screen={screen['key']}")[1]
        assert state["role"] == "screen" and state["pair"] == screen["pair"] and "join_code" not in state
        assert "join_code" not in _call(f"{base}/api/state?screen=made-up")[1]
        assert (
            _call(f"{base}/api/teacher", {"token": game.teacher_token, "action": "pair", "code": "000000x"})[0] == 403
        )
        assert (
            _call(f"{base}/api/teacher", {"token": game.teacher_token, "action": "pair", "code": screen["pair"]})[0]
            == 200
        )
        state = _call(f"{base}/api/state?screen={screen['key']}")[1]
        raw = json.dumps(state)
        assert state["role"] == "projector" and state["join_code"] == f"{game.join_code[:4]}-{game.join_code[4:]}"
        assert state["join_url"] == f"{base}/#code={state['join_code']}" and state["qr"].startswith("<svg")
        assert game.teacher_token not in raw and not any(t in raw for t in game.by_token)
        assert "votes" not in state and "members" not in state  # the room sees who voted, never what


def test_a_huge_number_or_a_dropped_client_never_gives_a_traceback(bletchley, capfd):
    import socket
    import struct

    game = ClassGame(bletchley, seed=4)
    with serving(game) as base:
        eu = _call(f"{base}/api/join", {"code": game.join_code, "seat": "eu"})[1]["token"]
        _call(f"{base}/api/teacher", {"token": game.teacher_token, "action": "open"})
        for value in (10**400, -(10**400), 1e308 * 10):
            body = json.dumps({"token": eu, "text": {"forum": value}}).encode()
            status, data = _raw(base, "POST", "/api/counter", body, {"Content-Type": "application/json"})
            assert status == 403 and data["error"].startswith("forum: "), (status, data)
        port = int(base.rsplit(":", 1)[1])
        for _ in range(5):  # devices that send a request and vanish before the answer
            s = socket.create_connection(("127.0.0.1", port))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.sendall(b"GET /api/state HTTP/1.1\r\nHost: x\r\n\r\n")
            s.close()
        time.sleep(0.3)
        assert _call(f"{base}/api/state")[0] == 200
    err = capfd.readouterr().err
    assert "Traceback" not in err and "BrokenPipe" not in err, err


# -- the record of the game: handed out, reloaded into a report, a game resumed from it ------------------
def _moves(game: ClassGame, tokens: dict[str, str], start: int, stop: int) -> None:
    """Rounds ``start`` to ``stop`` of a scripted class: votes, a counter-proposal, the teacher's events."""
    teacher = game.teacher_token
    for round_no in range(start, stop + 1):
        if round_no == 2:
            game.teacher(teacher, "event", name="export_controls")
        game.teacher(teacher, "open")
        game.vote(tokens["firms"], ("common", "both", "bloc", "neither", "auto")[round_no % 5])
        if round_no in (1, 3):
            game.counter(tokens["eu"], {"text": {"safety_testing": 0.8, "forum": 0.6}, "level": None})
        game.state(tokens["eu"])  # devices poll: asking changes nothing the model plays
        game.teacher(teacher, "close")
        if round_no == 4:
            game.teacher(teacher, "event", name="summit")  # thrown in after round 4, before round 5 opens


def _seen(game: ClassGame) -> dict:
    """What the record must keep: the model's log and state, the plenary, events, votes, adoption, the room."""
    from sim.classroom.record import plain

    m = game.model
    state = game.state(game.teacher_token)
    state["members"] = {a: [x | {"seen": 0} for x in xs] for a, xs in state["members"].items()}
    return {
        "log": json.dumps(plain(m.log)),  # the same bytes
        "outcome": plain(m.outcome()),
        "tension": m.tension,
        "positions": [g.position.tolist() for g in m.governments],
        "plenary": game.plenary,
        "events": game.events,
        "adopted": game.adopted,
        "history": {a: s.history for a, s in game.seats.items()},
        "state": state,
    }


def test_a_game_resumed_from_its_record_is_the_uninterrupted_game(bletchley, tmp_path):
    from sim.classroom.record import RECORD, ROOM, room_of
    from sim.classroom.resume import resume_game

    live = ClassGame(bletchley, seed=5, runs=20)
    live.folder = tmp_path
    tokens = {"eu": live.join(live.join_code, "eu", "Team Brussels")}
    tokens["firms"] = live.join(live.join_code, "china_firms", "Team Shenzhen")
    whole = ClassGame(bletchley, seed=5, runs=20)  # the same class, never stopped: same code, tokens, teams
    whole.restore_room(room_of(live))
    _moves(live, tokens, 1, 4)
    _moves(whole, tokens, 1, 4)
    assert (tmp_path / ROOM).stat().st_mode & 0o077 == 0  # the tokens are the owner's only
    record = json.loads((tmp_path / RECORD).read_text())
    assert record["scenario_sha256"] and record["seed"] == 5 and record["played"] == 4
    assert record["moves"][2]["votes"]["china_firms"] == "neither" and record["moves"][2]["counters"]["eu"]["x"]
    assert [e["label"] for e in record["moves"][1]["events"]] == [EVENTS["export_controls"][0]]
    assert record["events"][-1]["after_round"] == 4  # the summit event waits for round 5
    assert any(row[4] == "counter" for row in record["moves"][0]["log"])  # the chair's answer to the text tabled
    assert live.join_code not in (tmp_path / RECORD).read_text()  # the record can be handed out: no code, no token
    assert live.teacher_token not in (tmp_path / RECORD).read_text() and tokens["eu"] not in record
    del live  # the server stops

    game, folder, told = resume_game(bletchley, tmp_path / RECORD, round_seconds=90)
    assert folder == tmp_path and game.phase == "closed" and game.model.round == 4
    assert "after round 4 of 12 (seed 5)" in told and "restored" in told
    assert _seen(game) == _seen(whole)
    assert game.state(tokens["eu"])["seat"]["counter"] is None  # the team's device carries on with its token
    _moves(game, tokens, 5, 6)
    _moves(whole, tokens, 5, 6)
    assert _seen(game) == _seen(whole)
    # without its room (not copied with the record), the code and tokens are new and the teams join again
    (tmp_path / ROOM).unlink()
    again, _, told = resume_game(bletchley, tmp_path)
    assert "new join code" in told and again.join_code != whole.join_code and not again.by_token
    assert json.dumps(again.model.log) == json.dumps(whole.model.log) and again.plenary == whole.plenary


def test_the_record_of_an_ended_game_becomes_a_report_with_the_debrief(bletchley, tmp_path):
    from typer.testing import CliRunner

    from sim.classroom.record import RECORD
    from sim.classroom.resume import resume_game
    from sim.cli import app

    game = ClassGame(bletchley, seed=2, runs=20)
    game.folder = tmp_path
    china = game.join(game.join_code, "China", "Team Beijing")
    _play_class(game, 11, {})
    game.teacher(game.teacher_token, "open")
    game.vote(china, "accept")
    game.teacher(game.teacher_token, "end")
    pattern = game.debrief["compare"]["sentences"][0]
    assert pattern.startswith("Your class's deepest text was shared testing standards, signed by")
    result = CliRunner().invoke(app, ["report", str(tmp_path / RECORD)])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "report.html").read_text()
    assert html.escape(pattern) in page and "Team Beijing" in page
    assert "China signs" in page and "Round 12" in page and "<script" not in page and 'src="http' not in page
    # an ended game resumed is shown ended, with its debrief
    ended, _, _ = resume_game(bletchley, tmp_path)
    assert ended.phase == "ended" and ended.debrief["compare"]["sentences"][0] == pattern


def test_a_corrupt_or_mismatched_record_is_refused_with_where_and_why(bletchley, tmp_path):
    from typer.testing import CliRunner

    from sim.classroom.record import RECORD
    from sim.cli import app
    from sim.scenario.load import scenario_hash

    game = ClassGame(bletchley, seed=2, runs=20)
    game.folder = tmp_path
    _play_class(game, 2, {})
    path = tmp_path / RECORD
    good = json.loads(path.read_text())

    def refused(args: list[str], message: str) -> None:
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        assert result.output.strip().splitlines()[0] == message, result.output

    other = ROOT / "scenarios" / "detente.yaml"
    theirs = scenario_hash(load_scenario(other))[:12]
    refused(["class", str(other), "--resume", str(path)], f"{path}: scenario_sha256: the record is of another "
            f"scenario (bletchley, {good['scenario_sha256'][:12]}…), not of detente ({theirs}…)")  # fmt: skip
    scenario = str(ROOT / "scenarios" / "bletchley.yaml")
    refused(["class", scenario, "--resume", str(path), "--seed", "3"], f"{path}: seed: the game was played with seed "
            "2, not 3: leave --seed out")  # fmt: skip
    cases = [
        (lambda d: d["moves"][1]["votes"].update(eu="maybe"), "moves.1.votes.eu: not a vote of a seat of bletchley"),
        (lambda d: d["moves"][0]["log"].pop(), "moves.0.log: round 1 does not replay as recorded (was the record made "
         "by another version of simrun?)"),
        (lambda d: d.pop("seed"), "seed: missing or not a whole number"),
        (lambda d: d["events"].append({"after_round": 9}), "events.0: not a teacher's event (after_round, label, "
         "tension and restriction)"),
        (lambda d: d.update(kind="a sweep"), "kind: not a class game's record (expected kind 'simrun class game')"),
    ]  # fmt: skip
    for change, message in cases:
        data = json.loads(json.dumps(good))
        change(data)
        path.write_text(json.dumps(data))
        refused(["class", scenario, "--resume", str(tmp_path)], f"{path}: {message}")
    path.write_text(json.dumps(good)[:-40])
    result = CliRunner().invoke(app, ["report", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.startswith(f"{path}:1: (file): not valid JSON"), result.output
