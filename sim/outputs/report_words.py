"""The report's sections in words.

What happened, the typical replication told as a story, the sources behind the
stances, and the assumptions the numbers rest on.
"""

from __future__ import annotations

import csv
import re
import shlex
from pathlib import Path, PureWindowsPath

from sim.outputs.html import esc, pct, table
from sim.outputs.narrative import Narrator
from sim.scenario import Coefficients, Scenario

REASON_WORDS = {
    "rivalry": "the cost of dealing with rivals at this tension",
    "content": "a proposal too far from its position",
    "too_deep": "a text too deep for it (deeper than it wants to commit)",
    "choice": "its player's choice",
}
"""A blocker's main reason (the log's code) in the words the report and the worksheet print."""


def reason_words(code: str) -> str:
    """The reason code ``too_deep`` as words a student reads (see :data:`REASON_WORDS`)."""
    return REASON_WORDS.get(code, str(code).replace("_", " "))


def level_words(summary: dict) -> dict[str, str]:
    """Rung name → the label the summary gives it (``shared_testing`` → ``shared testing standards``)."""
    return {lv["level"]: lv["label"] for lv in summary["government"]["levels"]}


def public_command(command: str) -> str:
    """The command that made a folder, with every absolute path cut to its last part.

    A teacher's report is handed out: it must not print the teacher's folders
    (``--out /home/teacher/runs/x`` → ``--out x``).
    """
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()

    def cut(word: str) -> str:
        key, eq, value = word.partition("=") if word.startswith("-") else ("", "", word)
        absolute = value.startswith(("/", "~", "\\")) or re.match(r"^[A-Za-z]:[\\/]", value)
        if not absolute:
            return word
        name = PureWindowsPath(value).name if "\\" in value else Path(value).name
        return f"{key}{eq}{name or '…'}"

    return shlex.join(cut(w) for w in words)


def what_happened(summary: dict, names: dict[str, str]) -> list[str]:
    """Plain sentences from a run's summary."""
    n = summary["replications"]
    out = []
    for level in summary["government"]["levels"]:
        out.append(
            f"{level['label'].capitalize()}: agreed in {pct(level['agreement'])} of {n} replications, "
            f"signed across blocs in {pct(level['cross_bloc'])}."
        )
    biz = summary["business"]
    out.append(
        f"Companies adopted a common standard across blocs in {pct(biz['cross_bloc'])}; "
        f"within one bloc only in {pct(biz['within_bloc_only'])}."
    )
    first = summary["first"]
    out.append(
        f"A cross-bloc business standard held (in some round, even if later lost) before any substantive "
        f"government deal across blocs in {pct(first['business'])}; "
        f"the government deal came first in {pct(first['government'])}."
    )
    labels = level_words(summary)
    for b in summary["top_blockers"][:3]:
        level = labels.get(b["level"], b["level"].replace("_", " "))
        out.append(
            f"{names.get(b['actor'], b['actor'])} blocked {level} in {b['p'] * 100:.0f}% "
            f"of replications, mostly because of {reason_words(b['reason'])}."
        )
    return out


def hinge_section(block: dict | None) -> list[str]:
    """What each answer hinges on: a sentence per main outcome, then the boxes in a table ([] without a block)."""
    if not block:
        return []
    from sim.outputs.hinge import condition, hinge_lines, hinge_title

    def share(value: float | None) -> str:
        return "—" if value is None else f"{value * 100:.0f}%"

    rows = [
        [
            o["label"],
            share(o["share"]),
            o["status"].replace("_", " "),
            " and ".join(condition(lim) for lim in o["box"]) or "—",
            share(o["share_in_box"]),
            share(o["share_outside"]),
            share(o["density"]),
            share(o["coverage"]),
        ]
        for o in block["outcomes"]
        if not o.get("same_as")
    ]
    sentences = "".join(f"<li>{esc(s)}</li>" for s in hinge_lines(block))
    return [
        "<h2>What the answers hinge on</h2>",
        f"<p>{esc(hinge_title(block))}: for each main outcome, the inputs whose threshold flips it (scenario "
        "discovery on the runs themselves). <i>Density</i>: share of the runs in the box where the box's target "
        "(the outcome, or its failure) happens; <i>coverage</i>: share of all the target's runs that the box "
        "holds.</p>",
        f"<ul>{sentences}</ul>",
        table(
            ["outcome", "P", "hinge", "box", "in box", "elsewhere", "density", "coverage"],
            rows,
            {1, 4, 5, 6, 7},
        ),
    ]


OUTCOME_KEY = ("gov_level", "gov_cross_level", "business_level")
"""What makes two replications' outcomes "the same": deepest deal, deepest deal across blocs, business level."""


def typical_replication(folder: Path) -> tuple[int, tuple[str, ...], int, int] | None:
    """The replication to tell: the first one (in events.csv) with the most common outcome.

    Returns (replication, outcome, how many replications share it, replications in all),
    or None when outcomes.csv or events.csv is missing.
    """
    outcomes, events = folder / "outcomes.csv", folder / "events.csv"
    if not outcomes.exists() or not events.exists():
        return None
    with open(outcomes, newline="") as fh:
        rows = [(int(r["replication"]), tuple(r[k] for k in OUTCOME_KEY)) for r in csv.DictReader(fh)]
    with open(events, newline="") as fh:
        logged = {int(r["replication"]) for r in csv.DictReader(fh)}
    counts: dict[tuple[str, ...], int] = {}
    for _, key in rows:
        counts[key] = counts.get(key, 0) + 1
    # the most common outcome among replications whose events were kept (ties: the first seen)
    told = [(i, key) for i, key in rows if i in logged]
    if not told:
        return None
    best = max(counts[key] for _, key in told)
    replication, key = next((i, key) for i, key in told if counts[key] == best)
    return replication, key, best, len(rows)


def one_replication(folder: Path, scenario: Scenario, most: int = 40, replication: int = 0) -> list[str]:
    """One replication told in words, from events.csv and rounds.csv."""
    events, rounds = folder / "events.csv", folder / "rounds.csv"
    if not events.exists() or not rounds.exists():
        return []
    wanted = str(replication)
    with open(rounds, newline="") as fh:
        tension = {int(r["round"]): float(r["tension"]) for r in csv.DictReader(fh) if r["replication"] == wanted}
    rows = []
    with open(events, newline="") as fh:
        for r in csv.DictReader(fh):
            if r["replication"] != wanted:
                continue
            rows.append(
                (
                    int(r["round"]),
                    r["table"],
                    r["level"],
                    r["actor"],
                    r["action"],
                    float(r["value"] or "nan"),
                    r["reason"],
                    r["detail"],
                )
            )
    story = Narrator(scenario).story(rows, tension)
    return story[:most] + ([f"… and {len(story) - most} more events in events.csv."] if len(story) > most else [])


def outcome_in_words(key: tuple[str, ...], scenario: Scenario) -> str:
    """``("declaration", "declaration", "cross_bloc")`` as a phrase a student reads."""
    labels = {lv.name: lv.label or lv.name.replace("_", " ") for lv in scenario.ladder} | {"none": "no deal"}
    gov, cross, business = key
    across = (
        "signed across blocs"
        if cross == gov and gov != "none"
        else "not signed across blocs"
        if cross == "none"
        else f"across blocs only up to {labels.get(cross, cross)}"
    )
    biz = {"cross_bloc": "a common standard across blocs", "within_bloc": "a standard within one bloc only"}
    return (
        f"deepest government deal: {labels.get(gov, gov)}"
        + ("" if gov == "none" else f", {across}")
        + f"; companies: {biz.get(business, 'no common standard')}"
    )


def _quote(quote: str, by: str, note: str) -> str:
    return f"<blockquote>“{esc(quote)}” — {esc(by)} <span class=meta>({esc(note)})</span></blockquote>"


def sources_section(scenario: Scenario) -> str:
    """Quotes behind the stances, actor by actor, and the scenario's own sources."""
    parts = [_quote(src.quote, src.by, ", ".join(src.supports)) for src in scenario.sources]
    for actor in scenario.actors:
        quotes = [s for s in actor.sources if s.by != "assumption" and s.kind != "assumption"]
        if quotes:
            parts.append(f"<h3>{esc(actor.name)}</h3>")
            parts += [_quote(s.quote, s.by, "informs " + ", ".join(s.supports)) for s in quotes]
    for event in scenario.events:
        for s in event.sources:
            if s.by != "assumption" and s.kind != "assumption":
                parts.append(f"<blockquote>Event “{esc(event.label)}”: “{esc(s.quote)}” — {esc(s.by)}</blockquote>")
    return "".join(parts) or "<p>The scenario names no sources.</p>"


def in_words(value: object) -> str:
    """A coefficient's value as a reader says it: ``{"uniform": [0.1, 0.3]}`` → ``anywhere from 0.1 to 0.3``."""
    if isinstance(value, dict) and len(value) == 1:
        ((family, args),) = value.items()
        nums = [
            f"{a:g}" if isinstance(a, int | float) else str(a) for a in (args if isinstance(args, list) else [args])
        ]
        if family == "uniform" and len(nums) == 2:
            return f"uncertain: anywhere from {nums[0]} to {nums[1]}, each value as likely"
        if family == "normal" and len(nums) >= 2:
            return f"uncertain: about {nums[0]}, give or take {nums[1]} (normal)"
        if family == "triangular" and len(nums) == 3:
            return f"uncertain: from {nums[0]} to {nums[2]}, most likely {nums[1]}"
        return f"uncertain ({family}: {', '.join(nums)})"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{value:g}"
    if value is None:
        return "none"
    return str(value).replace("_", " ")


def assumptions_section(scenario: Scenario) -> str:
    """Named assumptions, the uncertain inputs, and every model coefficient with its meaning."""

    def assumed(s: object) -> bool:
        return s.kind == "assumption" or s.by == "assumption"

    named = [s for a in scenario.actors for s in a.sources if assumed(s)]
    named += [s for e in scenario.events for s in e.sources if assumed(s)]
    named += [s for s in scenario.sources if assumed(s)]
    items = "".join(f"<li>{esc(s.quote)} <span class=meta>({esc(', '.join(s.supports))})</span></li>" for s in named)
    coef = scenario.model
    rows = [
        [name.replace("_", " "), in_words(coef.model_dump(mode="json")[name]), field.description or ""]
        for name, field in Coefficients.model_fields.items()
    ]
    return (
        (f"<ul>{items}</ul>" if items else "")
        + "<p>Model coefficients (some fitted on the public record of AI-governance outcomes, the others "
        + "assumptions; the project's <code>seeds/</code> and <code>docs/model.md</code> say which, and why):</p>"
        + table(["coefficient", "value", "meaning"], rows)
    )
