"""One writer per result folder: an advisory lock file beside the ``--out`` folder.

``run``, ``sweep``, ``sensitivity`` and ``backtest`` take the lock of their ``--out``
before they write anything into it. A second process that asks for the same folder
meanwhile is refused at once with one line naming the holder (its PID and command),
instead of writing parts, manifests or temporary files the first one also writes.

The lock is ``.<name>.lock`` in the folder's parent (the folder itself may not exist
yet, and a finished run's folder is renamed into place whole). It is an ``flock`` on
that file, so the kernel releases it when the holder dies, even by SIGKILL: a stale
file never blocks anyone. The holder writes its PID and command into it, for the
message; it removes the file when done (and re-checks, after locking, that the file
it locked is still the one at that path, so removing it cannot let two holders in).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from sim.scenario.errors import InputError, Problem

_HELD: dict[str, list[int]] = {}
"""Locks this process holds: lock file path -> [file descriptor, depth] (re-entrant within the process)."""

_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def lock_path(out: str | Path) -> Path:
    """The lock file of result folder ``out``: ``.<name>.lock`` beside it."""
    out = Path(out).absolute()
    return out.with_name(f".{out.name}.lock")


def _holder(path: Path) -> str:
    """Who holds the lock at ``path``, as the holder wrote it (waits briefly: it writes right after locking)."""
    text = ""
    for _ in range(20):
        try:
            text = path.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            text = ""
        if text:
            break
        time.sleep(0.05)
    pid, _, command = text.partition(" ")
    if not pid.isdigit():
        return "another simrun process"
    # another process's command line is printed on one line, without its control characters
    command = _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", command)[:300]
    return f"simrun process {pid} ({command})" if command else f"simrun process {pid}"


def _acquire(path: Path, out: Path) -> int:
    """Lock ``path`` without waiting; the descriptor, or :class:`InputError` naming the holder."""
    while True:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise InputError(
                [Problem(str(out), 0, "--out", f"cannot create the lock file {path}: {exc.strerror}")]
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise InputError([Problem(str(out), 0, "--out", f"cannot lock {path}: {exc.strerror}")]) from None
            raise InputError(
                [
                    Problem(
                        str(out),
                        0,
                        "--out",
                        f"{_holder(path)} is writing this folder; wait for it to end or choose another folder",
                    )
                ]
            ) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the holder removed the file between our open and our lock: lock the new one
    command = " ".join(["simrun", *sys.argv[1:]])
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()} {command}\n".encode("utf-8", "replace"))
    return fd


def acquire(out: str | Path) -> Path:
    """Take the lock of ``out`` (re-entrant in this process); return the lock file. See :func:`writer_lock`."""
    path = lock_path(out)
    key = str(path)
    if key in _HELD:
        _HELD[key][1] += 1
    else:
        _HELD[key] = [_acquire(path, Path(out)), 1]
    return path


def release(out: str | Path) -> None:
    """Give back one :func:`acquire` of ``out``'s lock; the last one removes the file and unlocks."""
    key = str(lock_path(out))
    held = _HELD.get(key)
    if held is None:
        return
    held[1] -= 1
    if held[1] > 0:
        return
    del _HELD[key]
    with contextlib.suppress(OSError):
        os.unlink(key)  # while still locked: a process waiting on this file re-checks it and locks a new one
    os.close(held[0])


@contextlib.contextmanager
def writer_lock(out: str | Path) -> Iterator[Path]:
    """Hold the lock of result folder ``out`` for the block; :class:`InputError` if another process holds it."""
    acquire(out)
    try:
        yield lock_path(out)
    finally:
        release(out)


def hold_for_command(out: str | Path | None) -> None:
    """Take ``out``'s lock until the running command ends (its click context closes; else the process ends)."""
    if out is None:
        return
    import atexit

    import click

    acquire(out)
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.call_on_close(lambda: release(out))
    else:
        atexit.register(release, out)
