"""Result folders: written whole or not at all.

Everything goes into a temporary sibling folder first, which is renamed into place
only when complete, so an interrupted run leaves no half-written results.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import functools
import hashlib
import json
import os
import platform
import secrets
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from importlib import metadata
from pathlib import Path

from sim.scenario.errors import InputError, Problem
from sim.scenario.reading import read_json

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
    """``results/<scenario>[-kind]-<UTC timestamp>-<6 random hex digits>``, a folder not yet there.

    The random part keeps two runs started in the same second apart; :func:`publish`
    still never overwrites a folder another run filled first.
    """
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    while True:
        out = Path(root) / "-".join(filter(None, (scenario_name, kind, stamp, secrets.token_hex(3))))
        if not out.exists():
            return out


def _nearest_existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_out_name(out: str | Path) -> None:
    """Refuse ``--out ""``, ``--out .`` or a path ending in ``..``: a result folder is renamed into place.

    Checked before anything is computed (the rename onto the current folder would fail at the end).
    """
    if str(out).strip() == "" or Path(out).name in ("", ".", ".."):
        shown = str(out) if str(out).strip() else '""'
        raise InputError([Problem(shown, 0, "--out", "name a new folder (not the current folder or a parent)")])


def check_out(out: Path) -> None:
    """Refuse an existing, non-empty folder (or a file), or a place where no folder can be written.

    Writability is tried, not guessed from permissions: a temporary folder is made and
    removed next to where ``out`` will be (root may write into read-only folders, nobody
    into /proc).
    """
    out = Path(out)
    check_out_name(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError([Problem(str(out), 0, "--out", "exists and is not empty; choose another folder")])
    where = _nearest_existing(out)
    if not where.is_dir():
        raise InputError([Problem(str(out), 0, "--out", f"cannot be created: {where} is not a folder")])
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".simrun-probe-", dir=where))
    except OSError as exc:
        raise InputError([Problem(str(out), 0, "--out", f"cannot write in {where}: {exc.strerror}")]) from None


def publish(out: Path, fill: Callable[[Path], None]) -> Path:
    """Let ``fill`` write into a temporary folder, then move it to ``out`` in one rename.

    If another run filled ``out`` meanwhile, the results go to ``out-<random>`` instead
    (nothing is overwritten, nothing lost); the path actually used is returned.
    """
    from sim.outputs.lock import writer_lock

    check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with writer_lock(out):  # re-entrant: callers take it before they compute
        return _publish(out, fill)


def _publish(out: Path, fill: Callable[[Path], None]) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        fill(tmp)
        target = out
        for _ in range(100):
            try:
                os.rename(tmp, target)  # replaces only an empty folder, atomically
                return target
            except OSError as exc:
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
                    raise
            target = out.with_name(f"{out.name}-{secrets.token_hex(2)}")
        raise InputError([Problem(str(out), 0, "--out", "no free folder name next to it")])
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@functools.cache
def code_sha256() -> str:
    """A hash of the model's code (every ``.py`` file of the ``sim`` package).

    Resumable work (sweeps, history fits) stores it, so finished parts computed by
    another version of the model are refused rather than mixed with new ones.
    """
    code = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*.py")):
        code.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return code.hexdigest()


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


STATUSES = ("running", "interrupted", "complete")
"""A sweep folder's ``manifest.json`` status; ``running`` left behind means the sweep was killed."""


def sweep_status(out: Path) -> dict | None:
    """What a sweep folder holds: status, chunks finished, and how to resume (None if no sweep)."""
    out = Path(out)
    if not (out / "sweep.json").is_file():
        return None
    info: dict = {}
    if (out / "manifest.json").is_file():
        try:
            held = read_json(out / "manifest.json", what="manifest")
            info = held if isinstance(held, dict) else {}
        except InputError:
            info = {}
    status = info.get("status", "complete" if (out / "summary.csv").exists() else "interrupted")
    if status not in STATUSES:
        status = "interrupted"
    parts = len(list((out / "parts").glob("*.parquet"))) if (out / "parts").is_dir() else 0
    command = str(info.get("command") or "simrun sweep … (the same command)")
    resume = command if "--out" in command.split() else f"{command} --out {out}"
    return {"status": status, "parts": parts, "chunks": info.get("chunks"), "resume": resume}


def describe_status(out: Path, state: dict) -> str:
    """One sentence on a sweep folder that is not complete, and how to finish it."""
    done = f"{state['parts']} of {state['chunks']}" if state.get("chunks") else str(state["parts"])
    what = "was interrupted" if state["status"] == "interrupted" else "is running, or was killed"
    return f"sweep {what} ({done} chunks finished); to finish it, run: {state['resume']}"
