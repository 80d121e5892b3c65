"""One self-contained HTML file from a run or sweep folder, to hand out.

Plots are embedded as data URIs and the style is inline: the file opens offline,
from a USB stick or an e-mail attachment. It says what happened, why, who blocked
what, the sources behind the stances and the assumptions the numbers rest on.
"""

from __future__ import annotations

import base64
import csv
import html
from pathlib import Path

from pydantic import ValidationError

from sim.outputs.files import describe_status, sweep_status
from sim.outputs.narrative import Narrator
from sim.scenario import Coefficients, Scenario
from sim.scenario.errors import InputError, Problem
from sim.scenario.reading import read_bytes, read_json

STYLE = """
body{font-family:Georgia,'Times New Roman',serif;max-width:62rem;margin:2rem auto;padding:0 1rem;color:#222;
line-height:1.45}
h1{font-size:1.7rem;margin-bottom:.2rem} h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.6rem 0;font-size:.92rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}
th{background:#f2f2f2} td.n{text-align:right;font-variant-numeric:tabular-nums}
img{max-width:100%;border:1px solid #ddd;margin:.5rem 0} .meta{color:#666;font-size:.9rem}
blockquote{margin:.3rem 0 .3rem 1rem;padding-left:.6rem;border-left:3px solid #bbb;color:#333}
.warn{background:#fff6d6;padding:.4rem .6rem;border:1px solid #e6d28a}
"""


GLOSSARY = {
    "weighted mean": "the governments' positions averaged, each weighted by its capability times how much it cares "
    "about the issue.",
    "median": "the middle position: as many governments stand below it as above.",
    "Nash": "the Nash bargaining solution, the text that maximises the product of every government's gain over no "
    "deal: a classic benchmark of a fair bargain.",
    "model deal": "the text the simulated governments actually agreed (blank when they agreed none).",
    "Wilson interval": "the range [low–high] after each probability: with 95% confidence the true share lies inside "
    "it, given the number of replications.",
}
"""One line for each term a student meets in the report."""


def _e(text: object) -> str:
    return html.escape(str(text))


def _pct(est: dict) -> str:
    return f"{est['p'] * 100:.0f}% [{est['low'] * 100:.0f}–{est['high'] * 100:.0f}]"


def _img(path: Path, alt: str) -> str:
    if not path.exists():
        return ""
    data = base64.b64encode(read_bytes(path, 50_000_000, "plot")).decode()
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _table(header: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td class="{"n" if i in numeric else ""}">{_e(c)}</td>' for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_page(path: Path, title: str, style: str, body: list[str]) -> Path:
    """Write one self-contained HTML page atomically (a temporary file, then a rename) and return its path."""
    page = (
        f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{_e(title)}</title>"
        f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n"
    )
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path


def _read_json(folder: Path, name: str) -> dict:
    path = folder / name
    if not path.exists():
        raise InputError([Problem(str(folder), 0, "", f"no {name}: not a simrun result folder")])
    data = read_json(path, what=name)
    if not isinstance(data, dict):
        raise InputError([Problem(str(path), 0, "", "not a simrun file (expected a JSON object)")])
    return data


def what_happened(summary: dict, names: dict[str, str]) -> list[str]:
    """Plain sentences from a run's summary."""
    n = summary["replications"]
    out = []
    for level in summary["government"]["levels"]:
        out.append(
            f"{level['label'].capitalize()}: agreed in {_pct(level['agreement'])} of {n} replications, "
            f"signed across blocs in {_pct(level['cross_bloc'])}."
        )
    biz = summary["business"]
    out.append(
        f"Companies adopted a common standard across blocs in {_pct(biz['cross_bloc'])}; "
        f"within one bloc only in {_pct(biz['within_bloc_only'])}."
    )
    first = summary["first"]
    out.append(
        f"The business standard came before any substantive government deal across blocs in {_pct(first['business'])}; "
        f"the government deal came first in {_pct(first['government'])}."
    )
    for b in summary["top_blockers"][:3]:
        why = {
            "rivalry": "the cost of dealing with rivals at this tension",
            "content": "a proposal too far from its position",
        }
        out.append(
            f"{names.get(b['actor'], b['actor'])} blocked {b['level'].replace('_', ' ')} in {b['p'] * 100:.0f}% "
            f"of replications, mostly because of {why.get(b['reason'], b['reason'])}."
        )
    return out


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
    return f"<blockquote>“{_e(quote)}” — {_e(by)} <span class=meta>({_e(note)})</span></blockquote>"


def sources_section(scenario: Scenario) -> str:
    """Quotes behind the stances, actor by actor, and the scenario's own sources."""
    parts = [_quote(src.quote, src.by, ", ".join(src.supports)) for src in scenario.sources]
    for actor in scenario.actors:
        quotes = [s for s in actor.sources if s.by != "assumption" and s.kind != "assumption"]
        if quotes:
            parts.append(f"<h3>{_e(actor.name)}</h3>")
            parts += [_quote(s.quote, s.by, "informs " + ", ".join(s.supports)) for s in quotes]
    for event in scenario.events:
        for s in event.sources:
            if s.by != "assumption" and s.kind != "assumption":
                parts.append(f"<blockquote>Event “{_e(event.label)}”: “{_e(s.quote)}” — {_e(s.by)}</blockquote>")
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
    items = "".join(f"<li>{_e(s.quote)} <span class=meta>({_e(', '.join(s.supports))})</span></li>" for s in named)
    coef = scenario.model
    rows = [
        [name.replace("_", " "), in_words(coef.model_dump(mode="json")[name]), field.description or ""]
        for name, field in Coefficients.model_fields.items()
    ]
    return (
        (f"<ul>{items}</ul>" if items else "")
        + "<p>Model coefficients (each an assumption; see the project's <code>docs/model.md</code> and "
        + "<code>seeds/</code> for the reasoning behind every number):</p>"
        + _table(["coefficient", "value", "meaning"], rows)
    )


def build_report(folder: str | Path) -> Path:
    """Write ``report.html`` into a run or sweep folder and return its path."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError([Problem(str(folder), 0, "", "no such result folder")])
    state = sweep_status(folder)
    if state is not None and state["status"] != "complete":
        raise InputError([Problem(str(folder), 0, "", describe_status(folder, state))])
    manifest = _read_json(folder, "manifest.json")
    try:
        scenario = Scenario.model_validate(_read_json(folder, "scenario.json"))
    except ValidationError:
        raise InputError([Problem(str(folder / "scenario.json"), 0, "", "not a valid simrun scenario")]) from None
    names = {a.id: a.name for a in scenario.actors}
    title = scenario.title or scenario.name
    body = [f"<h1>{_e(title)}</h1>", f"<p class=meta>{_e(scenario.description)}</p>"]
    command, created = _e(manifest.get("command", "simrun")), _e(manifest.get("created", ""))
    digest = _e(str(manifest.get("scenario_sha256", ""))[:16])
    body.append(
        f"<p class=meta>Produced by <code>{command}</code> on {created}; "
        f"seed {_e(manifest.get('seed'))}; scenario SHA-256 {digest}….</p>"
    )
    if (folder / "summary.json").exists():
        try:
            body += run_sections(folder, scenario, names, _read_json(folder, "summary.json"))
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, csv.Error) as exc:
            raise InputError(
                [Problem(str(folder / "summary.json"), 0, "", f"not a complete simrun summary ({exc!r} is wrong)")]
            ) from None
    elif (folder / "summary.csv").exists():
        try:
            body += sweep_sections(folder, manifest)
        except (KeyError, TypeError, ValueError, IndexError, csv.Error) as exc:
            raise InputError(
                [Problem(str(folder / "summary.csv"), 0, "", f"not a complete sweep summary ({exc!r} is wrong)")]
            ) from None
    else:
        raise InputError([Problem(str(folder), 0, "", "no summary.json or summary.csv: has the run finished?")])
    body += ["<h2>Sources behind the stances</h2>", sources_section(scenario)]
    body += ["<h2>Assumptions</h2>", assumptions_section(scenario)]
    body.append(
        "<h2>What these numbers are</h2><p>Probabilities over seeded replications of an agent-based model, each with "
        "its 95% Wilson interval (in brackets: with 95% confidence the true share lies inside it, given the number "
        "of replications). They are conditional on the scenario's inputs and the model's mechanics; they are "
        "not forecasts of the world.</p>"
    )
    return write_page(folder / "report.html", f"{title} — simrun report", STYLE, body)


def run_sections(folder: Path, scenario: Scenario, names: dict[str, str], summary: dict) -> list[str]:
    """What happened, the outcome tables, blockers, plots and one replication in words."""
    out = ["<h2>What happened</h2><ul>" + "".join(f"<li>{_e(s)}</li>" for s in what_happened(summary, names)) + "</ul>"]
    rows = []
    for level in reversed(summary["government"]["levels"]):
        signs = ", ".join(f"{names.get(a, a)} {e['p'] * 100:.0f}%" for a, e in level["signs"].items() if e["p"] > 0)
        rows.append([level["label"], _pct(level["agreement"]), _pct(level["cross_bloc"]), signs or "—"])
    out += [
        "<h2>Outcome</h2><h3>Government level</h3>",
        _table(["depth", "P(agreement)", "P(across blocs)", "who signs"], rows, {1, 2}),
    ]
    biz = summary["business"]
    out += [
        "<h3>Business level</h3>",
        _table(
            ["outcome", "P"],
            [
                ["common standard across blocs", _pct(biz["cross_bloc"])],
                ["within one bloc only", _pct(biz["within_bloc_only"])],
                ["no standard", _pct(biz["none"])],
            ],
            {1},
        ),
    ]
    why = {"rivalry": "cost of dealing with rivals at this tension", "content": "proposal too far from its position"}
    blockers = [
        [
            names.get(b["actor"], b["actor"]),
            b["level"].replace("_", " "),
            f"{b['p'] * 100:.0f}% [{b['low'] * 100:.0f}–{b['high'] * 100:.0f}]",
            why.get(b["reason"], b["reason"]),
        ]
        for b in summary["top_blockers"]
    ]
    out += ["<h2>Who blocked what, and why</h2>", _table(["actor", "blocks", "P", "main reason"], blockers, {2})]
    out += [
        "<h2>Over the rounds</h2>",
        _img(folder / "agreement.png", "agreement probability per level over rounds"),
        _img(folder / "positions.png", "positions of the governments over rounds"),
    ]
    base = [
        [issue, *("—" if e[k] is None else f"{e[k]:.2f}" for k in ("weighted_mean", "median", "nash", "deal"))]
        for issue, e in summary["baselines"].items()
    ]
    out += [
        "<h2>Baselines beside the model</h2>",
        _table(["issue", "weighted mean", "median", "Nash", "model deal"], base, {1, 2, 3, 4}),
        "<ul class=meta>" + "".join(f"<li><b>{_e(k)}</b>: {_e(v)}</li>" for k, v in GLOSSARY.items()) + "</ul>",
    ]
    typical = typical_replication(folder)
    story = one_replication(folder, scenario, replication=typical[0]) if typical else []
    if typical and story:
        index, key, count, n = typical
        out += [
            "<h2>A typical replication in words</h2>",
            f"<p>The most common outcome, in {count} of {n} replications ({100 * count / n:.0f}%), was: "
            f"{_e(outcome_in_words(key, scenario))}. Replication {index} is one of them; this is how it went. "
            "Other replications went differently: the tables above say how often.</p>",
            "<ol>" + "".join(f"<li>{_e(s)}</li>" for s in story) + "</ol>",
        ]
    wide = summary["replications"] < 385
    if wide:
        out.append(
            f"<p class=warn>With {summary['replications']} replications some intervals are wider than ±5 points; "
            "about 385 replications bring every one within it.</p>"
        )
    return out


def sweep_sections(folder: Path, manifest: dict) -> list[str]:
    """The sweep's grid, its probability plot and its table."""
    with open(folder / "summary.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    measures = [k[2:] for k in rows[0] if k.startswith("p_")]
    swept = [
        k
        for k in rows[0]
        if k not in ("point", "n", "errors", "suggested_replications")
        and not k.startswith(("p_", "low_", "high_", "wide_"))
    ]
    table = [
        [
            *(r[k] for k in swept),
            r["n"],
            *(f"{float(r['p_' + m]):.2f} [{float(r['low_' + m]):.2f}–{float(r['high_' + m]):.2f}]" for m in measures),
        ]
        for r in rows
    ]
    return [
        "<h2>What was swept</h2>",
        f"<p>{_e(', '.join(manifest.get('vary', [])))} — {manifest.get('grid_points')} points × "
        f"{manifest.get('replications')} replications ({manifest.get('runs')} runs).</p>",
        "<h2>Probabilities</h2>",
        _img(folder / "probabilities.png", "probability of each level across the sweep"),
        _table([*swept, "n", *measures], table, set(range(len(swept), len(swept) + 1 + len(measures)))),
    ]
