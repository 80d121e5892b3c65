"""What a request will allocate, checked against what this process may use, before anything runs.

A request is refused up front, with its estimate, when it would not fit; the limit is the
smallest of the machine's available memory, the process's own address-space limit
(``ulimit -v``, ``RLIMIT_AS``) and its cgroup's ``memory.max`` (a container, a systemd
unit, a batch job), each less what is already used. The estimates count what grows:

* a kernel holds every company of every group for each replication it runs at once
  (:data:`BYTES_PER_COMPANY_ROW` per company, replication and technical issue);
* a run keeps each replication's rounds and events (:data:`BYTES_PER_KEPT_ROUND`);
* a sweep plans one validated scenario per point (measured: about 3.3 times its JSON)
  and reads its rows back whole (:data:`BYTES_PER_SWEEP_ROW`).
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Callable
from pathlib import Path

from sim.scenario import Scenario
from sim.scenario.errors import InputError, Problem

BYTES_PER_COMPANY_ROW = 300
"""Kernel memory per company, replication and (technical issue + 1): measured about 350 bytes with one."""
BYTES_PER_KEPT_ROUND = 2048
"""What a run keeps per replication, round and actor (rounds.csv's columns and the event log)."""
BYTES_PER_SWEEP_ROW = 1024
"""One sweep row read back (outcome columns, the point's values, its seed)."""
SCENARIO_OVERHEAD = 4
"""Bytes of a validated scenario object per byte of its JSON (measured 3.3)."""


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _meminfo(key: str) -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _vm_size() -> int:
    """Bytes of address space this process maps now (Linux), else 0."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _cgroup_room() -> int | None:
    """Bytes the process's cgroup may still allocate (v2 ``memory.max``, v1 ``limit_in_bytes``), None if unlimited."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    rooms = []
    for line in lines:
        _, controllers, where = line.split(":", 2)
        if controllers == "":  # cgroup v2
            base = Path("/sys/fs/cgroup") / where.lstrip("/")
            limit, used = _read_int(base / "memory.max"), _read_int(base / "memory.current")
        elif "memory" in controllers.split(","):
            base = Path("/sys/fs/cgroup/memory") / where.lstrip("/")
            limit = _read_int(base / "memory.limit_in_bytes")
            used = _read_int(base / "memory.usage_in_bytes")
            if limit is not None and limit >= 2**60:  # v1 writes "unlimited" as a huge number
                limit = None
        else:
            continue
        if limit is not None:
            rooms.append(limit - (used or 0))
    return min(rooms) if rooms else None


def memory_room() -> tuple[int, str] | None:
    """Bytes this process may still allocate and what limits it, or None if nothing is known."""
    found: list[tuple[int, str]] = []
    free = _meminfo("MemAvailable")
    if free is not None:
        found.append((free, "available on this machine"))
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        found.append((soft - _vm_size(), "left under this process's address-space limit (ulimit -v)"))
    room = _cgroup_room()
    if room is not None:
        found.append((room, "left under this process's cgroup limit (memory.max)"))
    return min(found) if found else None


def check_memory(need: int, flag: str, what: str) -> None:
    """Refuse a request of about ``need`` bytes that the process may not allocate (``flag: message``)."""
    room = memory_room()
    if room is None or need <= room[0]:
        return
    free, limit = room
    raise InputError(
        [
            Problem(
                flag,
                0,
                "",
                f"{what} need about {need / 2**30:.1f} GB of memory; {max(free, 0) / 2**30:.1f} GB is {limit}",
            )
        ]
    )


def companies_of(scenario: Scenario) -> int:
    """Companies of every group of the scenario."""
    return sum(a.count for a in scenario.actors if a.kind == "company")


def kernel_bytes(scenario: Scenario, replications: int) -> int:
    """Memory of a kernel running ``replications`` of ``scenario`` at once."""
    technical = sum(1 for i in scenario.issues if i.technical) or len(scenario.issues)
    return BYTES_PER_COMPANY_ROW * (technical + 1) * companies_of(scenario) * replications


def run_bytes(scenario: Scenario, replications: int) -> int:
    """What ``simrun run`` allocates: each replication's kept rounds and events, and its largest kernel."""
    from sim.experiments.runner import batch_size

    kept = BYTES_PER_KEPT_ROUND * scenario.rounds * len(scenario.actors) * replications
    at_once = min(replications, max(1, min(batch_size(scenario), 50)))
    return kept + kernel_bytes(scenario, at_once)


def scenario_bytes(scenario: Scenario) -> int:
    """Memory of one validated copy of ``scenario`` (a sweep keeps one per point)."""
    return SCENARIO_OVERHEAD * len(json.dumps(scenario.model_dump(mode="json")))


def sweep_bytes(scenario: Scenario, points: int, replications: int, workers: int, chunk: int) -> int:
    """What a sweep allocates: planned points, the rows read back, and each worker's kernel."""
    planned = points * (scenario_bytes(scenario) + 512)
    rows = points * replications * BYTES_PER_SWEEP_ROW
    kernels = max(1, workers) * kernel_bytes(scenario, chunk)
    return planned + rows + kernels


def local_workers() -> int:
    """Worker processes a sweep starts by default (every core)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


# -- time: a request that will take long says so before it starts ---------------------------
LONG_SECONDS = 60.0
"""A request estimated to take longer than this says so, on one line, before its progress bar."""
UNIT_SECONDS = 8e-7
"""Typical seconds per agent-replication-round (governments plus companies × replications ×
rounds): measured 0.56 to 0.88 µs on bletchley in kernels of 50 to 100 replications."""
CHUNK_SECONDS = 0.01
"""Typical seconds a sweep spends per chunk besides its rounds (a one-replication kernel, writing its part)."""
PROBE_ABOVE = LONG_SECONDS / 4
"""Below this typical estimate, computed from counts alone, nothing is probed: a short request is not slowed."""
PROBE_UNITS = 600_000
"""Agent-replication-rounds a probe runs at most (about half a second), whatever the scenario's size."""
PROBE_SEED = 0x5EED_7E57
"""Master seed of a probe's throwaway replications (never a run's own generators: no output changes)."""
RUN_AFTER_FACTOR = 1.5
"""What a run does after its replications (summary, tables, Parquet, figures), per second of
replications: measured 29 s after 19.8 s of replications for 20,000 of bletchley."""


def agent_rounds(scenario: Scenario) -> int:
    """Agent-rounds of one replication: governments plus every company, times the rounds."""
    agents = sum(a.count if a.kind == "company" else 1 for a in scenario.actors)
    return max(1, agents) * max(1, scenario.rounds)


def estimate_seconds(
    units: int, unit_seconds: float, workers: int = 1, chunks: int = 0, chunk_seconds: float = 0.0
) -> float:
    """Wall time of ``units`` agent-replication-rounds shared by ``workers``, plus ``chunks`` written one by one."""
    return units * unit_seconds / max(1, workers) + chunks * chunk_seconds


def long_notice(seconds: float, probed: int) -> str | None:
    """The line a request of about ``seconds`` prints before it starts, or None if it is not long."""
    if seconds <= LONG_SECONDS:
        return None
    minutes = max(1, round(seconds / 60))
    return (
        f"This will take about {minutes:,} minute{'s' if minutes != 1 else ''} (estimate from a "
        f"{probed:,}-replication probe; Ctrl-C stops it, and a sweep resumes with the same --out)."
    )


def probe_size(scenario: Scenario, at_most: int) -> int:
    """Replications of a probe: ``at_most`` (one kernel's or chunk's), fewer if the scenario is large."""
    return max(1, min(at_most, PROBE_UNITS // agent_rounds(scenario)))


def timed(work: Callable[[], object], times: int = 2) -> float:
    """The shortest of ``times`` timings of ``work()`` (the first pays one-off costs the request will not)."""
    best = float("inf")
    for _ in range(times):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def run_notice(scenario: Scenario, replications: int) -> str | None:
    """What ``simrun run`` says before ``replications`` of ``scenario`` if they will take long, else None.

    Counts alone decide whether to look closer (:data:`PROBE_ABOVE`); then a few
    replications on :data:`PROBE_SEED`, in one kernel of the run's size, are timed.
    """
    from sim.experiments.runner import batch_size, run_replications

    units = replications * agent_rounds(scenario)
    if estimate_seconds(units, UNIT_SECONDS) * (1 + RUN_AFTER_FACTOR) < PROBE_ABOVE:
        return None
    k = probe_size(scenario, min(replications, max(1, min(batch_size(scenario), 50))))
    took = timed(lambda: run_replications(scenario, replications=k, seed=PROBE_SEED))
    unit_seconds = took / (k * agent_rounds(scenario))
    return long_notice(estimate_seconds(units, unit_seconds) * (1 + RUN_AFTER_FACTOR), k)
