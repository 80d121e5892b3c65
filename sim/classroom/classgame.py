"""Class mode: one game the whole class plays, teams at the governments' and the company groups' seats.

The teacher holds a token that alone can change the game (open and close rounds, set
the round timer, throw events in, pause, end) and run the room: remove a member, reset
a seat, lock joining, cap the members per seat, pair a projector screen. Teams join
with the class's join code (eight letters and digits: guessing fails, and a client's
wrong codes are slowed by :class:`Limiter`) and take a seat, a government or a company
group; each device gets a token that acts for its seat only, and one device may hold
only a few places (``per_device``). Several devices or teams may share a seat (a
delegation, see :mod:`sim.classroom.seats`); seats nobody takes are played by the
model's agents. A member silent for ``leave_after`` seconds (its tab closed) has left
and is dropped. A projector screen shows the join code, a QR code and the table: it
holds no token in its address, only a key it got from the server, which shows it the
join code once the teacher typed in the pairing code the screen displays.

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

With a results :attr:`~ClassGame.folder`, the game writes its record there after every
round, event and change of the room (:mod:`sim.classroom.record`); a game stopped with its
server is resumed from that record by :meth:`~ClassGame.replay`, which plays its rounds
again through the same code as the live game.
"""

from __future__ import annotations

import itertools
import secrets
import sys
import threading
import time
from pathlib import Path

import numpy as np

from sim.classroom.classviews import companies_line, seen_by
from sim.classroom.debrief import Adoption, Events, adoption, debrief
from sim.classroom.events import EVENTS
from sim.classroom.play import build_model, session_moves
from sim.classroom.record import plain, save
from sim.classroom.seats import (
    COMPANY_VOTES,
    CounterProposal,
    Limiter,
    Member,
    RefusedError,
    Screen,
    Seat,
    TooManyError,
    new_join_code,
    parse_counter,
    typed_code,
)
from sim.outputs.narrative import Narrator
from sim.scenario import Scenario
from sim.scenario.errors import InputError, Problem
from sim.scenario.load import scenario_hash

__all__ = ["EVENTS", "ClassGame", "RefusedError", "TooManyError"]


class ClassGame:
    """The class's game on ``scenario`` with master seed ``seed`` (replication 0, as ``simrun play``)."""

    def __init__(
        self,
        scenario: Scenario,
        seed: int | None = None,
        round_seconds: int = 90,
        runs: int = 200,
        delegation: int = 3,
        per_device: int = 2,
        leave_after: float = 120.0,
        address: str = "",
    ):
        """Build the model, the seats and the tokens; ``round_seconds`` is the default round timer.

        ``runs``: model runs of the scenario the class's outcome is compared with at the end;
        ``delegation``: how many devices or teams may join one seat (1 to 30; the teacher may
        change it); ``per_device``: how many places one client address may hold at once;
        ``leave_after``: seconds of silence after which a member has left; ``address``: the
        address students open (for the projector and its QR code).
        """
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else seed
        self.model = m = build_model(scenario, self.seed)
        self.narrator = Narrator(m.spec)
        self.join_code = new_join_code()
        self.teacher_token = secrets.token_urlsafe(16)
        self.seats = {g.actor_id: Seat(g.actor_id, "government", g.name) for g in m.governments}
        self.seats |= {c.actor_id: Seat(c.actor_id, "company", c.name) for c in m.company_groups}
        self.by_token: dict[str, Seat] = {}
        self.delegation = max(1, min(int(delegation), 30))
        self.per_device = max(1, int(per_device))
        self.leave_after = leave_after
        self.address = address.rstrip("/") + "/" if address else ""
        self.locked = False  # joining locked by the teacher
        self.limiter = Limiter()
        self.member_ids = itertools.count(1)
        self.gone: dict[str, str] = {}  # token of a member who left or was removed -> why (told to its device)
        self.screens: dict[str, Screen] = {}  # a projector screen's key -> its pairing
        self.qr: tuple[str, str] | None = None  # (what it encodes, SVG): drawn once
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
        # the record (sim.classroom.record): written into ``folder`` (if any) after every move
        self.game_id = secrets.token_hex(8)
        self.scenario_sha256 = scenario_hash(scenario)
        self.moves: list[dict] = []  # each played round's moves, as the record holds them
        self.folder: Path | None = None
        self.logged = 0  # entries of the model's log and lines of the plenary already in a move
        self.told = 0
        self.save_failed = False

    # -- who is asking ------------------------------------------------------------------------
    def _teacher(self, token: object) -> None:
        if not secrets.compare_digest(str(token).encode(), self.teacher_token.encode()):
            raise RefusedError("only the teacher's token can change the game")

    def _member(self, token: object) -> tuple[Seat, Member]:
        self._drop_silent()
        seat = self.by_token.get(str(token))
        if seat is None:
            why = self.gone.get(str(token))
            raise RefusedError(f"{why}: join again" if why else "unknown seat token: join the game first")
        member = next(m for m in seat.members if m.token == str(token))
        member.seen = time.monotonic()
        return seat, member

    def _seat(self, actor: object) -> Seat:
        """The seat ``actor`` names: its id or its name, in any case."""
        wanted = " ".join(str(actor).split()).casefold()
        for seat in self.seats.values():
            if wanted in (seat.actor.casefold(), seat.name.casefold()):
                return seat
        raise RefusedError(f"no seat {str(actor)[:40]!r}; seats: {', '.join(self.seats)}")

    def _remove(self, seat: Seat, member: Member, why: str) -> None:
        seat.members.remove(member)
        self.by_token.pop(member.token, None)
        if len(self.gone) > 5000:
            self.gone.clear()
        self.gone[member.token] = why

    def _drop_silent(self) -> None:
        """Drop the members silent for longer than ``leave_after`` seconds: they closed their tab."""
        now = time.monotonic()
        for seat in self.seats.values():
            for member in [m for m in seat.members if now - m.seen > self.leave_after]:
                self._remove(seat, member, f"no contact for {self.leave_after:.0f} s, so you left {seat.name}'s seat")

    # -- seats --------------------------------------------------------------------------------
    def join(self, code: object, actor: object, team: object = "", client: str = "") -> str:
        """Join a seat's delegation with the join code (while it has room); returns this device's token.

        ``client``: the device's address: it may hold at most ``per_device`` places, and its
        wrong codes are slowed (:class:`Limiter`).
        """
        with self.lock:
            now = time.monotonic()
            self.limiter.check(client, now)
            if not secrets.compare_digest(typed_code(code).encode(), self.join_code.encode()):
                self.limiter.fail(client, now)
                raise RefusedError("wrong join code")
            if self.phase == "ended":
                raise RefusedError("the game has ended")
            if self.locked:
                raise RefusedError("the teacher has locked joining")
            seat = self._seat(actor)
            self._drop_silent()
            if len(seat.members) >= self.delegation:
                raise RefusedError(f"the seat of {seat.name} is full ({self.delegation} in its delegation)")
            held = sum(m.client == client for s in self.seats.values() for m in s.members)
            if client and held >= self.per_device:
                raise RefusedError(f"this device already holds {held} places, the most one device may hold")
            token = secrets.token_urlsafe(16)
            member = Member(token, str(team).strip()[:40], id=f"m{next(self.member_ids)}", client=client, seen=now)
            seat.members.append(member)
            self.by_token[token] = seat
            self.save()
            return token

    def leave(self, token: object) -> None:
        """A member leaves its seat (its device said so)."""
        with self.lock:
            seat, member = self._member(token)
            self._remove(seat, member, f"you left {seat.name}'s seat")
            self.save()

    def new_screen(self) -> tuple[str, str]:
        """A projector screen asks for a key: (key, pairing code the teacher types in to pair it)."""
        with self.lock:
            waiting = sorted((s.created, k) for k, s in self.screens.items() if not s.paired)
            for _, key in waiting[: max(0, len(waiting) - 19)]:  # at most 20 wait to be paired
                del self.screens[key]
            taken = {s.pair for s in self.screens.values() if not s.paired}
            pair = next(c for c in (f"{secrets.randbelow(10**6):06d}" for _ in itertools.count()) if c not in taken)
            key = secrets.token_urlsafe(16)
            self.screens[key] = Screen(pair, time.monotonic())
            return key, pair

    def screen(self, key: object) -> Screen | None:
        """The projector screen holding ``key`` (``None``: no such screen)."""
        found = self.screens.get(str(key)) if key else None
        return found

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
            if mine.kind == "government" and vote != "auto" and not self.signing(mine.actor):
                raise RefusedError(
                    f"nothing is signed in round {self.model.round + 1}: texts are opened for signature only at "
                    f"the summit (round {self.next_summit(mine.actor)}); hand in a counter-proposal instead"
                )
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

    def signing(self, actor: str) -> bool:
        """Whether ``actor``'s table in the coming round is a summit, where texts are opened for signature."""
        m, k = self.model, self.model.kernel
        gov = m.by_id[actor].index
        return any(gov in t and s for t, s in zip(k.tables(m.round + 1), k.summits(m.round + 1), strict=True))

    def next_summit(self, actor: str) -> int:
        """The next round (from the coming one) in which ``actor`` sits at a summit (the last round if none)."""
        m, k = self.model, self.model.kernel
        gov = m.by_id[actor].index
        for r in range(m.round + 1, self.scenario.rounds + 1):
            if any(gov in t and s for t, s in zip(k.tables(r), k.summits(r), strict=True)):
                return r
        return self.scenario.rounds

    def _table(self, actor: str) -> list | None:
        """The governments at ``actor``'s table in the coming round (``None`` when it sits at none)."""
        m = self.model
        gov = m.by_id[actor]
        return next((t for t in m.tables(m.round + 1) if gov in t), None)

    # -- the teacher --------------------------------------------------------------------------
    def teacher(self, token: object, action: str, /, **args: object) -> None:
        """The teacher's ``action``: the game's, or running the room.

        The game: ``open`` a round (``seconds``), ``close`` it, ``event`` (``name``), ``pause``,
        ``resume``, ``end``. The room: ``remove`` (``seat``, ``member``), ``reset`` (``seat``),
        ``lock``, ``unlock``, ``cap`` (``members`` per seat), ``pair`` (a projector's ``code``).
        """
        with self.lock:
            self._teacher(token)
            self._tick()
            if self._room(action, args):
                self.save()
                return
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
                self._event(label, tension, restriction)
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
                raise RefusedError(
                    "actions: open, close, event, pause, resume, end, remove, reset, lock, unlock, cap, pair"
                )

    def _room(self, action: str, args: dict) -> bool:
        """The teacher's moderation; ``False`` when ``action`` is not one of it."""
        if action == "remove":
            seat = self._seat(args.get("seat", ""))
            member = next((m for m in seat.members if m.id == str(args.get("member", ""))), None)
            if member is None:
                raise RefusedError(f"{seat.name} has no member {str(args.get('member', ''))[:20]!r}")
            self._remove(seat, member, f"the teacher removed you from {seat.name}'s seat")
        elif action == "reset":
            seat = self._seat(args.get("seat", ""))
            for member in list(seat.members):
                self._remove(seat, member, f"the teacher reset {seat.name}'s seat")
            seat.counter = None
        elif action in ("lock", "unlock"):
            self.locked = action == "lock"
        elif action == "cap":
            try:
                cap = int(args.get("members"))  # type: ignore[arg-type]
            except (TypeError, ValueError, OverflowError):
                raise RefusedError("members: a whole number from 1 to 30") from None
            if not 1 <= cap <= 30:
                raise RefusedError("members: a whole number from 1 to 30")
            self.delegation = cap
        elif action == "pair":
            code = str(args.get("code", "")).strip()
            screen = next((s for s in self.screens.values() if not s.paired and s.pair == code), None)
            if screen is None:
                raise RefusedError("no projector screen shows that pairing code")
            screen.paired = True
        else:
            return False
        return True

    def _event(self, label: str, tension: float, restriction: float) -> None:
        """The teacher's event, thrown in between rounds: it acts from the next round on."""
        self.model.apply_live_event(label, tension, restriction)
        self.events.append((self.model.round, label, tension, restriction))
        self.plenary.append(f"Teacher's event: {label} (tension now {self.model.tension:.2f}).")
        self.save()

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
        """The model plays the round with the seats' votes and counter-proposals (see :meth:`_apply`)."""
        votes = {a: seat.vote() if seat.taken else "agent" for a, seat in self.seats.items()}
        counters = {a: seat.counter for a, seat in self.seats.items() if seat.counter is not None}
        teams = {a: seat.team for a, seat in self.seats.items() if votes[a] != "agent"}
        self._apply(votes, counters, teams)
        self.save()

    def _apply(self, votes: dict[str, str], counters: dict[str, CounterProposal], teams: dict[str, str]) -> None:
        """Play the round with each seat's ``votes`` ("agent": nobody sat there) and ``counters``; the plenary tells it.

        ``teams``: the team names at each seat a team voted for (what the plenary names).

        The live game and a resumed one's replay (:meth:`replay`) both play through here, so they
        make the same calls on the model in the same order. The round's moves join :attr:`moves`.
        """
        m = self.model
        round_no = m.round + 1
        said = []
        for seat in self.seats.values():
            vote = votes.get(seat.actor, "agent")
            seat.history[round_no] = vote
            if seat.kind == "company":
                choice = COMPANY_VOTES.get(vote)
                m.group_by_id[seat.actor].vote = None if choice is None else (lambda _b, _c, c=choice: c)
                continue
            choice = {"accept": True, "reject": False}.get(vote)
            m.by_id[seat.actor].vote = None if choice is None else (lambda _level, _appraisal, c=choice: c)
            c = counters.get(seat.actor)
            if c is not None:
                m.counter_propose(seat.actor, np.array(c.x), c.level)
                at = f"at {self.narrator.labels[c.level]}" if c.level else "at any depth"
                changes = ", ".join(f"{k.replace('_', ' ')} {v:.2f}" for k, v in c.changes.items())
                changes = changes or "the chair's text"
                said.append(f"Round {round_no}: {seat.name} ({c.team or 'its team'}) counter-proposes {changes}, {at}.")
        before, positions = len(m.log), np.array([g.position for g in m.governments])
        m.step()
        for gov in m.governments:
            gov.vote = None
        for group in m.company_groups:
            group.vote = None
        self.adopted[m.round] = adoption(m)
        story = self.narrator.story(m.log[before:], {m.round: m.tension}) + session_moves(m, self.narrator, positions)
        self.plenary += said + (story or [f"Round {m.round}: nothing was agreed or refused at any table."])
        if m.company_groups:
            self.plenary.append(companies_line(self, teams))
        self.phase, self.deadline = ("closed" if m.round < self.scenario.rounds else "over"), None
        self.moves.append(
            {
                "round": m.round,
                "events": [
                    {"label": label, "tension_change": t, "restriction_change": r}
                    for at, label, t, r in self.events
                    if at == m.round - 1
                ],
                "votes": votes,
                "teams": teams,
                "counters": {a: vars(c) for a, c in counters.items()},
                "tension": m.tension,
                "adopted": self.adopted[m.round],
                "log": plain(m.log[self.logged :]),
                "plenary": self.plenary[self.told :],
            }
        )
        self.logged, self.told = len(m.log), len(self.plenary)

    def _end(self) -> None:
        # The debrief first: if it fails, the game is not marked ended without one, and the
        # teacher's next "end" tries again.
        self.debrief = debrief(self.model, self.scenario, self.seed, self.seats, self.events, self.adopted, self.runs)
        self.phase = "ended"
        self.save()

    # -- the record (sim.classroom.record) ------------------------------------------------------
    def save(self) -> None:
        """Write the record and the room into :attr:`folder` (nothing without one).

        A failed write (a full disk) is told once on the console and never stops the game.
        """
        if self.folder is None:
            return
        try:
            save(self, self.folder)
            self.save_failed = False
        except (OSError, ValueError, TypeError) as exc:
            if not self.save_failed:
                sys.stderr.write(f"class game: cannot write the game's record in {self.folder}: {exc}\n")
            self.save_failed = True

    def restore_room(self, room: dict) -> None:
        """Take back a restarted game's join code, teacher's token, members and room settings (see ``room_of``)."""
        self.join_code, self.teacher_token = room["join_code"], room["teacher_token"]
        self.locked = bool(room.get("locked", False))
        cap = room.get("delegation")
        if isinstance(cap, int) and not isinstance(cap, bool):
            self.delegation = max(1, min(cap, 30))
        now, last, cast = time.monotonic(), 0, 0
        for actor, members in room["members"].items():
            seat = self.seats.get(actor)
            if seat is None or not isinstance(members, list):
                continue
            for x in members:
                if not isinstance(x, dict) or not isinstance(x.get("token"), str) or x["token"] in self.by_token:
                    continue
                member = Member(x["token"], str(x.get("team", ""))[:40], id=str(x.get("id", "")), seen=now)
                member.client = str(x.get("client", ""))
                if x.get("vote") in seat.votes and isinstance(x.get("order"), int):  # its vote in the last round
                    member.vote, member.order = x["vote"], x["order"]
                    cast = max(cast, member.order)
                seat.members.append(member)
                self.by_token[member.token] = seat
                if member.id[1:].isdigit():
                    last = max(last, int(member.id[1:]))
        self.member_ids, self.votes_cast = itertools.count(last + 1), itertools.count(cast + 1)

    def replay(self, record: dict, file: str = "record") -> None:
        """Play again the rounds and events of a record (:func:`sim.classroom.record.read_record`'s, checked).

        Each round must replay to the log the record holds, else :class:`InputError` (``file``:
        the record's name): the same scenario, seed and simrun replay the game to the same bytes.
        """
        events = [
            (e["after_round"], e["label"], e["tension_change"], e["restriction_change"]) for e in record["events"]
        ]
        ids, levels = self.scenario.issue_ids, [lv.name for lv in self.model.ladder]

        def refuse(key: str, message: str) -> InputError:
            return InputError([Problem(file, 0, key, message)])

        for i, move in enumerate([*record["moves"], None]):
            for at, label, tension, restriction in events:
                if at == i:
                    self._event(label, tension, restriction)
            if move is None:
                break
            votes = {}
            for actor, vote in move["votes"].items():
                seat = self.seats.get(actor)
                if seat is None or vote not in (*seat.votes, "agent"):
                    raise refuse(f"moves.{i}.votes.{actor}", f"not a vote of a seat of {self.scenario.name}")
                votes[actor] = vote
            counters = {}
            for actor, c in move["counters"].items():
                try:
                    counters[actor] = CounterProposal(
                        [float(v) for v in c["x"]],
                        c["level"],
                        str(c["team"]),
                        {str(k): float(v) for k, v in c["changes"].items()},
                    )
                    if self.seats[actor].kind != "government" or len(c["x"]) != len(ids):
                        raise ValueError
                    if c["level"] is not None and c["level"] not in levels:
                        raise ValueError
                except (KeyError, TypeError, ValueError, AttributeError):
                    raise refuse(f"moves.{i}.counters.{actor}", "not a counter-proposal of this scenario") from None
            teams = {str(a): str(t) for a, t in move["teams"].items()}
            self._apply(votes, counters, teams)
            if self.moves[-1]["log"] != move["log"]:
                raise refuse(
                    f"moves.{i}.log",
                    f"round {i + 1} does not replay as recorded (was the record made by another version of simrun?)",
                )
        if record.get("phase") == "ended":
            self.debrief = record["debrief"]
            self.phase = "ended"

    # -- what each one sees -------------------------------------------------------------------
    def state(self, token: object = "", screen: object = "") -> dict:
        """The game as the holder of ``token`` (or projector ``screen``) sees it, timer checked.

        See :func:`~sim.classroom.classviews.seen_by`; asking counts as a sign of life.
        """
        with self.lock:
            self._tick()
            self._drop_silent()
            seat = self.by_token.get(str(token))
            if seat is not None:
                next(m for m in seat.members if m.token == str(token)).seen = time.monotonic()
            return seen_by(self, token, self.screen(screen))
