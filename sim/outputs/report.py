"""One self-contained HTML file from a run, sweep or sensitivity folder, to hand out.

Plots are embedded as data URIs and the style is inline: the file opens offline,
from a USB stick or an e-mail attachment. It says what happened, why, who blocked
what, the sources behind the stances and the assumptions the numbers rest on. The
HTML pieces are in :mod:`sim.outputs.html`, the sections in words in
:mod:`sim.outputs.report_words`.
"""

from __future__ import annotations

import csv
from pathlib import Path

from pydantic import ValidationError

from sim.outputs.files import describe_status, sweep_status
from sim.outputs.html import GLOSSARY, STYLE, esc, img, pct, read_result_json, table, write_page
from sim.outputs.report_words import (
    assumptions_section,
    hinge_section,
    level_words,
    one_replication,
    outcome_in_words,
    public_command,
    reason_words,
    sources_section,
    typical_replication,
    what_happened,
)
from sim.outputs.summary import wide_estimates
from sim.scenario import Scenario
from sim.scenario.errors import InputError, Problem

__all__ = ["GLOSSARY", "STYLE", "build_report", "write_page"]


def build_report(folder: str | Path) -> Path:
    """Write ``report.html`` into a run, sweep or sensitivity folder and return its path."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError([Problem(str(folder), 0, "", "no such result folder")])
    state = sweep_status(folder)
    if state is not None and state["status"] != "complete":
        raise InputError([Problem(str(folder), 0, "", describe_status(folder, state))])
    manifest = read_result_json(folder, "manifest.json")
    if manifest.get("kind") == "history_backtest":
        raise InputError(
            [
                Problem(
                    str(folder), 0, "",
                    "a history backtest folder: its results are summary.json, cases.csv and p_observed.png "
                    "(simrun report makes reports of run, sweep and sensitivity folders)",
                )
            ]
        )  # fmt: skip
    try:
        scenario = Scenario.model_validate(read_result_json(folder, "scenario.json"))
    except ValidationError:
        raise InputError([Problem(str(folder / "scenario.json"), 0, "", "not a valid simrun scenario")]) from None
    names = {a.id: a.name for a in scenario.actors}
    title = scenario.title or scenario.name
    body = [f"<h1>{esc(title)}</h1>", f"<p class=meta>{esc(scenario.description)}</p>"]
    command, created = esc(public_command(manifest.get("command", "simrun"))), esc(manifest.get("created", ""))
    digest = esc(str(manifest.get("scenario_sha256", ""))[:16])
    body.append(
        f"<p class=meta>Produced by <code>{command}</code> on {created}; "
        f"seed {esc(manifest.get('seed'))}; scenario SHA-256 {digest}….</p>"
    )
    if (folder / "summary.json").exists():
        try:
            body += run_sections(folder, scenario, names, read_result_json(folder, "summary.json"))
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
    happened = "".join(f"<li>{esc(s)}</li>" for s in what_happened(summary, names))
    out = [f"<h2>What happened</h2><ul>{happened}</ul>", *hinge_section(summary.get("hinge"))]
    rows = []
    for level in reversed(summary["government"]["levels"]):
        signs = ", ".join(f"{names.get(a, a)} {e['p'] * 100:.0f}%" for a, e in level["signs"].items() if e["p"] > 0)
        rows.append([level["label"], pct(level["agreement"]), pct(level["cross_bloc"]), signs or "—"])
    out += [
        "<h2>Outcome</h2><h3>Government level</h3>",
        table(["depth", "P(agreement)", "P(across blocs)", "who signs"], rows, {1, 2}),
    ]
    biz = summary["business"]
    out += [
        "<h3>Business level</h3>",
        table(
            ["outcome", "P"],
            [
                ["common standard across blocs", pct(biz["cross_bloc"])],
                ["within one bloc only", pct(biz["within_bloc_only"])],
                ["no standard", pct(biz["none"])],
            ],
            {1},
        ),
    ]
    labels = level_words(summary)
    blockers = [
        [
            names.get(b["actor"], b["actor"]),
            labels.get(b["level"], b["level"].replace("_", " ")),
            f"{b['p'] * 100:.0f}% [{b['low'] * 100:.0f}–{b['high'] * 100:.0f}]",
            reason_words(b["reason"]),
        ]
        for b in summary["top_blockers"]
    ]
    out += ["<h2>Who blocked what, and why</h2>", table(["actor", "blocks", "P", "main reason"], blockers, {2})]
    out += [
        "<h2>Over the rounds</h2>",
        img(folder / "agreement.png", "agreement probability per level over rounds"),
        img(folder / "positions.png", "positions of the governments over rounds"),
    ]
    base = [
        [
            issue.replace("_", " "),
            *("—" if e[k] is None else f"{e[k]:.2f}" for k in ("weighted_mean", "median", "nash", "deal")),
        ]
        for issue, e in summary["baselines"].items()
    ]
    out += [
        "<h2>Baselines beside the model</h2>",
        table(["issue", "weighted mean", "median", "Nash", "model deal"], base, {1, 2, 3, 4}),
        "<ul class=meta>" + "".join(f"<li><b>{esc(k)}</b>: {esc(v)}</li>" for k, v in GLOSSARY.items()) + "</ul>",
    ]
    typical = typical_replication(folder)
    story = one_replication(folder, scenario, replication=typical[0]) if typical else []
    if typical and story:
        index, key, count, n = typical
        out += [
            "<h2>A typical replication in words</h2>",
            f"<p>The most common outcome, in {count} of {n} replications ({100 * count / n:.0f}%), was: "
            f"{esc(outcome_in_words(key, scenario))}. Replication {index} is one of them; this is how it went. "
            "Other replications went differently: the tables above say how often.</p>",
            "<ol>" + "".join(f"<li>{esc(s)}</li>" for s in story) + "</ol>",
        ]
    wide = wide_estimates(summary)
    if wide:  # the console's figure: the most replications any wide estimate asks for
        need = max(e["suggested_replications"] for _, e in wide)
        out.append(
            f"<p class=warn>With {summary['replications']} replications {len(wide)} probabilities have a 95% interval "
            f"wider than ±5 points; about {need} replications would narrow every one.</p>"
        )
    return out


def sweep_sections(folder: Path, manifest: dict) -> list[str]:
    """The sweep's grid, its probability plot, its table (by bins for a sampled or long sweep) and its hinge."""
    import pyarrow.parquet as pq

    from sim.outputs.sweep_report import sweep_table

    if (folder / "summary.parquet").exists():  # typed values, as the console had them
        rows = pq.read_table(folder / "summary.parquet").to_pylist()
    else:
        with open(folder / "summary.csv", newline="") as fh:
            rows = [{k: _number(k, v) for k, v in r.items()} for r in csv.DictReader(fh)]
    title, header, grid, note = sweep_table(rows, str(manifest.get("sample", "grid")))
    hinge = read_result_json(folder, "hinge.json") if (folder / "hinge.json").exists() else None
    return [
        "<h2>What was swept</h2>",
        f"<p>{esc(', '.join(manifest.get('vary', [])))} — {manifest.get('grid_points')} points × "
        f"{manifest.get('replications')} replications ({manifest.get('runs')} runs).</p>",
        "<h2>Probabilities</h2>",
        img(folder / "probabilities.png", "probability of each level across the sweep"),
        f"<h3>{esc(title)}</h3>",
        table(header, grid, set(range(1, len(header)))),
        f"<p class=meta>{esc(note)}</p>" if note else "",
        *hinge_section(hinge),
    ]


def _number(key: str, text: str) -> object:
    """A cell of summary.csv as summary.parquet holds it (a swept value stays text unless it reads as a number)."""
    if key.startswith("wide_"):
        return text == "True"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text
