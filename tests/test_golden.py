"""Safety net: the four shipped scenarios give the saved outputs, byte for byte.

``tests/golden/`` holds ``summary.json``, ``outcomes.csv`` and ``rounds.csv`` of each
scenario at its own seed and replications (gzipped), and the SHA-256 of its
``events.csv``. A change of the rules that is meant to change results regenerates them
on purpose (``python tests/test_golden.py``) and says so in its commit; any other
change must leave them as they are.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import sys
from pathlib import Path

import pytest
from conftest import ROOT, simrun

GOLDEN = Path(__file__).resolve().parent / "golden"
NAMES = ("bletchley", "west_first", "detente", "tech_war")
FILES = ("summary.json", "outcomes.csv", "rounds.csv")


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("golden")
    out = {}
    for name in NAMES:
        folder = base / name
        proc = simrun(f"scenarios/{name}.yaml", "--out", str(folder))
        assert proc.returncode == 0, proc.stderr
        out[name] = folder
        (folder.parent / f"{name}.stdout").write_text(proc.stdout)
    return out


EXPECTED_FILES = {
    "manifest.json",
    "scenario.json",
    "summary.json",
    "outcomes.csv",
    "rounds.csv",
    "events.csv",
    "agreement.png",
    "positions.png",
    # long tables beside them, and every table as Parquet too (tests/test_tidy.py)
    "signatories.csv",
    "blockers.csv",
    "positions.csv",
    *(f"{name}.parquet" for name in ("outcomes", "rounds", "events", "signatories", "blockers", "positions")),
}


@pytest.mark.parametrize("name", NAMES)
def test_the_cli_writes_a_complete_consistent_folder_for_every_scenario(results, name):
    out = results[name]
    stdout = (out.parent / f"{name}.stdout").read_text()
    assert "Government level" in stdout and "Business level" in stdout
    assert {p.name for p in out.iterdir()} == EXPECTED_FILES
    summary = json.loads((out / "summary.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    n = manifest["replications"]
    assert summary["replications"] == n == 200 and len(manifest["scenario_sha256"]) == 64
    levels = summary["government"]["levels"]
    ps = [lv["agreement"]["p"] for lv in levels]
    assert ps == sorted(ps, reverse=True)  # a deeper text commits its signatories to every shallower rung
    for lv in levels:
        a = lv["agreement"]
        assert a["n"] == n and 0 <= a["low"] <= a["p"] <= a["high"] <= 1
    with open(out / "rounds.csv") as fh:
        assert len(list(csv.DictReader(fh))) == n * manifest["rounds"]
    with open(out / "events.csv") as fh:
        rejections = [e for e in csv.DictReader(fh) if e["action"] == "reject"]
    assert rejections and all(e["reason"] in {"rivalry", "content", "too_deep"} for e in rejections)
    assert all(float(e["value"]) < 0 for e in rejections)
    for png in ("agreement.png", "positions.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and (out / png).stat().st_size > 20_000


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("file", FILES)
def test_outputs_are_byte_identical_to_the_saved_ones(results, name, file):
    saved = gzip.decompress((GOLDEN / f"{name}.{file}.gz").read_bytes())
    now = (results[name] / file).read_bytes()
    if now != saved:
        first = next(i for i, (a, b) in enumerate(zip(now.splitlines(), saved.splitlines(), strict=False)) if a != b)
        raise AssertionError(
            f"{name}/{file} differs from tests/golden from line {first + 1}:\n"
            f"  now:   {now.splitlines()[first][:200]!r}\n  saved: {saved.splitlines()[first][:200]!r}"
        )


@pytest.mark.parametrize("name", NAMES)
def test_event_log_is_byte_identical_to_the_saved_one(results, name):
    saved = (GOLDEN / f"{name}.events.sha256").read_text().strip()
    assert hashlib.sha256((results[name] / "events.csv").read_bytes()).hexdigest() == saved


def regenerate() -> None:
    """Run the four scenarios and overwrite the saved outputs (a deliberate change of results)."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for name in NAMES:
            folder = Path(tmp) / name
            subprocess.run(
                [sys.executable, "-m", "sim.cli", f"scenarios/{name}.yaml", "--out", str(folder)],
                check=True,
                cwd=ROOT,
                capture_output=True,
            )
            for file in FILES:
                (GOLDEN / f"{name}.{file}.gz").write_bytes(gzip.compress((folder / file).read_bytes(), mtime=0))
            digest = hashlib.sha256((folder / "events.csv").read_bytes()).hexdigest()
            (GOLDEN / f"{name}.events.sha256").write_text(digest + "\n")


if __name__ == "__main__":
    regenerate()
