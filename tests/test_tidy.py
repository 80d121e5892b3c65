"""Tidy files: long tables beside a run's CSV files, Parquet beside CSV, a sweep's runs in one file."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import ROOT, simrun

import sim
from sim.experiments.sweep import read_parts

BLETCHLEY = ROOT / "scenarios" / "bletchley.yaml"


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("tidy") / "run"
    proc = simrun(str(BLETCHLEY), "-n", "12", "--seed", "5", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return out


def test_a_run_writes_one_signatory_blocker_and_position_per_row(run_folder):
    api = sim.run(BLETCHLEY, replications=12, seed=5)
    for name in ("signatories", "blockers", "positions"):
        keys = ["replication", "round", "actor", "issue"] if name == "positions" else ["replication", "level", "actor"]
        written = pd.read_csv(run_folder / f"{name}.csv").sort_values(keys, kind="stable").reset_index(drop=True)
        mine = getattr(api, name).sort_values(keys, kind="stable").reset_index(drop=True)
        assert list(written.columns) == list(mine.columns), name
        if name == "positions":
            pd.testing.assert_frame_equal(written, mine, check_exact=False, rtol=1e-5, check_dtype=False)
        else:
            pd.testing.assert_frame_equal(written, mine, check_dtype=False)
    signed = pd.read_csv(run_folder / "signatories.csv")
    outcomes = pd.read_csv(run_folder / "outcomes.csv", keep_default_na=False)
    packed = ";".join(signed.query("replication == 0 and level == 'declaration'")["actor"])
    assert packed == outcomes.loc[0, "declaration_signatories"]


def test_every_table_of_a_run_has_a_parquet_twin(run_folder):
    for name in ("outcomes", "rounds", "events", "signatories", "blockers", "positions"):
        table = pq.read_table(run_folder / f"{name}.parquet").to_pandas()
        csv = pd.read_csv(run_folder / f"{name}.csv", keep_default_na=False)
        assert list(table.columns) == list(csv.columns) and len(table) == len(csv), name
    rounds = pq.read_table(run_folder / "rounds.parquet").to_pandas()
    assert rounds["tension"].dtype == float and rounds["round"].dtype.kind == "i"


def test_a_complete_sweep_holds_its_runs_in_one_parquet_file(tmp_path):
    out = tmp_path / "sweep"
    proc = simrun("sweep", str(BLETCHLEY), "--vary", "tension=0.2,0.8", "-n", "6", "--workers", "1", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "% [" in proc.stdout  # the run's percentage format: 42% [36–49]
    runs = pq.read_table(out / "runs.parquet")
    assert runs.num_rows == 12 and runs.to_pylist() == read_parts(out / "parts").to_pylist()
