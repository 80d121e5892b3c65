"""Class mode: one game the whole class plays, teams at the governments' and the company groups' seats.

The teacher holds a token that alone can change the game (open and close rounds, set
the round timer, throw events in, pause, end). Teams join with the class's join code
and take a seat, a government or a company group; each device gets a token that acts
for its seat only. Several devices or teams may share a seat (a delegation, see
:mod:`sim.classroom.seats`); seats nobody takes are played by the model's agents.

Each round a government seat sees the chair's text and its utility terms for it, and
votes: sign, refuse, or let its agent decide; it may also hand in a counter-proposal,
which the chair tables only if, by its own objective, it beats its own draft (the rule
is the kernel's, :mod:`sim.rules.table`). A company seat sees its bloc's standard and
the common cross-bloc one and its companies' terms for each, and votes which its
companies adopt: their bloc's, the common one, both, neither, or let them decide. When
the teacher closes the round, or its timer runs out, the model plays the round with
those votes and the plenary says who signed and adopted what, and why. At the end each
seat gets a debrief and the class sees its outcome against model runs of the scenario
(:mod:`sim.classroom.debrief`).

:class:`ClassGame` is the state and the rules, with no web code: the server in
:mod:`sim.classroom.classserver` only translates requests. What each one sees is in
:mod:`sim.classroom.classviews`, the teacher's events in :mod:`sim.classroom.events`.
All methods are safe to call from several threads (one lock).
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time

import numpy as np

from sim.classroom.classviews import companies_line, seen_by
from sim.classroom.debrief import Adoption, Events, adoption, debrief
from sim.classroom.events import EVENTS
from sim.classroom.play import build_model
from sim.classroom.seats import COMPANY_VOTES, Member, RefusedError, Seat, parse_counter
from sim.outputs.narrative import Narrator
from sim.scenario import Scenario

__all__ = ["EVENTS", "ClassGame", "RefusedError"]


class ClassGame:
    """The class's game on ``scenario`` with master seed ``seed`` (replication 0, as ``simrun play``)."""

    def __init__(
        self,
        scenario: Scenario,
        seed: int | None = None,
        round_seconds: int = 90,
        runs: int = 200,
        delegation: int = 5,
    ):
        """Build the model, the seats and the tokens; ``round_seconds`` is the default round timer.

        ``runs``: model runs of the scenario the class's outcome is compared with at the end;
        ``delegation``: how many devices or teams may join one seat (1 to 30).
        """
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else seed
        self.model = m = build_model(scenario, self.seed)
        self.narrator = Narrator(m.spec)
        self.join_code = f"{secrets.randbelow(10**6):06d}"
        self.teacher_token = secrets.token_urlsafe(16)
        self.seats = {g.actor_id: Seat(g.actor_id, "government", g.name) for g in m.governments}
        self.seats |= {c.actor_id: Seat(c.actor_id, "company", c.name) for c in m.company_groups}
        self.by_token: dict[str, Seat] = {}
        self.delegation = max(1, min(int(delegation), 30))
        self.votes_cast = itertools.count(1)
        self.round_seconds = round_seconds
        self.runs = runs
        self.phase = "lobby"  # lobby → open → (closed → open …) → over → ended; "paused" while paused
        self.deadline: float | None = None
        self.paused_left: float | None = None
        self.plenary: list[str] = []  # the story of every played round, in words
        self.events: Events = []  # the teacher's events, for the agents' replay in the debrief
        self.adopted: Adoption = {}  # company groups' adopters after each round
        self.debrief: dict | None = None
        self.briefs: dict[str, tuple[tuple, dict]] = {}  # actor ("": the table) -> (drawn at, its brief)
        self.lock = threading.RLock()

    # -- who is asking ------------------------------------------------------------------------
    def _teacher(self, token: object) -> None:
        if not secrets.compare_digest(str(token).encode(), self.teacher_token.encode()):
            raise RefusedError("only the teacher's token can change the game")

    def _member(self, token: object) -> tuple[Seat, Member]:
        seat = self.by_token.get(str(token))
        if seat is None:
            raise RefusedError("unknown seat token: join the game first")
        return seat, next(m for m in seat.members if m.token == str(token))

    # -- seats --------------------------------------------------------------------------------
    def join(self, code: object, actor: object, team: object = "") -> str:
        """Join a seat's delegation with the join code (while it has room); returns this device's token."""
        with self.lock:
            if not secrets.compare_digest(str(code).strip().encode(), self.join_code.encode()):
                raise RefusedError("wrong join code")
            if self.phase == "ended":
                raise RefusedError("the game has ended")
            seat = self.seats.get(str(actor))
            if seat is None:
                raise RefusedError(f"no seat {str(actor)[:40]!r}; seats: {', '.join(self.seats)}")
            if len(seat.members) >= self.delegation:
                raise RefusedError(f"the seat of {seat.name} is full ({self.delegation} in its delegation)")
            token = secrets.token_urlsafe(16)
            seat.members.append(Member(token, str(team).strip()[:40]))
            self.by_token[token] = seat
            return token

    def vote(self, token: object, vote: object, seat: object = None) -> None:
        """A member's vote for the open round (see :attr:`Seat.votes`); ``seat``, if named, must be its own."""
        with self.lock:
            self._tick()
            mine, member = self._member(token)
            if seat not in (None, "", mine.actor):
                raise RefusedError(f"this token votes for {mine.name} only")
            if vote not in mine.votes:
                raise RefusedError(f"a vote of {mine.name} is one of {', '.join(mine.votes)}")
            if self.phase != "open":
                raise RefusedError("no round is open for votes")
            member.vote, member.order = str(vote), next(self.votes_cast)

    def counter(self, token: object, data: object) -> None:
        """A government seat's counter-proposal for the open round (:func:`~sim.classroom.seats.parse_counter`).

        ``{"withdraw": true}`` withdraws it. The latest a member of the seat sent stands.
        """
        with self.lock:
            self._tick()
            seat, member = self._member(token)
            if seat.kind != "government":
                raise RefusedError("only a government's seat can hand in a counter-proposal")
            if self.phase != "open":
                raise RefusedError("no round is open for counter-proposals")
            if isinstance(data, dict) and data.get("withdraw"):
                seat.counter = None
                return
            members = self._table(seat.actor)
            if members is None:
                raise RefusedError(f"{seat.name} is not at a table this round")
            m = self.model
            levels = [lv.name for lv in m.ladder]
            table = m.proposal(members).tolist()
            ids, depth = self.scenario.issue_ids, self.scenario.depth_issue
            depth_id = None if depth is None else ids[depth]
            seat.counter = parse_counter(data, ids, levels, table, member.team, depth_id)

    def _table(self, actor: str) -> list | None:
        """The governments at ``actor``'s table in the coming round (``None`` when it sits at none)."""
        m = self.model
        gov = m.by_id[actor]
        return next((t for t in m.tables(m.round + 1) if gov in t), None)

    # -- the teacher --------------------------------------------------------------------------
    def teacher(self, token: object, action: str, /, **args: object) -> None:
        """``open`` a round (``seconds``), ``close`` it, ``event`` (``name``), ``pause``, ``resume``, ``end``."""
        with self.lock:
            self._teacher(token)
            self._tick()
            if self.phase == "ended":
                raise RefusedError("the game has ended")
            if action == "open":
                self._open(args.get("seconds"))
            elif action == "close":
                if self.phase not in ("open", "paused"):
                    raise RefusedError("no round is open")
                self._play_round()
            elif action == "event":
                label, tension, restriction = EVENTS.get(str(args.get("name")), (None, 0, 0))
                if label is None:
                    raise RefusedError(f"events: {', '.join(EVENTS)}")
                self.model.apply_live_event(label, tension, restriction)
                self.events.append((self.model.round, label, tension, restriction))
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

    def _open(self, seconds: object) -> None:
        if self.phase in ("open", "paused"):
            raise RefusedError("a round is already open")
        if self.model.round >= self.scenario.rounds:
            raise RefusedError("all rounds are played: end the game")
        try:
            seconds = self.round_seconds if seconds in (None, "", 0) else int(seconds)
        except (TypeError, ValueError, OverflowError):  # OverflowError: JSON's Infinity
            raise RefusedError("seconds: a whole number from 10 to 900") from None
        self.round_seconds = max(10, min(seconds, 900))
        for seat in self.seats.values():
            seat.new_round()
        self.phase, self.deadline = "open", time.monotonic() + self.round_seconds

    def _tick(self) -> None:
        """Close the open round when its timer has run out (checked on every request)."""
        if self.phase == "open" and self.deadline is not None and time.monotonic() >= self.deadline:
            self._play_round()

    def _play_round(self) -> None:
        """The model plays the round with the seats' votes and counter-proposals; the plenary tells it."""
        m = self.model
        round_no = m.round + 1
        said = []
        for seat in self.seats.values():
            vote = seat.vote() if seat.taken else "agent"
            seat.history[round_no] = vote
            if seat.kind == "company":
                choice = COMPANY_VOTES.get(vote)
                m.group_by_id[seat.actor].vote = None if choice is None else (lambda _b, _c, c=choice: c)
                continue
            choice = {"accept": True, "reject": False}.get(vote)
            m.by_id[seat.actor].vote = None if choice is None else (lambda _level, _appraisal, c=choice: c)
            if seat.counter is not None:
                c = seat.counter
                m.counter_propose(seat.actor, np.array(c.x), c.level)
                at = f"at {self.narrator.labels[c.level]}" if c.level else "at any depth"
                changes = ", ".join(f"{k.replace('_', ' ')} {v:.2f}" for k, v in c.changes.items())
                changes = changes or "the chair's text"
                said.append(f"Round {round_no}: {seat.name} ({c.team or 'its team'}) counter-proposes {changes}, {at}.")
        before = len(m.log)
        m.step()
        for gov in m.governments:
            gov.vote = None
        for group in m.company_groups:
            group.vote = None
        self.adopted[m.round] = adoption(m)
        story = self.narrator.story(m.log[before:], {m.round: m.tension})
        self.plenary += said + (story or [f"Round {m.round}: nothing was agreed or refused at any table."])
        if m.company_groups:
            self.plenary.append(companies_line(self))
        self.phase, self.deadline = ("closed" if m.round < self.scenario.rounds else "over"), None

    def _end(self) -> None:
        # The debrief first: if it fails, the game is not marked ended without one, and the
        # teacher's next "end" tries again.
        self.debrief = debrief(self.model, self.scenario, self.seed, self.seats, self.events, self.adopted, self.runs)
        self.phase = "ended"

    # -- what each one sees -------------------------------------------------------------------
    def state(self, token: object = "") -> dict:
        """The game as the holder of ``token`` sees it (:func:`~sim.classroom.classviews.seen_by`), timer checked."""
        with self.lock:
            self._tick()
            return seen_by(self, token)
