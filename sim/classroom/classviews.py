"""What each one sees of the class game: the teacher, a seat's device, or the public plenary.

Read-only views of a :class:`~sim.classroom.classgame.ClassGame`, as the JSON-ready
dicts its server sends (:meth:`~sim.classroom.classgame.ClassGame.state` calls
:func:`seen_by` under the game's lock), and the plenary's line on what the companies
adopted. The only thing written is the cache of briefs (:func:`brief`). The game is
typed by :class:`Viewed`, the parts of it read here, because the game imports this module.
"""

from __future__ import annotations

import secrets
import time
from typing import Protocol

from sim.classroom.briefs import company_brief, government_brief, text_rows
from sim.classroom.compare import summit_rounds
from sim.classroom.debrief import Events
from sim.classroom.events import EVENTS
from sim.classroom.seats import Screen, Seat, shown_code
from sim.model import NegotiationModel
from sim.outputs.narrative import Narrator
from sim.scenario import Scenario


class Viewed(Protocol):
    """The parts of a :class:`~sim.classroom.classgame.ClassGame` the views read (see its attributes)."""

    scenario: Scenario
    model: NegotiationModel
    narrator: Narrator
    phase: str
    deadline: float | None  # time.monotonic() at which the open round closes
    seats: dict[str, Seat]
    by_token: dict[str, Seat]
    delegation: int
    plenary: list[str]
    join_code: str
    teacher_token: str
    events: Events
    debrief: dict | None
    briefs: dict[str, tuple[tuple, dict]]
    locked: bool
    per_device: int
    address: str
    gone: dict[str, str]
    screens: dict
    qr: tuple[str, str] | None

    def _table(self, actor: str) -> list | None: ...

    def signing(self, actor: str) -> bool:
        """Whether ``actor``'s table in the coming round is a summit."""
        ...

    def next_summit(self, actor: str) -> int:
        """The next round in which ``actor`` sits at a summit."""
        ...


def join_url(game: Viewed) -> str:
    """The address students open, with the join code in its ``#code=`` part (what the QR code holds)."""
    return f"{game.address}#code={shown_code(game.join_code)}" if game.address else ""


def qr_svg(game: Viewed) -> str:
    """The QR code of :func:`join_url` as inline SVG (drawn once; empty without segno or an address)."""
    url = join_url(game)
    if not url:
        return ""
    if game.qr is None or game.qr[0] != url:
        try:
            import segno
        except ImportError:  # the QR code needs the demo extra; the address and code are shown anyway
            return ""
        game.qr = (url, segno.make(url, error="m").svg_inline(scale=6, border=2))
    return game.qr[1]


def seen_by(game: Viewed, token: object = "", screen: Screen | None = None) -> dict:
    """The game as the holder of ``token`` sees it (teacher, a seat, a projector ``screen``, or the public)."""
    m = game.model
    is_teacher = bool(token) and secrets.compare_digest(str(token).encode(), game.teacher_token.encode())
    mine = game.by_token.get(str(token))
    role = "teacher" if is_teacher else "seat" if mine else "public"
    if screen is not None and role == "public":
        role = "projector" if screen.paired else "screen"
    running = game.phase in ("open", "paused")
    out = {
        "scenario": game.scenario.title or game.scenario.name,
        "round": m.round,
        "current": m.round + 1 if running else m.round,
        "rounds": game.scenario.rounds,
        "summits": summit_rounds(game.scenario),
        "summit_now": running and (m.round + 1) in summit_rounds(game.scenario),
        "phase": game.phase,
        "seconds_left": None
        if game.deadline is None or game.phase != "open"
        else max(0, round(game.deadline - time.monotonic())),
        "tension": round(m.tension, 2),
        "proposal": brief(game, None)["proposal"],
        "levels": {lv.name: lv.label or lv.name for lv in m.ladder},
        "seats": {
            a: {
                "name": s.name,
                "kind": s.kind,
                "taken": s.taken,
                "full": len(s.members) >= game.delegation,
                "team": s.team,
                "members": len(s.members),
                "voted": bool(s.tally()),
            }
            for a, s in game.seats.items()
        },
        "locked": game.locked,
        "delegation": game.delegation,
        "deals": [
            {
                "level": game.narrator.labels[d.level],
                "round": d.round,
                "signed": game.narrator.who("+".join(sorted(d.signatories))),
            }
            for d in (m.deals[lv.name] for lv in m.ladder if lv.name in m.deals)
        ],
        "plenary": game.plenary[-60:],
        "role": role,
    }
    if role in ("teacher", "projector"):
        out["join_code"] = shown_code(game.join_code)
        out["address"] = game.address
        out["join_url"] = join_url(game)
    if role == "projector":
        out["qr"] = qr_svg(game)
    if role == "screen":
        out["pair"] = screen.pair
    if not mine and str(token) in game.gone:
        out["notice"] = game.gone[str(token)]
    if is_teacher:
        now = time.monotonic()
        out["members"] = {
            a: [
                {"id": x.id, "team": x.team, "voted": x.vote is not None, "seen": round(now - x.seen)}
                for x in s.members
            ]
            for a, s in game.seats.items()
        }
        out["per_device"] = game.per_device
        out["screens"] = sum(1 for x in game.screens.values() if x.paired)
        out["votes"] = {a: (s.vote() if s.taken else "agent") for a, s in game.seats.items()}
        out["counters"] = {
            a: s.counter.changes | {"level": s.counter.level} for a, s in game.seats.items() if s.counter
        }
        out["events"] = {k: v[0] for k, v in EVENTS.items()}
    if mine:
        out["seat"] = seat_view(game, mine, str(token))
    if game.debrief is not None:
        out["debrief"] = game.debrief
    return out


def brief(game: Viewed, seat: Seat | None) -> dict:
    """A seat's brief (``None``: the chair's text), drawn again only after a round or an event.

    Nothing else changes what a brief shows, and a class polls every second.
    """
    m = game.model
    drawn = (m.round, len(game.events))
    kept = game.briefs.get(seat.actor if seat else "")
    if kept is None or kept[0] != drawn:
        if seat is None:
            new = {"proposal": text_rows(game.scenario, m.proposal(m.governments))}
        elif seat.kind == "company":
            new = company_brief(m, m.group_by_id[seat.actor])
        else:
            new = government_brief(m, m.by_id[seat.actor], m.proposal(m.governments))
        kept = game.briefs[seat.actor if seat else ""] = (drawn, new)
    return kept[1]


def seat_view(game: Viewed, seat: Seat, token: str) -> dict:
    """A seat's brief, its member's own vote, the delegation's vote and, for a government, its counter-proposal."""
    member = next(x for x in seat.members if x.token == token)
    view = dict(brief(game, seat))
    if seat.kind == "government":
        c = seat.counter
        view["counter"] = None if c is None else {"changes": c.changes, "level": c.level, "team": c.team}
        view["at_table"] = game._table(seat.actor) is not None
        view["signing"] = game.signing(seat.actor)
        view["summit"] = game.next_summit(seat.actor)
    tally = seat.tally()
    return view | {
        "votes": list(seat.votes),
        "vote": member.vote or "auto",
        "seat_vote": seat.vote(),
        "tally": tally,
        "members": len(seat.members),
    }


def companies_line(game: Viewed, teams: dict[str, str] | None = None) -> str:
    """Which company groups adopted what this round, and who decided (a team's vote or the companies).

    ``teams``: the team names at each seat a team voted for this round (default: the seats' now).
    """
    if teams is None:
        teams = {a: s.team for a, s in game.seats.items() if s.taken}
    parts = []
    for group in game.model.company_groups:
        seat = game.seats[group.actor_id]
        bloc, common = group.adopters()
        team = teams.get(group.actor_id)
        who = "their own choice" if team is None else f"{team or 'a team'}: {seat.history[game.model.round]}"
        n = group.count
        parts.append(f"{group.name} bloc standard {bloc} of {n}, common standard {common} of {n} ({who})")
    return f"Round {game.model.round}, companies adopt: " + "; ".join(parts) + "."
