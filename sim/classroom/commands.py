"""What a student types in ``simrun play``: the commands, and a parser that never raises.

A line it cannot read gives a message saying what was wrong (decimal commas and
percentages are read, NaN and out-of-range values refused, unknown commands named);
raw bytes are decoded as UTF-8, else Latin-1, and control characters are never echoed.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field

WIDTH = 100
"""Every line the game writes fits this many columns (a default terminal is 80–120)."""

HELP = (
    "  a | accept         at a summit: sign every level the table reaches this round\n"
    "  r | reject         at a summit: sign nothing this round\n"
    "  m [share]          move your position towards the proposal (share of the gap on [0, 1],\n"
    "                     default 0.5; 0,5 and 50% also work), then your utility decides the vote\n"
    "  p [issue=value …]  table your own text: your position, with any issue set as given (0..1);\n"
    "                     an issue is named by its id or its number, e.g. p 1=0.2 forum=0.4\n"
    "  auto               let the model's agent decide this round\n"
    "  q | quit           stop; the agent plays the remaining rounds\n"
    "  ? | help           this list"
)
MAX_ECHO = 40  # characters of a bad input quoted back in an error message


@dataclass
class Command:
    """One parsed input line. ``kind`` is accept, reject, move, propose, auto, quit or help."""

    kind: str
    share: float = 0.5
    setting: dict[str, float] = field(default_factory=dict)


def printable(text: str) -> str:
    """``text`` with control and unassigned characters shown as ``?`` (no terminal escapes echoed)."""
    return "".join("?" if unicodedata.category(c)[0] == "C" else c for c in text)


def quote(text: str) -> str:
    """``text`` made safe to print back (see :func:`printable`), cut to :data:`MAX_ECHO` characters."""
    safe = printable(text)
    return repr(safe if len(safe) <= MAX_ECHO else safe[: MAX_ECHO - 1] + "…")


def number(text: str, what: str) -> float:
    """A value on [0, 1] from ``0.5``, ``0,5`` (decimal comma) or ``50%``; ValueError with a message.

    NaN and infinities are refused: one NaN would turn every utility of the game into NaN.
    """
    raw = text.strip()
    percent = raw.endswith("%")
    body = raw[:-1].strip() if percent else raw
    if body.count(",") == 1 and "." not in body:
        body = body.replace(",", ".")  # a decimal comma, as written in most of Europe
    try:
        value = float(body)
    except ValueError:
        raise ValueError(f"{what} must be a number such as 0.5, 0,5 or 50%, not {quote(raw)}") from None
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, not {quote(raw)}")
    if percent:
        value /= 100
    if not 0.0 <= value <= 1.0:
        shown = f"{raw}" if percent else f"{value:g}"
        raise ValueError(f"{what} must be between 0 and 1 (or 0% and 100%), not {shown}")
    return value


def parse(line: str, issues: list[str]) -> Command | str:
    """One input line as a :class:`Command`, or a message saying what is wrong with it (never raises)."""
    words = line.strip().split()
    if not words:
        return "empty line: type a command (? for help)"
    word, rest = words[0].lower(), words[1:]
    simple = {"a": "accept", "accept": "accept", "r": "reject", "reject": "reject", "auto": "auto"}
    simple |= {"q": "quit", "quit": "quit", "?": "help", "h": "help", "help": "help"}
    if word in simple:
        if rest:
            return f"'{word}' takes nothing after it (got {quote(' '.join(rest))})"
        return Command(simple[word])
    if word in ("m", "move"):
        if len(rest) > 1:
            return f"'m' takes one share, e.g. m 0.3 (got {quote(' '.join(rest))})"
        try:
            return Command("move", share=number(rest[0], "the share") if rest else 0.5)
        except ValueError as exc:
            return str(exc)
    if word in ("p", "propose"):
        setting: dict[str, float] = {}
        for item in rest:
            key, sign, value = item.partition("=")
            if not sign or not key:
                return f"write issue=value (no spaces around =), not {quote(item)}; issues: {', '.join(issues)}"
            if key.isdecimal() and 1 <= int(key) <= len(issues):  # the number the screen shows
                key = issues[int(key) - 1]
            if key not in issues:
                return f"unknown issue {quote(key)}; issues: {', '.join(issues)}"
            try:
                setting[key] = number(value, key)
            except ValueError as exc:
                return str(exc)
        return Command("propose", setting=setting)
    return f"unknown command {quote(words[0])}: use a, r, m, p, auto or q (? for help)"


def decode(raw: bytes) -> str:
    """A line of input bytes as text: UTF-8, else Latin-1 (which reads any byte), so no input is lost."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
