"""The ``simrun`` command line: thin commands over the library functions.

``simrun FILE`` is short for ``simrun run FILE``. The app, its options and the core
commands are in :mod:`sim.cli.commands`; ``analysis`` adds sweep, sensitivity and
backtest, ``classroom`` adds demo, class, play and report. This module stays light:
:func:`main` starts the plotting process of ``simrun FILE`` before typer and rich are
even imported.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import importlib
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

    from sim.outputs.plot_process import Plotter

COMMANDS = {
    "run", "validate", "schema", "sweep", "backtest", "sensitivity", "demo", "play", "report", "class", "forecast",
    "import",
}  # fmt: skip

EARLY: list = []
"""The plotting process :func:`main` started for ``run`` before the arguments were parsed (at most one)."""


def take_plotter() -> Plotter:
    """The plotting process started early by :func:`main`, else one started now."""
    from sim.outputs.plot_process import start_plotter

    return EARLY.pop() if EARLY else start_plotter()


def imports_done() -> None:
    """Called by ``run`` once its modules are loaded: the collector resumes, without them.

    Started by :func:`main`, ``run`` imports with the garbage collector off (imports make
    next to no garbage; its passes over them cost some 30 ms); what is loaded is then
    frozen (no pass walks it again) and collection resumes for the run itself.
    """
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def main() -> None:
    """Entry point: ``simrun FILE …`` runs the scenario (``run`` is the default command)."""
    if sys.stdout is None:  # started with standard output closed (>&-): a file opened next would take its place
        if sys.stderr is not None:
            print("simrun: standard output is closed; redirect it (to a file or /dev/null) instead", file=sys.stderr)
        raise SystemExit(2)
    args = sys.argv[1:]
    if args and args[0] not in COMMANDS and not args[0].startswith("-"):
        sys.argv.insert(1, "run")
    if sys.argv[1:2] == ["run"] and not {"--help", "-h"} & set(sys.argv):
        from sim.outputs.plot_process import start_plotter

        gc.disable()  # until run() has imported what it needs: see imports_done()
        # first thing: the child imports matplotlib while this process imports the rest
        EARLY.append(start_plotter())
    try:
        load_app()()
    except SystemExit as exc:
        stuck = getattr(sys.modules.get("sim.experiments.executors"), "STUCK", None)
        if stuck:  # results and messages are out; only a thread the exit would join for ever is left
            end_now(exc.code)
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPIPE, errno.ENOSPC):
            raise
        output_failed(exc)
    finally:
        while EARLY:  # not taken: the arguments were refused
            EARLY.pop().close()
        # the process ends here: Python's last full collection would walk every object of the
        # libraries loaded (about 0.1 s after a run); none of them needs collecting
        gc.freeze()


def end_now(code: object) -> None:
    """Flush the output and end the process with ``code`` (SystemExit's), skipping the exit hooks.

    Only after a stopped process pool left a manager thread that cannot end
    (:data:`sim.experiments.executors.STUCK`): everything is written and said by then.
    """
    status = code if isinstance(code, int) else 0 if code is None else 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(status)


def output_failed(exc: OSError) -> None:
    """The output could not be written (the reader of a pipe left, the disk is full): one line, exit 1.

    Results already written stay where they are (folders are renamed into place only
    when complete). Standard output is pointed at /dev/null so that the interpreter's
    last flush does not fail again.
    """
    where = exc.filename or "the output"
    with contextlib.suppress(OSError):
        print(f"simrun: cannot write {where}: {exc.strerror}", file=sys.stderr)
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    raise SystemExit(1)


def load_app() -> typer.Typer:
    """The app with every command: those of ``analysis`` and ``classroom`` register themselves on it."""
    from sim.cli import analysis, classroom, commands, importing  # noqa: F401

    return commands.app


def __getattr__(name: str) -> Any:
    """The app and its helpers (``from sim.cli import app``), imported on first use."""
    if name == "app":
        return load_app()
    if name.startswith("__"):
        raise AttributeError(name)
    return getattr(importlib.import_module("sim.cli.commands"), name)
