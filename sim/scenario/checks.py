"""Checks of a scenario that need the whole document, and readable validation messages.

Pydantic checks each field; these check what fields say about each other: references
(chair, events, required signatories, homes, protocol options), duplicate ids, issue
coverage of positions and saliences, all-zero salience, and the fields named by
sources' ``supports``; and notes on normal distributions their field's range clips.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pydantic import BaseModel

from sim.scenario.distributions import uncertain_paths
from sim.scenario.errors import Problem

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario
    from sim.scenario.yamlio import Document


def cross_check(s: Scenario) -> list[tuple[tuple, str]]:
    """Checks that need the whole scenario: references, duplicates, coverage."""
    out: list[tuple[tuple, str]] = []
    issue_ids = s.issue_ids
    gov_ids = {a.id for a in s.governments}
    for field, items in (("issues", s.issues), ("actors", s.actors)):
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.id in seen:
                out.append(((field, i, "id"), f"duplicate id {item.id!r}"))
            seen.add(item.id)
    technical = [i.id for i in s.issues if i.technical] or issue_ids
    out += _stance_checks(s)
    for key in s.venue.fixes:
        if key not in issue_ids:
            out.append((("venue", "fixes", key), f"unknown issue {key!r}; issues are {issue_ids}"))
    for i, a in enumerate(s.actors):
        # companies negotiate only the technical issues in the forum; governments all
        needed = issue_ids if a.kind == "government" else technical
        for part in ("position", "salience"):
            values = getattr(a, part)
            for key in values:
                if key not in issue_ids:
                    out.append((("actors", i, part, key), f"unknown issue {key!r}; issues are {issue_ids}"))
                elif key not in needed:
                    out.append(
                        (("actors", i, part, key), f"companies take positions only on technical issues {needed}")
                    )
            for key in needed:
                if key not in values:
                    out.append((("actors", i, part), f"missing issue {key!r}"))
        sal = [v if isinstance(v, float) else v.support()[1] for v in a.salience.values()]
        if a.salience and max(sal) <= 0:
            out.append((("actors", i, "salience"), "all salience is zero: the actor would care about nothing"))
        if a.kind == "company":
            if a.home is None:
                out.append((("actors", i, "home"), "a company group needs a home government"))
            elif a.home not in gov_ids:
                out.append((("actors", i, "home"), f"unknown government {a.home!r}"))
        else:
            if a.home is not None:
                out.append((("actors", i, "home"), "only company groups have a home government"))
            if a.count != 1:
                out.append((("actors", i, "count"), "only company groups have a count"))
    out += _degenerate_checks(s)
    if sum(issue.depth for issue in s.issues) > 1:
        out.append((("issues",), "at most one issue can be a text's depth"))
    if len(s.governments) < 2 and s.at_table is None:
        # a table of one named on purpose (at_table) is allowed: a business-only case
        out.append((("actors",), "at least two governments are needed for a government table"))
    out += _at_table_checks(s, gov_ids)
    if s.chair is not None and s.chair not in gov_ids:
        out.append((("chair",), f"unknown government {s.chair!r}; governments are {sorted(gov_ids)}"))
    for e, ev in enumerate(s.events):
        if ev.round > s.rounds:
            out.append((("events", e, "round"), f"round {ev.round} is after the last round ({s.rounds})"))
        for j, gid in enumerate(ev.table):
            if gid not in gov_ids:
                out.append((("events", e, "table", j), f"unknown government {gid!r}"))
    if s.decision_rule.rule == "required":
        for j, gid in enumerate(s.decision_rule.signatories):
            if gid not in gov_ids:
                out.append((("decision_rule", "signatories", j), f"unknown government {gid!r}"))
    names = [lv.name for lv in s.depth_ladder]
    for j, name in enumerate(names):
        if name in names[:j]:
            out.append((("depth_ladder", j, "name"), f"duplicate level {name!r}"))
    for key, name in (("substantive_from",), s.substantive_from), (("model", "relief_level"), s.model.relief_level):
        if name is not None and name not in names:
            out.append((key, f"unknown level {name!r}; levels are {names}"))
    opts = s.protocol_options
    if opts.first_bloc is not None and opts.first_bloc not in s.blocs:
        out.append((("protocol_options", "first_bloc"), f"unknown bloc {opts.first_bloc!r}"))
    if opts.pair is not None:
        if len(opts.pair) != 2 or len(set(opts.pair)) != 2:
            out.append((("protocol_options", "pair"), "name exactly two different governments"))
        for j, gid in enumerate(opts.pair):
            if gid not in gov_ids:
                out.append((("protocol_options", "pair", j), f"unknown government {gid!r}"))
    if opts.first_phase_rounds is not None and opts.first_phase_rounds >= s.rounds:
        out.append((("protocol_options", "first_phase_rounds"), "the first phase must end before the last round"))
    if s.protocol == "west_first" and len(s.blocs) < 2:
        out.append((("protocol",), "west_first needs governments in at least two blocs"))
    out += check_supports(s)
    return out


def _degenerate_checks(s: Scenario) -> list[tuple[tuple, str]]:
    """Tables on which nothing can be computed: governments of capability 0.

    Positions, proposals and a text's breadth are capability-weighted means; a weight of 0
    makes them 0/0, not a number (the runs would give NaN, not an error).
    """
    govs = [(i, a) for i, a in enumerate(s.actors) if a.kind == "government"]
    lowest = {i: a.capability if isinstance(a.capability, float) else a.capability.support()[0] for i, a in govs}
    if govs and all(v <= 0 for v in lowest.values()):
        return [(("actors",), "every government has capability 0: nothing can be computed (give them weights > 0)")]
    return [
        (("actors", i, "capability"), "capability can be 0: nothing can be computed for a government of no weight "
         "(keep it above 0)")
        for i, v in lowest.items()
        if v <= 0
    ]  # fmt: skip


def names_field(root: object, path: str) -> str:
    """Empty if dotted ``path`` names a field inside ``root``, else why not.

    List items are addressed by their ``id`` (``name`` for depth levels) or index, mapping
    entries by key: ``actors.china.legitimacy``, ``events.0.tension_change``, ``position.forum``.
    """
    node = root
    parts = path.split(".")
    for depth, part in enumerate(parts):
        where = ".".join(parts[:depth]) or "the scenario"
        if isinstance(node, BaseModel):
            if part not in type(node).model_fields:
                return f"{where} has no field {part!r}"
            node = getattr(node, part)
        elif isinstance(node, dict):
            if part not in node:
                return f"{where} has no entry {part!r}"
            node = node[part]
        elif isinstance(node, list):
            found = [x for x in node if getattr(x, "id", getattr(x, "name", None)) == part]
            if not found and part.isdigit() and int(part) < len(node):
                found = [node[int(part)]]
            if not found:
                return f"{where} has no item {part!r}"
            node = found[0]
        else:
            return f"{where} is a value, not a section"
    return ""


def check_supports(s: Scenario) -> list[tuple[tuple, str]]:
    """Each ``supports`` path must name a field: of the scenario, or of the actor or event quoting it."""
    out: list[tuple[tuple, str]] = []
    owners: list[tuple[tuple, object]] = [((), None)]
    owners += [(("actors", i), a) for i, a in enumerate(s.actors)]
    owners += [(("events", e), ev) for e, ev in enumerate(s.events)]
    for loc, owner in owners:
        sources = (owner or s).sources
        for k, src in enumerate(sources):
            for j, path in enumerate(src.supports):
                why = names_field(s, path)
                if why and owner is not None:
                    own = names_field(owner, path)
                    # report the owner's reason when the path starts with one of the owner's fields
                    if not own or path.split(".")[0] in type(owner).model_fields:
                        why = own
                if why:
                    out.append(((*loc, "sources", k, "supports", j), f"{path!r} names no field ({why})"))
    return out


def _at_table_checks(s: Scenario, gov_ids: set[str]) -> list[tuple[tuple, str]]:
    """``at_table`` names governments of the scenario, and what must stay still can once it applies."""
    if s.at_table is None:
        return []
    out: list[tuple[tuple, str]] = []
    for j, gid in enumerate(s.at_table):
        if gid not in gov_ids:
            out.append((("at_table", j), f"unknown government {gid!r}; governments are {sorted(gov_ids)}"))
        elif gid in s.at_table[:j]:
            out.append((("at_table", j), f"{gid!r} is listed twice"))
    if not s.at_table:
        out.append((("at_table",), "name at least one government (or leave at_table out for all)"))
    seated = set(s.at_table)
    kept = [a for a in s.actors if (a.home if a.kind == "company" else a.id) in seated]
    if s.at_table and len(kept) < 2:
        out.append((("at_table",), "leaves fewer than two actors (governments at the table and their companies)"))
    # a format that names governments cannot run without them: say so rather than guess
    for j, gid in enumerate(s.protocol_options.pair or []):
        if gid in gov_ids and gid not in seated:
            out.append((("protocol_options", "pair", j), f"{gid!r} is not at the table (at_table)"))
    blocs = {a.bloc for a in s.governments if a.id in seated}
    if s.protocol == "west_first" and len(blocs) < 2:
        out.append((("protocol",), "west_first needs governments of two blocs at the table (at_table)"))
    first = s.protocol_options.first_bloc
    if first is not None and first in s.blocs and first not in blocs:
        out.append((("protocol_options", "first_bloc"), f"no government of bloc {first!r} is at the table"))
    return out


def pydantic_message(err: dict) -> str:
    """A pydantic error as a short message a person can act on."""
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        return "unknown key"
    if err["type"] == "missing":
        return "required key is missing"
    return msg.removeprefix("Value error, ")


def clean_loc(loc: tuple) -> tuple:
    """An error location without the tags discriminated unions add ("decision_rule.consensus.x")."""
    return tuple(p for p in loc if p not in ("consensus", "qualified_majority", "required"))


CLIPPED_NOTE = 0.05
"""Share of a distribution's draws outside its field's range above which the user is told."""


def clipping_notes(doc: Document, scenario: Scenario) -> list[Problem]:
    """Normal distributions that put more than :data:`CLIPPED_NOTE` of their draws outside their field's range.

    Such draws are clipped to the nearest end, so the values a run uses are not the
    distribution written (``tension: {normal: [0.95, 0.3]}`` draws 1.0 in 43% of
    replications, mean 0.87). Notes, not errors: a user may want mass at a bound.
    """
    notes = []
    for loc, dist in uncertain_paths(scenario):
        if dist.family != "normal":
            continue  # uniform and triangular bounds are validated against the field's range
        mean, sd = dist.params
        below = 0.5 * math.erfc((mean - dist.lo) / (sd * math.sqrt(2))) if math.isfinite(dist.lo) else 0.0
        above = 0.5 * math.erfc((dist.hi - mean) / (sd * math.sqrt(2))) if math.isfinite(dist.hi) else 0.0
        if below + above > CLIPPED_NOTE:
            ends = f"[{dist.lo:g}, {dist.hi:g}]"
            notes.append(
                Problem(
                    doc.file_of(loc),
                    doc.line_of(loc),
                    ".".join(str(p) for p in loc),
                    f"note: normal [{mean:g}, {sd:g}] puts {below + above:.0%} of its draws outside {ends}; "
                    "they are clipped to the nearer end, so the run draws from another distribution "
                    "(a uniform or triangular stays inside)",
                )
            )
    return notes


def _stance_checks(s: Scenario) -> list[tuple[tuple, str]]:
    """Dated stance periods name an actor of the scenario and fields it has."""
    from sim.scenario.schema import STANCE_FIELDS

    out: list[tuple[tuple, str]] = []
    actors = {a.id: a for a in s.actors}
    for i, period in enumerate(s.stances):
        actor = actors.get(period.actor)
        if actor is None:
            out.append((("stances", i, "actor"), f"unknown actor {period.actor!r}; actors are {sorted(actors)}"))
            continue
        for key in period.set:
            head, _, issue = key.partition(".")
            if head not in STANCE_FIELDS or bool(issue) != (head in ("position", "salience")):
                out.append(
                    (
                        ("stances", i, "set", key),
                        f"a stance period sets {', '.join(STANCE_FIELDS[:4])}, position.<issue> or salience.<issue>",
                    )
                )
            elif issue and issue not in getattr(actor, head):
                out.append((("stances", i, "set", key), f"{period.actor} has no {head} on {issue!r}"))
    return out
