"""History backtest: record loader, scores by hand, leave-one-out choice, at_table, the command end to end."""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
import shutil

import pytest
from conftest import ROOT, simrun

from sim.experiments.history import load_cases, plan_history, run_history
from sim.experiments.history_predictors import certain, row_pattern, western_median
from sim.experiments.history_record import Case, load_record
from sim.experiments.history_report import baseline_path
from sim.experiments.history_scores import Prediction, choose_loo, rps, score_case, totals
from sim.scenario import load_scenario
from sim.scenario.errors import InputError

RECORD = ROOT / "sim" / "data" / "history.yaml"  # the copy shipped with simrun (test_data.py keeps it equal)
CASES = ROOT / "scenarios" / "history"
needs_record = pytest.mark.skipif(not RECORD.exists(), reason="the shipped record is missing")

ENTRY = """\
- id: {id}
  name: A text
  date: 2024-05-14
  level: government
  at_table: [us, china]
  signed: {signed}
  declined: []
  depth: {depth}
  cross_bloc: {cross}
  sources: ["somewhere"]
  confidence: high
"""


def entry(id: str = "one", signed: str = "[us, china]", depth: str = "declaration", cross: str = "true") -> str:
    return ENTRY.format(id=id, signed=signed, depth=depth, cross=cross)


def case(at_table, signed, depth, level="government") -> Case:
    cross = "china" in signed and any(a in signed for a in ("us", "eu", "uk"))
    return Case("c", "C", "2024-01-01", level, tuple(at_table), tuple(signed), (), depth, cross, "high", 1)


# -- the record loader -------------------------------------------------------------


def test_shipped_record_loads_with_the_line_of_each_entry():
    cases = load_record(RECORD)
    lines = RECORD.read_text().splitlines()
    assert len(cases) == sum(line.startswith("- id: ") for line in lines)  # every entry, however many
    for c in cases:
        assert lines[c.line - 1].strip() == f"- id: {c.id}"
    geneva = next(c for c in cases if c.id == "us_china_geneva_2024")
    assert geneva.observed == "none:" and geneva.observed_depth("us") == 0


def test_malformed_record_reports_every_problem_at_its_line(tmp_path):
    text = (
        "# a comment\n"
        + entry("ok")
        + entry("bad_depth", depth="treaty")  # depth at line 13 + 7 = 20
        + entry("outsider", signed="[us, eu]", cross="false")  # signed at line 24 + 5 = 29
        + entry("ok")  # duplicate id at line 35
        + "- id: extra\n  colour: red\n"  # unknown key at line 47, missing keys at line 46
    )
    path = tmp_path / "record.yaml"
    path.write_text(text)
    proc = simrun("backtest", "history", str(path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    got = proc.stderr.strip().splitlines()
    assert (
        f"{path}:20: 1.depth: must be one of none, declaration, voluntary_commitments, shared_testing, binding" in got
    )
    assert f"{path}:29: 2.signed: 'eu' is not at the table (at_table: us, china)" in got
    assert f"{path}:35: 3.id: duplicate id 'ok' (first at entry 0)" in got
    assert any(line.startswith(f"{path}:47: 4.colour: unknown key") for line in got)
    assert f"{path}:46: 4: required key 'name' is missing" in got
    assert all(re.match(rf"^{re.escape(str(path))}:\d+: [\w.]+: .+", line) for line in got)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("id: one\nname: x\n", "1: (file): the record must be a non-empty list of entries"),
        ("- id: one\n  name: [unclosed\n", "3: (file): not valid YAML"),
    ],
)
def test_malformed_record_kinds_exit_2_via_the_cli(tmp_path, text, expected):
    path = tmp_path / "record.yaml"
    path.write_text(text)
    proc = simrun("backtest", "history", str(path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"{path}:{expected}"), proc.stderr


@pytest.mark.parametrize(
    "text, expected",
    [
        (entry(cross="false"), "9: 0.cross_bloc: must be true: it means a western actor and china both signed"),
        (entry(signed="[]", cross="false"), "8: 0.depth: nobody signed, so the depth must be none"),
        (entry(depth="none"), "8: 0.depth: signatories are listed, so the depth cannot be none"),
        (entry(signed="[us, us]"), "6: 0.signed: an actor is listed twice"),
        (entry().replace("at_table: [us, china]", "at_table: [us, russia]"), "5: 0.at_table: unknown actor 'russia'"),
        (entry().replace("level: government", "level: industry"), "4: 0.level: must be one of government, business"),
        ("- just text\n", "1: 0: an entry must be a mapping"),
    ],
)
def test_loader_rejects_inconsistent_entries(tmp_path, text, expected):
    path = tmp_path / "record.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as exc:
        load_record(path)
    assert str(exc.value.problems[0]).startswith(f"{path}:{expected}")


def test_loader_accepts_a_date_as_text_and_rejects_a_bad_one(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(entry().replace("2024-05-14", "'2024-05-14'"))
    assert load_record(path)[0].date == "2024-05-14"
    path.write_text(entry().replace("2024-05-14", "May 2024"))
    with pytest.raises(InputError) as exc:
        load_record(path)
    assert str(exc.value.problems[0]) == f"{path}:3: 0.date: must be a date YYYY-MM-DD"


# -- scores by hand -----------------------------------------------------------------


def test_ranked_probability_score_by_hand():
    assert rps([0, 1, 0, 0, 0], 1) == 0.0
    assert rps([1, 0, 0, 0, 0], 4) == 1.0  # all mass at the far wrong end
    assert rps([0.5, 0.5, 0, 0, 0], 1) == pytest.approx(0.25 / 4)
    # F = .2 .5 .5 .5 against O = 0 1 1 1: (.04 + .25 + .25 + .25) / 4
    assert rps([0.2, 0.3, 0, 0, 0.5], 1) == pytest.approx(0.1975)


def test_score_of_a_hand_made_prediction():
    c = case(["us", "china"], ["us", "china"], "declaration")
    pred = Prediction(
        {"declaration:china;us": 0.3, "binding:china;us": 0.5, "none:": 0.2},
        {"us": [0.2, 0.3, 0, 0, 0.5], "china": [0.2, 0.3, 0, 0, 0.5]},
    )
    s = score_case(c, pred)
    assert (s.modal, s.p_modal, s.p_observed, s.hit) == ("binding:china;us", 0.5, 0.3, False)
    assert s.rps == pytest.approx(0.1975)
    assert s.differs == "rung binding (observed declaration)"
    # a text China declined: modal pattern right on the rung, wrong on one actor
    c2 = case(["us", "uk", "china"], ["us", "uk"], "declaration")
    s2 = score_case(c2, certain(c2, "declaration", {"us", "uk", "china"}))
    assert not s2.hit and s2.differs == "china signs (observed: did not)"
    assert s2.actor_rps == {"us": 0.0, "uk": 0.0, "china": 0.25}  # F=1,1,1,1 vs O=0,1,1,1
    assert s2.rps == pytest.approx(0.25 / 3)
    t = totals([s, s2, score_case(c2, certain(c2, "declaration", {"us", "uk"}))])
    assert (t["cases"], t["hits"], t["hit_rate_business"]) == (3, 1, None)
    assert t["hit_rate"] == t["hit_rate_government"] == round(1 / 3, 6)
    assert t["mean_p_observed"] == round((0.3 + 0 + 1) / 3, 6)
    assert t["mean_log_p_observed"] == round((math.log(0.3) + math.log(1e-3) + 0) / 3, 6)
    assert t["mean_rps"] == round((0.1975 + 0.25 / 3 + 0) / 3, 6)
    assert t["mean_rps_government"] == t["mean_rps"] and t["mean_rps_business"] is None  # all three are government


def test_modal_ties_go_to_the_first_key_and_nothing_signed_is_one_pattern():
    assert Prediction({"none:": 0.5, "declaration:china;us": 0.5}, {}).modal == ("declaration:china;us", 0.5)
    c = case(["us", "china"], [], "none")
    assert c.observed == "none:"
    assert score_case(c, certain(c, "none", set())).hit


def test_business_pattern_from_adoption_shares_and_quorum():
    scenario = load_scenario(CASES / "munich_tech_accord_2024.yaml")  # us, uk, china firms; quorum 0.6
    c = case(["us", "uk", "china"], ["us", "uk", "china"], "voluntary_commitments", level="business")
    key, ranks = row_pattern({"adoption_west": 0.7, "adoption_china": 0.59}, c, scenario)
    assert key == "voluntary_commitments:uk;us"
    assert ranks == {"us": 2, "uk": 2, "china": 0}


def test_western_median_baseline_reads_dated_stances_not_outcomes():
    # TTC, Dec 2022: the US's stance of its day is EO 13859's principles (0.25 declaration), the EU's the
    # AI Act proposal (1.0 binding): the lower median is a declaration (the record: shared testing)
    ttc = load_scenario(CASES / "ttc_ai_roadmap_2022.yaml")
    c2 = case(["us", "eu"], ["us", "eu"], "shared_testing")
    assert western_median(c2, ttc).patterns == {"declaration:eu;us": 1.0}
    # the same table a year later: EO 14110 (30 Oct 2023) has moved the US to shared testing
    later = load_scenario_at(CASES / "ttc_ai_roadmap_2022.yaml", "2024-06-01")
    assert western_median(c2, later).patterns == {"shared_testing:eu;us": 1.0}
    # with no ambition at all, the binding_force stance: us 0.30 → declaration, eu 0.9 → binding
    bare = ttc.model_copy(update={"actors": [a.model_copy(update={"ambition": None}) for a in ttc.actors]})
    assert western_median(c2, bare).patterns == {"declaration:eu;us": 1.0}


def load_scenario_at(path, date):
    """A case file loaded as if dated ``date`` (a copy beside the base)."""
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp())
    shutil.copy(CASES / "base.yaml", folder / "base.yaml")
    text = re.sub(r"(?m)^date: .*$", f"date: {date}", Path(path).read_text())
    (folder / "case.yaml").write_text(text)
    return load_scenario(folder / "case.yaml")


def test_a_case_takes_the_stances_of_events_before_its_date():
    def us(name):
        return next(a for a in load_scenario(CASES / f"{name}.yaml").governments if a.id == "us").ambition

    assert us("oecd_2019") == 0.25  # EO 13859 (Feb 2019): principles
    assert us("g7_hiroshima_2023") == 0.5  # signed the day of EO 14110: only the July 2023 commitments count
    assert us("us_china_geneva_2024") == 0.75  # EO 14110 and the safety institute
    assert us("apec_ai_2025") == 0.25  # EO 14148 revoked EO 14110 (20 Jan 2025)


def test_knocking_out_the_dated_stances_changes_the_forecast():
    """INASI 2024 (shared testing by the three democracies): with the stances of its date the model
    tables shared testing; without them (every ambition at the base's 0.25) a declaration."""
    from sim.experiments.history_predictors import case_rows, model_prediction

    record = {c.id: c for c in load_record(RECORD)}
    dated = load_scenario(CASES / "inasi_2024.yaml")
    undated = load_scenario_at(CASES / "inasi_2024.yaml", "2018-01-01")  # before every period
    assert {a.ambition for a in undated.governments} == {0.25}
    with_stances = model_prediction(record["inasi_2024"], dated, case_rows(dated, 40, 7))
    without = model_prediction(record["inasi_2024"], undated, case_rows(undated, 40, 7))
    assert with_stances.modal[0] == "shared_testing:eu;uk;us"
    assert without.modal[0] == "declaration:eu;uk;us"


def test_leave_one_out_picks_the_best_point_on_the_other_cases():
    grid = [[0.1, 0.5, 0.3], [0.2, 0.1, 0.4], [0.3, 0.3, 0.0]]
    # case 0: means over 1,2 = .4 .25 .15 → 2; case 1: .2 .3 .15 → 2; case 2: .3 .15 .3 → 1
    assert choose_loo(grid) == [2, 2, 1]
    assert choose_loo([[0.1, 0.1], [0.1, 0.1]]) == [0, 0]  # ties: first grid point
    assert choose_loo([[0.4], [0.2]]) == [0]  # one case: nothing to fit on


def test_points_the_record_cannot_tell_apart_are_reported_as_not_fixed():
    from sim.experiments.history_scores import tied, unfixed_axes

    # points 0 and 1 differ only in w and predict every case alike; point 2 differs in kappa and is worse
    grid = [[0.1, 0.2, 0.3], [0.1, 0.2, 0.3], [0.5, 0.5, 0.5]]
    points = [{"kappa": 1.0, "w": 0.2}, {"kappa": 1.0, "w": 0.8}, {"kappa": 2.0, "w": 0.2}]
    chosen = choose_loo(grid)
    assert chosen == [0, 0, 0]
    ties = [tied(grid, i, k) for i, k in enumerate(chosen)]
    assert ties == [[1], [1], [1]]
    assert unfixed_axes(points, chosen, ties) == {"w": {"folds": 3, "values": [0.2, 0.8]}}  # kappa is fixed
    assert tied([[0.1]], 0, 0) == []  # one case: no fold to compare on


# -- at_table in the scenario layer ---------------------------------------------------


def test_case_file_keeps_only_its_seated_actors():
    s = load_scenario(CASES / "unesco_2021.yaml")
    assert [a.id for a in s.governments] == ["eu", "uk", "china"]
    assert [a.id for a in s.companies] == ["eu_firms", "uk_firms", "china_firms"]
    assert load_scenario(CASES / "base.yaml").at_table is None and len(load_scenario(CASES / "base.yaml").actors) == 8
    fmf = load_scenario(CASES / "fmf_2023.yaml")  # a table of one: a business-only case
    assert [a.id for a in fmf.actors] == ["us", "us_firms"]


def test_absent_chair_becomes_none_and_unknown_seat_exits_2(tmp_path, small_text):
    path = tmp_path / "s.yaml"
    path.write_text(small_text.replace("chair: a", "chair: b") + "at_table: [a]\n")
    s = load_scenario(path)
    assert s.chair is None and [a.id for a in s.actors] == ["a", "firms"]
    path.write_text(small_text + "at_table: [b]\n")  # b has no companies: one actor left
    with pytest.raises(InputError, match="at_table: leaves fewer than two actors"):
        load_scenario(path)
    path.write_text(small_text + "at_table: [a, zz]\n")
    line = len(small_text.splitlines()) + 1
    proc = simrun("validate", str(path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == f"{path}:{line}: at_table.1: unknown government 'zz'; governments are ['a', 'b']"


# -- the command end to end --------------------------------------------------------------


@needs_record
def test_command_on_the_shipped_record_writes_consistent_files(tmp_path):
    out = tmp_path / "res"
    proc = simrun("backtest", "history", "--no-fit", "--replications", "20", "--out", str(out))  # the shipped record
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    n = summary["cases"]
    assert n == len(load_record(RECORD)) and summary["replications"] == 20 and summary["missing_case_files"] == []
    assert set(summary["predictors"]) >= {"model", "everyone_declares", "western_median", "stored:v1"}
    with open(out / "cases.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["case"] for r in rows] == [c["case"] for c in summary["predictors"]["model"]["cases"]]
    for name in ("model", "everyone_declares", "lookup_rule"):
        col = name.replace(":", "_")
        t = summary["predictors"][name]["totals"]
        assert t["hits"] == sum(r[f"{col}_hit"] == "1" for r in rows)
        assert t["mean_p_observed"] == pytest.approx(sum(float(r[f"{col}_p_observed"]) for r in rows) / n, abs=1e-5)
        assert t["mean_rps"] == pytest.approx(sum(float(r[f"{col}_rps"]) for r in rows) / n, abs=1e-5)
        for level in ("government", "business"):  # the by-track means are the means over that track's rows
            mine = [float(r[f"{col}_rps"]) for r in rows if r["level"] == level]
            assert t[f"mean_rps_{level}"] == pytest.approx(sum(mine) / len(mine), abs=1e-5)
            logs = [math.log(max(float(r[f"{col}_p_observed"]), 1e-3)) for r in rows if r["level"] == level]
            assert t[f"mean_log_p_observed_{level}"] == pytest.approx(sum(logs) / len(logs), abs=1e-4)
    # baseline (a) hits exactly the cases where everyone at the table signed a declaration
    record = {c.id: c for c in load_record(RECORD)}
    all_declared = [k for k, c in record.items() if c.depth == "declaration" and set(c.signed) == set(c.at_table)]
    assert sorted(r["case"] for r in rows if r["everyone_declares_hit"] == "1") == sorted(all_declared)
    assert (out / "p_observed.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "only in-sample scores; run without --no-fit for out-of-sample scores" in " ".join(proc.stdout.split())
    assert summary["out_of_sample"]["fitted"] is False
    missed = [c for c in summary["predictors"]["model"]["cases"] if not c["hit"]]
    assert [f["case"] for f in summary["model_failures"]] == [c["case"] for c in missed]
    for f in summary["model_failures"]:
        assert f"{f['case']} ({f['level']}): predicted {f['modal']}" in proc.stdout
    # the sampling spread of the hit count: a hit chance per case, in the csv as in summary.json
    noise = summary["predictors"]["model"]["noise"]
    assert {r["case"]: float(r["model_hit_chance"]) for r in rows} == noise["hit_chance"]
    chance = [noise["hit_chance"][r["case"]] for r in rows if r["level"] == "government"]
    assert noise["government"]["expected"] == pytest.approx(sum(chance), abs=1e-3)
    low, high = noise["government"]["interval_90"]
    assert low <= noise["government"]["expected"] <= high <= noise["government"]["cases"]
    for r in rows:  # a case whose observed pattern got no run can never be modal; a certain one always is
        if float(r["model_p_observed"]) == 0:
            assert noise["hit_chance"][r["case"]] == 0
        if float(r["model_p_observed"]) == 1:
            assert noise["hit_chance"][r["case"]] == 1
    governments = sum(r["level"] == "government" for r in rows)
    assert f"government {low}–{high} of {governments}" in proc.stdout
    g20 = next(line for line in proc.stdout.splitlines() if line.startswith("│ g20_2019 "))
    assert g20.rstrip(" │").endswith(f"{noise['hit_chance']['g20_2019']:.2f}")  # the per-case table shows it
    g20 = next(line for line in proc.stdout.splitlines() if line.startswith("│ g20_2019 "))
    assert g20.rstrip(" │").endswith(f"{noise['hit_chance']['g20_2019']:.2f}")  # the per-case table shows it
    # how to reproduce it: the record's hash, seed, replications, the code; report says what the folder is
    made = json.loads((out / "manifest.json").read_text())
    assert made["kind"] == "history_backtest" and (made["seed"], made["replications"]) == (20231101, 20)
    assert made["scenario_sha256"] == hashlib.sha256(RECORD.read_bytes()).hexdigest()
    refused = simrun("report", str(out))
    assert refused.returncode == 2 and "a history backtest folder" in refused.stderr


@needs_record
def test_fit_and_saved_baseline_on_a_small_record(tmp_path):
    folder = tmp_path / "cases"
    shutil.copytree(CASES, folder, ignore=shutil.ignore_patterns("baselines"))
    text = RECORD.read_text()
    keep = ("g20_2019", "biden_xi_lima_2024", "reaim_2024_blueprint")
    blocks = re.split(r"(?m)^(?=- id: )", text)
    (tmp_path / "r.yaml").write_text("".join(b for b in blocks if any(b.startswith(f"- id: {k}\n") for k in keep)))
    args = ("backtest", "history", str(tmp_path / "r.yaml"), "--scenarios", str(folder), "-n", "8")
    fit = ("--fit", "model.kappa1_government=0.2:3:2")
    proc = simrun(*args, *fit, "--save-baseline", "trial", "--out", str(tmp_path / "a"))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    loo = summary["leave_one_out"]
    assert loo["fitted"] and loo["axes"] == {"model.kappa1_government": [0.2, 3.0]}
    chosen = [f["chosen"]["model.kappa1_government"] for f in loo["folds"]]
    assert len(chosen) == 3 and set(chosen) <= {0.2, 3.0}
    assert loo["totals"]["mean_rps"] == pytest.approx(sum(c["rps"] for c in loo["cases"]) / 3, abs=1e-6)
    stored = json.loads((folder / "baselines" / "trial.json").read_text())
    assert set(stored["cases"]) == set(keep)
    # the stored predictions, scored in a new run (in-process) with the same seed, equal the model's
    again = run_history(plan_history(tmp_path / "r.yaml", folder), replications=8)
    assert (
        totals(again.scores["stored:trial"])
        == totals(again.scores["model"])
        == summary["predictors"]["model"]["totals"]
    )
    with pytest.raises(InputError, match="stored baselines are frozen"):
        baseline_path(folder, "trial")
    with pytest.raises(InputError, match="use lower-case letters"):
        baseline_path(folder, "../escape")


@needs_record
def test_the_fit_on_worker_processes_equals_the_serial_fit(tmp_path):
    # each (point, case) run draws its own seeds, so workers change the speed, never the numbers
    text = RECORD.read_text()
    keep = ("g20_2019", "us_china_geneva_2024", "reaim_2024_blueprint")
    blocks = re.split(r"(?m)^(?=- id: )", text)
    (tmp_path / "r.yaml").write_text("".join(b for b in blocks if any(b.startswith(f"- id: {k}\n") for k in keep)))
    plan = plan_history(tmp_path / "r.yaml", CASES, fit=["model.kappa0_government=0.02,0.3", "model.depth_cost=0,3"])
    serial = run_history(plan, replications=6, workers=1)
    pooled = run_history(plan, replications=6, workers=2)
    assert len(serial.grid_rps) == 4 and serial.grid_rps == pooled.grid_rps
    assert serial.chosen == pooled.chosen and len({tuple(row) for row in serial.grid_rps}) > 1


@needs_record
def test_case_file_must_seat_the_record_at_table_and_a_missing_one_is_named(tmp_path):
    blocks = re.split(r"(?m)^(?=- id: )", RECORD.read_text())
    (tmp_path / "r.yaml").write_text(
        "".join(b for b in blocks if b.startswith(("- id: apec_ai_2025\n", "- id: fmf_2023\n", "- id: g20_2019\n")))
    )
    shutil.copy(CASES / "base.yaml", tmp_path / "base.yaml")
    shutil.copy(CASES / "g20_2019.yaml", tmp_path / "g20_2019.yaml")
    (tmp_path / "apec_ai_2025.yaml").write_text(
        (CASES / "apec_ai_2025.yaml").read_text().replace("[us, china]", "[us, eu, china]")
    )
    with pytest.raises(InputError) as exc:
        load_cases(tmp_path / "r.yaml", tmp_path)
    found = [str(p) for p in exc.value.problems]
    assert any("apec_ai_2025.yaml:1: at_table: must seat the record's at_table ['us', 'china']" in f for f in found)
    assert not any("fmf_2023" in f for f in found)  # no case file: skipped and named, not an error
    (tmp_path / "apec_ai_2025.yaml").unlink()
    cases, _, missing = load_cases(tmp_path / "r.yaml", tmp_path)
    assert [c.id for c in cases] == ["g20_2019"] and sorted(c.id for c in missing) == ["apec_ai_2025", "fmf_2023"]
    with pytest.raises(InputError) as exc:
        load_cases(tmp_path / "r.yaml", tmp_path, strict=True)
    found = [str(p) for p in exc.value.problems]
    assert any(re.search(r"r\.yaml:\d+: fmf_2023: no case file .*fmf_2023\.yaml \(--strict\)", f) for f in found)
    # the command names the missing cases, and --strict refuses with exit status 2
    out = tmp_path / "res"
    proc = simrun("backtest", "history", str(tmp_path / "r.yaml"), "--scenarios", str(tmp_path), "--no-fit",
                  "-n", "4", "--out", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Not scored, no case file" in proc.stderr and "fmf_2023, apec_ai_2025" in " ".join(proc.stderr.split())
    assert json.loads((out / "summary.json").read_text())["missing_case_files"] == ["fmf_2023", "apec_ai_2025"]
    strict = simrun("backtest", "history", str(tmp_path / "r.yaml"), "--scenarios", str(tmp_path), "--strict",
                    "--no-fit", "-n", "4", "--out", str(tmp_path / "res2"))  # fmt: skip
    assert strict.returncode == 2 and "Traceback" not in strict.stderr and not (tmp_path / "res2").exists()


@needs_record
def test_an_actor_s_coefficient_is_fitted_where_it_is_seated_and_a_typo_is_an_error(tmp_path):
    blocks = re.split(r"(?m)^(?=- id: )", RECORD.read_text())
    keep = ("- id: g20_2019\n", "- id: oecd_2019\n")  # china seated; china not seated
    (tmp_path / "r.yaml").write_text("".join(b for b in blocks if b.startswith(keep)))
    plan = plan_history(tmp_path / "r.yaml", CASES, fit=["actors.china.legitimacy=0.1,0.4"])
    for case in plan.cases:
        grid = plan.grids[case.id]
        assert len(grid) == 2, case.id  # every case runs at both points
        at = [a.legitimacy for s in grid for a in s.actors if a.id == "china"]
        # where china is seated it takes each value; elsewhere there is nothing to set
        assert at == ([0.1, 0.4] if case.id == "g20_2019" else []), case.id
    # by name, as `simrun sweep --vary` names an actor: the same grids
    by_name = plan_history(tmp_path / "r.yaml", CASES, fit=["actors.China.legitimacy=0.1,0.4"])
    assert by_name.grids == plan.grids
    with pytest.raises(InputError, match="by its id or name, not its position"):
        plan_history(tmp_path / "r.yaml", CASES, fit=["actors.3.legitimacy=0.2"])
    with pytest.raises(InputError, match="no case seats an actor 'chna'"):
        plan_history(tmp_path / "r.yaml", CASES, fit=["actors.chna.legitimacy=0.2"])


# -- the record's inputs and the fitted coefficients ------------------------------------


def test_schema_defaults_are_the_shipped_models_coefficients():
    # a scenario that leaves these coefficients out gets the shipped model's values, not older defaults
    from sim.scenario.schema import Business, Coefficients

    fitted = ("kappa0_government", "kappa1_government", "depth_cost", "focal_gain")  # on the record, §4d
    assumed = ("chair_depth_weight", "kappa0_company", "kappa1_company")  # shipped assumptions
    for path in (ROOT / "scenarios" / "bletchley.yaml", CASES / "base.yaml"):
        s = load_scenario(path)
        for name in fitted + assumed:
            assert getattr(Coefficients(), name) == getattr(s.model, name), (path.name, name)
        assert Business().restriction_per_tension == s.business.restriction_per_tension == 0.0


# -- a long fit is crash-safe and resumable -------------------------------------------


def _small_record(tmp_path, keep=("g20_2019", "us_china_geneva_2024", "reaim_2024_blueprint")):
    blocks = re.split(r"(?m)^(?=- id: )", RECORD.read_text())
    path = tmp_path / "r.yaml"
    path.write_text("".join(b for b in blocks if any(b.startswith(f"- id: {k}\n") for k in keep)))
    return path


@needs_record
def test_an_interrupted_fit_resumes_from_its_finished_runs_to_the_same_scores(tmp_path):
    from sim.experiments.history_checkpoint import Checkpoint

    plan = plan_history(
        _small_record(tmp_path), CASES, fit=["model.kappa0_government=0.02,0.3", "model.depth_cost=0,3"]
    )
    whole = run_history(plan, replications=6)
    folder = tmp_path / ".res.partial"
    calls = []

    def stop_after_five(n):
        calls.append(n)
        if len(calls) == 3 + 5:  # 3 model runs, then 5 of the 12 grid runs
            raise KeyboardInterrupt

    first = Checkpoint(folder, plan.identity(6))
    with pytest.raises(KeyboardInterrupt):
        run_history(plan, replications=6, progress=stop_after_five, checkpoint=first)
    first.close()
    lines = (folder / "grid.jsonl").read_text().splitlines()
    assert len(lines) == 5
    # a crash mid-write leaves half a line: that run is done again, the others are kept
    (folder / "grid.jsonl").write_text("\n".join(lines) + "\n" + lines[0][: len(lines[0]) // 2])
    again = Checkpoint(folder, plan.identity(6))
    assert len(again.done) == 5
    ran = []
    resumed = run_history(plan, replications=6, progress=ran.append, checkpoint=again)
    assert sum(ran) == 3 + 12 and ran[0] == 5  # the kept runs counted at once, then 3 + 7 computed
    assert resumed.grid_rps == whole.grid_rps and resumed.chosen == whole.chosen
    again.close()
    assert len((folder / "grid.jsonl").read_text().splitlines()) == 5 + 7 + 1  # + the damaged line, ignored
    # the folder of another computation is refused, not reused
    with pytest.raises(InputError, match="holds the runs of a different fit"):
        Checkpoint(folder, plan.identity(7))


@needs_record
def test_sigterm_mid_fit_then_the_same_command_gives_the_uninterrupted_result(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    # a case's grid runs together and are kept together (history_grid): enough cases that the
    # fit is still running when the first case's runs are on disk (8 cases at 250 replications: ~1 s a case)
    keep = ("g20_2019", "us_china_geneva_2024", "reaim_2024_blueprint", "un_gdc_2024", "unga_78_311_2024",
            "g20_rio_2024", "g20_new_delhi_2023", "unesco_2021")  # fmt: skip
    record = _small_record(tmp_path, keep)
    fit = ["--fit", "model.kappa0_government=0.02,0.3", "--fit", "model.depth_cost=0,2,3"]  # 6 points × 8 cases

    def command(out):
        return [sys.executable, "-m", "sim.cli", "backtest", "history", str(record), "-n", "250", "--workers", "1",
                *fit, "--out", str(out)]  # fmt: skip

    out = tmp_path / "res"
    partial = tmp_path / ".res.partial" / "grid.jsonl"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.Popen(command(out), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if partial.exists() and len(partial.read_text().splitlines()) >= 3:
            break
        time.sleep(0.02)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM and "Traceback" not in stderr
    said = " ".join(stderr.split())
    assert said.count(f"--out {out} to resume") == 2  # at the start (a SIGKILL says nothing) and when stopped
    assert "Interrupted: the finished grid runs are kept in" in said
    assert not out.exists() and 3 <= len(partial.read_text().splitlines()) < 48
    resumed = subprocess.run(command(out), cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "Resuming:" in resumed.stderr and not partial.parent.exists()
    fresh = subprocess.run(command(tmp_path / "b"), cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert fresh.returncode == 0, fresh.stderr
    for name in ("summary.json", "cases.csv"):
        assert (out / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


@needs_record
def test_a_checkpoint_folder_that_is_damaged_or_of_another_fit_is_refused_by_name(tmp_path):
    from sim.experiments.history_checkpoint import Checkpoint

    plan = plan_history(_small_record(tmp_path), CASES, fit=["model.depth_cost=0,3"])
    folder = tmp_path / ".res.partial"
    Checkpoint(folder, plan.identity(6)).close()
    with pytest.raises(InputError, match=r"different fit \(replications differ\)"):
        Checkpoint(folder, plan.identity(7))
    other = plan_history(_small_record(tmp_path), CASES, fit=["model.depth_cost=0,2"])
    with pytest.raises(InputError, match=r"different fit \(points differ\)"):
        Checkpoint(folder, other.identity(6))
    (folder / "plan.json").write_text("{not json")
    with pytest.raises(InputError, match="damaged plan.json"):
        Checkpoint(folder, plan.identity(6))
    (tmp_path / ".file.partial").write_text("")
    with pytest.raises(InputError, match="is not a folder"):
        Checkpoint(tmp_path / ".file.partial", plan.identity(6))
    assert "code_sha256" in plan.identity(6)  # a resumed fit never mixes two versions of the model


@needs_record
def test_out_of_sample_scores_refit_on_the_training_cases_only(tmp_path):
    from sim.experiments.history import SPLIT_DATE
    from sim.experiments.history_oos import out_of_sample

    keep = ("g20_2019", "unesco_2021", "g7_hiroshima_2023", "us_china_geneva_2024", "un_gdc_2024", "apec_ai_2025")
    plan = plan_history(
        _small_record(tmp_path, keep), CASES, fit=["model.depth_cost=0,3", "model.kappa0_government=0.02,0.5"]
    )
    result = run_history(plan, replications=12)
    oos = out_of_sample(result)
    ids = [c.id for c in result.cases]
    before = [i for i, c in enumerate(result.cases) if c.date < SPLIT_DATE]
    after = [i for i, c in enumerate(result.cases) if c.date >= SPLIT_DATE]
    assert oos["splits"]["time_split_forward"]["train"] == [ids[i] for i in before]
    assert oos["splits"]["time_split_forward"]["test"] == [ids[i] for i in after]
    for name, (train, test) in {"time_split_forward": (before, after), "time_split_backward": (after, before)}.items():
        # the point fitted on the training cases alone, by hand
        means = [sum(row[i] for i in train) / len(train) for row in result.grid_rps]
        k = min(range(len(means)), key=lambda j: (means[j], j))
        assert oos["splits"][name]["chosen"] == result.points[k]
        model = oos["predictors"]["model"][name]
        assert model["cases"] == len(test)
        assert model["mean_rps"] == pytest.approx(sum(result.grid_rps[k][i] for i in test) / len(test), abs=1e-6)
        # a rule fits nothing: its out-of-sample score of a case is its in-sample score
        rule = {s.case: s for s in result.scores["everyone_declares"]}
        assert oos["predictors"]["everyone_declares"][name]["hits"] == sum(rule[ids[i]].hit for i in test)
    loo = oos["predictors"]["model"]["leave_one_out"]
    assert loo["hits"] == sum(s.hit for s in result.loo)
    for spread in loo["spread"].values():
        low, high = spread["replications_90"]
        assert 0 <= low <= high <= spread["cases"]
        assert spread["cases_90"][0] <= spread["cases_90"][1] <= 1
    versus = oos["versus_model"]["lookup_rule"]["leave_one_out"]
    lookup = {s.case: s.hit for s in result.scores["lookup_rule"]}
    diff = sum(s.hit - lookup[s.case] for s in result.loo) / len(result.loo)
    assert versus["difference"] == pytest.approx(diff, abs=1e-4)
    assert versus["interval_90"][0] <= versus["difference"] <= versus["interval_90"][1]
