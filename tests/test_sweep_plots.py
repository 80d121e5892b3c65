"""Sweep results a person can read: response plots, a console summary by bins, the hinge on the report page."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import ROOT, simrun

from sim.experiments.sweep import plan_sweep
from sim.outputs.stats import estimate
from sim.outputs.sweep_report import is_response, measures, pooled, response_figure, sweep_table

BLETCHLEY = str(ROOT / "scenarios" / "bletchley.yaml")
PERCENT = re.compile(r"^\d{1,3}% \[\d{1,3}–\d{1,3}\]$")


def fake_summary(plan, n: int = 10, seed: int = 0) -> list[dict]:
    """A summary row per point with made-up counts (what summarise_sweep writes, without running anything)."""
    rng = np.random.default_rng(seed)
    rows = []
    for g, point in enumerate(plan.points):
        row = {"point": g, **point, "n": n, "errors": 0}
        for name in measures(plan.scenario):
            est = estimate(int(rng.integers(0, n + 1)), n)
            row |= {f"p_{name}": est["p"], f"low_{name}": est["low"], f"high_{name}": est["high"]}
            row[f"wide_{name}"] = bool(est.get("wide", False))
        row["suggested_replications"] = 0
        rows.append(row)
    return rows


def legend_entries(fig) -> int:
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]
    return sum(len(legend.get_texts()) for legend in legends)


@pytest.fixture(scope="module")
def lhs_plan():
    vary = ["tension=0:1", "actors.china.legitimacy=0:1", "protocol=simultaneous,west_first"]
    return plan_sweep(BLETCHLEY, vary=vary, replications=10, seed=1, sample="lhs", points=500)


def test_a_500_point_lhs_sweep_draws_response_plots_with_a_short_legend(lhs_plan):
    summary = fake_summary(lhs_plan)
    assert is_response("lhs", summary, list(lhs_plan.points[0]))
    fig = response_figure(lhs_plan, summary)
    assert 1 <= legend_entries(fig) <= 10  # one entry per protocol, not one per sampled value
    # every panel: the 500 points as one scatter, one binned curve per protocol
    panel = fig.axes[0]
    assert sum(len(c.get_offsets()) for c in panel.collections if hasattr(c, "get_offsets")) >= 500
    assert len(panel.lines) == 2 and all(len(line.get_xdata()) <= 10 for line in panel.lines)


def test_two_numeric_fields_draw_heat_maps():
    plan = plan_sweep(BLETCHLEY, vary=["tension=0:1", "actors.china.legitimacy=0:1"], replications=4, sample="lhs",
                      points=60)  # fmt: skip
    fig = response_figure(plan, fake_summary(plan, 4))
    assert legend_entries(fig) == 0 and any("probability" in ax.get_ylabel() for ax in fig.axes)  # the colour bar
    meshes = [c for ax in fig.axes for c in ax.collections if type(c).__name__ == "QuadMesh"]
    assert len(meshes) >= len(measures(plan.scenario))  # a map per outcome (the colour bar draws one too)


def test_the_console_summarises_a_sampled_sweep_by_at_most_ten_bins(lhs_plan):
    summary = fake_summary(lhs_plan)
    title, header, rows, note = sweep_table(summary, "lhs")
    assert len(rows) <= 10 and header[:3] == ["tension (bin)", "points", "n"]
    assert sum(int(r[1]) for r in rows) == 500 and sum(int(r[2]) for r in rows) == 5000
    assert all(PERCENT.match(cell) for r in rows for cell in r[3:])
    assert "500 points in" in note and "by bins of tension" in title
    # a bin's figure pools its points' replications
    first = [r for r in summary if r["tension"] <= float(rows[0][0].split("–")[1])]
    assert (
        rows[0][3]
        == f"{pooled(first, 'declaration')['p'] * 100:.0f}% [{pooled(first, 'declaration')['low'] * 100:.0f}–{pooled(first, 'declaration')['high'] * 100:.0f}]"
    )


def test_a_small_grid_is_still_listed_point_by_point():
    plan = plan_sweep(BLETCHLEY, vary=["tension=0:1:3", "protocol=simultaneous,west_first"], replications=4)
    summary = fake_summary(plan, 4)
    assert not is_response("grid", summary, list(plan.points[0]))
    title, header, rows, _ = sweep_table(summary, "grid")
    assert len(rows) == 6 and header[:2] == ["tension", "protocol"] and title == "P (95% interval) per point"
    assert all(PERCENT.match(cell) for r in rows for cell in r[3:])


def test_an_lhs_sweep_end_to_end_bins_on_the_console_and_puts_the_hinge_on_the_report(tmp_path):
    out = tmp_path / "lhs"
    proc = simrun("sweep", BLETCHLEY, "--vary", "tension=0:1", "--vary", "actors.china.legitimacy=0:0.4",
                  "--sample", "lhs", "--points", "40", "-n", "5", "--workers", "1", "--out", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "by bins of tension" in proc.stdout and "% [" in proc.stdout
    table_rows = [line for line in proc.stdout.splitlines() if line.startswith("│")]
    assert 1 <= len(table_rows) <= 10
    assert (out / "hinge.json").exists() and (out / "probabilities.png").stat().st_size > 10_000
    proc = simrun("report", str(out))
    assert proc.returncode == 0, proc.stderr
    html = (out / "report.html").read_text()
    assert "What the answers hinge on" in html and "by bins of tension" in html
    assert html.count("<tr>") < 40  # bins, not 40 points, plus the hinge's rows
