"""Play one government in the terminal against the model's agents, then a debrief.

Each round shows the proposal, the other governments' stances and what each would
accept, and asks: accept, reject, move (concede towards the proposal), propose (table
your own text), or auto (let the agent decide). Input may be piped from a file, so a
class can replay a recorded session; at the end of input the agent plays on. The
debrief compares the result with the agent's own play of the same actor on the same
seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.experiments.runner import replication_seed
from sim.model import NegotiationModel
from sim.outputs.narrative import Narrator
from sim.rules.utility import appraise
from sim.scenario import Scenario, load_scenario
from sim.scenario.distributions import realize
from sim.scenario.errors import InputError, Problem

HELP = (
    "  a | accept        sign every level the table reaches this round\n"
    "  r | reject        sign nothing this round\n"
    "  m [share]         move your position towards the proposal (default 0.5 of the gap), then vote by your utility\n"
    "  p [issue=value …] table your own proposal: your position, with any issue set as given\n"
    "  auto              let the model's agent decide this round\n"
    "  q | quit          stop; the agent plays the remaining rounds"
)


@dataclass
class Result:
    """How a run ended for one actor."""

    level: str
    cross_bloc: bool
    signed: str
    utility: float
    business: str


@dataclass
class Debrief:
    """The student's result beside the agent's, same scenario and seed."""

    actor: str
    student: Result
    agent: Result
    choices: list[str]


def build_model(scenario: Scenario, seed: int) -> NegotiationModel:
    """Replication 0 of the scenario under ``seed`` (the same as ``simrun``'s first replication)."""
    rng = np.random.default_rng(replication_seed(seed, 0))
    return NegotiationModel(realize(scenario, rng), rng=rng)


def result_for(model: NegotiationModel, actor: str) -> Result:
    """The deepest deal the actor signed, and its utility measured from its original ideal point."""
    gov = model.by_id[actor]
    best = None
    for level in model.ladder:
        deal = model.deals.get(level.name)
        if deal and actor in deal.signatories:
            best = (level, deal)
    deepest = max((lv for lv in model.ladder if lv.name in model.deals), key=lambda lv: lv.depth, default=None)
    cross = any(model.is_cross_bloc(d.signatories) for d in model.deals.values())
    if best is None:
        utility = 0.0
    else:
        level, deal = best
        signers = [g for g in model.governments if g.actor_id in deal.signatories]
        share = float(model.rival_shares(signers)[signers.index(gov)])
        ideal_ambition = gov.ideal[model.kernel.depth_issue] if model.kernel.depth_issue is not None else gov.ambition
        utility = appraise(
            x=deal.content,
            depth=level.depth,
            position=gov.ideal,
            salience=model.kernel.content_sal[0, gov.index],
            legitimacy=gov.legitimacy,
            gain=gov.gain,
            tension=model.tension,
            rival_share=share,
            kappa0=gov.kappa0,
            kappa1=gov.kappa1,
            ambition=float(ideal_ambition),
            depth_cost=gov.depth_cost,
        ).value
    business = "cross_bloc" if model.business_cross_now else "within_bloc" if model.business_within_now else "none"
    return Result(
        deepest.name if deepest else "none", cross, best[0].name if best else "none", float(utility), business
    )


class Game:
    """A terminal game: ``read`` returns the next line (raises EOFError at the end), ``write`` prints."""

    def __init__(
        self, scenario: Scenario, actor: str, seed: int, read: Callable[[str], str], write: Callable[[str], None]
    ):
        """Check the actor, build the model, and take the actor's votes."""
        ids = [g.id for g in scenario.governments]
        if actor not in ids:
            raise InputError([Problem("--as", 0, actor, f"not a government of {scenario.name}; choose one of {ids}")])
        self.scenario, self.actor, self.seed = scenario, actor, seed
        self.read, self.write = read, write
        self.model = build_model(scenario, seed)
        self.me = self.model.by_id[actor]
        self.narrator = Narrator(self.model.spec)
        self.choice: bool | None = None
        self.me.vote = lambda level, appraisal: appraisal.accepts if self.choice is None else self.choice
        self.choices: list[str] = []
        self.auto = False

    # -- what the student sees ----------------------------------------------------------------
    def _fmt(self, x: np.ndarray) -> str:
        return ", ".join(f"{k} {v:.2f}" for k, v in zip(self.scenario.issue_ids, x, strict=True))

    def show_round(self, members: list, proposal: np.ndarray) -> None:
        """Proposal, stances and what each government would accept."""
        m = self.model
        self.write(
            f"\n── Round {m.round + 1} of {self.scenario.rounds} · tension {m.tension:.2f} · table: "
            f"{', '.join(g.name for g in members)}"
        )
        self.write(f"Proposal on the table: {self._fmt(proposal)}")
        shares = m.rival_shares(members)
        bonus = m.focal_bonus(proposal)
        for g, share in zip(members, shares, strict=True):
            would = [lv for lv in m.ladder if g.appraise(proposal, lv.depth, float(share), m.tension, bonus).value >= 0]
            accepts = max(would, key=lambda lv: lv.depth).name.replace("_", " ") if would else "nothing"
            tag = " (you)" if g is self.me else ""
            self.write(f"  {g.name}{tag}: position {self._fmt(g.position)} → would accept up to {accepts}")
        mine = float(shares[members.index(self.me)])
        values = [
            f"{lv.name.replace('_', ' ')} {self.me.appraise(proposal, lv.depth, mine, m.tension, bonus).value:+.2f}"
            for lv in m.ladder
        ]
        self.write(f"Your utility for this proposal, by depth (≥ 0 beats no deal): {'; '.join(values)}")

    # -- the student's move -----------------------------------------------------------------------
    def ask(self, proposal: np.ndarray) -> None:
        """Read one command and set this round's vote (or tabled text)."""
        self.choice = None
        if self.auto:
            self.choices.append("auto")
            return
        while True:
            try:
                line = self.read("Your move [a/r/m/p/auto/q, ? for help]: ").strip()
            except EOFError:
                self.write("(end of input: the agent plays on)")
                self.auto = True
                self.choices.append("auto")
                return
            word, _, rest = line.partition(" ")
            word = word.lower()
            if word in ("a", "accept"):
                self.choice = True
            elif word in ("r", "reject"):
                self.choice = False
            elif word in ("m", "move"):
                share = float(rest) if rest.strip() else 0.5
                if not 0 <= share <= 1:
                    self.write("share must be between 0 and 1")
                    continue
                self.me.position = np.clip(self.me.position + share * (proposal - self.me.position), 0, 1)
            elif word in ("p", "propose"):
                text = self.me.position.copy()
                try:
                    for item in rest.split():
                        key, _, value = item.partition("=")
                        text[self.scenario.issue_ids.index(key)] = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    self.write(f"write issue=value with issues {self.scenario.issue_ids}")
                    continue
                self.model.tabled_proposal = (self.actor, text)
                self.choice = True
            elif word == "auto":
                pass
            elif word in ("q", "quit"):
                self.auto = True
            else:
                self.write(HELP)
                continue
            self.choices.append(line)
            return

    def play(self) -> Debrief:
        """Play every round, then compare with the agent's play."""
        m = self.model
        self.write(f"You are {self.me.name}. {self.scenario.title or self.scenario.name}. Seed {self.seed}.")
        self.write(HELP)
        for _ in range(self.scenario.rounds):
            tables = [t for t in m.tables(m.round + 1) if self.me in t]
            if tables:
                proposal = m.proposal(tables[0])
                self.show_round(tables[0], proposal)
                self.ask(proposal)
            else:
                self.choice = None
                self.write(f"\n── Round {m.round + 1}: you are not at the table this round.")
            before = len(m.log)
            m.step()
            for line in self.narrator.story(m.log[before:], {m.round: m.tension}):
                self.write("  " + line)
        return self.debrief()

    def debrief(self) -> Debrief:
        """The student's result beside the agent's on the same seed."""
        agent_model = build_model(self.scenario, self.seed)
        for _ in range(self.scenario.rounds):
            agent_model.step()
        mine, theirs = result_for(self.model, self.actor), result_for(agent_model, self.actor)
        self.write("\n══ Debrief ══")
        rows = (
            ("deepest government deal", mine.level, theirs.level),
            ("signed across blocs", "yes" if mine.cross_bloc else "no", "yes" if theirs.cross_bloc else "no"),
            (f"{self.me.name} signed up to", mine.signed, theirs.signed),
            ("its utility (0 = no deal)", f"{mine.utility:+.3f}", f"{theirs.utility:+.3f}"),
            ("business standard", mine.business, theirs.business),
        )
        rows = [(label, a.replace("_", " "), b.replace("_", " ")) for label, a, b in rows]
        width = 2 + max(len(v) for row in rows for v in row[1:] + ("the agent",))  # columns never touch
        self.write(f"{'':28}{'you':>{width}}{'the agent':>{width}}")
        for label, a, b in rows:
            self.write(f"{label:28}{a:>{width}}{b:>{width}}")
        verdict = (
            "better than"
            if mine.utility > theirs.utility + 1e-9
            else "worse than"
            if mine.utility < theirs.utility - 1e-9
            else "as well as"
        )
        self.write(f"You did {verdict} the agent for {self.me.name}.")
        return Debrief(self.actor, mine, theirs, self.choices)


def play(
    scenario_file: str,
    actor: str,
    *,
    seed: int | None = None,
    read: Callable[[str], str] = input,
    write: Callable[[str], None] = print,
) -> Debrief:
    """Load ``scenario_file`` and play ``actor``; see :class:`Game`."""
    scenario = load_scenario(scenario_file)
    return Game(scenario, actor, scenario.seed if seed is None else seed, read, write).play()
