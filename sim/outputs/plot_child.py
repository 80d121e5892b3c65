"""The plotting process's side of :mod:`sim.outputs.plot_process`: what runs after the fork.

:func:`child_main` is the child's life: it imports matplotlib (without generating its
artists' property docstrings, which nothing there reads), builds each figure's frame
from its layout, forks a helper per further figure when there are two cores, finishes
the figures with the data the parent sends, and answers ``ok`` or what failed. A
helper dies with the child (Linux: ``PR_SET_PDEATHSIG``) and is stopped when the child
stops. Shared with the parent: the pickled message types, :func:`describe`,
:func:`build` and :func:`exit_status`.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import sys
import time
from pathlib import Path

Figure = tuple[str, dict]
"""A figure to build: the name of its class in :mod:`sim.outputs.plots` and its layout."""
Job = tuple[dict, Path]
"""What finishes a figure: its data and the PNG to write."""


def describe(exc: BaseException) -> str:
    """``Type: message (file.py:line)``, the line being where the exception was raised."""
    where = ""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is not None:
        where = f" ({Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno})"
    return f"{type(exc).__name__}: {exc}{where}"


def build(figure: Figure) -> object:
    """The figure's frame, built from its layout (matplotlib is imported here, on first use)."""
    from sim.outputs import plots

    name, layout = figure
    return getattr(plots, name)(layout)


def fork_with_pipes() -> tuple[int, tuple[int, int], tuple[int, int]]:
    """Two pipes (read end, write end), then a fork: ``(pid, first pipe, second pipe)``.

    A fork that fails (no process left, no memory) closes the four ends and raises.
    """
    first, second = os.pipe(), os.pipe()
    try:
        return os.fork(), first, second
    except OSError:
        for fd in (*first, *second):
            os.close(fd)
        raise


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


def child_main(jobs_r: int, done_w: int) -> int:
    """The child's life: import matplotlib, build the frames, finish them with the data, say how it went."""
    # a second or two, then os._exit: garbage can wait (collecting during matplotlib's
    # import alone costs some 50 ms, and would copy the pages shared with the parent)
    gc.disable()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches both processes: the parent decides
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop)  # so cleanup (a cache file's lock, say) still runs
    start = time.perf_counter()
    drawers: list[_Drawer] = []
    try:
        _skip_property_docstrings()
        from sim.outputs import plots  # noqa: F401 - matplotlib: the slow part, while the parent computes

        ready = time.perf_counter()
        with open(jobs_r, "rb") as fh:
            try:
                figures = pickle.load(fh)
            except EOFError:  # the parent needs no figures after all
                return 0
            # the first figure here, each other one in a helper forked now (matplotlib is
            # loaded: a fork costs milliseconds), so they are built and drawn at once
            helped = available_cores() >= 2
            drawers = [_Here(figures[:1] if helped else figures)]
            for i, figure in enumerate(figures[1:] if helped else [], start=1):
                try:
                    drawers.append(_Helper(figure, i, inherited=(done_w,)))
                except OSError:  # no process left to fork (EAGAIN) or no memory: the rest are drawn here
                    drawers.append(_Here(figures[i:], start=i))
                    break
            built = time.perf_counter()
            try:
                jobs = pickle.load(fh)
            except EOFError:
                return 0
        got = time.perf_counter()
        for drawer in sorted(drawers, key=lambda d: isinstance(d, _Here)):  # the helpers start first
            drawer.finish(jobs)
        errors = [error for error in (drawer.verdict() for drawer in drawers) if error]
        timings = {"import": ready - start, "build": built - ready, "idle": got - built}
        reply = ("error", errors[0]) if errors else ("ok", {**timings, "draw": time.perf_counter() - got})
    except Exception as exc:
        reply = ("error", describe(exc))
    finally:  # stopped (SIGTERM) or failed: no helper outlives this process
        for drawer in drawers:
            drawer.stop()
    try:
        with open(done_w, "wb") as fh:
            fh.write(pickle.dumps(reply))
    except OSError:  # the parent is gone
        return 1
    return 0


class _Drawer:
    """Builds some of the figures as soon as it exists; finishes them with their jobs."""

    def finish(self, jobs: list[Job]) -> None:
        """Finish the figures with their jobs (picked from all of them by position)."""

    def verdict(self) -> str | None:
        """What failed, or None once the figures are written."""
        return None

    def stop(self) -> None:
        """Stop drawing now."""


class _Here(_Drawer):
    """Figures built and drawn in this process (the first figure, or all of them on one core)."""

    def __init__(self, figures: list[Figure], start: int = 0) -> None:
        """Build ``figures``, the ``start``-th figure and those after it."""
        self.start, self.count = start, len(figures)
        self.error: str | None = None
        try:
            self.built = [build(figure) for figure in figures]
        except Exception as exc:
            self.error = describe(exc)

    def finish(self, jobs: list[Job]) -> None:
        if self.error is None:
            try:
                for figure, (data, path) in zip(self.built, jobs[self.start : self.start + self.count], strict=True):
                    figure.finish(data, path)
            except Exception as exc:
                self.error = describe(exc)

    def verdict(self) -> str | None:
        return self.error


class _Helper(_Drawer):
    """One figure built and drawn by a helper process forked now; it says ``ok`` or what failed."""

    def __init__(self, figure: Figure, index: int, inherited: tuple[int, ...] = ()) -> None:
        """Fork the helper of the ``index``-th figure; it closes the ``inherited`` descriptors at once."""
        self.index = index
        parent = os.getpid()
        pid, (data_r, data_w), (verdict_r, verdict_w) = fork_with_pipes()
        if pid == 0:  # the helper: never returns to the caller
            code = 1
            try:
                for fd in (data_w, verdict_r, *inherited):
                    os.close(fd)
                _die_with(parent)
                code = _help(figure, data_r, verdict_w)
            finally:
                os._exit(code)
        os.close(data_r)
        os.close(verdict_w)
        self.pid: int | None = pid
        self.data: int | None = data_w
        self.verdict_fd: int | None = verdict_r

    def finish(self, jobs: list[Job]) -> None:
        fd, self.data = self.data, None
        with contextlib.suppress(OSError), open(fd, "wb") as fh:  # a helper gone: its verdict says so
            pickle.dump(jobs[self.index], fh, protocol=pickle.HIGHEST_PROTOCOL)

    def verdict(self) -> str | None:
        fd, self.verdict_fd = self.verdict_fd, None
        with open(fd, "rb") as fh:
            said = fh.read().decode("utf-8", "replace")
        pid, self.pid = self.pid, None
        status = os.waitpid(pid, 0)[1]
        if said == "ok":
            return None
        return said or f"a drawing process ended without its figure ({exit_status(status)})"

    def stop(self) -> None:
        for name in ("data", "verdict_fd"):
            fd = getattr(self, name)
            if fd is not None:
                setattr(self, name, None)
                with contextlib.suppress(OSError):
                    os.close(fd)
        if self.pid is not None:
            pid, self.pid = self.pid, None
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def _help(figure: Figure, data_r: int, verdict_w: int) -> int:
    """A helper's life: build the figure, wait for its job, draw it, say ``ok`` or what failed."""
    try:
        built = build(figure)
        with open(data_r, "rb") as fh:
            try:
                data, path = pickle.load(fh)
            except EOFError:  # no data will come
                return 0
        built.finish(data, path)
        verdict = "ok"
    except Exception as exc:
        verdict = describe(exc)
    with contextlib.suppress(OSError), open(verdict_w, "wb") as fh:
        fh.write(verdict.encode("utf-8"))
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
