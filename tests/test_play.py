"""Play mode: a scripted game piped into the real CLI, and the debrief it prints."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import ROOT

from sim.classroom.play import build_model, result_for
from sim.scenario import load_scenario


def play(stdin: str, *args: str, scenario: str = "scenarios/bletchley.yaml") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim.cli", "play", scenario, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def debrief(stdout: str) -> dict[str, tuple[str, str]]:
    block = stdout.split("══ Debrief ══")[1]
    rows = {}
    for line in block.splitlines():
        m = re.match(r"(.{28})\s*(\S.*?)\s{2,}(\S.*)$", line)
        if m and m[1].strip():  # the header row has no label
            rows[m[1].strip()] = (m[2].strip(), m[3].strip())
    return rows


def agent_result(actor: str, seed: int):
    """The agent's own play, computed through the library (what the debrief must show)."""
    scenario = load_scenario(ROOT / "scenarios" / "bletchley.yaml")
    model = build_model(scenario, seed)
    for _ in range(scenario.rounds):
        model.step()
    return result_for(model, actor)


def test_rejecting_every_round_blocks_every_consensus_deal():
    proc = play("r\n" * 12, "--as", "eu", "--seed", "2")
    assert proc.returncode == 0, proc.stderr
    rows = debrief(proc.stdout)
    agent = agent_result("eu", 2)
    assert agent.level == "voluntary_commitments"  # on this seed the agent gets a deal …
    assert rows["deepest government deal"] == ("none", "voluntary commitments")  # … the blocker gets none
    assert rows["European Union signed up to"] == ("none", "voluntary commitments")
    assert rows["its utility (0 = no deal)"][1] == f"{agent.utility:+.3f}"
    assert rows["its utility (0 = no deal)"][0] == "+0.000"
    assert "You did worse than the agent for European Union." in proc.stdout
    assert proc.stdout.count("European Union rejects") >= 12 * 4  # every level, every round
    assert "its player said no" in proc.stdout


def test_all_auto_equals_the_agents_play_on_the_same_seed():
    proc = play("", "--as", "china", "--seed", "11")  # no input: the agent plays every round
    assert proc.returncode == 0, proc.stderr
    assert "(end of input: the agent plays on)" in proc.stdout
    rows = debrief(proc.stdout)
    for label, (you, agent) in rows.items():
        assert you == agent, label
    assert "You did as well as the agent for China." in proc.stdout


def test_an_all_auto_game_under_west_first_ends_where_the_agent_does():
    # The game looks at each round's tables before playing it; under west_first the
    # coalition round also moves the West's positions, which looking must not do.
    proc = play("", "--as", "eu", "--seed", "4", scenario="scenarios/west_first.yaml")
    assert proc.returncode == 0, proc.stderr
    rows = debrief(proc.stdout)
    assert rows and all(you == agent for you, agent in rows.values()), rows
    assert "You did as well as the agent for European Union." in proc.stdout


def test_a_recorded_session_replays_identically_and_tabling_a_text_is_voted_on():
    script = "p binding_force=0.6 forum=0.4\nm 0.5\na\nauto\n"
    first, second = play(script, "--as", "uk"), play(script, "--as", "uk")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    # the tabled text is what the table votes on in round 1
    round1 = first.stdout.split("── Round 2")[0]
    assert "Your move [a/r/m/p/auto/q, ? for help]: p binding_force=0.6 forum=0.4" in round1
    assert "══ Debrief ══" in first.stdout


def test_unknown_actor_is_refused():
    proc = play("", "--as", "atlantis")
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("--as: atlantis: not a government of bletchley")
