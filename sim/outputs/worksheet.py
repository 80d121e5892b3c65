"""A printable worksheet for students, from a run folder: guesses before, the run's answers after."""

from __future__ import annotations

from pathlib import Path

from sim.outputs.html import GLOSSARY, STYLE, esc, pct, read_result_json, table, write_page
from sim.scenario import Scenario
from sim.scenario.errors import InputError, Problem


def build_worksheet(folder: str | Path) -> Path:
    """Write ``worksheet.html`` into a run folder: a printable sheet for students, answers from the run.

    Page one is for before the run (the question, the issues with what 0 and 1 mean,
    the actors and the quotes behind their stances, guesses to write down); page two is
    for after (the run's outcome table, questions on who blocked what and why, and the
    terms of the report explained). One self-contained file, no images, prints on A4.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError([Problem(str(folder), 0, "", "no such result folder")])
    scenario = Scenario.model_validate(read_result_json(folder, "scenario.json"))
    if not (folder / "summary.json").exists():
        raise InputError([Problem(str(folder), 0, "", "a worksheet needs a run folder with summary.json")])
    summary = read_result_json(folder, "summary.json")
    names = {a.id: a.name for a in scenario.actors}
    title = scenario.title or scenario.name
    line = "<span class=blank></span>"
    issues = [[i.id.replace("_", " "), i.low, i.high] for i in scenario.issues]
    actors = "".join(
        f"<li><b>{esc(a.name)}</b> ({esc(a.bloc)}): "
        + "; ".join(
            f"“{esc(s.quote)}” — {esc(s.by)}" for s in a.sources if s.by != "assumption" and s.kind != "assumption"
        )
        + "</li>"
        for a in scenario.governments
    )
    levels = [lv.label or lv.name for lv in scenario.ladder]
    guesses = (
        "<table><tr><th>depth</th><th>will governments agree? (yes / no)</th>"
        "<th>will the US and China both sign?</th></tr>"
        + "".join(f"<tr><td>{esc(lv)}</td><td>{line}</td><td>{line}</td></tr>" for lv in levels)
        + "</table>"
    )
    rows = [
        [level["label"], pct(level["agreement"]), pct(level["cross_bloc"])] for level in summary["government"]["levels"]
    ]
    blockers = [
        [names.get(b["actor"], b["actor"]), b["level"].replace("_", " "), f"{b['p'] * 100:.0f}%"]
        for b in summary["top_blockers"][:4]
    ]
    body = [
        f"<h1>Worksheet: {esc(title)}</h1>",
        f"<p>Name: {line} &nbsp; Team: {line}</p>",
        f"<p>{esc(scenario.description)}</p>",
        "<h2>1. The issues on the table (0 to 1)</h2>",
        table(["issue", "0 means", "1 means"], issues),
        "<h2>2. The governments and what they said</h2>",
        f"<ul>{actors}</ul>",
        "<h2>3. Before the simulation: your guesses</h2>",
        guesses,
        f"<p>Which government do you expect to refuse deep deals, and why? {line}{line}</p>",
        "<h2 class=page>4. After the simulation</h2>",
        f"<p>{summary['replications']} replications of the model gave:</p>",
        table(["depth", "P(agreement)", "P(across blocs)"], rows, {1, 2}),
        table(["who blocked", "what", "in how many replications"], blockers, {2}),
        f"<p>a) Compare with your guesses: where were you wrong? {line}{line}</p>",
        f"<p>b) The most frequent blocker refuses mostly because of which term of its utility "
        f"(legitimacy, cooperation gain, content cost, rivalry cost)? {line}</p>",
        f"<p>c) What would have to change (tension, the chair, the decision rule) for a deeper deal? {line}{line}</p>",
        f"<p>d) Did companies agree on a common standard across blocs more often than governments "
        f"on a substantive text? Why? {line}{line}</p>",
        "<h2>Words used</h2><ul>"
        + "".join(f"<li><b>{esc(k)}</b>: {esc(v)}</li>" for k, v in GLOSSARY.items())
        + "</ul>",
        "<p class=meta>The numbers come from a simulation with stated assumptions; they are not forecasts.</p>",
    ]
    style = (
        STYLE + ".blank{display:inline-block;min-width:14rem;border-bottom:1px solid #444;margin:0 .3rem}"
        "@media print{.page{page-break-before:always} body{margin:0}}"
    )
    return write_page(folder / "worksheet.html", f"{title} — worksheet", style, body)
