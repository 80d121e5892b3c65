"""The figures drawn in a second process: the same bytes, and every failure a clear error.

``simrun FILE`` forks a child that imports matplotlib while the replications run, then
draws the figures while the tables are written (``sim.outputs.plot_process``). These
tests fork it explicitly (the test process may run threads, where the command would
draw in-process instead).
"""

from __future__ import annotations

import os
import signal
import threading

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.experiments.runner import run_replications
from sim.experiments.study import rounds_table, run_study
from sim.outputs import plot_process, plots
from sim.outputs.plot_data import agreement_data, positions_data
from sim.outputs.plot_process import PlotError, PlotProcess, Plotter, start_plotter
from sim.scenario import load_scenario


def jobs_for(small_file, folder):
    scenario = load_scenario(small_file)
    rounds = rounds_table(run_replications(scenario))
    return [
        ("draw_agreement", agreement_data(scenario, rounds), folder / "agreement.png"),
        ("draw_positions", positions_data(scenario, rounds), folder / "positions.png"),
    ]


def test_a_child_draws_the_bytes_this_process_draws(tmp_path, small_file):
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir()
    there.mkdir()
    Plotter().draw(jobs_for(small_file, here))
    with PlotProcess() as child:
        child.draw(jobs_for(small_file, there))
        child.wait()
        assert set(child.timings) == {"import", "idle", "draw"}
    for name in ("agreement.png", "positions.png"):
        assert (here / name).read_bytes() == (there / name).read_bytes(), name
    assert child.pid is None  # reaped


def test_a_figure_that_fails_in_the_child_leaves_no_folder_and_says_why(tmp_path, small_file, monkeypatch):
    def broken(data, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(plots, "draw_positions", broken)  # before the fork: the child has it too
    plotter = PlotProcess()
    with pytest.raises(PlotError, match=r"OSError: \[Errno 28\] No space left on device \(test_plot_process.py:\d+\)"):
        run_study(small_file, out=tmp_path / "r", plotter=plotter)
    assert plotter.pid is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.yaml"]  # no folder, no temporary folder


def test_a_killed_child_is_an_error_not_a_hang(tmp_path, small_file):
    plotter = PlotProcess()
    os.kill(plotter.pid, signal.SIGKILL)
    plotter.draw(jobs_for(small_file, tmp_path))  # into a closed pipe: reported by wait()
    with pytest.raises(PlotError, match="ended without drawing the figures \\(killed by SIGKILL\\)"):
        plotter.wait()
    assert not (tmp_path / "agreement.png").exists()


def test_an_interrupted_run_stops_the_child_and_leaves_nothing(tmp_path, small_file, monkeypatch):
    import sim.experiments.study as study

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(study, "write_csv", interrupted)  # after the figures were handed over
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


def test_the_cli_reports_a_failed_figure_without_traceback_and_exit_1(tmp_path, small_file, monkeypatch):
    def broken(data, path):
        raise RuntimeError("no font")

    monkeypatch.setattr(plots, "draw_agreement", broken)
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


def test_a_helper_killed_while_drawing_is_an_error(tmp_path, small_file, monkeypatch):
    def killed(data, path):
        os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(plots, "draw_positions", killed)  # the second figure is drawn by a helper of the child
    plotter = PlotProcess()
    with pytest.raises(PlotError, match=r"a drawing process ended without its figure \(killed by SIGKILL\)"):
        run_study(small_file, out=tmp_path / "r", plotter=plotter)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.yaml"]


def test_stopping_the_child_stops_its_helper(tmp_path, small_file, monkeypatch):
    import time

    pids = tmp_path / "pids"
    pids.mkdir()

    def slow(data, path):
        (pids / str(os.getpid())).touch()
        time.sleep(60)

    monkeypatch.setattr(plots, "draw_agreement", slow)
    monkeypatch.setattr(plots, "draw_positions", slow)
    plotter = PlotProcess()
    plotter.draw(jobs_for(small_file, tmp_path))
    deadline = time.monotonic() + 30
    while len(list(pids.iterdir())) < 2 and time.monotonic() < deadline:  # the child and its helper draw
        time.sleep(0.01)
    started = time.monotonic()
    plotter.close()
    assert time.monotonic() - started < 5
    for pid in [int(p.name) for p in pids.iterdir()]:
        with pytest.raises(ProcessLookupError):  # gone, and reaped
            os.kill(pid, 0)


def test_a_failed_fork_draws_here_and_leaks_nothing(monkeypatch):
    import errno

    def no_fork():
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(plot_process.threading, "active_count", lambda: 1)  # as in the real command
    monkeypatch.setattr(os, "fork", no_fork)
    before = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0
    assert type(start_plotter()) is Plotter
    assert (len(os.listdir("/proc/self/fd")) if before else 0) == before
