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
