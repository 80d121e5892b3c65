"""A printable worksheet for students, from a run folder: guesses before, the run's answers after."""

from __future__ import annotations

from pathlib import Path

from sim.outputs.html import GLOSSARY, STYLE, esc, pct, read_result_json, table, write_page
from sim.outputs.report_words import level_words, reason_words
from sim.scenario import Scenario
from sim.scenario.errors import InputError, Problem

QUOTES = 2
"""Quotes per government on page one (the worksheet prints on two A4 pages)."""

QUOTE_CHARS = 160
"""A longer quote is cut at a word, with an ellipsis."""


def said(sources: list) -> list:
    """A government's first :data:`QUOTES` sourced quotes (assumptions are not quotes)."""
    return [s for s in sources if s.by != "assumption" and s.kind != "assumption"][:QUOTES]


def short(quote: str) -> str:
    """``quote`` cut to at most :data:`QUOTE_CHARS` characters, at a word, with an ellipsis."""
    if len(quote) <= QUOTE_CHARS:
        return quote
    return quote[:QUOTE_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def build_worksheet(folder: str | Path) -> Path:
    """Write ``worksheet.html`` into a run folder: a printable sheet for students, answers from the run.

    Page one is for before the run (the question, the issues with what 0 and 1 mean,
    the actors and the quotes behind their stances, guesses to write down); page two is
    for after (the run's outcome table, who blocked what and why, the business figure beside
    the governments', questions). One self-contained file, no images, no folder names; its
    print style fits two A4 pages, page two starting at "After the simulation".
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
        f"<li><b>{esc(a.name)}</b>: "
        + "; ".join(f"“{esc(short(s.quote))}” — {esc(s.by)}" for s in said(a.sources))
        + "</li>"
        for a in scenario.governments
    )
    levels = [lv.label or lv.name.replace("_", " ") for lv in scenario.ladder]
    guesses = (
        "<table><tr><th>depth</th><th>will governments agree? (yes / no)</th>"
        "<th>will the US and China both sign?</th></tr>"
        + "".join(f"<tr><td>{esc(lv)}</td><td>{line}</td><td>{line}</td></tr>" for lv in levels)
        + "</table>"
    )
    rows = [
        [level["label"], pct(level["agreement"]), pct(level["cross_bloc"])] for level in summary["government"]["levels"]
    ]
    labels = level_words(summary)
    blockers = [
        [
            names.get(b["actor"], b["actor"]),
            labels.get(b["level"], b["level"].replace("_", " ")),
            f"{b['p'] * 100:.0f}%",
            reason_words(b["reason"]),
        ]
        for b in summary["top_blockers"][:4]
    ]
    substantive = labels.get(summary.get("substantive_from", ""), "a substantive text")
    business = (
        f"<p>Companies adopted a common standard across blocs in {pct(summary['business']['cross_bloc'])} of the "
        f"replications; governments signed a substantive text ({esc(substantive)} or deeper) across blocs in "
        f"{pct(summary['government']['substantive_cross_bloc'])}.</p>"
    )
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
        table(["who blocked", "what", "in how many replications", "main reason"], blockers, {2}),
        business,
        f"<p>a) Compare with your guesses: where were you wrong? {line}{line}</p>",
        "<p>b) The most frequent blocker refuses mostly for the reason in the table. Which term of its utility is "
        "that (legitimacy, cooperation gain, content cost, rivalry cost, or the depth cost of a text too deep for "
        f"it), and what in the scenario makes it weigh so much? {line}{line}</p>",
        f"<p>c) What would have to change (tension, the chair, the decision rule) for a deeper deal? {line}{line}</p>",
        "<p>d) Companies agreed on a common standard across blocs more often, or less often, than governments on a "
        f"substantive text (the figures above). Why? {line}{line}</p>",
        f"<p><b>Wilson interval</b>: {esc(GLOSSARY['Wilson interval'])}</p>",
        "<p class=meta>The numbers come from a simulation with stated assumptions; they are not forecasts.</p>",
    ]
    style = (
        STYLE + ".blank{display:inline-block;min-width:14rem;border-bottom:1px solid #444;margin:0 .3rem}"
        "@page{size:A4;margin:12mm}"
        "@media print{.page{break-before:page;page-break-before:always} body{margin:0;max-width:none;"
        "font-size:9.5pt;line-height:1.3} h1{font-size:14pt;margin:0} h2{font-size:11pt;margin:.5rem 0 .2rem}"
        " p,ul{margin:.25rem 0} table{break-inside:avoid;font-size:9pt} th,td{padding:.1rem .35rem}"
        " .blank{min-width:10rem}}"
    )
    return write_page(folder / "worksheet.html", f"{title} — worksheet", style, body)
