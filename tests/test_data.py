"""The datasets shipped in sim/data: equal to the project's reference copies, and used by default."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, simrun

from sim import data
from sim.experiments.history_record import load_record

SHARED = ROOT.parent / "shared" / "data"


@pytest.mark.parametrize("name", ["history.yaml", "deu3.tsv"])
def test_shipped_copy_equals_the_reference_data(name):
    reference = SHARED / name
    if not reference.exists():
        pytest.skip("no reference folder beside the repository (a user's clone)")
    assert (data.FOLDER / name).read_bytes() == reference.read_bytes(), f"sim/data/{name} differs from {reference}"


def test_licence_and_attribution_of_deu_ship_with_it():
    text = (data.FOLDER / "README.md").read_text()
    assert "CC BY 4.0" in text and "Arregui" in text and "doi:10.34810/data53" in text


def test_every_record_entry_has_a_case_file():
    cases = load_record(data.HISTORY)
    missing = [c.id for c in cases if not (ROOT / "scenarios" / "history" / f"{c.id}.yaml").is_file()]
    assert missing == []


def test_backtest_deu_runs_on_the_shipped_copy_with_no_path(tmp_path):
    out = tmp_path / "deu"
    proc = simrun("backtest", "deu", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["issues"]["all"] > 300  # DEU III: ~350 issues with an outcome
    assert summary["mae"]["weighted_mean"]["all"] == pytest.approx(23.2, abs=0.1)  # the figure of the data's README
