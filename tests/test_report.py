"""simrun report: one self-contained HTML file, readable offline, with outcomes and sources."""

from __future__ import annotations

import csv
import json
import re
from html.parser import HTMLParser

from conftest import simrun

from sim.outputs.html import pct as _pct
from sim.outputs.summary import wide_estimates


class Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs, self.tables, self.images, self.text = [], 0, [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("src", "href"):
            if key in attrs:
                self.refs.append(attrs[key])
        self.tables += tag == "table"
        if tag == "img":
            self.images.append(attrs.get("src", ""))

    def handle_data(self, data):
        self.text.append(data)


def test_report_of_a_run_is_one_offline_file_with_outcomes_and_sources(tmp_path):
    out = tmp_path / "run"
    assert simrun("scenarios/bletchley.yaml", "-n", "30", "--out", str(out)).returncode == 0
    before = {p.name for p in out.iterdir()}
    proc = simrun("report", str(out))
    assert proc.returncode == 0, proc.stderr
    assert {p.name for p in out.iterdir()} - before == {"report.html"}  # one file added, nothing else
    page = (out / "report.html").read_text()
    parser = Collect()
    parser.feed(page)
    text = " ".join(parser.text)
    # offline: every reference is embedded, nothing points outside the file
    assert parser.refs and all(r.startswith("data:image/png;base64,") for r in parser.refs)
    assert len(parser.images) == 2
    assert "<script" not in page and "<link" not in page
    # the outcome table, with the probabilities of summary.json
    summary = json.loads((out / "summary.json").read_text())
    decl = summary["government"]["levels"][0]["agreement"]
    assert f"{decl['p'] * 100:.0f}% [{decl['low'] * 100:.0f}–{decl['high'] * 100:.0f}]" in text
    assert "P(across blocs)" in text and "Who blocked what, and why" in text and parser.tables >= 5
    # the sources behind the stances, with the quote and who said it
    assert "individual human rights are disregarded very much" in text and "Rebecca Arcesati" in text
    assert "Assumptions" in text and "kappa1 government" in text
    assert re.search(r"Round \d+: .+ (rejects|agreement)", text)  # one replication told in words
    # assumptions in words, not JSON
    assumptions = page.split("<h2>Assumptions</h2>")[1].split("<h2>")[0]
    assert "{" not in assumptions and "uncertain: anywhere from 0.3 to 0.45, each value as likely" in assumptions
    # the terms a student meets, one line each
    for term in ("weighted mean", "Nash", "Wilson interval"):
        assert re.search(rf"<b>{term}</b>: [^<]{{30,}}</li>", page), term
    # the replication told is a typical one (the modal outcome), and says so
    with open(out / "outcomes.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    keys = [(r["gov_level"], r["gov_cross_level"], r["business_level"]) for r in rows]
    modal = max(keys, key=keys.count)  # ties: the first seen, as the report picks
    first = next(int(r["replication"]) for r, k in zip(rows, keys, strict=True) if k == modal)
    heading = page.split("<h2>A typical replication in words</h2>")[1]
    assert heading.startswith(f"<p>The most common outcome, in {keys.count(modal)} of 30 replications (")
    assert f"Replication {first} is one of them" in heading
    # the replications it suggests are the console's: the most any wide interval asks for
    run_proc_need = re.search(r"about (\d+) replications would narrow every one", text)
    need = max(e["suggested_replications"] for _, e in wide_estimates(summary))
    assert run_proc_need and int(run_proc_need.group(1)) == need
    # the printable worksheet: issues with their words before, the run's numbers after
    assert simrun("report", str(out), "--worksheet").returncode == 0
    sheet = (out / "worksheet.html").read_text()
    assert '<td class="">voluntary principles</td><td class="">binding, enforceable rules</td>' in sheet
    before, after = sheet.split("<h2 class=page>4. After the simulation</h2>")
    assert "P(agreement)" not in before and "Rebecca Arcesati" in before  # no answers on page one
    assert f'<td class="n">{_pct(decl)}</td>' in after and "<b>Wilson interval</b>:" in after
    assert "<script" not in sheet and "<img" not in sheet
    # readable labels, never raw ids or the teacher's folder, in the report and the worksheet
    for doc in (page, sheet):
        for raw in ("too_deep", "shared_testing", "mostly because of too", str(tmp_path)):
            assert raw not in doc, raw
    assert "shared testing standards" in page and "a text too deep for it" in page
    assert "--out run" in page  # the command that made the folder, with its last part only
    assert "too deep" in after and "binding standards" in after  # the blockers' reasons and rungs in words
    biz = summary["business"]["cross_bloc"]
    assert f"Companies adopted a common standard across blocs in {_pct(biz)}" in after  # the business figure
    # two printed pages: short, page two starting at "After the simulation"
    assert len(sheet) < 9000 and sheet.count("<h2") == 4 and "@page{size:A4" in sheet and "break-before:page" in sheet


def test_report_of_a_sweep(tmp_path):
    out = tmp_path / "sweep"
    proc = simrun(
        "sweep", "scenarios/tech_war.yaml", "--vary", "tension=0.2,0.8", "-n", "8", "--workers", "1", "--out", str(out)
    )
    assert proc.returncode == 0, proc.stderr
    assert simrun("report", str(out)).returncode == 0
    page = (out / "report.html").read_text()
    assert "What was swept" in page and "tension=0.2,0.8" in page and "data:image/png;base64," in page
    assert "Bradford" in page


def test_report_refuses_a_folder_that_is_not_a_result(tmp_path):
    proc = simrun("report", str(tmp_path))
    assert proc.returncode == 2 and "not a simrun result folder" in proc.stderr


def test_public_command_cuts_absolute_paths():
    from sim.outputs.report_words import public_command

    assert public_command("simrun run /home/t/s.yaml --out /home/t/runs/x -n 5") == "simrun run s.yaml --out x -n 5"
    assert public_command("simrun run s.yaml --out=/srv/r") == "simrun run s.yaml --out=r"
    assert public_command(r"simrun run C:\\Users\\t\\s.yaml") == "simrun run s.yaml"
