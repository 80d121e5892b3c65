"""Play one government in the terminal against the model's agents, then a debrief.

Each round shows the proposal, the other governments' stances and what each would
accept, and asks: accept, reject, move (concede towards the proposal), propose (table
your own text), or auto (let the agent decide). Input may be piped from a file, so a
class can replay a recorded session; at the end of input the agent plays on. The
debrief compares the result with the agent's own play of the same actor on the same
seed, term by term, and names the round where the two games parted; it is written by
:mod:`sim.classroom.play_debrief`, whose names this module also exports as before.

Every input line is parsed by :func:`parse`, which never raises: a line it cannot
read gives a message saying what was wrong, and the game asks again.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable

import numpy as np

from sim.classroom.commands import HELP, MAX_ECHO, WIDTH, parse, printable
from sim.classroom.compare import compare, model_runs
from sim.classroom.play_debrief import Debrief, Result, first_difference, result_for, write_debrief
from sim.experiments.runner import replication_seed
from sim.model import NegotiationModel
from sim.model.agents import Government
from sim.outputs.narrative import Narrator
from sim.scenario import Scenario, load_scenario
from sim.scenario.distributions import realize
from sim.scenario.errors import InputError, Problem

__all__ = [
    "Debrief",
    "Game",
    "Result",
    "build_model",
    "first_difference",
    "play",
    "result_for",
    "session_moves",
    "wrap",
]


def government_id(scenario: Scenario, given: str) -> str:
    """The government ``given`` names: its id or its name, in any case ("CHINA", "china", "United States")."""
    wanted = " ".join(str(given).split()).casefold()
    for g in scenario.governments:
        if wanted in (g.id.casefold(), g.name.casefold()):
            return g.id
    ids = [g.id for g in scenario.governments]
    raise InputError([Problem("--as", 0, str(given), f"not a government of {scenario.name}; choose one of {ids}")])


def build_model(scenario: Scenario, seed: int) -> NegotiationModel:
    """Replication 0 of the scenario under ``seed`` (the same as ``simrun``'s first replication)."""
    rng = np.random.default_rng(replication_seed(seed, 0))
    return NegotiationModel(realize(scenario, rng), rng=rng)


def wrap(text: str) -> list[str]:
    """``text`` cut into lines of at most :data:`WIDTH` columns, continuation lines indented under the first."""
    out = []
    for line in text.split("\n"):
        indent = len(line) - len(line.lstrip(" "))
        out += textwrap.wrap(
            line, WIDTH, subsequent_indent=" " * (indent + 4), break_long_words=True, replace_whitespace=False
        ) or [""]
    return out


class Game:
    """A terminal game: ``read`` returns the next line (raises EOFError at the end), ``write`` prints."""

    def __init__(
        self,
        scenario: Scenario,
        actor: str,
        seed: int,
        read: Callable[[str], str],
        write: Callable[[str], None],
        runs: int = 200,
    ):
        """Check the actor (its id or name, in any case), build the model, and take the actor's votes.

        ``runs``: model runs of the scenario the game is compared with in the debrief.
        """
        actor = government_id(scenario, actor)
        self.scenario, self.actor, self.seed, self.runs = scenario, actor, seed, runs
        self.read, self._write = read, write
        self.model = build_model(scenario, seed)
        self.me = self.model.by_id[actor]
        self.narrator = Narrator(self.model.spec)
        self.choice: bool | None = None
        self.choices: list[str] = []
        self.by_round: dict[int, str] = {}  # round → what the student did there
        self.auto = False

    def write(self, text: str) -> None:
        """Write ``text`` wrapped to :data:`WIDTH` columns."""
        for line in wrap(text):
            self._write(line)

    # -- what the student sees ----------------------------------------------------------------
    def _fmt(self, x: np.ndarray) -> str:
        return " ".join(f"{v:4.2f}" for v in x)

    def legend(self) -> None:
        """The issues, numbered, with what 0 and 1 mean on each."""
        self.write("Issues (0 … 1):")
        for k, issue in enumerate(self.scenario.issues, start=1):
            low, high = issue.low or "0", issue.high or "1"
            self.write(f"  {k} {issue.id.replace('_', ' ')}: 0 = {low} … 1 = {high}")

    def header(self) -> str:
        """Column heads for positions: the issue numbers, aligned with :meth:`_fmt`."""
        return " ".join(f"{k:>4}" for k in range(1, len(self.scenario.issues) + 1))

    def would_sign(self, g: Government, proposal: np.ndarray, share: float) -> tuple[str, list[float]]:
        """The deepest level ``g`` signs and its utility per level, reading ``proposal`` as the model does.

        Each government reads every proposal through its own misreading, so the preview
        applies it too: otherwise it would promise votes the table then does not see.
        """
        m = self.model
        seen = np.clip(proposal + g.misreading, 0.0, 1.0)
        bonus = m.focal_bonus(seen)
        values = [g.appraise(seen, lv.depth, share, m.tension, bonus).value for lv in m.ladder]
        signs = [lv for lv, v in zip(m.ladder, values, strict=True) if v >= 0]
        deepest = self.narrator.labels[max(signs, key=lambda lv: lv.depth).name] if signs else "nothing"
        return deepest, values

    def deals_in_force(self) -> None:
        """The agreements already reached and who signed them."""
        m = self.model
        deals = [m.deals[lv.name] for lv in m.ladder if lv.name in m.deals]
        if not deals:
            self.write("Deals in force: none yet.")
            return
        who = self.narrator.who
        parts = [
            f"{self.narrator.labels[d.level]} (round {d.round}: {who('+'.join(sorted(d.signatories)))})" for d in deals
        ]
        self.write("Deals in force: " + "; ".join(parts) + ".")

    def show_round(self, members: list, proposal: np.ndarray) -> None:
        """Proposal, stances and what each government would accept."""
        m = self.model
        self.write(
            f"\n── Round {m.round + 1} of {self.scenario.rounds} · tension {m.tension:.2f} · table: "
            f"{', '.join(g.name for g in members)}"
        )
        self.deals_in_force()
        name_width = max(len(g.name) for g in members) + 8  # room for " (you)" and a gap
        self.write(f"{'':{name_width}}{self.header()}")
        self.write(f"{'Proposal':{name_width}}{self._fmt(proposal)}")
        shares = m.rival_shares(members)
        for g, share in zip(members, shares, strict=True):
            deepest, _ = self.would_sign(g, proposal, float(share))
            name = g.name + (" (you)" if g is self.me else "")
            self.write(f"{name:{name_width}}{self._fmt(g.position)}  signs up to: {deepest}")
        _, values = self.would_sign(self.me, proposal, float(shares[members.index(self.me)]))
        per_level = "; ".join(f"{lv.name.replace('_', ' ')} {v:+.2f}" for lv, v in zip(m.ladder, values, strict=True))
        self.write(f"Your utility as your government reads the proposal (≥ 0 beats no deal): {per_level}")
        self.write("(“signs up to” assumes everyone at the table signs; each reads the text slightly differently.)")

    # -- the student's move -----------------------------------------------------------------------
    def _vote(self, choice: bool | None) -> None:
        """Set this round's vote: True/False is the student's own, None lets the utility decide."""
        self.choice = choice
        self.me.vote = None if choice is None else (lambda level, appraisal: self.choice)

    def ask(self, members: list, proposal: np.ndarray) -> None:
        """Read commands until one sets this round's vote (or tabled text)."""
        round_no = self.model.round + 1
        signing = self.signing()
        self._vote(None)
        if self.auto:
            self.choices.append("auto")
            self.by_round[round_no] = "auto"
            return
        while True:
            try:
                line = self.read(
                    "Your move [a/r/m/p/auto/q, ? for help]: " if signing else "Your move [m/p/auto/q, ? for help]: "
                )
            except EOFError:
                self.write("(end of input: the agent plays on)")
                self.auto = True
                self.choices.append("auto")
                self.by_round[round_no] = "auto"
                return
            command = parse(line, self.scenario.issue_ids)
            if isinstance(command, str):
                self.write(f"  ✗ {command}")
                continue
            if command.kind == "help":
                self.write(HELP)
                continue
            if command.kind in ("accept", "reject") and not signing:
                self.write(
                    f"  ✗ nothing is signed in round {round_no}: texts are opened for signature at the summit "
                    f"(round {self.next_summit()}); move (m), table a text (p), auto or q"
                )
                continue
            if command.kind == "accept":
                self._vote(True)
            elif command.kind == "reject":
                self._vote(False)
            elif command.kind == "move":
                self.me.position = np.clip(self.me.position + command.share * (proposal - self.me.position), 0, 1)
                new = self.model.proposal(members)
                moved = self._fmt(self.me.position)
                self.write(f"  You move to {moved}; the chair's proposal becomes {self._fmt(new)}.")
                self.write("  Your utility decides your vote this round.")
            elif command.kind == "propose":
                text = self.me.position.copy()
                for key, value in command.setting.items():
                    text[self.scenario.issue_ids.index(key)] = value
                self.model.tabled_proposal = (self.actor, text)
                self._vote(True)
                self.write(f"  You table this text (issues 1–{len(text)}): {self._fmt(text)}; you sign it.")
            elif command.kind == "auto":
                self.write("  The agent's utility decides your vote this round.")
            elif command.kind == "quit":
                self.auto = True
                self.write("  You leave the table: the agent plays the remaining rounds.")
            text = printable(" ".join(line.split()))[:MAX_ECHO]
            self.choices.append(text)
            self.by_round[round_no] = text
            return

    def tabled_answer(self, text: np.ndarray, rows: list[tuple]) -> str:
        """Whether the chair put the student's tabled ``text`` before the table this round, and why not if not."""
        mine = [r for r in rows if r[4] == "offer" and self.actor in r[1].split("+")]
        fixed = [self.scenario.issue_ids.index(k) for k in self.scenario.venue.fixes if k in self.scenario.issue_ids]
        free = [k for k in range(len(text)) if k not in fixed]

        def same(detail: str) -> bool:
            x = np.array([float(v) for v in detail.split()])
            return len(x) == len(text) and bool(np.allclose(x[free], np.clip(text, 0, 1)[free], atol=6e-4))

        hits = [r for r in mine if same(r[7])]
        if hits:
            label = self.narrator.labels.get(hits[0][2], hits[0][2])
            if hits[0][6] == "draft":
                return (
                    f"Your text: the chair floats it as the session's draft at {label} (who would sign it is "
                    "above); nothing is signed before the summit."
                )
            verdict = "it is adopted" if hits[0][6] == "agreed" else "too few sign it: it fails"
            return f"Your text: the chair tables it for signature at {label}; {verdict}."
        if not mine:
            return "Your text was not tabled: your table did not meet this round."
        return (
            "Your text was not tabled: by the chair's objective its own compromise among those who would sign "
            "scores higher."
        )

    def signing(self) -> bool:
        """Whether the student's table in the coming round is a summit (texts open for signature)."""
        return self.next_summit() == self.model.round + 1

    def next_summit(self) -> int:
        """The next round, from the coming one, in which the student sits at a summit (the last round if none)."""
        m, k = self.model, self.model.kernel
        me = self.me.index
        for r in range(m.round + 1, self.scenario.rounds + 1):
            if any(me in t and s for t, s in zip(k.tables(r), k.summits(r), strict=True)):
                return r
        return self.scenario.rounds

    def play(self) -> Debrief:
        """Play every round, then compare with the agent's play."""
        m = self.model
        self.write(f"You are {self.me.name}. {self.scenario.title or self.scenario.name}. Seed {self.seed}.")
        self.legend()
        self.write(
            f"Texts are signed only at the summit (round {self.next_summit()}): the rounds before it are sessions, "
            "where positions move and the chair floats drafts; there you move (m) or table a text (p)."
        )
        self.write(HELP)
        for _ in range(self.scenario.rounds):
            tables = [t for t in m.tables(m.round + 1) if self.me in t]
            if tables:
                proposal = m.proposal(tables[0])
                self.show_round(tables[0], proposal)
                self.ask(tables[0], proposal)
            else:
                self._vote(None)
                self.write(f"\n── Round {m.round + 1}: you are not at the table this round.")
            before, positions = len(m.log), np.array([g.position for g in m.governments])
            tabled = self.model.tabled_proposal
            m.step()
            rows = m.log[before:]
            for line in self.narrator.story(rows, {m.round: m.tension}):
                self.write("  " + line)
            for line in session_moves(m, self.narrator, positions):
                self.write("  " + line)
            if tabled is not None and tabled[0] == self.actor:
                self.write("  " + self.tabled_answer(tabled[1], rows))
        self._vote(None)
        return self.debrief()

    def debrief(self) -> Debrief:
        """The student's result beside the agent's on the same seed, term by term, and where they parted."""
        agent_model = build_model(self.scenario, self.seed)
        for _ in range(self.model.round):
            agent_model.step()
        played = self.model.round
        rows = model_runs(self.scenario, self.seed, self.runs, played) if self.runs > 0 else []
        runs = (
            compare(self.scenario, self.model.outcome(), rows, played, you="You", game="your game", focus=[self.actor])
            if rows
            else None
        )
        return write_debrief(
            self.model, agent_model, self.actor, self.choices, self.by_round, self.narrator.labels, self.write, runs
        )


def session_moves(m: NegotiationModel, narrator: Narrator, before: np.ndarray) -> list[str]:
    """Who moved towards whom at each session of the round just played (``before``: every position before it)."""
    k, ids = m.kernel, [g.actor_id for g in m.governments]
    after = np.array([g.position for g in m.governments])
    out = []
    for table, summit in zip(k.tables(m.round), k.summits(m.round), strict=True):
        if summit:
            continue
        idx = list(table)
        line = narrator.moves(m.round, [ids[i] for i in idx], before[idx], after[idx], m.spec.issue_ids)
        if line:
            out.append(line)
    return out


def play(
    scenario_file: str,
    actor: str,
    *,
    seed: int | None = None,
    read: Callable[[str], str] = input,
    write: Callable[[str], None] = print,
    runs: int = 200,
) -> Debrief:
    """Load ``scenario_file`` and play ``actor``; see :class:`Game`."""
    scenario = load_scenario(scenario_file)
    return Game(scenario, actor, scenario.seed if seed is None else seed, read, write, runs).play()
