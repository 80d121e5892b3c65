"""Shared fixtures: the project's scenarios and a small valid scenario to mutate."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))

SMALL = """\
name: small
issues:
  - id: rules
    low: voluntary
    high: binding
  - id: testing
    low: self-assessment
    high: shared testing
    technical: true
tension: 0.5
actors:
  - id: a
    name: A
    kind: government
    bloc: west
    position: {rules: 0.2, testing: 0.6}
    salience: {rules: 1, testing: 1}
  - id: b
    name: B
    kind: government
    bloc: east
    position: {rules: 0.8, testing: 0.4}
    salience: {rules: 1, testing: 1}
  - id: firms
    name: Firms
    kind: company
    bloc: west
    home: a
    count: 6
    position: {testing: 0.5}
    salience: {testing: 1}
chair: a
rounds: 4
replications: 5
seed: 7
"""


def simrun(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the real CLI in a subprocess, as a user would."""
    env = {**os.environ, "MPLBACKEND": "Agg", "COLUMNS": "160"}
    return subprocess.run(
        [sys.executable, "-m", "sim.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=timeout,
    )


_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
PR_SET_PDEATHSIG = 1


def dies_with_the_tests() -> None:
    """``preexec_fn`` of a server a test starts in its own session: Linux sends it SIGTERM when the test process
    dies, even killed outright (SIGKILL, a CI timeout), so no demo or class server is left serving a port."""
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@pytest.fixture
def small_text() -> str:
    return SMALL


@pytest.fixture
def small_file(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    return path
