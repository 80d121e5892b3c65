"""The class game's seats: who sits where, what each may vote, and a delegation's vote.

A seat is a government or a company group. Several devices or teams may join one seat
(a *delegation*, up to the game's limit), each with its own token. Each member votes
on its own; the seat's vote is the one most members chose this round, a tie going to
the tied vote cast last; members who have not voted do not count, and a seat no
member voted for lets its agent decide. A government seat may also hand in one
counter-proposal per round: the latest any member sent stands.

Nothing here knows the model: :mod:`sim.classroom.classgame` applies the votes.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

GOVERNMENT_VOTES = ("accept", "reject", "auto")
"""A government seat's votes: sign what the chair tables, refuse it, or let its agent decide."""

COMPANY_VOTES: dict[str, tuple[bool, bool] | None] = {
    "bloc": (True, False),
    "common": (False, True),
    "both": (True, True),
    "neither": (False, False),
    "auto": None,
}
"""A company seat's votes: which standards its companies adopt (their bloc's, the common one).

``auto`` leaves each company to its own values."""


class RefusedError(Exception):
    """A request the game refuses; the message says why (shown to the user as is)."""


@dataclass
class Member:
    """One device or team in a seat: its token, team name, and this round's vote (``None`` until it votes)."""

    token: str
    team: str
    vote: str | None = None
    order: int = 0  # when it last voted (the game's running count): breaks ties between votes


@dataclass
class CounterProposal:
    """A government seat's counter-proposal for the round: content per issue on [0, 1], rung (``None``: every rung).

    ``changes``: the issues the seat changed from the chair's text, with their values.
    """

    x: list[float]
    level: str | None
    team: str
    changes: dict[str, float]


@dataclass
class Seat:
    """A seat: a government (``kind`` "government") or a company group ("company"), and its delegation."""

    actor: str
    kind: str
    name: str
    members: list[Member] = field(default_factory=list)
    history: dict[int, str] = field(default_factory=dict)  # round -> the seat's vote ("agent" when nobody sat)
    counter: CounterProposal | None = None

    @property
    def votes(self) -> tuple[str, ...]:
        """The votes this seat may cast."""
        return GOVERNMENT_VOTES if self.kind == "government" else tuple(COMPANY_VOTES)

    @property
    def taken(self) -> bool:
        """Whether any team sits here."""
        return bool(self.members)

    @property
    def team(self) -> str:
        """The delegation's team names, in the order they joined (each once)."""
        return ", ".join(dict.fromkeys(m.team for m in self.members if m.team))

    def tally(self) -> dict[str, int]:
        """How many members chose each vote this round."""
        return dict(Counter(m.vote for m in self.members if m.vote))

    def vote(self) -> str:
        """The seat's vote: the members' most common, a tie to the tied vote cast last; ``auto`` if none voted."""
        counts = self.tally()
        if not counts:
            return "auto"
        top = max(counts.values())
        last = {m.vote: m.order for m in sorted(self.members, key=lambda m: m.order) if m.vote}
        return max((v for v, n in counts.items() if n == top), key=lambda v: last[v])

    def new_round(self) -> None:
        """Clear the members' votes and the counter-proposal for a new round."""
        for m in self.members:
            m.vote = None
        self.counter = None


def parse_counter(
    data: object,
    issues: list[str],
    levels: list[str],
    table_text: list[float],
    team: str = "",
    depth_issue: str | None = None,
) -> CounterProposal:
    """A counter-proposal from a request: content (the table's text with the seat's changes) and rung.

    ``data`` is ``{"text": {issue: value on [0, 1], ...}, "level": rung name or null}``:
    issues not named keep their value in ``table_text`` (the chair's text now); at least
    one issue or a rung must be given. The ``depth_issue`` (if the scenario has one) is a
    text's depth: it is set by the rung, not by a value. Raises :class:`RefusedError`
    saying what is wrong.
    """
    if not isinstance(data, dict):
        raise RefusedError("a counter-proposal is an object with 'text' and/or 'level'")
    text, level = data.get("text") or {}, data.get("level") or None
    if not isinstance(text, dict):
        raise RefusedError("'text' maps issues to numbers between 0 and 1")
    if level is not None and level not in levels:
        raise RefusedError(f"'level' is one of {', '.join(levels)} (or empty for every rung)")
    if not text and level is None:
        raise RefusedError("a counter-proposal changes at least one issue or names a rung")
    x, changes = [float(v) for v in table_text], {}
    for key, value in text.items():
        if key not in issues:
            raise RefusedError(f"unknown issue {str(key)[:40]!r}; issues: {', '.join(issues)}")
        if key == depth_issue:
            raise RefusedError(f"{key} is a text's depth: pick a depth (rung) instead")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise RefusedError(f"{key}: give a number between 0 and 1")
        if not 0.0 <= value <= 1.0:
            raise RefusedError(f"{key}: {value} is outside 0 to 1")
        x[issues.index(key)] = changes[key] = float(value)
    return CounterProposal(x, level, team, changes)
