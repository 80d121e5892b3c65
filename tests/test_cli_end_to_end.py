"""End to end: the real CLI on every shipped scenario; result folders; reproducibility."""

from __future__ import annotations

import csv
import json

import pytest
from conftest import SCENARIOS, simrun

EXPECTED_FILES = {
    "manifest.json",
    "scenario.json",
    "summary.json",
    "outcomes.csv",
    "rounds.csv",
    "events.csv",
    "agreement.png",
    "positions.png",
}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_cli_runs_every_scenario_and_writes_a_complete_folder(tmp_path, scenario):
    out = tmp_path / "result"
    proc = simrun(str(scenario), "--replications", "20", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "Government level" in proc.stdout and "Business level" in proc.stdout
    assert {p.name for p in out.iterdir()} == EXPECTED_FILES
    summary = json.loads((out / "summary.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    assert summary["replications"] == 20
    assert len(manifest["scenario_sha256"]) == 64
    assert manifest["versions"]["mesa"].startswith("3.")
    levels = summary["government"]["levels"]
    # probabilities of deeper levels never exceed those of shallower ones
    ps = [lv["agreement"]["p"] for lv in levels]
    assert ps == sorted(ps, reverse=True)
    for lv in levels:
        assert (
            lv["agreement"]["n"] == 20
            and 0 <= lv["agreement"]["low"] <= lv["agreement"]["p"] <= lv["agreement"]["high"] <= 1
        )
    with open(out / "rounds.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 20 * manifest["rounds"]
    with open(out / "events.csv") as fh:
        events = list(csv.DictReader(fh))
    rejections = [e for e in events if e["action"] == "reject"]
    assert all(e["reason"] in {"rivalry", "content", "too_deep"} for e in rejections)
    assert all(float(e["value"]) < 0 for e in rejections)
    for png in ("agreement.png", "positions.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (out / png).stat().st_size > 20_000


def test_same_command_gives_the_same_bytes(tmp_path):
    outs = []
    for name in ("one", "two"):
        out = tmp_path / name
        proc = simrun("scenarios/bletchley.yaml", "--replications", "12", "--seed", "99", "--out", str(out))
        assert proc.returncode == 0, proc.stderr
        outs.append(out)
    for file in ("summary.json", "rounds.csv", "outcomes.csv", "events.csv"):
        assert (outs[0] / file).read_bytes() == (outs[1] / file).read_bytes(), file


def test_seed_changes_the_draws(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert simrun("scenarios/bletchley.yaml", "-n", "10", "--seed", "1", "--out", str(a)).returncode == 0
    assert simrun("scenarios/bletchley.yaml", "-n", "10", "--seed", "2", "--out", str(b)).returncode == 0
    assert (a / "rounds.csv").read_bytes() != (b / "rounds.csv").read_bytes()
    assert json.loads((a / "manifest.json").read_text())["seed"] == 1


def test_schema_command_prints_json_schema():
    proc = simrun("schema")
    assert proc.returncode == 0
    schema = json.loads(proc.stdout)
    assert schema["additionalProperties"] is False
    assert {"issues", "actors", "tension", "decision_rule", "depth_ladder"} <= set(schema["properties"])


def test_validate_command_accepts_every_scenario():
    proc = simrun("validate", *map(str, SCENARIOS))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count(": ok") == len(SCENARIOS)
