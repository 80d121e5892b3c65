"""Reading input files safely: size checked before reading, only regular files.

Every command reads its inputs (scenario files, record files, result folders) through
:func:`read_text`, so that a device (``/dev/zero``), a FIFO or a huge file is refused
at once with ``FILE: message`` instead of being read into memory.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from sim.scenario.errors import InputError, Problem

MAX_BYTES = 2_000_000
"""Default cap (bytes) of an input file; a scenario is a few kB."""


def _refuse(file: str, message: str) -> InputError:
    return InputError([Problem(file, 0, "", message)])


def read_bytes(path: str | Path, limit: int = MAX_BYTES, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, or :class:`InputError` (``FILE: message``).

    The size is checked with ``stat`` before anything is read, and at most ``limit + 1``
    bytes are read (a file growing meanwhile, or a /proc file reporting size 0, stays bounded).
    """
    file = str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise _refuse(file, "no such file") from None
    except NotADirectoryError:
        raise _refuse(file, "no such file (a parent is not a folder)") from None
    except OSError as exc:
        raise _refuse(file, f"cannot read: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise _refuse(file, f"is a directory, not a {what}") from None
    if not stat.S_ISREG(info.st_mode):
        raise _refuse(file, f"is not a regular file (a device, pipe or socket), not a {what}") from None
    if info.st_size > limit:
        raise _refuse(file, f"file is larger than {limit} bytes ({info.st_size} bytes)") from None
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise _refuse(file, f"cannot read: {exc.strerror}") from None
    if len(data) > limit:
        raise _refuse(file, f"file is larger than {limit} bytes") from None
    return data


def read_text(path: str | Path, limit: int = MAX_BYTES, what: str = "file") -> str:
    """:func:`read_bytes` decoded as UTF-8 (an optional BOM is dropped)."""
    data = read_bytes(path, limit, what)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError([Problem(str(path), line, "", f"not UTF-8 text ({exc.reason})")]) from None


def read_json(path: str | Path, limit: int = 50_000_000, what: str = "JSON file") -> object:
    """A JSON file read with :func:`read_text`; empty, truncated or too deep JSON is an :class:`InputError`."""
    text = read_text(path, limit, what)
    if not text.strip():
        raise _refuse(str(path), "file is empty (was the run interrupted?)")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            [Problem(str(path), exc.lineno, "", f"not valid JSON ({exc.msg}); the file may be truncated")]
        ) from None
    except RecursionError:
        raise _refuse(str(path), "JSON nested too deeply") from None
