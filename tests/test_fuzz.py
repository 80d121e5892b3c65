"""Fuzzing the scenario loader: mutated shipped scenarios and random bytes.

Whatever the file holds, loading it gives a Scenario or an InputError whose every
problem is one line ``FILE[:LINE]: [key: ]message`` naming a file of the folder;
never another exception. In-process (fast); the real CLI is checked on a few samples.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import SCENARIOS, simrun
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.scenario import Scenario, load_scenario
from sim.scenario.errors import InputError

TEXTS = [p.read_text() for p in SCENARIOS]
PROBLEM = re.compile(r"^(?P<file>[^\n:]+?)(:(?P<line>[1-9]\d*))?: [^\n]+$")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped scenarios copied (bases resolve next to the fuzzed file)."""
    where = tmp_path_factory.mktemp("fuzz")
    for path in SCENARIOS:
        shutil.copy(path, where / path.name)
    return where


def check(folder: Path, data: bytes) -> None:
    path = folder / "fuzzed.yaml"
    path.write_bytes(data)
    try:
        result = load_scenario(path)
    except InputError as exc:
        assert exc.problems
        for problem in exc.problems:
            match = PROBLEM.match(str(problem))
            assert match, str(problem)
            assert Path(match["file"]).parent == folder or match["file"].startswith("--"), str(problem)
    else:
        assert isinstance(result, Scenario)


NOISE = st.sampled_from(
    ["", ":", "- ", "{", "}", "[", "]", "&a ", "*a", "!!python/object:os.system ", "\x00", "\x0c", "\t", "\r",
     "\ufeff", "\xff", "1e999", "-1", "nan", ".inf", "10" * 200, "{normal: [0.5, -1]}", "{uniform: [1, 0]}",
     "base: bletchley.yaml\n", "base: /etc/passwd\n", "supports: [actors.mars.x]", "'", '"', "#", "? ", "| ", "\n  ",
     # issue 23: escapes to control characters, binary, integers too long to convert, text where a number goes
     '"\\e]0;x\\a"', '"\\x9b2J"', '"a\\nb"', "!!binary QUJD ", "1" * 4400, '"12"', "true", "base: self.yaml\n"]
)  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A shipped scenario with a few lines deleted, duplicated, cut or spliced with noise."""
    lines = draw(st.sampled_from(TEXTS)).splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "cut", "insert", "indent"]))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "cut":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
        elif op == "insert":
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + draw(NOISE) + lines[i][at:]
        else:
            lines[i] = "  " + lines[i]
    data = "".join(lines).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]  # a truncated file
    return data


@SETTINGS
@given(mutated())
def test_mutated_scenarios_load_or_fail_cleanly(folder, data):
    check(folder, data)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(st.binary(max_size=400) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_random_bytes_fail_cleanly(folder, data):
    check(folder, data)


def test_real_cli_on_fuzzed_files_exits_2_without_traceback(tmp_path):
    samples = [b"\x00\x01\x02", b"a: " + b"[" * 300, b"name: x\x0c\n", TEXTS[0].encode()[:200], b"\xff\xfe"]
    paths = []
    for i, data in enumerate(samples):
        paths.append(tmp_path / f"f{i}.yaml")
        paths[-1].write_bytes(data)
    proc = simrun("validate", *map(str, paths), timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert all(PROBLEM.match(line) for line in lines), proc.stderr
    assert {line.split(":")[0] for line in lines} == set(map(str, paths))  # every file reported
