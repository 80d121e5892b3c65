"""Sealed forecasts end to end: seal a forecast of a future text, score it once the record has the outcome."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat

from conftest import ROOT, simrun

from sim.experiments.forecast import canonical, seal_of

CASES = ROOT / "scenarios" / "history"
FUTURE = """\
base: base.yaml
name: us_china_ai_2027
title: "A US-China statement on AI (a text not yet agreed)"
date: 2027-04-01
at_table: [us, china]
chair: us
tension: {uniform: [0.45, 0.65]}
sources:
  - {quote: "a hypothetical meeting", by: assumption, kind: assumption, supports: [at_table, chair, tension]}
"""
OUTCOME = """\
- id: us_china_ai_2027
  name: A US-China statement on AI
  date: 2027-04-01
  level: government
  at_table: [us, china]
  signed: [us, china]
  declined: []
  depth: declaration
  cross_bloc: true
  sources: ["a report of the day"]
  confidence: high
"""


def _seal(tmp_path):
    shutil.copy(CASES / "base.yaml", tmp_path / "base.yaml")
    (tmp_path / "us_china_ai_2027.yaml").write_text(FUTURE)
    sealed = tmp_path / "sealed"
    proc = simrun("forecast", str(tmp_path / "us_china_ai_2027.yaml"), "-n", "40", "--out", str(sealed))
    assert proc.returncode == 0, proc.stderr
    (path,) = sealed.glob("*.json")
    return proc, sealed, path


def test_a_sealed_forecast_is_verified_and_scored_once_the_record_has_the_outcome(tmp_path):
    proc, sealed, path = _seal(tmp_path)
    data = json.loads(path.read_text())
    # what is sealed: the distribution, the inputs, the code, the time; the seal covers all of it
    assert data["case"] == "us_china_ai_2027" and data["date"] == "2027-04-01" and data["replications"] == 40
    assert abs(sum(data["prediction"]["patterns"].values()) - 1) < 1e-9
    assert data["inputs"]["case_file_sha256"] == hashlib.sha256(FUTURE.encode()).hexdigest()
    assert data["inputs"]["scenario"]["date"] == "2027-04-01" and len(data["code_sha256"]) == 64
    body = {k: v for k, v in data.items() if k != "seal"}
    assert data["seal"] == hashlib.sha256(canonical(body)).hexdigest() == seal_of(data)
    assert path.name == f"us_china_ai_2027-{data['seal'][:16]}.json" and data["seal"] in proc.stdout
    assert not os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)  # written read-only

    # after the event: the record holds the outcome, the backtest scores the sealed forecast
    (tmp_path / "r.yaml").write_text(OUTCOME)
    out = tmp_path / "res"
    run = simrun("backtest", "history", str(tmp_path / "r.yaml"), "--scenarios", str(tmp_path), "--no-fit",
                 "-n", "4", "--forecasts", str(sealed), "--out", str(out))  # fmt: skip
    assert run.returncode == 0, run.stderr
    (scored,) = json.loads((out / "summary.json").read_text())["sealed_forecasts"]["scored"]
    p = data["prediction"]["patterns"].get("declaration:china;us", 0.0)
    assert scored["p_observed"] == p and scored["sealed_before_event"] is True
    assert scored["hit"] == (data["modal"]["pattern"] == "declaration:china;us")
    assert f"us_china_ai_2027: sealed {data['sealed_at']}" in run.stdout


def test_a_changed_forecast_stops_the_backtest_before_any_run(tmp_path):
    _, sealed, path = _seal(tmp_path)
    data = json.loads(path.read_text())
    data["prediction"]["patterns"] = {"declaration:china;us": 1.0}  # a forecast 'improved' after the event
    os.chmod(path, 0o644)
    path.write_text(json.dumps(data, indent=2))
    (tmp_path / "r.yaml").write_text(OUTCOME)
    out = tmp_path / "res"
    run = simrun("backtest", "history", str(tmp_path / "r.yaml"), "--scenarios", str(tmp_path), "--no-fit",
                 "-n", "4", "--forecasts", str(sealed), "--out", str(out))  # fmt: skip
    assert run.returncode == 2 and "Traceback" not in run.stderr and not out.exists()
    assert f"{path}: seal: does not match the content" in run.stderr
    # resealing by hand does not help: the file name carries the original seal
    data["seal"] = seal_of(data)
    path.write_text(json.dumps(data, indent=2))
    run = simrun("backtest", "history", str(tmp_path / "r.yaml"), "--scenarios", str(tmp_path), "--no-fit",
                 "-n", "4", "--forecasts", str(sealed), "--out", str(out))  # fmt: skip
    assert run.returncode == 2 and "the file name does not carry this seal" in run.stderr


def test_a_forecast_needs_a_date_and_is_never_overwritten(tmp_path):
    shutil.copy(CASES / "base.yaml", tmp_path / "base.yaml")
    (tmp_path / "c.yaml").write_text(FUTURE.replace("date: 2027-04-01\n", ""))
    proc = simrun("forecast", str(tmp_path / "c.yaml"), "-n", "4", "--out", str(tmp_path / "s"))
    assert proc.returncode == 2 and "date: a forecast needs the case's date" in proc.stderr
    assert not (tmp_path / "s").exists()


def test_a_forecast_whose_case_is_not_in_the_record_waits(tmp_path):
    from sim import data
    from sim.experiments.forecast import score_forecasts
    from sim.experiments.history_record import load_record

    _, sealed, path = _seal(tmp_path)
    found = score_forecasts(sealed, load_record(data.HISTORY))
    assert found["scored"] == [] and [f["case"] for f in found["pending"]] == ["us_china_ai_2027"]
    assert found["pending"][0]["file"] == path.name
