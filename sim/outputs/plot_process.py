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
files, byte for byte. The child leaves Ctrl-C to this process, which stops it (SIGTERM,
then SIGKILL) whenever it stops early; if this process is killed outright, the child
sees its pipe close and exits, at the latest once the figure it is drawing is done.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

Job = tuple[str, dict, Path]
"""A figure to draw: the name of a ``draw_*`` function of :mod:`sim.outputs.plots`, its data, the PNG to write."""

PIPE_ROOM = 16384
"""Bytes a pipe takes without blocking the writer on every platform with fork (Linux: 65536)."""
STOP_WAIT = 2.0
"""Seconds a child stopped with SIGTERM gets to exit before it is killed."""


class PlotError(RuntimeError):
    """The figures could not be drawn; the message says why (a traceback adds nothing for a user)."""


def describe(exc: BaseException) -> str:
    """``Type: message (file.py:line)``, the line being where the exception was raised."""
    where = ""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is not None:
        where = f" ({Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno})"
    return f"{type(exc).__name__}: {exc}{where}"


def draw(jobs: list[Job]) -> None:
    """Draw every job in this process (matplotlib is imported here, on first use)."""
    from sim.outputs import plots

    for name, data, path in jobs:
        getattr(plots, name)(data, path)


class Plotter:
    """Draws the figures in this process, at once, when asked."""

    timings: dict[str, float] | None = None
    """Seconds the child spent importing and drawing (a :class:`PlotProcess` only; for benchmarks)."""

    def draw(self, jobs: list[Job]) -> None:
        """Draw ``jobs``; raise :class:`PlotError` if one fails."""
        try:
            draw(jobs)
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
    """Draws the figures in a child forked now, which imports matplotlib while it waits for them."""

    def __init__(self) -> None:
        # both processes need these (matplotlib imports numpy.ma, and so does np.median): imported once
        import numpy  # noqa: F401
        import numpy.ma  # noqa: F401

        jobs_r, jobs_w = os.pipe()
        done_r, done_w = os.pipe()
        for stream in (sys.stdout, sys.stderr):  # nothing buffered here is written twice
            with contextlib.suppress(Exception):
                stream.flush()
        try:
            pid = os.fork()
        except OSError:
            for fd in (jobs_r, jobs_w, done_r, done_w):
                os.close(fd)
            raise
        if pid == 0:  # the child: never returns to the caller
            code = 1
            try:
                os.close(jobs_w)
                os.close(done_r)
                code = _child(jobs_r, done_w)
            finally:
                os._exit(code)
        os.close(jobs_r)
        os.close(done_w)
        self.pid: int | None = pid
        self._jobs: int | None = jobs_w
        self._done: int | None = done_r

    def draw(self, jobs: list[Job]) -> None:
        """Hand ``jobs`` to the child and return at once (a thread writes them if the pipe is full)."""
        payload = pickle.dumps(jobs, protocol=pickle.HIGHEST_PROTOCOL)
        fd, self._jobs = self._jobs, None
        if fd is None:
            raise PlotError("the figures were already handed to the plotting process")

        def send() -> None:
            with contextlib.suppress(OSError), open(fd, "wb") as fh:  # a child gone is reported by wait()
                fh.write(payload)

        if len(payload) <= PIPE_ROOM:  # fits in the pipe: written without blocking
            send()
        else:
            threading.Thread(target=send, name="plot-jobs", daemon=True).start()

    def wait(self) -> None:
        """Wait for the child to write the figures; raise :class:`PlotError` if it failed or died."""
        fd, self._done = self._done, None
        if fd is None:
            raise PlotError("the plotting process was already waited for")
        with open(fd, "rb") as fh:
            reply = fh.read()  # until the child exits
        status = self._reap()
        try:
            kind, detail = pickle.loads(reply)
        except Exception:
            raise PlotError(f"the plotting process ended without drawing the figures ({exit_status(status)})") from None
        if kind != "ok":
            raise PlotError(detail)
        self.timings = detail

    def close(self) -> None:
        """Stop the child if it still runs (SIGTERM, then SIGKILL) and release the pipes."""
        for name in ("_jobs", "_done"):
            fd = getattr(self, name)
            if fd is not None:
                setattr(self, name, None)
                with contextlib.suppress(OSError):
                    os.close(fd)
        if self.pid is None:
            return
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

    def _reap(self) -> int:
        """Wait for the child to exit; its wait status (0 if it was reaped already)."""
        pid, self.pid = self.pid, None
        if pid is None:
            return 0
        try:
            return os.waitpid(pid, 0)[1]
        except ChildProcessError:
            return 0


def exit_status(status: int) -> str:
    """``exit status 1`` or ``killed by SIGKILL`` from a wait status."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(number).name}"
        return f"killed by signal {number}"
    return f"exit status {os.WEXITSTATUS(status)}"


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(1)


def _child(jobs_r: int, done_w: int) -> int:
    """The child's life: import matplotlib, wait for the jobs, draw them, say how it went."""
    # a second or two, then os._exit: garbage can wait (collecting during matplotlib's
    # import alone costs some 50 ms, and would copy the pages shared with the parent)
    gc.disable()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches both processes: the parent decides
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop)  # so cleanup (a cache file's lock, say) still runs
    start = time.perf_counter()
    try:
        _skip_property_docstrings()
        from sim.outputs import plots  # noqa: F401 - matplotlib: the slow part, while the parent computes

        ready = time.perf_counter()
        with open(jobs_r, "rb") as fh:
            payload = fh.read()
        if not payload:  # the parent needs no figures after all
            return 0
        got = time.perf_counter()
        draw_side_by_side(pickle.loads(payload))
        reply = ("ok", {"import": ready - start, "idle": got - ready, "draw": time.perf_counter() - got})
    except PlotError as exc:  # described already
        reply = ("error", str(exc))
    except Exception as exc:
        reply = ("error", describe(exc))
    try:
        with open(done_w, "wb") as fh:
            fh.write(pickle.dumps(reply))
    except OSError:  # the parent is gone
        return 1
    return 0


def _skip_property_docstrings() -> None:
    """Let matplotlib's modules load without writing their artists' property docstrings.

    As its modules load, matplotlib writes the "Supported properties" text of every Artist
    subclass's ``set()`` docstring with :func:`matplotlib.artist.kwdoc`, which inspects all
    their setters: about 0.2 s, a third of its import. This process only draws two figures
    and exits; nothing reads those docstrings, and the drawing does not use them (the
    figures are the same bytes as those drawn in the parent: ``tests/test_plot_process.py``).
    """
    with contextlib.suppress(Exception):  # another matplotlib: import it as it comes
        import matplotlib.artist

        matplotlib.artist.kwdoc = lambda artist: ""


def draw_side_by_side(jobs: list[Job]) -> None:
    """Draw the first job here and each other one in a helper forked now, all at once.

    matplotlib is loaded by then, so a fork costs milliseconds; with two cores the
    figures take about as long as the longest. No helper outlives this call.
    """
    helpers = [_draw_in_helper([job]) for job in jobs[1:]] if available_cores() >= 2 else []
    if not helpers:
        draw(jobs)
        return
    error = None
    try:
        try:
            draw(jobs[:1])
        except Exception as exc:
            error = describe(exc)
        while helpers:
            pid, fd = helpers[0]
            with open(fd, "rb") as fh:
                verdict = fh.read().decode("utf-8", "replace")
            status = os.waitpid(pid, 0)[1]
            helpers.pop(0)
            if verdict != "ok" and error is None:
                error = verdict or f"a drawing process ended without its figure ({exit_status(status)})"
    finally:  # stopped (SIGTERM) while they draw: they stop too
        for pid, fd in helpers:
            with contextlib.suppress(OSError):
                os.close(fd)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
    if error is not None:
        raise PlotError(error)


def _draw_in_helper(jobs: list[Job]) -> tuple[int, int]:
    """Fork a helper that draws ``jobs``; its pid and the pipe on which it writes ``ok`` or what failed."""
    parent = os.getpid()
    verdict_r, verdict_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the helper: never returns to the caller
        code = 1
        try:
            os.close(verdict_r)
            _die_with(parent)
            try:
                draw(jobs)
                verdict = "ok"
            except Exception as exc:
                verdict = describe(exc)
            with open(verdict_w, "wb") as fh:
                fh.write(verdict.encode("utf-8"))
            code = 0
        finally:
            os._exit(code)
    os.close(verdict_w)
    return pid, verdict_r


def _die_with(parent: int) -> None:
    """Linux: this process gets SIGKILL when ``parent`` ends (elsewhere it ends once its figure is drawn)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            pr_set_pdeathsig = 1
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # ended before the line above took effect
        os._exit(1)


def available_cores() -> int:
    """Cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def start_plotter() -> Plotter:
    """A :class:`PlotProcess` if this process may fork (no other thread) and has two cores, else a :class:`Plotter`."""
    if not hasattr(os, "fork") or threading.active_count() > 1 or available_cores() < 2:
        return Plotter()
    try:
        return PlotProcess()
    except OSError:  # no process left to fork (EAGAIN) or no memory: draw here
        return Plotter()
