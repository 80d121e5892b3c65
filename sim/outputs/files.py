"""Result folders: written whole or not at all.

Everything goes into a temporary sibling folder first, which is renamed into place
only when complete, so an interrupted run leaves no half-written results.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from importlib import metadata
from pathlib import Path

from sim.scenario.errors import InputError, Problem

PACKAGES = ("simrun", "mesa", "numpy", "scipy", "pydantic", "pyyaml", "matplotlib", "typer", "pyarrow", "dask", "SALib")


def versions() -> dict[str, str]:
    """Python and the installed versions of the packages a result depends on."""
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def cell(value: object) -> str:
    """A CSV cell: floats with 6 significant digits, booleans as 0/1 (deterministic)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return "" if value != value else f"{value:.6g}"
    return str(value)


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Write rows under a header with :func:`cell` formatting and Unix line ends."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([cell(v) for v in row])


def write_json(path: Path, data: object) -> None:
    """Pretty, key-ordered-as-built JSON with a final newline."""
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")


def default_out(scenario_name: str, kind: str = "", root: str | Path = "results") -> Path:
    """``results/<scenario>[-kind]-<UTC timestamp>``."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return Path(root) / "-".join(filter(None, (scenario_name, kind, stamp)))


def check_out(out: Path) -> None:
    """Refuse to write into an existing, non-empty folder (or onto a file)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError([Problem(str(out), 0, "--out", "exists and is not empty; choose another folder")])


def publish(out: Path, fill: Callable[[Path], None]) -> Path:
    """Let ``fill`` write into a temporary folder, then move it to ``out`` in one rename."""
    check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        fill(tmp)
        if out.exists():
            out.rmdir()  # empty, checked above
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def manifest(*, scenario_name: str, scenario_file: str, scenario_sha256: str, seed: int, **extra: object) -> dict:
    """How to reproduce a result: scenario hash, seed, versions, the command."""
    return {
        "scenario": scenario_name,
        "scenario_file": scenario_file,
        "scenario_sha256": scenario_sha256,
        "seed": seed,
        **extra,
        "command": " ".join(["simrun", *sys.argv[1:]]),
        "versions": versions(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
