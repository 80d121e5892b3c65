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
