"""Bad input: every problem as FILE:LINE: key.path: message, exit 2, no traceback, nothing written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import SMALL, simrun
from typer.testing import CliRunner

from sim.cli import app
from sim.scenario import load_scenario
from sim.scenario.errors import InputError

LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<key>\S+): (?P<msg>.+)$")


def edit(old: str, new: str) -> str:
    assert old in SMALL, old
    return SMALL.replace(old, new, 1)


def line_of(text: str, fragment: str | tuple[str, int]) -> int:
    """Line holding ``fragment`` (or ``(fragment, offset)``: that line plus offset)."""
    fragment, offset = fragment if isinstance(fragment, tuple) else (fragment, 0)
    return offset + next(i for i, line in enumerate(text.splitlines(), start=1) if fragment in line)


# (id, file text, fragment on the expected line, expected key path, message fragment)
CASES = [
    ("missing-key", edit("tension: 0.5\n", ""), "name: small", "tension", "required key is missing"),
    ("unknown-key", edit("rounds: 4", "rounds: 4\nround_count: 9"), "round_count", "round_count", "unknown key"),
    (
        "unknown-actor-key",
        edit("    bloc: east", "    bloc: east\n    mood: grumpy"),
        "mood",
        "actors.1.mood",
        "unknown key",
    ),
    ("wrong-type-rounds", edit("rounds: 4", "rounds: many"), "rounds: many", "rounds", "integer"),
    (
        "wrong-type-position",
        edit("{rules: 0.8, testing: 0.4}", "{rules: high, testing: 0.4}"),
        "rules: high",
        "actors.1.position.rules",
        "expected a number",
    ),
    (
        "tension-out-of-range",
        edit("tension: 0.5", "tension: 1.5"),
        "tension: 1.5",
        "tension",
        "outside the allowed range",
    ),
    (
        "position-out-of-range",
        edit("{rules: 0.2, testing: 0.6}", "{rules: -0.2, testing: 0.6}"),
        "rules: -0.2",
        "actors.0.position.rules",
        "outside",
    ),
    ("negative-rounds", edit("rounds: 4", "rounds: 0"), "rounds: 0", "rounds", "greater than or equal to 1"),
    (
        "all-zero-salience",
        edit("    salience: {rules: 1, testing: 1}\n  - id: b", "    salience: {rules: 0, testing: 0}\n  - id: b"),
        "salience: {rules: 0, testing: 0}",
        "actors.0.salience",
        "all salience is zero",
    ),
    ("chair-unknown", edit("chair: a", "chair: zz"), "chair: zz", "chair", "unknown government 'zz'"),
    ("chair-is-company", edit("chair: a", "chair: firms"), "chair: firms", "chair", "unknown government 'firms'"),
    (
        "event-unknown-actor",
        edit("chair: a", "chair: a\nevents:\n  - round: 2\n    table: [a, ghost]"),
        "table: [a, ghost]",
        "events.0.table.1",
        "unknown government 'ghost'",
    ),
    (
        "event-after-end",
        edit("chair: a", "chair: a\nevents:\n  - round: 9\n    tension_change: 0.1"),
        "round: 9",
        "events.0.round",
        "after the last round",
    ),
    (
        "required-unknown",
        edit("chair: a", "chair: a\ndecision_rule:\n  rule: required\n  signatories: [a, nobody]"),
        "signatories: [a, nobody]",
        "decision_rule.signatories.1",
        "unknown government 'nobody'",
    ),
    (
        "rule-unknown",
        edit("chair: a", "chair: a\ndecision_rule: {rule: dictator}"),
        "decision_rule",
        "decision_rule",
        "does not match any of the expected tags",
    ),
    ("duplicate-actor-id", edit("  - id: b\n", "  - id: a\n"), ("    name: B", -1), "actors.1.id", "duplicate id 'a'"),
    ("duplicate-yaml-key", edit("rounds: 4", "rounds: 4\nrounds: 5"), "rounds: 5", "rounds", "duplicate key"),
    (
        "unknown-issue",
        edit("{rules: 0.8, testing: 0.4}", "{rules: 0.8, testing: 0.4, ethics: 0.1}"),
        "ethics",
        "actors.1.position.ethics",
        "unknown issue 'ethics'",
    ),
    (
        "missing-issue",
        edit("{rules: 0.8, testing: 0.4}", "{rules: 0.8}"),
        "position: {rules: 0.8}",
        "actors.1.position",
        "missing issue 'testing'",
    ),
    (
        "company-non-technical",
        edit("    position: {testing: 0.5}", "    position: {testing: 0.5, rules: 0.1}"),
        "position: {testing: 0.5, rules",
        "actors.2.position.rules",
        "only on technical issues",
    ),
    (
        "company-home-unknown",
        edit("home: a", "home: atlantis"),
        "home: atlantis",
        "actors.2.home",
        "unknown government 'atlantis'",
    ),
    (
        "bad-distribution",
        edit("tension: 0.5", "tension: {normal: [0.5]}"),
        "tension:",
        "tension",
        "normal takes [mean, sd]",
    ),
    (
        "distribution-out-of-range",
        edit("tension: 0.5", "tension: {uniform: [0.5, 1.5]}"),
        "tension:",
        "tension",
        "outside [0, 1]",
    ),
    (
        "bad-protocol",
        edit("chair: a", "chair: a\nprotocol: shouting"),
        "protocol: shouting",
        "protocol",
        "simultaneous",
    ),
    ("empty-file", "", None, "(file)", "file is empty"),
    ("not-yaml", "name: [unclosed\nissues: {\n", None, "(file)", "not valid YAML"),
    ("python-tag", "name: !!python/object/apply:os.system ['echo hacked']\n", None, "(file)", "not valid YAML"),
    (
        "alias-bomb",
        'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n",
        None,
        "(file)",
        "aliases",
    ),
    ("not-a-mapping", "- just\n- a list\n", None, "(file)", "must be a mapping"),
]


@pytest.mark.parametrize(("case", "text", "fragment", "key", "message"), CASES, ids=[c[0] for c in CASES])
def test_malformed_scenario_is_reported_with_file_line_key(tmp_path, case, text, fragment, key, message):
    path = tmp_path / f"{case}.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    lines = [str(p) for p in info.value.problems]
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    hit = [m for m in parsed if m["key"] == key and message in m["msg"]]
    assert hit, lines
    assert hit[0]["file"] == str(path)
    if fragment is not None:
        assert int(hit[0]["line"]) == line_of(text, fragment), lines


def test_at_least_twenty_distinct_malformed_files():
    assert len({c[1] for c in CASES}) >= 20


@pytest.mark.parametrize("command", ["run", "validate"])
@pytest.mark.parametrize(("case", "text"), [(c[0], c[1]) for c in CASES], ids=[c[0] for c in CASES])
def test_cli_exits_2_without_traceback_and_writes_nothing(tmp_path, command, case, text):
    path = tmp_path / f"{case}.yaml"
    path.write_text(text)
    out = tmp_path / "out"
    args = [command, str(path)] + (["--out", str(out)] if command == "run" else [])
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert LINE.match(result.output.strip().splitlines()[0]), result.output
    assert not out.exists()


def test_missing_path_and_directory(tmp_path):
    for target, message in ((tmp_path / "nope.yaml", "no such file"), (tmp_path, "is a directory")):
        result = CliRunner().invoke(app, ["validate", str(target)])
        assert result.exit_code == 2
        assert result.output.strip() == f"{target}: (file): {message}" or message in result.output


def test_real_subprocess_reports_and_exits_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(edit("chair: a", "chair: zz"))
    out = tmp_path / "out"
    proc = simrun(str(bad), "--out", str(out))
    assert proc.returncode == 2
    assert (
        proc.stderr.strip()
        == f"{bad}:{line_of(bad.read_text(), 'chair: zz')}: chair: unknown government 'zz'; governments are ['a', 'b']"
    )
    assert "Traceback" not in proc.stderr + proc.stdout
    assert not out.exists() and not list(tmp_path.glob(".out.*"))


def test_variant_reports_errors_in_the_file_that_holds_them(tmp_path):
    (tmp_path / "base.yaml").write_text(SMALL)
    variant = tmp_path / "variant.yaml"
    variant.write_text("base: base.yaml\nname: variant\ntension: 2\n")
    with pytest.raises(InputError) as info:
        load_scenario(variant)
    assert [str(p) for p in info.value.problems] == [f"{variant}:3: tension: 2 is outside the allowed range [0, 1]"]
    (tmp_path / "base.yaml").write_text(edit("chair: a", "chair: zz"))
    variant.write_text("base: base.yaml\nname: variant\n")
    with pytest.raises(InputError) as info:
        load_scenario(variant)
    assert str(info.value.problems[0]).startswith(
        f"{tmp_path / 'base.yaml'}:{line_of(edit('chair: a', 'chair: zz'), 'chair: zz')}: chair:"
    )


def test_variant_with_missing_base(tmp_path):
    variant = tmp_path / "variant.yaml"
    variant.write_text("base: gone.yaml\nname: variant\n")
    with pytest.raises(InputError) as info:
        load_scenario(variant)
    assert str(info.value.problems[0]) == f"{variant}:1: base: gone.yaml: no such file"


def test_existing_output_folder_is_refused(tmp_path, small_file):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    result = CliRunner().invoke(app, ["run", str(small_file), "--out", str(out)])
    assert result.exit_code == 2
    assert "exists and is not empty" in result.output
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_every_shipped_scenario_is_valid():
    for path in Path(__file__).resolve().parent.parent.joinpath("scenarios").glob("*.yaml"):
        load_scenario(path)


def test_a_normal_its_field_clips_is_noted_at_its_line_and_still_runs(tmp_path):
    # tension normal(0.95, 0.3): 43% of draws above 1 become 1.0, so the run's tension is not the one written
    from sim.scenario.checks import clipping_notes
    from sim.scenario.load import validate_document
    from sim.scenario.yamlio import parse_yaml

    text = (Path(__file__).parents[1] / "scenarios" / "bletchley.yaml").read_text()
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("tension:"))
    lines = text.splitlines()
    for written, expected in (("{normal: [0.95, 0.3]}", "43%"), ("{normal: [0.5, 0.1]}", None)):
        lines[line - 1] = f"tension: {written}"
        doc = parse_yaml("\n".join(lines), "b.yaml")
        notes = clipping_notes(doc, validate_document(doc))
        if expected is None:
            assert notes == []  # 0.00006% outside [0, 1]: nothing to say
        else:
            assert [(n.line, n.path) for n in notes] == [(line, "tension")]
            assert f"puts {expected} of its draws outside [0, 1]" in notes[0].message
    lines[line - 1] = "tension: {normal: [0.95, 0.3]}"
    path = tmp_path / "b.yaml"
    path.write_text("\n".join(lines))
    note = f"b.yaml:{line}: tension: note: normal [0.95, 0.3] puts 43%"
    proc = simrun("validate", str(path))
    assert proc.returncode == 0 and note in proc.stderr
    ran = simrun(str(path), "-n", "2", "--out", str(tmp_path / "run"))  # the run says it too, from its one load
    assert ran.returncode == 0 and note in ran.stderr and (tmp_path / "run" / "summary.json").is_file()
