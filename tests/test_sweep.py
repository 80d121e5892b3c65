"""Sweeps: --vary parsing, seeds, same rows whatever runs them, kill and resume, Dask."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import ROOT, simrun

from sim.experiments import sweep as sweep_module
from sim.experiments.runner import replication_seed
from sim.experiments.sweep import Chunk, plan_sweep, read_parts, run_chunk, run_sweep
from sim.experiments.sweep_spec import apply_point, grid_points, lhs_points, parse_vary
from sim.scenario import load_scenario
from sim.scenario.errors import InputError

BLETCHLEY = str(ROOT / "scenarios" / "bletchley.yaml")


# -- parsing -----------------------------------------------------------------------------
def test_parse_range_list_and_scalars():
    axis = parse_vary("tension=0:1:5")
    assert axis.path == "tension" and axis.values == (0.0, 0.25, 0.5, 0.75, 1.0)
    assert (axis.low, axis.high) == (0.0, 1.0)
    axis = parse_vary("protocol=simultaneous,west_first")
    assert axis.values == ("simultaneous", "west_first") and not axis.numeric
    axis = parse_vary("actors.china.flexibility=0.1,0.3")
    assert axis.values == (0.1, 0.3) and axis.numeric
    assert parse_vary("rounds=6").values == (6,)
    # a list mixing 0 and 0.5 is one float column (Parquet parts must agree on the type)
    mixed = parse_vary("tension=0,0.5,1").values
    assert mixed == (0.0, 0.5, 1.0) and all(type(v) is float for v in mixed)
    assert all(type(v) is int for v in parse_vary("rounds=6,8").values)


@pytest.mark.parametrize("bad", ["tension", "tension=", "=0:1:3", "tension=0:1:0", "tension=a:b:3", "tension=0,,1"])
def test_malformed_vary_is_refused(bad):
    with pytest.raises(InputError) as info:
        parse_vary(bad)
    assert str(info.value.problems[0]).startswith("--vary: ")


def test_grid_is_the_cartesian_product_first_axis_slowest():
    points = grid_points([parse_vary("a=1,2"), parse_vary("b=x,y,z")])
    assert points == [{"a": a, "b": b} for a in (1, 2) for b in ("x", "y", "z")]


def test_lhs_covers_every_stratum_and_is_seeded():
    axes = [parse_vary("tension=0.2:0.8:2"), parse_vary("protocol=simultaneous,west_first")]
    points = lhs_points(axes, 50, seed=3)
    xs = sorted(p["tension"] for p in points)
    assert all(0.2 <= x <= 0.8 for x in xs)
    # one point in each of the 50 equal strata of the range
    strata = sorted(int((x - 0.2) / 0.6 * 50) for x in xs)
    assert strata == list(range(50))
    assert {p["protocol"] for p in points} == {"simultaneous", "west_first"}
    assert lhs_points(axes, 50, seed=3) == points and lhs_points(axes, 50, seed=4) != points


@pytest.mark.parametrize(
    ("vary", "message"),
    [
        ("actors.china.flex=0.1", "no key 'flex' in actors.china"),
        ("actors.atlantis.gain=0.1", "no item 'atlantis' in actors"),
        ("tension=0:2:3", "2 is outside the allowed range [0, 1]"),
        ("protocol=simultaneous,shouting", "Input should be 'simultaneous'"),
        ("decision_rule.threshold=0.5", "no key 'threshold' in decision_rule"),
        ("seed=7,8", "seed: the master seed is set with --seed"),  # a swept seed once did nothing, silently
    ],
)
def test_bad_paths_and_values_are_refused_before_anything_runs(tmp_path, vary, message):
    out = tmp_path / "sweep"
    proc = simrun("sweep", BLETCHLEY, "--vary", vary, "-n", "2", "--out", str(out))
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()


@pytest.mark.parametrize(("path", "flag"), [("seed", "--seed"), ("replications", "--replications")])
def test_how_runs_are_done_is_no_point_of_a_sweep_a_fit_or_a_design(path, flag):
    # the runner reads the seed and the replications once, from the command: a point setting them would be ignored
    with pytest.raises(InputError) as exc:
        apply_point(load_scenario(BLETCHLEY), {"tension": 0.5, path: 7})
    assert [(p.path, flag in p.message) for p in exc.value.problems] == [(path, True)]


def test_sweeping_the_rule_starts_each_rule_from_its_own_parameters():
    # bletchley's open rule has min_share, which consensus does not: the README's rule sweep once failed on it
    bletchley = load_scenario(BLETCHLEY)
    assert apply_point(bletchley, {"decision_rule.rule": "consensus"}).decision_rule.rule == "consensus"
    # a threshold on the same point applies to the new rule, whichever axis comes first
    for point in ({"decision_rule.threshold": 0.9, "decision_rule.rule": "qualified_majority"},
                  {"decision_rule.rule": "qualified_majority", "decision_rule.threshold": 0.9}):  # fmt: skip
        assert apply_point(bletchley, point).decision_rule.threshold == 0.9
    # the same rule keeps the scenario's own parameters
    strict = apply_point(bletchley, {"decision_rule.min_share": 0.7})
    assert apply_point(strict, {"decision_rule.rule": "open"}).decision_rule.min_share == 0.7
    with pytest.raises(InputError, match="signatories"):  # a rule that needs a value says which
        apply_point(bletchley, {"decision_rule.rule": "required"})


def test_a_point_count_without_a_latin_hypercube_is_refused():
    # a count was silently ignored by a grid: the user believed they asked for n points
    with pytest.raises(InputError, match="--points sets the size of --sample lhs"):
        plan_sweep(BLETCHLEY, vary=["tension=0.2,0.8"], replications=2, points=7)


def test_a_sampled_range_needs_no_count_and_a_grid_refuses_it():
    axis = parse_vary("tension=0.8:0.2")
    assert axis.sampled_only and (axis.low, axis.high) == (0.2, 0.8)
    points = lhs_points([axis], 10, seed=1)
    assert all(0.2 <= p["tension"] <= 0.8 for p in points)
    with pytest.raises(InputError, match="low:high is a range to sample"):
        plan_sweep(BLETCHLEY, vary=["tension=0.2:0.8"], replications=2)
    with pytest.raises(InputError, match="--sample lhs needs --points N"):
        plan_sweep(BLETCHLEY, vary=["tension=0.2:0.8"], replications=2, sample="lhs")
    plan = plan_sweep(BLETCHLEY, vary=["tension=0.2:0.8"], replications=2, sample="lhs", points=5)
    assert len(plan.points) == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sweep", BLETCHLEY, "--vary", "tension=0:1", "--sample", "lhs", "--n", "5"],
         "--n: no longer an option: the points of an lhs sample are --points N (-n is --replications)"),
        (["sweep", BLETCHLEY, "--vary", "tension=0:1", "--sample", "lhs", "--n=5"], "--n: no longer an option"),
        (["sensitivity", BLETCHLEY, "-r", "4"], "-r: no longer an option: the replications per point are -n/--replications"),
        (["sensitivity", BLETCHLEY, "--n", "4"], "--n: no longer an option: Morris trajectories or the Sobol base sample are --samples N"),
        (["play", BLETCHLEY, "--as", "eu", "--runs", "3"], "--runs: no longer an option: the model runs of the debrief are -n/--replications"),
    ],
)  # fmt: skip
def test_old_spellings_are_refused_with_the_new_one(tmp_path, args, message):
    proc = simrun(*args, "--out", str(tmp_path / "o")) if args[0] != "play" else simrun(*args)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == message or proc.stderr.startswith(message), proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not (tmp_path / "o").exists()


def test_replications_is_n_in_every_command():
    import typer.main

    from sim.cli import load_app

    app = typer.main.get_command(load_app())
    for name in ("run", "sweep", "sensitivity", "backtest", "forecast", "play"):
        options = {opt: p.name for p in app.commands[name].params for opt in p.opts}
        assert options["-n"] == options["--replications"] == "replications", name
    assert "--points" in {o for p in app.commands["sweep"].params for o in p.opts}


def test_an_unknown_engine_is_refused_before_anything_runs(tmp_path):
    out = tmp_path / "sweep"
    proc = simrun("sweep", BLETCHLEY, "--vary", "tension=0.5", "-n", "2", "--engine", "gpu", "--out", str(out))
    assert proc.returncode == 2 and "unknown engine 'gpu'; use batch or mesa" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and not out.exists()


def test_both_engines_write_the_same_rows(tmp_path, small_plan):
    batch = run_sweep(small_plan, out=tmp_path / "b", workers=1)
    mesa = run_sweep(small_plan, out=tmp_path / "m", workers=1, engine="mesa")
    assert repr(batch.rows.to_pylist()) == repr(mesa.rows.to_pylist())
    assert (tmp_path / "b" / "summary.csv").read_bytes() == (tmp_path / "m" / "summary.csv").read_bytes()
    assert json.loads((tmp_path / "b" / "manifest.json").read_text())["engine"] == "batch"


# -- seeds ---------------------------------------------------------------------------------
def test_seed_derivation_by_point_and_replication():
    a = replication_seed(7, 2, 5)
    assert a.spawn_key == (2, 5) and a.entropy == 7
    states = {tuple(replication_seed(7, g, r).generate_state(4)) for g in range(3) for r in range(3)}
    assert len(states) == 9
    assert np.array_equal(
        replication_seed(7, 2, 5).generate_state(4), np.random.SeedSequence(7, spawn_key=(2, 5)).generate_state(4)
    )


def test_rows_do_not_depend_on_chunking():
    plan = plan_sweep(BLETCHLEY, vary=["tension=0.3,0.9"], replications=6)
    scenario, point = plan.scenarios[1], plan.points[1]
    whole = run_chunk(Chunk(1, point, scenario, plan.master, 0, 6))[1]
    halves = (
        run_chunk(Chunk(1, point, scenario, plan.master, 0, 3))[1]
        + run_chunk(Chunk(1, point, scenario, plan.master, 3, 6))[1]
    )
    assert repr(whole) == repr(halves)


def _rows(out):
    return read_parts(out / "parts").to_pylist()


@pytest.fixture(scope="module")
def small_plan():
    return plan_sweep(BLETCHLEY, vary=["tension=0.2,0.8", "protocol=simultaneous,west_first"], replications=12, seed=5)


def test_one_worker_two_workers_and_dask_give_identical_rows(tmp_path, small_plan):
    one = run_sweep(small_plan, out=tmp_path / "one", workers=1)
    two = run_sweep(small_plan, out=tmp_path / "two", workers=2)
    dask = run_sweep(small_plan, out=tmp_path / "dask", dask_local=2)
    assert one.workers == 1 and two.workers == 2 and dask.workers == 2
    rows = _rows(tmp_path / "one")
    assert len(rows) == 4 * 12
    assert repr(rows) == repr(_rows(tmp_path / "two")) == repr(_rows(tmp_path / "dask"))
    summary = (tmp_path / "one" / "summary.csv").read_bytes()
    assert (
        summary == (tmp_path / "two" / "summary.csv").read_bytes() == (tmp_path / "dask" / "summary.csv").read_bytes()
    )
    manifest = json.loads((tmp_path / "dask" / "manifest.json").read_text())
    assert manifest["executor"] == "dask" and manifest["workers"] == 2 and manifest["runs"] == 48


def test_sweep_folder_contents(tmp_path, small_plan):
    result = run_sweep(small_plan, out=tmp_path / "s", workers=1)
    names = {p.name for p in (tmp_path / "s").iterdir()}
    assert names == {
        "sweep.json",
        "parts",
        "summary.csv",
        "summary.parquet",
        "probabilities.png",
        "manifest.json",
        "scenario.json",
        "hinge.json",
        "runs.parquet",  # every part's rows in one file
    }
    summary = pq.read_table(tmp_path / "s" / "summary.parquet").to_pylist()
    assert len(summary) == 4 and all(row["n"] == 12 and row["errors"] == 0 for row in summary)
    for row in summary:
        for m in ("declaration", "substantive", "binding", "business"):
            assert 0 <= row[f"low_{m}"] <= row[f"p_{m}"] <= row[f"high_{m}"] <= 1
        # a binding deal across blocs implies a substantive one implies a declaration
        assert row["p_binding"] <= row["p_substantive"] <= row["p_declaration"]
    rows = result.rows.to_pylist()
    assert {"point", "replication", "seed", "tension", "protocol", "gov_level", "business_level", "error"} <= set(
        rows[0]
    )
    assert rows[0]["seed"] == "5:0:0"


def test_a_failing_replication_is_recorded_and_does_not_stop_the_sweep(tmp_path, monkeypatch, small_plan):
    real = sweep_module.run_on_mesa

    def flaky(scenario, seed):
        if seed.spawn_key[-1] == 3:
            raise RuntimeError("boom")
        return real(scenario, seed)

    monkeypatch.setattr(sweep_module, "run_on_mesa", flaky)
    result = run_sweep(small_plan, out=tmp_path / "f", workers=1, engine="mesa")
    errors = [r for r in result.rows.to_pylist() if r["error"]]
    assert len(errors) == 4 and all(r["replication"] == 3 and "boom" in r["error"] for r in errors)
    assert all(row["n"] == 11 and row["errors"] == 1 for row in result.summary)


def test_a_different_sweep_into_the_same_folder_is_refused(tmp_path, small_plan):
    run_sweep(small_plan, out=tmp_path / "s", workers=1)
    other = plan_sweep(BLETCHLEY, vary=["tension=0.2,0.8"], replications=12, seed=5)
    with pytest.raises(InputError) as info:
        run_sweep(other, out=tmp_path / "s", workers=1)
    assert "holds a different sweep" in str(info.value) and "vary" in str(info.value)
    # parts computed by another version of the model's code are not mixed with new ones
    spec = json.loads((tmp_path / "s" / "sweep.json").read_text())
    spec["code_sha256"] = "0" * 64
    (tmp_path / "s" / "sweep.json").write_text(json.dumps(spec))
    with pytest.raises(InputError, match=r"holds a different sweep \(code_sha256 differ\)"):
        run_sweep(small_plan, out=tmp_path / "s", workers=1)


def test_a_refused_sweep_never_says_it_is_resuming(tmp_path, small_plan, capsys):
    # the folder holds an interrupted sweep of other points: refused, and not announced as a resume first
    import typer

    from sim.cli.analysis import run_with_progress

    run_sweep(small_plan, out=tmp_path / "s", workers=1)
    made = json.loads((tmp_path / "s" / "manifest.json").read_text())
    (tmp_path / "s" / "manifest.json").write_text(json.dumps({**made, "status": "interrupted"}))
    other = plan_sweep(BLETCHLEY, vary=["tension=0.2,0.8"], replications=12, seed=5)
    with pytest.raises(typer.Exit):
        run_with_progress(other, out=tmp_path / "s", workers=1)
    stderr = capsys.readouterr().err
    assert "holds a different sweep" in stderr and "Resuming" not in stderr
    next(iter((tmp_path / "s" / "parts").glob("*.parquet"))).unlink()  # the same sweep, one part missing: resumed
    run_with_progress(small_plan, out=tmp_path / "s", workers=1)
    assert "Resuming in" in capsys.readouterr().err


def test_resume_computes_only_what_is_missing(tmp_path, small_plan):
    first = run_sweep(small_plan, out=tmp_path / "s", workers=1)
    parts = sorted((tmp_path / "s" / "parts").glob("*.parquet"))
    for p in parts[::2]:
        p.unlink()
    again = run_sweep(small_plan, out=tmp_path / "s", workers=1)
    assert 0 < again.computed < first.computed
    assert repr(again.rows.to_pylist()) == repr(first.rows.to_pylist())


# -- a real process, killed -------------------------------------------------------------------
def _sweep_command(out, *extra: str):
    return [
        sys.executable,
        "-m",
        "sim.cli",
        "sweep",
        BLETCHLEY,
        "--vary",
        "tension=0:1:6",
        "-n",
        "40",
        "--workers",
        "2",
        "--out",
        str(out),
        *extra,
    ]


ENV = {**os.environ, "MPLBACKEND": "Agg", "PYTHONFAULTHANDLER": "1"}  # SIGABRT then prints every thread's stack


def _start_and_wait_for_parts(out, parts_wanted: int) -> subprocess.Popen:
    """Start the sweep in its own process group; return once ``parts_wanted`` parts are on disk."""
    # The Mesa engine is slow enough to be caught mid-way; the rerun and the clean run use
    # the default batched engine, so this also shows that a sweep resumes across engines.
    proc = subprocess.Popen(
        _sweep_command(out, "--engine", "mesa"),
        cwd=ROOT,
        env=ENV,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    parts, deadline = out / "parts", time.time() + 120
    while time.time() < deadline and (not parts.exists() or len(list(parts.glob("*.parquet"))) < parts_wanted):
        time.sleep(0.05)
    return proc


def test_ctrl_c_stops_cleanly_and_keeps_parts(tmp_path):
    out = tmp_path / "interrupted"
    proc = _start_and_wait_for_parts(out, 1)
    os.killpg(proc.pid, signal.SIGINT)
    try:
        _, stderr = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:  # seen once in many runs: say where it hangs, and leave no process behind
        os.killpg(proc.pid, signal.SIGABRT)
        _, stderr = proc.communicate(timeout=30)
        pytest.fail(f"the sweep did not stop within 60 s of Ctrl-C; its threads:\n{stderr[-6000:]}")
    assert proc.returncode == 130, stderr
    assert "resume" in stderr and "Traceback" not in stderr
    assert list((out / "parts").glob("*.parquet"))


def test_chunks_are_equal_sized_and_sized_for_the_workers():
    from sim.experiments.sweep_spec import MAX_CHUNK, chunk_size

    assert chunk_size(100, 22, workers=2) == 100  # 22 tasks already keep 2 workers busy
    assert chunk_size(100, 1, workers=2) == 13  # 8 tasks of 13 (the last 9), not 10 + ... + 10
    assert chunk_size(200, 1, workers=2) == 25
    assert chunk_size(1000, 1, workers=2) == MAX_CHUNK
    assert chunk_size(5, 1, workers=64) == 5  # never more than the replications, never below 10 otherwise
    for reps in range(1, 400, 7):
        for points in (1, 3, 22):
            chunk = chunk_size(reps, points, workers=2)
            sizes = [min(chunk, reps - start) for start in range(0, reps, chunk)]
            assert max(sizes) - min(sizes) < len(sizes) and max(sizes) <= MAX_CHUNK


def test_a_resumed_sweep_keeps_the_chunking_it_started_with(tmp_path, small_plan):
    first = run_sweep(small_plan, out=tmp_path / "s", workers=1)
    spec = json.loads((tmp_path / "s" / "sweep.json").read_text())
    spec["chunk"] = 5  # as if it had been started elsewhere with other workers
    (tmp_path / "s" / "sweep.json").write_text(json.dumps(spec))
    for p in (tmp_path / "s" / "parts").glob("*.parquet"):
        p.unlink()
    again = run_sweep(small_plan, out=tmp_path / "s", workers=2)
    names = sorted(p.name for p in (tmp_path / "s" / "parts").glob("*.parquet"))
    assert names[0].endswith("-r0000000-0000005.parquet")
    assert repr(again.rows.to_pylist()) == repr(first.rows.to_pylist())
