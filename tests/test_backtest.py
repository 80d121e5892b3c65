"""Backtest on DEU III: the figures printed against an independent computation."""

from __future__ import annotations

import csv
import json
import re
import statistics

import pytest
from conftest import ROOT, simrun

from sim.experiments.backtest import EngineParams, baseline_predictions, engine_run, load_deu
from sim.scenario.errors import InputError

DEU = ROOT / "sim" / "data" / "deu3.tsv"  # the copy shipped with simrun (tests/test_data.py keeps it equal)
needs_data = pytest.mark.skipif(not DEU.exists(), reason="the shipped DEU III file is missing")


def independent_baselines(path) -> dict[str, float]:
    """Weighted mean and median MAE from the raw file, with nothing from sim."""
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    header, capability, data = rows[0], rows[1], rows[2:]
    col = {h: i for i, h in enumerate(header)}
    actors = [
        h[1:] for h in header if h.startswith("p") and "s" + h[1:] in col and h not in ("prnrnmc", "prnr", "prname")
    ]
    errors_wm, errors_med = [], []
    for row in data:
        if row[col["out"]] == "":
            continue
        taken = [
            (float(row[col["p" + a]]), float(row[col["s" + a]]), float(capability[col["p" + a]]))
            for a in actors
            if row[col["p" + a]] != "" and row[col["s" + a]] != ""
        ]
        total = sum(c * s for _, s, c in taken)
        wm = sum(c * s * x for x, s, c in taken) / total
        out = float(row[col["out"]])
        errors_wm.append(abs(wm - out))
        errors_med.append(abs(statistics.median(x for x, _, _ in taken) - out))
    return {"weighted_mean": statistics.fmean(errors_wm), "median": statistics.fmean(errors_med), "n": len(errors_wm)}


@needs_data
def test_cli_backtest_prints_baselines_that_match_an_independent_computation(tmp_path):
    full = independent_baselines(DEU)
    assert full["n"] == 353 and round(full["weighted_mean"], 1) == 23.2 and round(full["median"], 1) == 28.4
    # The command on the first 120 issues (the calibration grid over all 353 takes ~20 s)
    lines = DEU.read_text().splitlines(keepends=True)
    part = tmp_path / "deu_part.tsv"
    part.write_text("".join(lines[:122]))  # header, capability line, 120 issues
    expected = independent_baselines(part)
    out = tmp_path / "bt"
    proc = simrun("backtest", "deu", str(part), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    printed = {}
    for line in proc.stdout.splitlines():
        m = re.match(r"│ (.+?)\s+│\s+([\d.]+) │\s+([\d.]+) │\s+([\d.]+) │", line)
        if m:
            printed[m[1].strip()] = tuple(float(v) for v in m.groups()[1:])
    assert printed["weighted mean (capability × salience)"][0] == round(expected["weighted_mean"], 1)
    assert printed["median"][0] == round(expected["median"], 1)
    assert "simrun engine" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["issues"]["all"] == expected["n"] and 100 < expected["n"] <= 120
    assert summary["issues"]["odd"] + summary["issues"]["even"] == expected["n"]
    assert summary["mae"]["weighted_mean"]["all"] == pytest.approx(expected["weighted_mean"], abs=1e-4)
    assert summary["mae"]["median"]["all"] == pytest.approx(expected["median"], abs=1e-4)
    # calibration is chosen on the odd half only: the chosen parameters have the lowest odd error
    best = min(c["mae_odd"] for c in summary["calibration"])
    assert summary["mae"]["engine"]["odd"] == pytest.approx(best, abs=1e-4)
    with open(out / "issues.csv") as fh:
        issues = list(csv.DictReader(fh))
    assert len(issues) == expected["n"] and {"engine", "weighted_mean", "outcome", "half"} <= set(issues[0])
    assert (out / "predicted_vs_actual.png").read_bytes()[:4] == b"\x89PNG"


@needs_data
def test_engine_opening_proposal_is_the_compromise_model():
    issues = load_deu(DEU)
    for issue in issues[:60]:
        run = engine_run(issue, EngineParams(chair_weight=1.0))
        assert run["opening"] == pytest.approx(baseline_predictions(issue)["weighted_mean"], abs=1e-9)


def test_malformed_dataset_is_reported_with_file_and_line(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text(
        '"prnrnmc"\t"isnr"\t"counvte"\t"pcom"\t"scom"\t"rp"\t"out"\n\t\t\t4.1\t\t\t\n1\t"i1"\t"QMV"\tabc\t50\t\t40\n'
    )
    with pytest.raises(InputError) as info:
        load_deu(bad)
    assert str(info.value.problems[0]) == f"{bad}:3: pcom: not a number: 'abc'"
    proc = simrun("backtest", "deu", str(bad), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and not (tmp_path / "o").exists()
    proc = simrun("backtest", "deu", str(tmp_path / "missing.tsv"))
    assert proc.returncode == 2 and "no such file" in proc.stderr
