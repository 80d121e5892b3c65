"""End to end: the real CLI; reproducibility. (Every shipped scenario's result folder: tests/test_golden.py.)"""

from __future__ import annotations

import json

from conftest import SCENARIOS, simrun


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
