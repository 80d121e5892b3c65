"""The Python API (``import sim``): the same numbers as the command line, tidy tables, validation, version."""

from __future__ import annotations

import csv
import json
import math
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import ROOT, SMALL, simrun

import sim
from sim.scenario import scenario_from_text

BLETCHLEY = ROOT / "scenarios" / "bletchley.yaml"
N, SEED = 20, 7

# SMALL with a third government that at_table leaves out, a required signatory among the
# absent, and dated stance periods: what load() seats and dates, and validate() must accept again.
SEATED = SMALL.replace(
    "chair: a\n",
    """\
  - id: c
    name: C
    kind: government
    bloc: west
    position: {rules: 0.5, testing: 0.5}
    salience: {rules: 1, testing: 1}
at_table: [a, b]
decision_rule: {rule: required, signatories: [a, c]}
date: 2024-01-01
stances:
  - actor: a
    since: 2023-01-01
    event: a policy
    set: {flexibility: 0.4}
    sources: [{quote: q, by: b, date: 2023-01-01}]
  - actor: c
    since: 2023-01-01
    event: another policy
    set: {flexibility: 0.5}
    sources: [{quote: q, by: b, date: 2023-01-01}]
""",
)


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "run"
    proc = simrun(str(BLETCHLEY), "-n", str(N), "--seed", str(SEED), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def result() -> sim.RunResult:
    return sim.run(sim.load(BLETCHLEY), replications=N, seed=SEED)


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_run_gives_the_command_lines_summary(result, cli_run):
    cli = json.loads((cli_run / "summary.json").read_text())
    api = json.loads(json.dumps(result.summary))  # as summary.json holds it
    levels = [lv["level"] for lv in cli["government"]["levels"]]
    assert levels == ["declaration", "voluntary_commitments", "shared_testing", "binding"]
    for mine, theirs in zip(api["government"]["levels"], cli["government"]["levels"], strict=True):
        assert mine["agreement"] == theirs["agreement"] and mine["cross_bloc"] == theirs["cross_bloc"]
        assert mine["signs"] == theirs["signs"]
    assert api == cli
    assert (result.replications, result.seed) == (N, SEED) == (cli["replications"], cli["seed"])


def test_outcomes_are_outcomes_csv_without_packed_lists(result, cli_run):
    rows = read_csv(cli_run / "outcomes.csv")
    out = result.outcomes
    assert list(out["replication"]) == list(range(N)) == [int(r["replication"]) for r in rows]
    packed = {c for c in rows[0] if c.endswith(("_signatories", "_blockers"))}
    assert len(packed) == 8 and set(out.columns) == set(rows[0]) - packed
    for column in out.columns:
        for mine, theirs in zip(out[column], (r[column] for r in rows), strict=True):
            if isinstance(mine, float | np.floating):
                assert (math.isnan(mine) and theirs == "") or float(theirs) == pytest.approx(mine, rel=1e-5), column
            elif isinstance(mine, bool | np.bool_):
                assert theirs == ("1" if mine else "0"), column
            else:
                assert str(mine) == theirs, column
    assert not any(";" in str(v) for v in out.to_numpy().ravel())


def test_signatories_has_one_row_per_signatory_named_in_the_outcomes(result, cli_run):
    named = set()
    for row in read_csv(cli_run / "outcomes.csv"):
        for level in ("declaration", "voluntary_commitments", "shared_testing", "binding"):
            named |= {(int(row["replication"]), level, a) for a in row[f"{level}_signatories"].split(";") if a}
    table = result.signatories
    keys = list(zip(table["replication"], table["level"], table["actor"], strict=True))
    assert len(keys) == len(set(keys)) == len(named) > 0
    assert set(keys) == named
    blocs = {a.id: a.bloc for a in result.scenario.actors}
    assert all(blocs[a] == b for a, b in zip(table["actor"], table["bloc"], strict=True))
    # the summary's "how often each government signs" is a count of these rows
    for level in result.summary["government"]["levels"]:
        for actor, est in level["signs"].items():
            rows = table[(table["level"] == level["level"]) & (table["actor"] == actor)]
            assert len(rows) / N == pytest.approx(est["p"])


def test_blockers_match_the_summarys_reasons(result, cli_run):
    table = result.blockers
    named = set()
    for row in read_csv(cli_run / "outcomes.csv"):
        for level in ("declaration", "voluntary_commitments", "shared_testing", "binding"):
            for item in filter(None, row[f"{level}_blockers"].split(";")):
                actor, reason = item.split(":")
                named.add((int(row["replication"]), level, actor, reason))
    keys = set(zip(table["replication"], table["level"], table["actor"], table["reason"], strict=True))
    assert keys == named and len(table) == len(named) > 0
    for level in result.summary["government"]["levels"]:
        for actor, info in level["blockers"].items():
            rows = table[(table["level"] == level["level"]) & (table["actor"] == actor)]
            assert rows["reason"].value_counts().to_dict() == info["reasons"]


def test_rounds_and_positions_hold_rounds_csv(result, cli_run):
    s = result.scenario
    rows = read_csv(cli_run / "rounds.csv")
    govs, issues = [g.id for g in s.governments], s.issue_ids
    rounds, positions = result.rounds, result.positions
    assert len(rounds) == N * s.rounds == len(rows)
    assert not any(c.startswith("pos_") for c in rounds.columns)
    assert list(rounds["tension"]) == pytest.approx([float(r["tension"]) for r in rows], rel=1e-5)
    assert len(positions) == N * s.rounds * len(govs) * len(issues)
    assert positions.groupby(["replication", "round", "actor", "issue"]).size().max() == 1
    assert positions["position"].between(0, 1).all()
    wide = positions.pivot_table(index=["replication", "round"], columns=["actor", "issue"], values="position")
    for g in govs:
        for i in issues:
            assert list(wide[(g, i)]) == pytest.approx([float(r[f"pos_{g}_{i}"]) for r in rows], rel=1e-5)
    # the last round's deepest cross-bloc rung is the outcome's
    last = rounds[rounds["round"] == s.rounds].set_index("replication")["gov_cross_level"]
    names = ["none"] + [lv.name for lv in s.ladder]
    assert [names[k] for k in last] == list(result.outcomes["gov_cross_level"])


def test_events_hold_events_csv_and_the_terms_of_v(result, cli_run):
    rows = read_csv(cli_run / "events.csv")
    events = result.events
    assert len(events) == len(rows) > 0
    assert list(events["action"]) == [r["action"] for r in rows]
    assert list(events["replication"]) == [int(r["replication"]) for r in rows]
    answers = events[events["action"].isin(["accept", "reject"])]
    assert len(answers) > 0 and answers[["legitimacy", "rivalry"]].notna().all().all()
    terms = answers["legitimacy"] + answers["cooperation"] - answers["content"] - answers["rivalry"]
    assert ((answers["value"] - (terms - answers["too_deep"])).abs() <= 0.003).all()  # 5 terms at 3 decimals
    assert events.loc[~events.index.isin(answers.index), "legitimacy"].isna().all()
    assert events.loc[answers.index, "actor"].notna().all() and events["actor"].ne("").all()


def test_same_seed_same_tables_other_seed_other_draws(result):
    again = sim.run(BLETCHLEY, replications=N, seed=SEED)  # a path is loaded first
    assert again.summary == result.summary
    assert again.positions.equals(result.positions) and again.events.equals(result.events)
    other = sim.run(result.scenario, replications=N, seed=SEED + 1)
    assert not other.rounds["tension"].equals(result.rounds["tension"])


def test_a_scenario_changed_out_of_range_never_runs():
    s = sim.load(BLETCHLEY)
    bad = s.model_copy(update={"tension": 3.0})  # model_copy checks nothing
    assert bad.tension == 3.0
    for call in (sim.validate, sim.run):
        with pytest.raises(sim.InputError) as exc:
            call(bad)
        assert [p.path for p in exc.value.problems] == ["tension"]
        assert str(exc.value).startswith("<bletchley>: tension: ")
    broken = s.model_copy(update={"chair": "nobody"})  # a cross-field check
    with pytest.raises(sim.InputError, match="chair: unknown government 'nobody'"):
        sim.run(broken)
    assert sim.validate(s) == s
    assert sim.validate(s.model_copy(update={"tension": np.float64(0.5), "rounds": np.int64(3)})).rounds == 3


def test_bad_seed_or_replications_are_refused():
    s = scenario_from_text(SMALL)
    with pytest.raises(sim.InputError, match="seed: must be an integer"):
        sim.run(s, seed=-1)
    with pytest.raises(sim.InputError, match="replications: must be at least 1"):
        sim.run(s, replications=0)
    with pytest.raises(sim.InputError, match="add allow_large=True if you mean it"):
        sim.run(s, replications=2_000_000)


def test_validate_accepts_a_seated_dated_scenario_again_and_keeps_changes():
    loaded = scenario_from_text(SEATED)
    assert [a.id for a in loaded.actors] == ["a", "b", "firms"]
    assert loaded.actors[0].flexibility == 0.4  # the stance period in force at the date
    assert sim.validate(loaded) == loaded
    changed = loaded.model_copy(update={"actors": [loaded.actors[0].model_copy(update={"flexibility": 0.9})]})
    changed = changed.model_copy(update={"actors": [*changed.actors, *loaded.actors[1:]]})
    assert sim.validate(changed).actors[0].flexibility == 0.9  # a change in Python wins over the period
    assert sim.run(loaded, replications=3).replications == 3
    # a mapping is a file's contents: load's path, stances at the date and seating included
    assert sim.validate(yaml.safe_load(SEATED)) == loaded
    # at_table set in Python seats the scenario
    unseated = scenario_from_text(SEATED.replace("at_table: [a, b]\n", ""))
    assert [a.id for a in unseated.actors] == ["a", "b", "firms", "c"]
    seated = sim.validate(unseated.model_copy(update={"at_table": ["a", "b"]}))
    assert [a.id for a in seated.actors] == ["a", "b", "firms"]


def test_validate_a_mapping_reports_every_problem():
    data = yaml.safe_load(SMALL)
    data["tension"] = 2
    data["chair"] = 5
    with pytest.raises(sim.InputError) as exc:
        sim.validate(data)
    assert sorted(p.path for p in exc.value.problems) == ["chair", "tension"]
    assert all(str(p).startswith("<small>: ") for p in exc.value.problems)
    with pytest.raises(TypeError):
        sim.validate("scenarios/bletchley.yaml")  # a path is for load()


def test_load_reports_file_and_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(SMALL.replace("tension: 0.5", "tension: 1.5"))
    with pytest.raises(sim.InputError) as exc:
        sim.load(path)
    [problem] = exc.value.problems
    line = SMALL.splitlines().index("tension: 0.5") + 1
    assert (problem.file, problem.line, problem.path) == (str(path), line, "tension")


def test_import_sim_is_cheap_and_has_the_version():
    code = "import sys, sim; print(sorted(m for m in ('pydantic', 'numpy', 'pandas', 'typer') if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.stdout.strip() == "[]", proc.stderr
    assert sim.__version__ == metadata.version("simrun")
    assert {"load", "validate", "run", "RunResult", "InputError", "__version__"} <= set(dir(sim))
    with pytest.raises(AttributeError):
        sim.no_such_name  # noqa: B018


@pytest.mark.parametrize("command", ["simrun", "python -m sim"])
def test_version_option(command):
    exe = shutil.which("simrun", path=str(Path(sys.executable).parent)) or shutil.which("simrun")
    argv = [exe] if command == "simrun" else [sys.executable, "-m", "sim"]
    proc = subprocess.run([*argv, "--version"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"simrun {metadata.version('simrun')}\n"


def test_python_m_sim_is_simrun():
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "validate", str(BLETCHLEY)], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert proc.returncode == 0 and ": ok — 4 governments" in proc.stdout, proc.stderr
    bad = subprocess.run([sys.executable, "-m", "sim", "validate", "no/such.yaml"], capture_output=True, text=True)
    assert bad.returncode == 2 and "no/such.yaml" in bad.stderr


# -- a notebook: run, sweep and backtest through `import sim`, DataFrames out ------------
def test_a_notebook_runs_sweeps_and_backtests_through_import_sim(tmp_path):
    import pandas as pd

    s = sim.load(BLETCHLEY)
    result = sim.run(s, replications=10, seed=3)
    assert isinstance(result.outcomes, pd.DataFrame) and len(result.outcomes) == 10

    swept = sim.sweep(s, vary=["tension=0.2,0.8"], replications=8, seed=3, workers=1)
    assert isinstance(swept, pd.DataFrame)
    assert list(swept.columns) == ["point", "tension", "outcome", "label", "p", "low", "high", "n", "errors"]
    assert sorted(swept["tension"].unique()) == [0.2, 0.8] and (swept["n"] == 8).all()
    assert set(swept["outcome"]) >= {"declaration", "substantive", "binding", "business"}
    assert swept.attrs["replications"] == 8 and swept.attrs["seed"] == 3 and swept.attrs["out"] is None
    assert ((swept["low"] <= swept["p"]) & (swept["p"] <= swept["high"])).all()

    lhs = sim.sweep(s, vary=["tension=0:1"], sample="lhs", points=5, replications=4, workers=1)
    assert lhs["point"].nunique() == 5 and lhs["tension"].between(0, 1).all()

    summary, cases = sim.backtest_history(replications=10, fit=["model.depth_cost=2,5"], workers=1)
    assert isinstance(cases, pd.DataFrame) and summary["cases"] == cases["case"].nunique()
    assert set(cases["scheme"]) == {"in_sample", "leave_one_out", "time_split_forward", "time_split_backward"}
    loo = cases[cases["scheme"] == "leave_one_out"]
    assert len(loo) == summary["cases"] and loo["hit"].sum() == summary["leave_one_out"]["totals"]["hits"]
    assert set(summary["out_of_sample"]["schemes"]) >= {"leave_one_out"}


def test_the_api_sweep_gives_the_command_lines_numbers(tmp_path):
    out = tmp_path / "cli"
    proc = simrun("sweep", str(BLETCHLEY), "--vary", "tension=0.2,0.8", "-n", "8", "--seed", "3", "--workers", "1",
                  "--out", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    cli = read_csv(out / "summary.csv")
    kept = tmp_path / "api"
    swept = sim.sweep(BLETCHLEY, vary=["tension=0.2,0.8"], replications=8, seed=3, out=kept, workers=1)
    assert (kept / "summary.csv").read_bytes() == (out / "summary.csv").read_bytes()
    declared = swept[swept["outcome"] == "declaration"].sort_values("point")
    assert [round(p, 6) for p in declared["p"]] == [round(float(r["p_declaration"]), 6) for r in cli]


def test_the_api_refuses_bad_sweeps_and_backtests_before_running():
    with pytest.raises(sim.InputError, match="--points"):
        sim.sweep(BLETCHLEY, vary=["tension=0:1"], sample="lhs")
    with pytest.raises(sim.InputError, match="no key 'nope'"):
        sim.sweep(BLETCHLEY, vary=["nope=1,2"], replications=2)
    with pytest.raises(sim.InputError, match="replications"):
        sim.backtest_history(replications=0)
