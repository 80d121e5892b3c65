"""Drawing a run's figures in a second process, started when the command starts.

The two figures of ``simrun FILE`` cost about as much as the rest of the command,
matplotlib's import included. With two cores or more the command forks a child first
thing (:func:`start_plotter`): the child imports matplotlib while this process imports
the model and runs the replications, then draws the figures from the few kilobytes of
:mod:`sim.outputs.plot_data` while this process writes the tables (the second figure
in a helper it forks then, so both are drawn at once). The result folder is renamed
into place only after the child has written both figures and said so; if one fails,
:class:`PlotError` says why and no result folder is written.

Where the process cannot fork (no ``os.fork``, other threads running, one core), the
figures are drawn in this process at the same point by :class:`Plotter`: the same
files, byte for byte (a child that cannot fork its helper draws both figures itself).
The child leaves Ctrl-C to this process, which stops it (SIGTERM, then SIGKILL)
whenever it stops early; if this process is killed outright, the child
sees its pipe close and exits, at the latest once the figure it is drawing is done.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
import time
from types import TracebackType

from sim.outputs.plot_child import (
    Figure,
    Job,
    available_cores,
    build,
    child_main,
    describe,
    exit_status,
    fork_with_pipes,
)

__all__ = ["Figure", "Job", "PlotError", "PlotProcess", "Plotter", "available_cores", "start_plotter"]

PIPE_ROOM = 16384
"""Bytes a pipe takes without blocking the writer on every platform with fork (Linux: 65536)."""
STOP_WAIT = 2.0
"""Seconds a child stopped with SIGTERM gets to exit before it is killed."""


class PlotError(RuntimeError):
    """The figures could not be drawn; the message says why (a traceback adds nothing for a user)."""


class Plotter:
    """Draws the figures in this process when their data come."""

    timings: dict[str, float] | None = None
    """Seconds the child spent importing, waiting and drawing (a :class:`PlotProcess` only; for benchmarks)."""

    def __init__(self) -> None:
        self._figures: list[Figure] = []

    def prepare(self, figures: list[Figure]) -> None:
        """Say which figures will be drawn, as soon as their layouts are known (here: kept for :meth:`draw`)."""
        self._figures = list(figures)

    def draw(self, jobs: list[Job]) -> None:
        """Finish the prepared figures with ``jobs`` (in the same order); raise :class:`PlotError` if one fails."""
        try:
            for figure, (data, path) in zip(self._figures, jobs, strict=True):
                build(figure).finish(data, path)
        except Exception as exc:
            raise PlotError(describe(exc)) from exc

    def wait(self) -> None:
        """Return once every figure asked for is written (here: already done)."""

    def close(self) -> None:
        """Stop any drawing still under way (here: none)."""

    def __enter__(self) -> Plotter:
        return self

    def __exit__(self, kind: type | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class PlotProcess(Plotter):
    """Draws the figures in a child forked now: it imports matplotlib, builds the frames, then finishes them."""

    def __init__(self) -> None:
        super().__init__()
        # both processes need these (matplotlib imports numpy.ma, and so does np.median): imported once
        import numpy  # noqa: F401
        import numpy.ma  # noqa: F401

        for stream in (sys.stdout, sys.stderr):  # nothing buffered here is written twice
            with contextlib.suppress(Exception):
                stream.flush()
        pid, (jobs_r, jobs_w), (done_r, done_w) = fork_with_pipes()
        if pid == 0:  # the child: never returns to the caller
            code = 1
            try:
                os.close(jobs_w)
                os.close(done_r)
                code = child_main(jobs_r, done_w)
            finally:
                os._exit(code)
        os.close(jobs_r)
        os.close(done_w)
        self.pid: int | None = pid
        self._jobs: int | None = jobs_w
        self._done: int | None = done_r
        self._sent = 0
        self._writer: threading.Thread | None = None

    def prepare(self, figures: list[Figure]) -> None:
        """Hand the layouts to the child, which builds the frames while this process runs the replications."""
        self._send(list(figures))

    def draw(self, jobs: list[Job]) -> None:
        """Hand the data to the child and return at once."""
        self._send(list(jobs))

    def _send(self, message: object) -> None:
        """Write one message to the child, in order; by a thread when the pipe might be full."""
        fd = self._jobs
        if fd is None:
            raise PlotError("the plotting process was closed")
        payload = memoryview(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
        self._sent += len(payload)
        previous = self._writer

        def write() -> None:
            if previous is not None:
                previous.join()
            with contextlib.suppress(OSError):  # a child gone is reported by wait()
                view = payload
                while view:
                    view = view[os.write(fd, view) :]

        if previous is None and self._sent <= PIPE_ROOM:  # all of it fits in the pipe: no blocking
            write()
        else:
            self._writer = threading.Thread(target=write, name="plot-jobs", daemon=True)
            self._writer.start()

    def wait(self) -> None:
        """Wait for the child to write the figures; raise :class:`PlotError` if it failed or died."""
        fd, self._done = self._done, None
        if fd is None:
            raise PlotError("the plotting process was already waited for")
        with open(fd, "rb") as fh:
            reply = fh.read()  # until the child exits
        status = self._reap()
        self.close()
        try:
            kind, detail = pickle.loads(reply)
        except Exception:
            raise PlotError(f"the plotting process ended without drawing the figures ({exit_status(status)})") from None
        if kind != "ok":
            raise PlotError(detail)
        self.timings = detail

    def close(self) -> None:
        """Stop the child if it still runs (SIGTERM, then SIGKILL), then release the pipes."""
        if self.pid is not None:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGTERM)
            deadline = time.monotonic() + STOP_WAIT
            while self.pid is not None and time.monotonic() < deadline:
                try:
                    exited = os.waitpid(self.pid, os.WNOHANG)[0]
                except ChildProcessError:  # reaped elsewhere
                    exited = self.pid
                if exited:
                    self.pid = None
                else:
                    time.sleep(0.005)
            if self.pid is not None:
                with contextlib.suppress(OSError):
                    os.kill(self.pid, signal.SIGKILL)
                self._reap()
        if self._writer is not None:  # the child is gone: its write fails at once (no descriptor reused under it)
            self._writer.join()
            self._writer = None
        for name in ("_jobs", "_done"):
            fd = getattr(self, name)
            if fd is not None:
                setattr(self, name, None)
                with contextlib.suppress(OSError):
                    os.close(fd)

    def _reap(self) -> int:
        """Wait for the child to exit; its wait status (0 if it was reaped already)."""
        pid, self.pid = self.pid, None
        if pid is None:
            return 0
        try:
            return os.waitpid(pid, 0)[1]
        except ChildProcessError:
            return 0


def start_plotter() -> Plotter:
    """A :class:`PlotProcess` if this process may fork (no other thread) and has two cores, else a :class:`Plotter`."""
    if not hasattr(os, "fork") or threading.active_count() > 1 or available_cores() < 2:
        return Plotter()
    try:
        return PlotProcess()
    except OSError:  # no process left to fork (EAGAIN) or no memory: draw here
        return Plotter()
