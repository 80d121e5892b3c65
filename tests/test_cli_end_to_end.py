"""End to end: the real CLI; reproducibility. (Every shipped scenario's result folder: tests/test_golden.py.)"""

from __future__ import annotations

import csv
import json

import pytest
from conftest import SCENARIOS, simrun


def test_same_command_gives_the_same_bytes(tmp_path):
    outs = []
    for name in ("one", "two"):
        out = tmp_path / name
        proc = simrun("scenarios/bletchley.yaml", "--replications", "12", "--seed", "99", "--out", str(out))
        assert proc.returncode == 0, proc.stderr
        outs.append(out)
    for file in ("summary.json", "rounds.csv", "outcomes.csv", "events.csv", "agreement.png", "positions.png"):
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


def test_every_shipped_scenario_traces_every_actor_number_to_a_labelled_source():
    from conftest import ROOT

    from sim.scenario.load import load_document, validate_document
    from sim.scenario.sources import source_problems

    files = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "scenarios" / "history").glob("*.yaml"))
    assert len(files) >= 20
    problems = []
    for path in files:
        doc = load_document(path)
        problems += [str(p) for p in source_problems(doc, validate_document(doc))]
    assert problems == []


def test_validate_sources_names_an_untraced_number_with_its_line(tmp_path):
    from conftest import ROOT

    text = (ROOT / "scenarios" / "bletchley.yaml").read_text()
    path = tmp_path / "untraced.yaml"
    # a new actor number with no source behind it
    path.write_text(text.replace("    ambition: 0.75", "    ambition: 0.75\n    depth_cost: 2.0", 1))
    proc = simrun("validate", "--sources", str(path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    line = next(i for i, s in enumerate(path.read_text().splitlines(), 1) if "depth_cost: 2.0" in s)
    assert f"{path}:{line}: actors.0.depth_cost: no source supports us's depth_cost" in proc.stderr + proc.stdout


def _written(value: str) -> float | tuple[float, float] | str | None:
    """A value cell of ``seeds/bletchley.md``: a number, ``uniform a–b``, a backticked word; else None."""
    import re

    value = value.strip()
    if m := re.fullmatch(r"uniform (-?[\d.]+)[–-](-?[\d.]+)", value):
        return float(m[1]), float(m[2])
    if re.fullmatch(r"-?\d+(\.\d+)?", value):
        return float(value)
    if m := re.fullmatch(r"`([\w-]+)`", value):
        return m[1]
    return None


SEEDS_PATHS = {  # every scenario number the seeds' situation and coefficient tables state, checked one by one
    "tension", "chair", "rounds",
    "business.openness", "business.restriction", "business.restriction_per_tension", "business.restriction_cost",
    "business.quorum", "model.kappa0_government", "model.kappa1_government", "model.depth_cost",
    "model.chair_depth_weight", "model.kappa0_company", "model.kappa1_company", "model.relief_level",
    "model.confidence_bound", "model.focal_gain",
}  # fmt: skip


def test_the_seeds_tables_give_the_numbers_the_yaml_runs_with():
    # seeds/bletchley.md says where each number comes from; a number it states must be the one the model runs with
    from conftest import ROOT

    from sim.scenario import load_scenario
    from sim.scenario.distributions import Distribution

    scenario = load_scenario(ROOT / "scenarios" / "bletchley.yaml")
    checked = set()
    for line in (ROOT / "seeds" / "bletchley.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        paths = seeds_paths(cells[0]) if len(cells) >= 3 else []
        if not paths:
            continue
        values = cells[1].split(", ") if len(paths) > 1 else [cells[1]]
        assert len(values) == len(paths), cells  # "`model.kappa0_company`, `kappa1_company` | 0.02, 0.06"
        for path, text in zip(paths, values, strict=True):
            written = _written(text)
            if written is None:  # a value in words (a ladder, a rule): not a number to compare
                continue
            value: object = scenario
            for part in path.split("."):
                value = getattr(value, part)
            if isinstance(value, Distribution) and value.family == "uniform":
                value = tuple(value.params)
            elif hasattr(value, "name") and not isinstance(value, int | float | str):
                value = value.name
            if isinstance(written, tuple):
                assert isinstance(value, tuple) and value == pytest.approx(written), (path, written, value)
            elif isinstance(written, float):
                assert value == pytest.approx(written), (path, written, value)
            else:
                assert str(value) == written, (path, written, value)
            checked.add(path)
    assert checked == SEEDS_PATHS  # a row that stops being read (or a new one) fails here


def seeds_paths(cell: str) -> list[str]:
    """The scenario paths a row names: "`model.kappa0_company`, `kappa1_company`" → both, with the prefix."""
    import re

    names = re.fullmatch(r"`[\w.]+`(, `\w+`)*", cell) and re.findall(r"`([\w.]+)`", cell)
    if not names or not (names[0] in ("tension", "rounds", "chair") or names[0].startswith(("business.", "model."))):
        return []
    prefix = names[0].rsplit(".", 1)[0] + "." if "." in names[0] else ""
    return [names[0]] + [prefix + n for n in names[1:]]


def test_the_seeds_actor_tables_give_the_numbers_the_yaml_runs_with():
    # each government's table in seeds/bletchley.md: a number it states must be the actor's number in the YAML
    import re

    from conftest import ROOT

    from sim.scenario import load_scenario
    from sim.scenario.distributions import Distribution

    actors = {a.id: a for a in load_scenario(ROOT / "scenarios" / "bletchley.yaml").actors}
    actor, checked = None, 0
    for line in (ROOT / "seeds" / "bletchley.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            m = re.match(r"## .*\(`(\w+)`, bloc", line)
            actor = actors[m[1]] if m else None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if actor is None or len(cells) < 3 or not re.fullmatch(r"[\w.]+(, [\w.]+)*", cells[0]):
            continue
        fields, prefix = [], ""
        for name in cells[0].split(", "):  # "position.safety_testing, risk_focus": the prefix carries over
            prefix = name.rsplit(".", 1)[0] + "." if "." in name else prefix
            fields.append(name if "." in name else prefix + name)
        values = [_written(v) for v in re.sub(r" \(.*\)$", "", cells[1]).split(", ")]
        if len(values) != len(fields):
            values = [_written(re.sub(r" \(.*\)$", "", cells[1]))] * len(fields)
        for field, written in zip(fields, values, strict=True):
            if written is None or isinstance(written, str) or field == "chair":
                continue
            value: object = actor
            for part in field.split("."):
                value = value[part] if isinstance(value, dict) else getattr(value, part)
            if isinstance(value, Distribution):
                value = tuple(value.params)
            assert value == pytest.approx(written), (actor.id, field, written, value)
            checked += 1
    assert checked >= 40  # four governments' tables are read, not skipped


def test_output_to_a_pipe_or_file_is_not_cut_to_80_columns(monkeypatch):
    # rich cuts non-terminal output to 80 columns, and a sweep's or a backtest's table then loses its figures
    from sim.cli.commands import PIPED_WIDTH, _console

    monkeypatch.delenv("COLUMNS", raising=False)
    assert _console().width == PIPED_WIDTH == _console(stderr=True).width  # pytest's captured streams: no tty
    monkeypatch.setenv("COLUMNS", "100")
    assert _console().width == 100  # the user's COLUMNS wins


def test_the_horizon_curve_reruns_the_same_seeds_at_every_horizon(tmp_path):
    # issue 11: does the answer depend on the number of sessions? The row at the scenario's own horizon is the
    # run itself (same seeds), and with one session no firm has met a rival yet: no cross-bloc standard
    out = tmp_path / "h"
    proc = simrun("scenarios/bletchley.yaml", "-n", "20", "--horizon-curve", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    with open(out / "horizon.csv", newline="") as fh:
        rows = {int(r["rounds"]): r for r in csv.DictReader(fh)}
    assert sorted(rows)[0] == 1 and sorted(rows)[-1] == 24 and 12 in rows
    at_12 = rows[12]
    assert float(at_12["business_cross"]) == summary["business"]["cross_bloc"]["p"]
    declaration = summary["government"]["levels"][0]
    assert float(at_12["declaration_cross"]) == declaration["cross_bloc"]["p"]
    assert float(rows[1]["business_cross"]) == 0.0 < float(at_12["business_cross"])
    for r in rows.values():  # every probability inside its Wilson interval, bounds exact at 0
        for name in ("declaration_cross", "business_cross"):
            assert float(r[f"{name}_low"]) <= float(r[name]) <= float(r[f"{name}_high"])
    assert (out / "horizon.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
