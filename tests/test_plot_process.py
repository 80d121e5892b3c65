"""The figures drawn in a second process: the same bytes, and every failure a clear error.

``simrun FILE`` forks a child that imports matplotlib and builds the figures' frames
while the replications run, then finishes them while the tables are written
(``sim.outputs.plot_process``). These tests fork it explicitly (the test process may
run threads, where the command would draw in-process instead).
"""

from __future__ import annotations

import errno
import os
import signal
import threading
import time

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.experiments.runner import run_replications
from sim.experiments.study import rounds_table, run_study
from sim.outputs import plot_process, plots
from sim.outputs.plot_data import figures, figures_data
from sim.outputs.plot_process import PlotError, PlotProcess, Plotter, start_plotter
from sim.scenario import load_scenario

FILES = ("agreement.png", "positions.png")


def draw_with(plotter, small_file, folder):
    """Prepare and draw the small scenario's figures into ``folder`` (the data as ``run_study`` makes them)."""
    scenario = load_scenario(small_file)
    plotter.prepare(figures(scenario, scenario.replications))
    rounds = rounds_table(run_replications(scenario))
    plotter.draw(list(zip(figures_data(scenario, rounds), (folder / f for f in FILES), strict=True)))


def test_a_child_draws_the_bytes_this_process_draws(tmp_path, small_file):
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir()
    there.mkdir()
    draw_with(Plotter(), small_file, here)
    with PlotProcess() as child:
        draw_with(child, small_file, there)
        child.wait()
        assert set(child.timings) == {"import", "build", "idle", "draw"}
    for name in FILES:
        assert (here / name).read_bytes() == (there / name).read_bytes(), name
    assert child.pid is None  # reaped


def test_the_plot_functions_draw_the_same_bytes(tmp_path, small_file):
    scenario = load_scenario(small_file)
    rounds = rounds_table(run_replications(scenario))
    plots.plot_agreement(scenario, rounds, tmp_path / "agreement.png")
    plots.plot_positions(scenario, rounds, tmp_path / "positions.png")
    (tmp_path / "prepared").mkdir()
    draw_with(Plotter(), small_file, tmp_path / "prepared")
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (tmp_path / "prepared" / name).read_bytes(), name


def test_a_figure_that_fails_in_the_child_leaves_no_folder_and_says_why(tmp_path, small_file, monkeypatch):
    def broken(self, data, path):
        raise OSError(28, "No space left on device")

    # before the fork: the child and its helper have it too (the second figure is the helper's)
    monkeypatch.setattr(plots.PositionsFigure, "finish", broken)
    plotter = PlotProcess()
    with pytest.raises(PlotError, match=r"OSError: \[Errno 28\] No space left on device \(test_plot_process.py:\d+\)"):
        run_study(small_file, out=tmp_path / "r", plotter=plotter)
    assert plotter.pid is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.yaml"]  # no folder, no temporary folder


@pytest.mark.parametrize("figure", ["AgreementFigure", "PositionsFigure"])
def test_a_frame_that_cannot_be_built_is_reported(tmp_path, small_file, monkeypatch, figure):
    def broken(self, layout):
        raise ValueError("bad layout")

    monkeypatch.setattr(getattr(plots, figure), "__init__", broken)
    for plotter in (PlotProcess(), Plotter()):
        with pytest.raises(PlotError, match=r"^ValueError: bad layout \(test_plot_process.py:\d+\)$"):
            run_study(small_file, out=tmp_path / "r", plotter=plotter)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.yaml"]


def test_a_killed_child_is_an_error_not_a_hang(tmp_path, small_file):
    plotter = PlotProcess()
    os.kill(plotter.pid, signal.SIGKILL)
    draw_with(plotter, small_file, tmp_path)  # into a closed pipe: reported by wait()
    with pytest.raises(PlotError, match="ended without drawing the figures \\(killed by SIGKILL\\)"):
        plotter.wait()
    assert not (tmp_path / "agreement.png").exists()


def test_a_helper_killed_while_drawing_is_an_error(tmp_path, small_file, monkeypatch):
    def killed(self, data, path):
        os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(plots.PositionsFigure, "finish", killed)  # the second figure is drawn by a helper
    plotter = PlotProcess()
    with pytest.raises(PlotError, match=r"a drawing process ended without its figure \(killed by SIGKILL\)"):
        run_study(small_file, out=tmp_path / "r", plotter=plotter)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.yaml"]


def test_an_interrupted_run_stops_the_child_and_leaves_nothing(tmp_path, small_file, monkeypatch):
    import sim.experiments.study as study

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(study, "write_csv", interrupted)  # after the data were handed over
    plotter = PlotProcess()
    pid = plotter.pid
    with pytest.raises(KeyboardInterrupt):
        run_study(small_file, out=tmp_path / "r", plotter=plotter)
    assert plotter.pid is None
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # stopped and reaped: no zombie
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.yaml"]


def test_a_child_not_needed_is_stopped_at_once(small_file):
    plotter = PlotProcess()
    plotter.close()  # e.g. the scenario was invalid: the child was still importing matplotlib
    assert plotter.pid is None
    prepared = PlotProcess()
    scenario = load_scenario(small_file)
    prepared.prepare(figures(scenario, 5))  # frames built, no data ever (the replications failed)
    started = time.monotonic()
    prepared.close()
    assert prepared.pid is None and time.monotonic() - started < plot_process.STOP_WAIT


def test_stopping_the_child_stops_its_helper(tmp_path, small_file, monkeypatch):
    pids = tmp_path / "pids"
    pids.mkdir()

    def slow(self, data, path):
        (pids / str(os.getpid())).touch()
        time.sleep(60)

    monkeypatch.setattr(plots.AgreementFigure, "finish", slow)
    monkeypatch.setattr(plots.PositionsFigure, "finish", slow)
    plotter = PlotProcess()
    draw_with(plotter, small_file, tmp_path)
    deadline = time.monotonic() + 30
    while len(list(pids.iterdir())) < 2 and time.monotonic() < deadline:  # the child and its helper draw
        time.sleep(0.01)
    started = time.monotonic()
    plotter.close()
    assert time.monotonic() - started < 5
    for pid in [int(p.name) for p in pids.iterdir()]:
        with pytest.raises(ProcessLookupError):  # gone, and reaped
            os.kill(pid, 0)


def test_large_data_do_not_block_this_process(tmp_path, small_file, monkeypatch):
    # more than a pipe holds: a thread writes it while this process goes on
    monkeypatch.setattr(plot_process, "PIPE_ROOM", 10)
    with PlotProcess() as plotter:
        draw_with(plotter, small_file, tmp_path)
        assert plotter._writer is not None
        plotter.wait()
    assert all((tmp_path / f).stat().st_size > 10_000 for f in FILES)


def test_the_cli_reports_a_failed_figure_without_traceback_and_exit_1(tmp_path, small_file, monkeypatch):
    def broken(self, data, path):
        raise RuntimeError("no font")

    monkeypatch.setattr(plots.AgreementFigure, "finish", broken)
    for make in (PlotProcess, Plotter):  # forked, or drawn here when it cannot fork
        monkeypatch.setattr(plot_process, "start_plotter", make)
        result = CliRunner().invoke(app, ["run", str(small_file), "--out", str(tmp_path / "r")])
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        assert result.output.strip().startswith("The figures could not be drawn: RuntimeError: no font (test_plot")
        assert result.output.rstrip().endswith("No result folder was written.")
        assert not (tmp_path / "r").exists()


def test_no_fork_while_other_threads_run():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        plotter = start_plotter()
        assert type(plotter) is Plotter
    finally:
        stop.set()
        thread.join()


def test_a_failed_fork_draws_here_and_leaks_nothing(monkeypatch):
    def no_fork():
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(plot_process.threading, "active_count", lambda: 1)  # as in the real command
    monkeypatch.setattr(os, "fork", no_fork)
    before = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0
    assert type(start_plotter()) is Plotter
    assert (len(os.listdir("/proc/self/fd")) if before else 0) == before


def test_a_helper_that_cannot_be_forked_draws_in_the_child(tmp_path, small_file, monkeypatch):
    # the child forks (as the command would), but no process is left for its helper (EAGAIN):
    # the child draws the second figure itself rather than failing the run
    fork, parent = os.fork, os.getpid()

    def fork_here_only():
        if os.getpid() != parent:
            raise OSError(errno.EAGAIN, "Resource temporarily unavailable")
        return fork()

    monkeypatch.setattr(os, "fork", fork_here_only)
    here = tmp_path / "here"
    here.mkdir()
    draw_with(Plotter(), small_file, here)
    with PlotProcess() as plotter:
        draw_with(plotter, small_file, tmp_path)
        plotter.wait()
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (here / name).read_bytes(), name
