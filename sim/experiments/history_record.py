"""The public record of AI-governance outcomes (``history.yaml``): read and checked.

The record is a YAML list of entries, one per international outcome among the four
actors (us, eu, uk, china): who sat at the table, who signed, who declined, how deep
(``none < declaration < voluntary_commitments < shared_testing < binding``) and at
which level (governments or companies). Every problem is reported as
``FILE:LINE: index.key: message`` (exit status 2 at the command line).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from sim.scenario.errors import InputError, Problem
from sim.scenario.yamlio import MAX_BYTES, Document, parse_yaml

LADDER = ("none", "declaration", "voluntary_commitments", "shared_testing", "binding")
"""The depth ladder of the record, shallow to deep; index = rank (0 for none)."""
ACTORS = ("us", "eu", "uk", "china")
WESTERN = ("us", "eu", "uk")
LEVELS = ("government", "business")
CONFIDENCE = ("high", "medium", "low")
REQUIRED = ("id", "name", "date", "level", "at_table", "signed", "declined", "depth", "cross_bloc", "sources")
OPTIONAL = ("venue", "context", "companies", "confidence")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_WRAP = "record:\n"  # the record is a list; the scenario reader wants a mapping on top, so one is added


@dataclass(frozen=True)
class Case:
    """One entry of the record. ``line`` is where it starts in the file (1-based)."""

    id: str
    name: str
    date: str
    level: str
    at_table: tuple[str, ...]
    signed: tuple[str, ...]
    declined: tuple[str, ...]
    depth: str
    cross_bloc: bool
    confidence: str
    line: int

    @property
    def observed(self) -> str:
        """The observed pattern as a key: deepest rung and the exact set of signatories."""
        return pattern_key(self.depth, self.signed)

    def observed_depth(self, actor: str) -> int:
        """Rank on :data:`LADDER` of what ``actor`` signed (0 if it did not)."""
        return LADDER.index(self.depth) if actor in self.signed else 0


def pattern_key(depth: str, signatories: object) -> str:
    """``"declaration:china;eu;uk;us"``; nothing signed is ``"none:"`` whatever the set."""
    names = sorted(set(signatories))  # type: ignore[call-overload]
    if depth == "none" or not names:
        return "none:"
    return f"{depth}:{';'.join(names)}"


def read_record(path: str | Path) -> Document:
    """Parse the record with the line of every key (aliases and duplicate keys refused)."""
    file = str(path)
    p = Path(path)
    if not p.is_file():
        raise InputError([Problem(file, 0, "", "no such file" if not p.exists() else "is not a file")])
    if p.stat().st_size > MAX_BYTES:
        raise InputError([Problem(file, 0, "", f"file is larger than {MAX_BYTES} bytes")])
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(file, 0, "", f"not UTF-8 text ({exc.reason})")]) from None
    if not text.strip():
        raise InputError([Problem(file, 1, "", "file is empty")])
    # A document marker would end the added mapping: keep the line, drop the marker.
    text = re.sub(r"^(---|\.\.\.)[ \t]*$", "#", text, flags=re.MULTILINE)
    try:
        doc = parse_yaml(_WRAP + text, file)
    except InputError as exc:
        shift = [
            Problem(q.file, max(q.line - 1, 1) if q.line else 0, q.path.removeprefix("record."), q.message)
            for q in exc.problems
        ]
        raise InputError(shift) from None
    lines = {loc[1:]: line - 1 for loc, line in doc.lines.items() if loc[:1] == ("record",)}
    data = doc.data.get("record") if isinstance(doc.data, dict) and len(doc.data) == 1 else None
    if not isinstance(data, list) or not data:
        raise InputError([Problem(file, 1, "", "the record must be a non-empty list of entries (- id: ...)")])
    return Document(file, data, lines)


def load_record(path: str | Path) -> list[Case]:
    """Read and check the record; raise :class:`InputError` listing every problem."""
    doc = read_record(path)
    problems: list[Problem] = []
    cases: list[Case] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(doc.data):

        def bad(key: str | None, message: str, i: int = i) -> None:
            loc = (i,) if key is None else (i, key)
            problems.append(Problem(doc.file, doc.line_of(loc), ".".join(map(str, loc)), message))

        if not isinstance(entry, dict):
            bad(None, "an entry must be a mapping (id: ..., level: ..., ...)")
            continue
        before = len(problems)
        for key in entry:
            if key not in REQUIRED and key not in OPTIONAL:
                bad(str(key), f"unknown key; known keys are {', '.join(REQUIRED + OPTIONAL)}")
        for key in REQUIRED:
            if key not in entry:
                bad(None, f"required key {key!r} is missing")
        if len(problems) > before:
            continue
        case = _check_entry(entry, bad)
        if case is None:
            continue
        if case.id in seen:
            bad("id", f"duplicate id {case.id!r} (first at entry {seen[case.id]})")
            continue
        seen[case.id] = i
        cases.append(dataclasses.replace(case, line=doc.line_of((i,))))
    if problems:
        raise InputError(problems)
    return cases


def _actors(value: object, key: str, bad: object) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
        bad(key, f"must be a list of actors among {', '.join(ACTORS)}")  # type: ignore[operator]
        return None
    unknown = [a for a in value if a not in ACTORS]
    if unknown:
        bad(key, f"unknown actor {unknown[0]!r}; actors are {', '.join(ACTORS)}")  # type: ignore[operator]
        return None
    if len(set(value)) != len(value):
        bad(key, "an actor is listed twice")  # type: ignore[operator]
        return None
    return tuple(value)


def _check_entry(entry: dict, bad: object) -> Case | None:
    """Field-by-field checks of one entry; ``bad(key, message)`` records a problem."""
    ok = True

    def fail(key: str, message: str) -> None:
        nonlocal ok
        ok = False
        bad(key, message)  # type: ignore[operator]

    cid = entry["id"]
    if not isinstance(cid, str) or not _ID.match(cid):
        fail("id", "must be a lower-case identifier (letters, digits, _), e.g. g20_2019")
    if not isinstance(entry["name"], str) or not entry["name"].strip():
        fail("name", "must be a non-empty text")
    date = entry["date"]
    if isinstance(date, dt.date):
        date = date.isoformat()
    elif not isinstance(date, str) or not re.match(r"^\d{4}-\d{2}-\d{2}$", date):
        fail("date", "must be a date YYYY-MM-DD")
    if entry["level"] not in LEVELS:
        fail("level", f"must be one of {', '.join(LEVELS)}")
    if entry["depth"] not in LADDER:
        fail("depth", f"must be one of {', '.join(LADDER)}")
    if not isinstance(entry["cross_bloc"], bool):
        fail("cross_bloc", "must be true or false")
    confidence = entry.get("confidence", "high")
    if confidence not in CONFIDENCE:
        fail("confidence", f"must be one of {', '.join(CONFIDENCE)}")
    sources = entry["sources"]
    if not isinstance(sources, list) or not sources or not all(isinstance(s, str) and s.strip() for s in sources):
        fail("sources", "must be a non-empty list of texts")
    lists = {k: _actors(entry[k], k, fail) for k in ("at_table", "signed", "declined")}
    if not ok or any(v is None for v in lists.values()):
        return None
    at_table, signed, declined = lists["at_table"], lists["signed"], lists["declined"]
    if not at_table:
        fail("at_table", "name at least one actor at the table")
    for key, group in (("signed", signed), ("declined", declined)):
        outside = [a for a in group if a not in at_table]
        if outside:
            fail(key, f"{outside[0]!r} is not at the table (at_table: {', '.join(at_table)})")
    both = [a for a in signed if a in declined]
    if both:
        fail("declined", f"{both[0]!r} both signed and declined")
    if (entry["depth"] == "none") != (not signed):
        fail(
            "depth",
            "signatories are listed, so the depth cannot be none"
            if signed
            else "nobody signed, so the depth must be none",
        )
    cross = "china" in signed and any(a in signed for a in WESTERN)
    if ok and entry["cross_bloc"] != cross:
        fail("cross_bloc", f"must be {str(cross).lower()}: it means a western actor and china both signed")
    if not ok:
        return None
    return Case(
        cid, entry["name"].strip(), date, entry["level"], at_table, signed, declined, entry["depth"],
        entry["cross_bloc"], confidence, 0,
    )  # fmt: skip
