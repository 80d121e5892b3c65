"""Stopping a sweep: SIGTERM and SIGKILL of the main process alone leave no worker behind.

Only the main process is signalled (not its group), as a process manager or the OOM
killer would do; its workers must go within 10 s, finished parts stay, no temporary
file is left, and resuming gives the rows of an uninterrupted sweep.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

from sim.experiments.sweep import plan_sweep, read_parts, run_sweep

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc to find workers")
BLETCHLEY = ROOT / "scenarios" / "bletchley.yaml"
VARY = "tension=0:1:3"
REPS = 20


def command(out: Path, engine: str = "mesa") -> list[str]:
    # the Mesa engine is slow enough to be caught mid-way (6 chunks of 10 on 2 workers)
    return [sys.executable, "-m", "sim.cli", "sweep", str(BLETCHLEY), "--vary", VARY, "-n", str(REPS),
            "--workers", "2", "--engine", engine, "--out", str(out)]  # fmt: skip


def descendants(pid: int) -> set[int]:
    """Every living process below ``pid`` (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Running (a zombie waiting for init to reap it counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def start_and_wait(out: Path, parts_more_than: int) -> tuple[subprocess.Popen, set[int]]:
    """Start the sweep; return once it has more parts than given and its workers are up."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.Popen(command(out), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    workers: set[int] = set()
    while time.time() < deadline and proc.poll() is None:
        workers |= descendants(proc.pid)
        parts = list((out / "parts").glob("*.parquet")) if (out / "parts").exists() else []
        if len(parts) > parts_more_than and workers:
            break
        time.sleep(0.05)
    assert proc.poll() is None, proc.communicate()
    return proc, workers | descendants(proc.pid)


def assert_gone_within(pids: set[int], seconds: float) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline and any(alive(p) for p in pids):
        time.sleep(0.1)
    assert not [p for p in pids if alive(p)], "workers outlived the sweep"


def test_sigterm_and_sigkill_leave_no_worker_and_resume_to_identical_rows(tmp_path):
    out = tmp_path / "s"
    proc, workers = start_and_wait(out, 0)
    assert workers, "the sweep started no worker"
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert "resume" in stderr and "Traceback" not in stderr
    assert_gone_within(workers, 10)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    assert not [p.name for p in out.rglob(".*") if p.is_file()], "a temporary file was left"
    after_term = len(list((out / "parts").glob("*.parquet")))
    assert 1 <= after_term < manifest["chunks"]

    proc, workers = start_and_wait(out, after_term)  # resumes, then is killed outright
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert_gone_within(workers, 10)
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"  # killed: nobody could say more

    done = subprocess.run(command(out, "batch"), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Resuming" in done.stderr
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    assert not [p.name for p in out.rglob(".*") if p.is_file()], "a temporary file was left"
    plan = plan_sweep(BLETCHLEY, vary=[VARY], replications=REPS)
    clean = run_sweep(plan, out=tmp_path / "clean", workers=1)  # batched engine, serial: the same rows
    rows = read_parts(out / "parts").to_pylist()
    assert len(rows) == 3 * REPS
    assert repr(rows) == repr(clean.rows.to_pylist())
