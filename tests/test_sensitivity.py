"""Sensitivity analysis: SALib indices on a known function, and the real command end to end."""

from __future__ import annotations

import csv
import json

import pytest
from conftest import ROOT, simrun

from sim.experiments.sensitivity import analyse, input_ranges, sample
from sim.scenario import load_scenario
from sim.scenario.errors import InputError

BLETCHLEY = str(ROOT / "scenarios" / "bletchley.yaml")


@pytest.mark.parametrize("method", ["morris", "sobol"])
def test_indices_rank_a_known_function(method):
    problem = {"num_vars": 3, "names": ["strong", "weak", "inert"], "bounds": [[0, 1], [0, 1], [0, 1]]}
    x = sample(method, problem, 64 if method == "sobol" else 20, seed=1)
    y = 3 * x[:, 0] + 0.5 * x[:, 1]
    rows = {r["input"]: r for r in analyse(method, problem, x, y, seed=1)}
    key = "mu_star" if method == "morris" else "ST"
    assert rows["strong"][key] > rows["weak"][key] > rows["inert"][key] - 1e-9
    assert rows["inert"][key] == pytest.approx(0, abs=1e-6)
    if method == "morris":
        assert rows["strong"]["mu_star"] == pytest.approx(3.0, rel=1e-6)  # linear: the effect is the slope
    else:
        assert rows["strong"]["ST"] == pytest.approx(36 / 36.25, abs=0.05)


def test_inputs_are_the_scenarios_distributions_plus_named_ranges():
    scenario = load_scenario(BLETCHLEY)
    ranges = input_ranges(scenario, ["actors.uk.flexibility=0.1:0.5"])
    assert ranges["tension"] == (0.65, 0.85)
    assert ranges["actors.china.legitimacy"] == (0.1, 0.25)
    assert ranges["actors.uk.flexibility"] == (0.1, 0.5)
    with pytest.raises(InputError):
        input_ranges(scenario, ["actors.uk.flexibility=0.5:0.1"])
    with pytest.raises(InputError):
        input_ranges(scenario, ["actors.uk.flex=0.1:0.5"])


def test_sensitivity_command_end_to_end(tmp_path):
    out = tmp_path / "sa"
    proc = simrun("sensitivity", BLETCHLEY, "--samples", "4", "-n", "12", "--workers", "2", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "Morris indices" in proc.stdout
    with open(out / "indices.csv") as fh:
        rows = list(csv.DictReader(fh))
    inputs = {r["input"] for r in rows}
    # three outputs (declaration and substantive text across blocs, business standard) x the
    # eight uncertain numbers of bletchley.yaml
    assert len(rows) == 3 * len(inputs) and len(inputs) == 8
    assert {r["output"] for r in rows} == {"declaration", "government", "business"}
    assert all(float(r["mu_star"]) >= 0 and float(r["mu_star_conf"]) >= 0 for r in rows)
    # the indices are not degenerate: China's stake moves the chance of a declaration with it
    declaration = {r["input"]: float(r["mu_star"]) for r in rows if r["output"] == "declaration"}
    assert declaration["actors.china.legitimacy"] > 0
    meta = json.loads((out / "indices.json").read_text())
    assert meta["points"] == 4 * (8 + 1) and meta["method"] == "morris"
    assert (out / "sensitivity.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "manifest.json").exists() and list((out / "parts").glob("*.parquet"))
    assert not (out / ".indices").exists()


def test_sensitivity_refuses_a_bad_range(tmp_path):
    proc = simrun("sensitivity", BLETCHLEY, "--vary", "actors.atlantis.gain=0:1", "--out", str(tmp_path / "x"))
    assert proc.returncode == 2 and "no item 'atlantis'" in proc.stderr and not (tmp_path / "x").exists()


def test_sobol_on_request_end_to_end(tmp_path):
    out = tmp_path / "sobol"
    proc = simrun(
        "sensitivity", BLETCHLEY, "--method", "sobol", "--samples", "8", "-n", "4", "--workers", "2", "--out", str(out)
    )
    assert proc.returncode == 0, proc.stderr
    meta = json.loads((out / "indices.json").read_text())
    assert meta["method"] == "sobol" and meta["points"] == 8 * (8 + 2)  # Saltelli, first and total order
    rows = meta["indices"]["government"]
    assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(rows[0])
    assert rows == sorted(rows, key=lambda r: -r["ST"])  # most influential first
    # no cross-bloc binding deal at any point: a constant output, every index 0, without SALib's division by 0
    substantive = meta["indices"]["government"]
    assert all(r["ST"] == r["S1"] == r["ST_conf"] == 0.0 for r in substantive)
    assert "RuntimeWarning" not in proc.stderr


def test_default_sample_sizes_per_method():
    from sim.experiments.sensitivity import design

    morris = design(BLETCHLEY)  # 40 trajectories of (inputs + 1) points
    inputs = morris.problem["num_vars"]
    assert len(morris.plan.points) == 40 * (inputs + 1)
    sobol = design(BLETCHLEY, method="sobol")  # Saltelli, first order: 64 × (inputs + 2)
    assert len(sobol.plan.points) == 64 * (inputs + 2)
    assert len(design(BLETCHLEY, samples=4).plan.points) == 4 * (inputs + 1)


def test_an_input_the_model_ignores_gets_exactly_zero_with_common_random_numbers(tmp_path):
    # the restriction cost multiplies the restrictions in force, and Bletchley has none: it changes nothing.
    # Every point's replication r draws the same streams, so its elementary effects are exactly 0 — without
    # common random numbers they were the noise of the replications per point
    # (10 trajectories: with its own streams per point the restriction cost then shows about 0.03)
    out = tmp_path / "sa"
    proc = simrun("sensitivity", BLETCHLEY, "--samples", "10", "-n", "6", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    with open(out / "indices.csv") as fh:
        rows = list(csv.DictReader(fh))
    ignored = [float(r["mu_star"]) for r in rows if r["input"] == "business.restriction_cost"]
    assert len(ignored) == 3 and ignored == [0.0, 0.0, 0.0], ignored
    legitimacy = {r["output"]: float(r["mu_star"]) for r in rows if r["input"] == "actors.china.legitimacy"}
    assert legitimacy["declaration"] > 0  # an input that matters still shows
    assert json.loads((out / "indices.json").read_text()).get("common_random_numbers") is True
