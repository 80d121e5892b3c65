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
import secrets
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


class TooManyError(RefusedError):
    """A request refused because its client asked too often (answered 429, with when to try again)."""

    def __init__(self, message: str, retry_after: float):
        """``retry_after``: seconds before the client may try again."""
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class Member:
    """One device or team in a seat: its token, team name, and this round's vote (``None`` until it votes).

    ``id`` names it to the teacher (never its token); ``client`` is the address it joined
    from; ``seen`` when it last asked anything (``time.monotonic()``): one silent for
    longer than the game's limit has left and is dropped.
    """

    token: str
    team: str
    vote: str | None = None
    order: int = 0  # when it last voted (the game's running count): breaks ties between votes
    id: str = ""
    client: str = ""
    seen: float = 0.0


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


def number_between(value: object, what: str) -> float:
    """``value`` as a float on [0, 1], or :class:`RefusedError` saying what is wrong (never another exception)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RefusedError(f"{what}: give a number between 0 and 1")
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits
        raise RefusedError(f"{what}: give a number between 0 and 1") from None
    if not math.isfinite(number):
        raise RefusedError(f"{what}: give a number between 0 and 1")
    if not 0.0 <= number <= 1.0:
        shown = str(value) if len(str(value)) <= 12 else f"{number:.3g}"
        raise RefusedError(f"{what}: {shown} is outside 0 to 1")
    return number


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
        x[issues.index(key)] = changes[key] = number_between(value, key)
    return CounterProposal(x, level, team, changes)


CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
"""Letters and digits of a join code: none that reads as another (no O/0, I/1/L)."""
CODE_LENGTH = 8
"""31**8, about 8.5e11 codes: at the :class:`Limiter`'s pace a guesser needs millions of years."""


def new_join_code() -> str:
    """A fresh join code of :data:`CODE_LENGTH` characters from :data:`CODE_ALPHABET`."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def shown_code(code: str) -> str:
    """A join code as people read it: ``ABCD-EFGH``."""
    return f"{code[:4]}-{code[4:]}"


def typed_code(text: object) -> str:
    """A join code as typed: any case, spaces and hyphens ignored."""
    return "".join(c for c in str(text).upper() if c not in " -\t")[:64]


class Limiter:
    """A per-client bucket of failed tries: ``burst`` at once, then one every ``every`` seconds.

    A client (an address) whose bucket is empty is refused with :class:`TooManyError`
    until it refills; clients that stay quiet are forgotten.
    """

    def __init__(self, burst: int = 5, every: float = 6.0):
        """Allow ``burst`` failures at once, then one per ``every`` seconds."""
        self.burst, self.every = burst, every
        self.tries: dict[str, tuple[float, float]] = {}  # client -> (tries left, when counted)

    def _left(self, client: str, now: float) -> float:
        left, then = self.tries.get(client, (float(self.burst), now))
        return min(float(self.burst), left + (now - then) / self.every)

    def check(self, client: str, now: float) -> None:
        """Refuse ``client`` while it has no tries left."""
        left = self._left(client, now)
        if left < 1.0:
            wait = (1.0 - left) * self.every
            raise TooManyError(f"too many wrong join codes from this device: try again in {wait:.0f} s", wait)

    def fail(self, client: str, now: float) -> None:
        """Count one failed try of ``client``."""
        if len(self.tries) > 10_000:  # forget clients whose bucket is full again
            self.tries = {c: v for c, v in self.tries.items() if self._left(c, now) < self.burst}
        self.tries[client] = (self._left(client, now) - 1.0, now)


@dataclass
class Screen:
    """A projector screen: the pairing code it shows until the teacher types it in, then ``paired``."""

    pair: str
    created: float
    paired: bool = False
