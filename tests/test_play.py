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


def flat(text: str) -> str:
    """``text`` with the game's line wrapping undone (every run of white space one space)."""
    return " ".join(text.split())


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


def test_rejecting_at_the_summit_leaves_the_refuser_out():
    # the sessions (rounds 1-11) cannot sign: an 'r' there is refused and asked again; at the summit it refuses
    proc = play("r\n" + "auto\n" * 11 + "r\n", "--as", "eu", "--seed", "2")
    assert proc.returncode == 0, proc.stderr
    rows = debrief(proc.stdout)
    agent = agent_result("eu", 2)
    assert agent.signed != "none" and agent.utility > 0  # on this seed the agent signs a text …
    label = {lv.name: lv.label for lv in load_scenario(ROOT / "scenarios" / "bletchley.yaml").ladder}[agent.signed]
    assert rows["European Union signed up to"] == ("nothing", label)  # … the refuser none
    assert rows["its utility (0 = no deal)"][1] == f"{agent.utility:+.2f}"
    assert rows["its utility (0 = no deal)"][0] == "+0.00"
    assert "for European Union: you did worse than the agent." in flat(proc.stdout)
    assert "✗ nothing is signed in round 1: texts are opened for signature at the summit (round 12)" in flat(
        proc.stdout
    )
    assert "Your move [m/p/auto/q, ? for help]: r" in proc.stdout  # a session does not offer a/r
    assert "Your move [a/r/m/p/auto/q, ? for help]: r" in proc.stdout  # the summit does
    assert "its player said no" in proc.stdout  # the student chose: the log says so
    assert "Texts are signed only at the summit (round 12)" in flat(proc.stdout)


def test_all_auto_equals_the_agents_play_on_the_same_seed():
    proc = play("", "--as", "china", "--seed", "11")  # no input: the agent plays every round
    assert proc.returncode == 0, proc.stderr
    assert "(end of input: the agent plays on)" in proc.stdout
    rows = debrief(proc.stdout)
    for label, (you, agent) in rows.items():
        assert you == agent, label
    assert "for China: you did as well as the agent." in flat(proc.stdout)


def test_an_all_auto_game_under_west_first_ends_where_the_agent_does():
    # The game looks at each round's tables before playing it; under west_first the
    # coalition round also moves the West's positions, which looking must not do.
    proc = play("", "--as", "eu", "--seed", "4", scenario="scenarios/west_first.yaml")
    assert proc.returncode == 0, proc.stderr
    rows = debrief(proc.stdout)
    assert rows and all(you == agent for you, agent in rows.values()), rows
    assert "for European Union: you did as well as the agent." in flat(proc.stdout)


def test_a_recorded_session_replays_identically_and_tabling_a_text_is_voted_on():
    script = "p binding_force=0.6 forum=0.4\nm 0.5\na\nauto\n"
    first, second = play(script, "--as", "uk"), play(script, "--as", "uk")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    # the tabled text is what the table votes on in round 1
    round1 = first.stdout.split("── Round 2")[0]
    assert "Your move [m/p/auto/q, ? for help]: p binding_force=0.6 forum=0.4" in round1
    assert "══ Debrief ══" in first.stdout


def test_undecodable_bytes_and_typos_through_the_real_cli_end_in_a_debrief():
    stdin = b"\xff\xfe\n\x1b[2J\nm 0,5\nm 50%\np binding_force=nan\nm abc\n" + b"x" * 300 + b"\nq\n"
    proc = subprocess.run(
        [sys.executable, "-m", "sim.cli", "play", "scenarios/bletchley.yaml", "--as", "eu"],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        timeout=120,
    )
    out = proc.stdout.decode()
    assert proc.returncode == 0 and "Traceback" not in proc.stderr.decode(), proc.stderr
    assert "  ✗ unknown command 'ÿþ': use a, r, m, p, auto or q (? for help)" in out  # Latin-1, named
    assert "  ✗ unknown command '?[2J'" in out and "\x1b" not in out  # no terminal escape echoed
    assert "  ✗ binding_force must be a finite number, not 'nan'" in out
    assert "══ Debrief ══" in out and max(len(line) for line in out.splitlines()) <= 100


GARBAGE = [
    "",
    " ",
    "\t",
    "a",
    "A",
    "accept now",
    "r r",
    "m",
    "m 2",
    "m -0",
    "m 1e999",
    "m 0x10",
    "m ½",
    "m ٣",
    "p",
    "p 0=0.5",
    "p 99=0.5",
    "p 1=1e400",
    "p 1=-0",
    "p =",
    "p ==",
    "p 1==0.5",
    "p forum=inf",
    "p forum=NaN",
    "p " + "forum=0.5 " * 200,
    "1" * 400,
    "m " + "9" * 400,
    "\x00\x01\x02",
    "\x1b]0;title\x07",
    "’“”",
    "🙂" * 50,
    "DROP TABLE",
    "q q",
    "?",
    "help me",
    "auto auto",
    "m 50 %",
    "m 0,5,",
    "p 1=0,5,5",
    "p forum=",
    "p forum=0.5%%",
    "m NaN%",
    "p 7=0.5",
    "p 1.5=0.5",
    "p -1=0.5",
]
"""45 lines a class might type by mistake or on purpose: none may end the game."""


def test_play_survives_a_garbage_corpus_through_the_real_cli():
    stdin = "\n".join(GARBAGE * 2) + "\n"  # 90 lines: the game asks again after each bad one
    proc = play(stdin, "--as", "CHINA", "--seed", "3", "-n", "20")  # an id in any case
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    out = proc.stdout
    assert "══ Debrief ══" in out and max(len(line) for line in out.splitlines()) <= 100
    assert "\x1b" not in out and "\x00" not in out
    assert "✗ nothing is signed in round 1" in flat(out)
    assert "✗ unknown issue '99'" in out and "✗ binding_force must be a finite number, not '1e400'" in out
    assert "In 20 model runs over 12 rounds" in flat(out)


def test_the_government_is_named_by_its_id_or_name_in_any_case():
    proc = play("", "--as", "united kingdom", "--replications", "0")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("You are United Kingdom.")


def test_unknown_actor_is_refused():
    proc = play("", "--as", "atlantis")
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("--as: atlantis: not a government of bletchley")


# -- in-process games: the parser, the preview, the log's reasons, the debrief -------------------

import math  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from sim.classroom.commands import WIDTH, Command, decode, parse  # noqa: E402
from sim.classroom.play import Game  # noqa: E402
from sim.experiments.sweep_spec import apply_point  # noqa: E402

ISSUES = ["binding_force", "forum"]


@pytest.fixture(scope="module")
def bletchley():
    return load_scenario(ROOT / "scenarios" / "bletchley.yaml")


def game(scenario, lines: list[str], actor: str = "eu", seed: int = 2) -> tuple[Game, list[str]]:
    """A game fed ``lines`` (then end of input), with everything it wrote."""
    feed, written = iter(lines), []

    def read(prompt: str) -> str:
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    return Game(scenario, actor, seed, read, written.append, runs=20), written


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("a", Command("accept")),
        ("  R  ", Command("reject")),
        ("m", Command("move", share=0.5)),
        ("m 0,25", Command("move", share=0.25)),
        ("move 50%", Command("move", share=0.5)),
        ("m 1", Command("move", share=1.0)),
        ("p", Command("propose")),
        ("p binding_force=0,6 forum=40%", Command("propose", setting={"binding_force": 0.6, "forum": 0.4})),
        ("p 1=0.2 2=0,3", Command("propose", setting={"binding_force": 0.2, "forum": 0.3})),  # issue numbers
        ("?", Command("help")),
    ],
)
def test_parse_reads_every_command_form(line, expected):
    assert parse(line, ISSUES) == expected


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("m abc", "the share must be a number such as 0.5, 0,5 or 50%, not 'abc'"),
        ("m nan", "the share must be a finite number, not 'nan'"),
        ("m -inf", "the share must be a finite number, not '-inf'"),
        ("m 50", "the share must be between 0 and 1 (or 0% and 100%), not 50"),
        ("m 150%", "the share must be between 0 and 1 (or 0% and 100%), not 150%"),
        ("m 1,5,6", "the share must be a number such as 0.5, 0,5 or 50%, not '1,5,6'"),
        ("m 0.1 0.2", "'m' takes one share, e.g. m 0.3 (got '0.1 0.2')"),
        ("p binding_force=nan", "binding_force must be a finite number, not 'nan'"),
        ("p binding_force=2", "binding_force must be between 0 and 1 (or 0% and 100%), not 2"),
        ("p tension=0.5", "unknown issue 'tension'; issues: binding_force, forum"),
        (
            "p binding_force 0.5",
            "write issue=value (no spaces around =), not 'binding_force'; issues: binding_force, forum",
        ),
        ("a now", "'a' takes nothing after it (got 'now')"),
        ("xyz", "unknown command 'xyz': use a, r, m, p, auto or q (? for help)"),
        ("\x1b[2J", "unknown command '?[2J': use a, r, m, p, auto or q (? for help)"),
        ("", "empty line: type a command (? for help)"),
    ],
)
def test_parse_names_what_is_wrong(line, message):
    assert parse(line, ISSUES) == message


def test_undecodable_bytes_become_text():
    assert decode(b"m 0,5") == "m 0,5"
    assert decode(b"\xe9t\xe9") == "été"  # Latin-1, as a European keyboard might send it


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.binary(max_size=30), max_size=20))
def test_random_bytes_never_crash_a_game_and_it_finishes(bletchley, chunks):
    short = apply_point(bletchley, {"rounds": 4})
    g, written = game(short, [decode(c) for c in chunks])
    result = g.play()  # any exception fails the test, with the input that caused it
    assert result.student.level in {"none", *(lv.name for lv in short.ladder)}
    assert math.isfinite(result.student.utility) and math.isfinite(result.agent.utility)
    assert all(np.isfinite(gov.position).all() and (gov.position >= 0).all() for gov in g.model.governments)
    assert "══ Debrief ══" in written and written[-1].startswith("  ")  # the last row of the numbers
    assert max(len(line) for line in written) <= WIDTH


def test_the_preview_tells_what_each_government_then_votes(bletchley):
    """Where the whole table signs the proposal shown, each logged utility is the preview's, misreading included.

    (The preview assumes everyone signs the chair's compromise; a narrower text, or a coalition
    that shrank, changes the rival share and the content, which the preview says in words.)
    """
    g, _ = game(bletchley, [], actor="china", seed=7)
    m, checked = g.model, 0
    for _ in range(bletchley.rounds):
        tables = m.tables(m.round + 1)
        previews, shown = {}, {}
        for members in tables:
            proposal = m.proposal(members)
            shown["+".join(x.actor_id for x in members)] = " ".join(f"{v:.3f}" for v in proposal)
            for gov, share in zip(members, m.rival_shares(members), strict=True):
                previews[gov.actor_id] = g.would_sign(gov, proposal, float(share))[1]
        before = len(m.log)
        m.step()
        rows, text = m.log[before:], None
        for i, row in enumerate(rows):
            if row[4] == "offer":
                votes = [r for r in rows[i + 1 :] if r[4] in ("accept", "reject") and r[2] == row[2] and r[1] == row[1]]
                everyone = len(votes) >= len(row[1].split("+")) and all(r[4] == "accept" for r in votes)
                text = row if everyone and shown.get(row[1]) == row[7] else None
            elif row[4] == "accept" and text is not None and row[2] == text[2]:
                k = [lv.name for lv in m.ladder].index(row[2])
                assert previews[row[3]][k] >= 0, row
                assert previews[row[3]][k] == pytest.approx(row[5], abs=1e-12)
                checked += 1
    assert checked > 10


def test_after_move_or_auto_the_log_gives_the_utilitys_reason_not_the_player(bletchley):
    g, written = game(bletchley, ["m 0,2", "auto", *["auto"] * 9, "r"], actor="china", seed=2)
    g.play()
    rounds = "\n".join(written).split("── Round ")
    first_two, summit = flat(" ".join(rounds[1:3])), rounds[12]
    assert "China would not (" in first_two and "its player said no" not in first_two  # its utility decided
    assert "China rejects" in summit and "its player said no" in summit.replace("\n     ", "")


def test_sessions_tell_the_draft_and_who_moved_and_only_the_summit_rejects(bletchley):
    """Nothing is signed in a session: no "rejects" there, but the draft, who would sign it, and who moved;
    a text the student tables gets an answer."""
    g, written = game(bletchley, ["p 1=0.2", *["auto"] * 10, "r"], actor="uk", seed=2)
    g.play()
    rounds = flat("\n".join(written).split("══ Debrief ══")[0]).split("── Round ")[1:]
    assert len(rounds) == 12
    for session in rounds[:11]:
        told = session.split("? for help]: ")[-1]
        assert "rejects" not in told and "accepts" not in told
        assert "(session of United States, European Union, United Kingdom and China): the chair floats a draft" in told
        assert "would sign it" in told and "nothing is signed before the summit" in told
    assert re.search(r"Round 1 \(session\): .*moved towards [A-Z]", rounds[0])
    assert "Your text: the chair floats it as the session's draft at " in rounds[0]
    summit = rounds[11]
    assert "United Kingdom rejects" in summit and "(session" not in summit


def test_a_tabled_text_is_echoed_and_deals_in_force_are_listed(bletchley):
    g, written = game(bletchley, ["p binding_force=0,6 forum=40%", "a"], actor="uk", seed=1)
    g.play()
    text = "\n".join(written)
    tabled = "You table this text (issues 1–6): 0.60 "
    assert tabled in text and text.split(tabled)[1].split(";")[0].endswith("0.40")
    assert "Deals in force: none yet." in text  # texts are signed only at the summit, the last round


def test_the_debrief_breaks_the_utility_into_terms_and_names_the_turning_point(bletchley):
    g, written = game(bletchley, ["p 1=0.2 6=40%"] + ["auto"] * 10 + ["r"], seed=2)  # issues by their numbers
    result = g.play()
    for r in (result.student, result.agent):
        if r.terms is not None:
            t = r.terms
            assert t.legitimacy + t.cooperation - t.content - t.rivalry - t.too_deep == pytest.approx(
                r.utility, abs=3e-3
            )
    assert result.student.terms is None and result.agent.terms is not None
    assert result.parted == 1  # the text tabled in the first round changes the first round
    text = "\n".join(written)
    assert "You table this text (issues 1–6): 0.20 " in text and text.split("You table this text")[1].split(";")[
        0
    ].endswith("0.40")
    assert f"  + legitimacy L{'':13}" in text
    assert "Turning point: your game and the agent's parted in round 1, where you played 'p 1=0.2 6=40%'." in text
    # round 1 is a session: the answers are signals, and the debrief does not call them signatures
    assert "  In your game:   a session, where nothing is signed: the draft " in text
    turning = flat(text.split("Turning point:")[1].split("deepest government deal")[0])
    assert "European Union said it would sign " in turning and "European Union signs" not in turning


def test_an_all_auto_game_has_no_turning_point(bletchley):
    g, written = game(bletchley, [], seed=3)
    assert g.play().parted is None
    assert "Your game and the agent's went the same way in every round." in written
