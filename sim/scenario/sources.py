"""Traceability: every number of every actor is backed by a labelled source.

``simrun validate --sources FILE`` reports, as ``FILE:LINE: key: message``, each actor
number written in the scenario (or its bases) that no source ``supports``, and each
source without a ``kind`` (quote, fact, assumption or calibrated). An actor's own
sources name fields relative to the actor (``position.forum``, ``salience`` for all its
saliences); the scenario's sources name them in full (``actors.china.legitimacy``).
"""

from __future__ import annotations

from sim.scenario.errors import Problem
from sim.scenario.schema import Scenario
from sim.scenario.yamlio import Document

NUMBERS = ("position", "salience", "capability", "flexibility", "legitimacy", "gain", "ambition", "depth_cost")
"""Actor fields whose numbers must be traced (``count`` and ``spread`` of company groups too)."""


def _covered(path: str, supports: set[str]) -> bool:
    parts = path.split(".")
    return any(".".join(parts[:k]) in supports for k in range(1, len(parts) + 1))


def source_problems(doc: Document, scenario: Scenario) -> list[Problem]:
    """Untraced actor numbers and unlabelled sources of a loaded scenario document."""
    problems = []

    def problem(loc: tuple, message: str) -> None:
        problems.append(Problem(doc.file_of(loc), doc.line_of(loc), ".".join(str(p) for p in loc), message))

    top = {s for src in scenario.sources for s in src.supports}
    for i, src in enumerate(scenario.sources):
        if src.kind is None:
            problem(("sources", i, "kind"), "label the source: quote, fact, assumption or calibrated")
    raw = doc.data.get("actors", []) if isinstance(doc.data, dict) else []
    # the document's index of each actor (a case seating some actors drops the others after validation)
    where = {a.get("id"): k for k, a in enumerate(raw) if isinstance(a, dict)}
    for actor in scenario.actors:
        i = where.get(actor.id, 0)
        written = raw[i] if raw and isinstance(raw[i], dict) else {}
        own = {s for src in actor.sources for s in src.supports}
        for j, src in enumerate(actor.sources):
            if src.kind is None:
                problem(("actors", i, "sources", j, "kind"), "label the source: quote, fact, assumption or calibrated")
        fields = NUMBERS + (("count", "spread") if actor.kind == "company" else ())
        for name in fields:
            if name not in written:
                continue  # a default of the schema, documented there
            value = written[name]
            paths = (
                [f"{name}.{k}" for k in value]
                if isinstance(value, dict) and name in ("position", "salience")
                else [name]
            )
            for path in paths:
                if not (_covered(path, own) or _covered(f"actors.{actor.id}.{path}", top)):
                    problem(("actors", i, *path.split(".")), f"no source supports {actor.id}'s {path}")
    return problems


CASE_KEYS = (
    "base", "name", "title", "description", "date", "subject", "venue", "at_table", "chair", "decision_rule", "tension",
    "sources",
)  # fmt: skip
"""What a dated case file may set (docs/cases.md): the date, the subject, the venue, who sits, chair, rule, tension."""


def case_problems(path: str, doc: Document) -> list[Problem]:
    """A dated case file that sets more than its conventions allow, or uses a stance sourced after its date.

    Applies to a file that extends a base holding dated stance periods, or that sets a ``date``: such a
    file may set only :data:`CASE_KEYS` (no actor, stance, ambition, event or coefficient
    of its own), must set its ``date``, and every source of every stance period in force at
    that date (its event before the date, for a seated actor) must be dated before the date.
    """
    import datetime as dt

    from sim.scenario.yamlio import load_yaml

    own = load_yaml(path)
    data = doc.data if isinstance(doc.data, dict) else {}
    stances = data.get("stances") or []
    if not isinstance(own.data, dict) or ("date" not in own.data and ("base" not in own.data or not stances)):
        return []  # not a case: a scenario of its own, or the base that holds the stances
    problems = []
    for key in own.data:
        if key not in CASE_KEYS:
            problems.append(
                Problem(
                    own.file,
                    own.line_of((key,)),
                    str(key),
                    f"a dated case file may set only {', '.join(CASE_KEYS)}; stances, ambitions and coefficients "
                    "come from the base (dated stance periods, docs/cases.md)",
                )
            )
    date = own.data.get("date")
    if not isinstance(date, dt.date):
        problems.append(Problem(own.file, own.line_of(("base",)), "date", "a case of a base with dated stances "
                                "must set its date (YYYY-MM-DD)"))  # fmt: skip
        return problems
    seated = set(data.get("at_table") or [a.get("id") for a in data.get("actors", []) if isinstance(a, dict)])
    for i, period in enumerate(stances):
        since = period.get("since") if isinstance(period, dict) else None
        if not isinstance(since, dt.date) or since >= date or period.get("actor") not in seated:
            continue
        if period.get("subject") not in (None, own.data.get("subject", data.get("subject"))):
            continue  # a stance on another subject is not used by this case
        for j, src in enumerate(period.get("sources") or []):
            when = src.get("date") if isinstance(src, dict) else None
            if isinstance(when, dt.date) and when >= date:
                loc = ("stances", i, "sources", j, "date")
                problems.append(
                    Problem(
                        doc.file_of(loc),
                        doc.line_of(loc),
                        ".".join(map(str, loc)),
                        f"this stance of {period.get('actor')} (since {since}) is in force at {path}'s date {date}, "
                        f"but its source is dated {when}: a stance must be sourced before the cases that use it",
                    )
                )
    return problems
