"""Where tasks run: in this process, on local cores, or on a Dask cluster.

Every executor offers one method, ``imap_unordered(fn, tasks)``, yielding results as
they finish. A sweep never depends on the order: each task carries its own seeds.
Another engine (MPI, say) is one more class with that method.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait


def available_cores() -> int:
    """Cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _ignore_interrupt() -> None:
    """Workers leave Ctrl-C to the main process, which stops the pool and keeps finished parts."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def start_method() -> str:
    """How to start workers, chosen explicitly.

    Explicit, so that a library forcing "spawn" process-wide (mesa.batchrunner) does not
    decide for us. fork() is fastest but unsafe once the process runs other threads;
    then forkserver, else spawn.
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


class Executor:
    """Runs tasks serially in this process (``--workers 1``)."""

    name = "serial"
    workers = 1

    def imap_unordered(self, fn: Callable, tasks: Iterable) -> Iterator:
        """Yield ``fn(task)`` for every task, in completion order."""
        for task in tasks:
            yield fn(task)

    def close(self) -> None:
        """Release workers (nothing to do here)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalExecutor(Executor):
    """A pool of worker processes on this machine (concurrent.futures)."""

    name = "processes"

    def __init__(self, workers: int | None = None):
        """``workers`` defaults to every core this process may use."""
        self.workers = workers or available_cores()
        context = multiprocessing.get_context(start_method())
        if context.get_start_method() == "forkserver":
            context.set_forkserver_preload(["sim.experiments.sweep"])
        self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context, initializer=_ignore_interrupt)

    def imap_unordered(self, fn: Callable, tasks: Iterable) -> Iterator:
        """Keep at most two tasks per worker in flight; yield results as they finish."""
        pending = set()
        tasks = iter(tasks)
        limit = 2 * self.workers
        try:
            while True:
                while len(pending) < limit:
                    task = next(tasks, None)
                    if task is None:
                        break
                    pending.add(self.pool.submit(fn, task))
                if not pending:
                    return
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        """Stop the pool without waiting for cancelled work."""
        self.pool.shutdown(wait=False, cancel_futures=True)


class DaskExecutor(Executor):
    """Tasks on a Dask cluster: an existing scheduler, or a LocalCluster on loopback."""

    name = "dask"

    def __init__(self, scheduler: str | None = None, local_workers: int | None = None):
        """Connect to ``scheduler`` (``tcp://HOST:PORT``) or start ``local_workers`` on 127.0.0.1."""
        from dask.distributed import Client, LocalCluster

        self.cluster = None
        if scheduler:
            self.client = Client(scheduler)
        else:
            self.cluster = LocalCluster(
                n_workers=local_workers or 1,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
            self.client = Client(self.cluster)
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))

    def imap_unordered(self, fn: Callable, tasks: Iterable) -> Iterator:
        """Submit every task (pure=False: equal tasks still run) and yield results as they finish."""
        from dask.distributed import as_completed

        futures = [self.client.submit(fn, task, pure=False) for task in tasks]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        """Disconnect, and stop the local cluster if this executor started it."""
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_executor(workers: int | None = None, scheduler: str | None = None, dask_local: int | None = None) -> Executor:
    """The executor the command line asks for."""
    if scheduler or dask_local:
        try:
            return DaskExecutor(scheduler, dask_local)
        except ImportError:
            from sim.scenario.errors import InputError, Problem

            raise InputError(
                [Problem("--scheduler", 0, "", "Dask is not installed: pip install 'simrun[cluster]'")]
            ) from None
    if workers == 1:
        return Executor()
    return LocalExecutor(workers)
