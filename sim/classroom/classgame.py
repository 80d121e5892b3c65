"""Class mode: one game the whole class plays, teams at the governments' seats.

The teacher holds a token that alone can change the game (open and close rounds, set
the round timer, throw events in, pause, end). Teams join with the class's join code,
take a seat (a government) and get a seat token that votes for that seat only; seats
nobody takes are played by the model's agents. Each round the chair's text is put to
the table, every seat sees its own utility terms for it and votes (sign, refuse, or let
its agent decide); when the teacher closes the round, or its timer runs out, the model
plays the round with those votes and the plenary shows who signed what and why. At the
end each seat gets a debrief (its utility terms against its agent's play on the same
seed, and the round where they parted) and the class sees its outcome against the
distribution of 200 model runs of the same scenario.

:class:`ClassGame` is the state and the rules, with no web code: the server in
:mod:`sim.classroom.classserver` only translates requests. All methods are safe to call
from several threads (one lock).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from sim.classroom.play import build_model, first_difference, result_for
from sim.outputs.narrative import Narrator
from sim.scenario import Scenario

EVENTS = {
    "export_controls": ("Export controls on AI chips tightened", 0.1, 0.2),
    "incident": ("A serious AI model incident makes the news", -0.1, 0.0),
    "summit": ("A summit brings leaders together", -0.15, -0.1),
    "sanctions": ("Sanctions restrict business contact", 0.05, 0.4),
}
"""The teacher's events: label, change of tension, change of business restriction."""

VOTES = ("accept", "reject", "auto")


class RefusedError(Exception):
    """A request the game refuses; the message says why (shown to the user as is)."""


@dataclass
class Seat:
    """A government's seat: its token (None while free), team name and this round's vote."""

    actor: str
    token: str | None = None
    team: str = ""
    vote: str = "auto"
    history: dict[int, str] = field(default_factory=dict)


class ClassGame:
    """The class's game on ``scenario`` with master seed ``seed`` (replication 0, as ``simrun play``)."""

    def __init__(self, scenario: Scenario, seed: int | None = None, round_seconds: int = 90, runs: int = 200):
        """Build the model and the tokens; ``round_seconds`` is the default round timer.

        ``runs``: model runs of the scenario the class's outcome is compared with at the end.
        """
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else seed
        self.model = build_model(scenario, self.seed)
        self.narrator = Narrator(self.model.spec)
        self.join_code = f"{secrets.randbelow(10**6):06d}"
        self.teacher_token = secrets.token_urlsafe(16)
        self.seats = {g.actor_id: Seat(g.actor_id) for g in self.model.governments}
        self.by_token: dict[str, str] = {}
        self.round_seconds = round_seconds
        self.runs = runs
        self.phase = "lobby"  # lobby → open → (closed → open …) → ended; "paused" while paused
        self.deadline: float | None = None
        self.paused_left: float | None = None
        self.plenary: list[str] = []  # the story of every played round, in words
        self.debrief: dict | None = None
        self.lock = threading.RLock()

    # -- who is asking ------------------------------------------------------------------------
    def _teacher(self, token: str) -> None:
        if not secrets.compare_digest(str(token), self.teacher_token):
            raise RefusedError("only the teacher's token can change the game")

    def _seat(self, token: str) -> Seat:
        actor = self.by_token.get(str(token))
        if actor is None:
            raise RefusedError("unknown seat token: join the game first")
        return self.seats[actor]

    # -- seats --------------------------------------------------------------------------------
    def join(self, code: str, actor: str, team: str = "") -> str:
        """Take a free seat with the join code; returns the seat's token."""
        with self.lock:
            if not secrets.compare_digest(str(code).strip(), self.join_code):
                raise RefusedError("wrong join code")
            seat = self.seats.get(actor)
            if seat is None:
                raise RefusedError(f"no seat {actor!r}; seats: {', '.join(self.seats)}")
            if seat.token is not None:
                raise RefusedError(f"the seat of {self.model.by_id[actor].name} is taken")
            seat.token = secrets.token_urlsafe(16)
            seat.team = str(team)[:40]
            self.by_token[seat.token] = actor
            return seat.token

    def vote(self, token: str, vote: str) -> None:
        """A seat's vote for the open round: ``accept`` (sign), ``reject`` or ``auto`` (its agent decides)."""
        with self.lock:
            self._tick()
            seat = self._seat(token)
            if vote not in VOTES:
                raise RefusedError(f"a vote is one of {', '.join(VOTES)}")
            if self.phase != "open":
                raise RefusedError("no round is open for votes")
            seat.vote = vote

    # -- the teacher --------------------------------------------------------------------------
    def teacher(self, token: str, action: str, **args: object) -> None:
        """``open`` a round (``seconds``), ``close`` it, ``event`` (``name``), ``pause``, ``resume``, ``end``."""
        with self.lock:
            self._teacher(token)
            self._tick()
            if self.phase == "ended":
                raise RefusedError("the game has ended")
            if action == "open":
                if self.phase == "open":
                    raise RefusedError("a round is already open")
                if self.model.round >= self.scenario.rounds:
                    raise RefusedError("all rounds are played: end the game")
                seconds = int(args.get("seconds") or self.round_seconds)
                self.round_seconds = max(10, min(seconds, 900))
                for seat in self.seats.values():
                    seat.vote = "auto"
                self.phase, self.deadline = "open", time.monotonic() + self.round_seconds
            elif action == "close":
                if self.phase not in ("open", "paused"):
                    raise RefusedError("no round is open")
                self._play_round()
            elif action == "event":
                label, tension, restriction = EVENTS.get(str(args.get("name")), (None, 0, 0))
                if label is None:
                    raise RefusedError(f"events: {', '.join(EVENTS)}")
                self.model.apply_live_event(label, tension, restriction)
                self.plenary.append(f"Teacher's event: {label} (tension now {self.model.tension:.2f}).")
            elif action == "pause":
                if self.phase != "open":
                    raise RefusedError("no round is running")
                self.phase, self.paused_left = "paused", max(0.0, self.deadline - time.monotonic())
            elif action == "resume":
                if self.phase != "paused":
                    raise RefusedError("the game is not paused")
                self.phase, self.deadline = "open", time.monotonic() + (self.paused_left or 0)
            elif action == "end":
                if self.phase in ("open", "paused"):
                    self._play_round()
                self._end()
            else:
                raise RefusedError("actions: open, close, event, pause, resume, end")

    def _tick(self) -> None:
        """Close the open round when its timer has run out (checked on every request)."""
        if self.phase == "open" and self.deadline is not None and time.monotonic() >= self.deadline:
            self._play_round()

    def _play_round(self) -> None:
        m = self.model
        for seat in self.seats.values():
            gov = m.by_id[seat.actor]
            choice = {"accept": True, "reject": False}.get(seat.vote)
            gov.vote = None if choice is None else (lambda _level, _appraisal, c=choice: c)
            seat.history[m.round + 1] = seat.vote if seat.token else "agent"
        before = len(m.log)
        m.step()
        for gov in m.governments:
            gov.vote = None
        story = self.narrator.story(m.log[before:], {m.round: m.tension})
        self.plenary += story or [f"Round {m.round}: nothing was agreed or refused at any table."]
        self.phase, self.deadline = ("closed" if m.round < self.scenario.rounds else "over"), None

    def _end(self) -> None:
        from sim.experiments.runner import run_replications

        self.phase = "ended"
        agent = build_model(self.scenario, self.seed)
        for _ in range(self.model.round):
            agent.step()
        seats = {}
        for actor, seat in self.seats.items():
            mine, theirs = result_for(self.model, actor), result_for(agent, actor)
            terms = {}
            for term in ("legitimacy", "cooperation", "content", "rivalry", "too_deep"):
                terms[term] = [round(getattr(r.terms, term), 3) if r.terms else 0.0 for r in (mine, theirs)]
            seats[actor] = {
                "name": self.model.by_id[actor].name,
                "played_by": seat.team or ("a team" if seat.token else "the model's agent"),
                "signed": [mine.signed, theirs.signed],
                "utility": [round(mine.utility, 3), round(theirs.utility, 3)],
                "terms": terms,
                "votes": seat.history,
                "turning_point": turning_point(self.model.log, agent.log, actor),
            }
        parted = first_difference(self.model.log, agent.log)
        runs = run_replications(self.scenario, replications=self.runs, seed=self.seed, log_events=False)
        levels = ["none"] + [lv.name for lv in self.model.ladder]
        share = {lv: sum(r.outcome["gov_level"] == lv for r in runs) / len(runs) for lv in levels}
        ours = result_for(self.model, self.model.governments[0].actor_id).level
        self.debrief = {
            "seats": seats,
            "parted": parted,
            "class_level": ours,
            "distribution": share,
            "labels": {lv.name: lv.label or lv.name for lv in self.model.ladder} | {"none": "no deal"},
            "runs": len(runs),
        }

    # -- what each one sees -------------------------------------------------------------------
    def state(self, token: str = "") -> dict:
        """The game as the holder of ``token`` sees it (teacher, a seat, or the public plenary)."""
        with self.lock:
            self._tick()
            m = self.model
            is_teacher = bool(token) and secrets.compare_digest(str(token), self.teacher_token)
            actor = self.by_token.get(str(token))
            members = m.governments
            proposal = m.proposal(members)
            out = {
                "scenario": self.scenario.title or self.scenario.name,
                "round": m.round,
                "rounds": self.scenario.rounds,
                "phase": self.phase,
                "seconds_left": None
                if self.deadline is None or self.phase != "open"
                else max(0, round(self.deadline - time.monotonic())),
                "tension": round(m.tension, 2),
                "proposal": self._text(proposal),
                "seats": {
                    a: {"name": m.by_id[a].name, "taken": s.token is not None, "team": s.team}
                    for a, s in self.seats.items()
                },
                "deals": [
                    {
                        "level": self.narrator.labels[d.level],
                        "round": d.round,
                        "signed": self.narrator.who("+".join(sorted(d.signatories))),
                    }
                    for d in (m.deals[lv.name] for lv in m.ladder if lv.name in m.deals)
                ],
                "plenary": self.plenary[-60:],
                "role": "teacher" if is_teacher else "seat" if actor else "public",
            }
            if is_teacher:
                out["join_code"] = self.join_code
                out["votes"] = {a: (s.vote if s.token else "agent") for a, s in self.seats.items()}
                out["events"] = {k: v[0] for k, v in EVENTS.items()}
            if actor:
                out["seat"] = self._brief(actor, proposal)
            if self.debrief is not None:
                out["debrief"] = self.debrief
            return out

    def _text(self, x: np.ndarray) -> list[dict]:
        return [
            {"issue": i.id.replace("_", " "), "value": round(float(v), 2), "low": i.low, "high": i.high}
            for i, v in zip(self.scenario.issues, x, strict=True)
        ]

    def _brief(self, actor: str, proposal: np.ndarray) -> dict:
        """A seat's role brief and its utility terms for the text on the table, per level."""
        m = self.model
        gov = m.by_id[actor]
        spec = next(a for a in self.model.spec.actors if a.id == actor)
        share = float(m.rival_shares(m.governments)[m.governments.index(gov)])
        seen = np.clip(proposal + gov.misreading, 0.0, 1.0)
        bonus = m.focal_bonus(seen)
        levels = []
        for lv in m.ladder:
            a = gov.appraise(seen, lv.depth, share, m.tension, bonus)
            levels.append(
                {
                    "level": lv.label or lv.name,
                    "legitimacy": round(a.legitimacy, 3),
                    "cooperation": round(a.cooperation, 3),
                    "content": round(a.content, 3),
                    "rivalry": round(a.rivalry, 3),
                    "too_deep": round(a.too_deep, 3),
                    "value": round(a.value, 3),
                }
            )
        order = np.argsort(-gov.salience)
        red_lines = [
            f"{self.scenario.issues[k].id.replace('_', ' ')}: you stand at {gov.ideal[k]:.2f} "
            f"(0 = {self.scenario.issues[k].low}, 1 = {self.scenario.issues[k].high})"
            for k in order[:2]
        ]
        return {
            "actor": actor,
            "name": gov.name,
            "position": self._text(gov.position),
            "red_lines": red_lines,
            "quotes": [f"“{s.quote}” ({s.by})" for s in spec.sources],
            "utility": levels,
            "vote": self.seats[actor].vote,
        }


def turning_point(mine: list[tuple], theirs: list[tuple], actor: str) -> dict | None:
    """The first round where ``actor`` answered differently in the class's game and in its agent's play.

    Returns the round and, for each game, the actor's answers that round as "level: accept/reject";
    ``None`` when it answered the same throughout.
    """

    def answers(log: list[tuple]) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for row in log:
            if row[3] == actor and row[4] in ("accept", "reject"):
                out.setdefault(row[0], []).append(f"{row[2]}: {row[4]}")
        return out

    a, b = answers(mine), answers(theirs)
    for round_no in sorted(set(a) | set(b)):
        if a.get(round_no) != b.get(round_no):
            return {"round": round_no, "class": a.get(round_no, []), "agent": b.get(round_no, [])}
    return None
