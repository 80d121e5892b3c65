"""Where tasks run: in this process, on local cores, or on a Dask cluster.

Every executor offers one method, ``imap_unordered(fn, tasks)``, yielding results as
they finish. A sweep never depends on the order: each task carries its own seeds.
Another engine (MPI, say) is one more class with that method.

No worker outlives the command: local workers leave SIGINT, SIGTERM and SIGHUP to the
main process, which kills them when it stops; if the main process is killed outright
(SIGKILL), each worker notices within a second (Linux: the kernel's parent-death signal;
elsewhere: a thread polling the parent) and exits.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from urllib.parse import urlsplit

from sim.scenario.errors import InputError, Problem

CONNECT_TIMEOUT = 5
"""Seconds to wait for a Dask scheduler before giving up."""
MAX_WORKERS_PER_CORE = 4
"""``--workers`` is capped at this many per core (more only cost memory)."""
MANAGER_JOIN_TIMEOUT = 10.0
"""Seconds a pool stopped by a signal or an error waits for its manager thread to end."""

STUCK: list[threading.Thread] = []
"""Manager threads of stopped pools that did not end: a worker killed while writing its result
leaves a partial message, and the thread waits on the rest for ever. The interpreter's exit
would join them for ever too, so :func:`sim.cli.main` ends the process without that join."""


def available_cores() -> int:
    """Cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def cap_workers(workers: int | None, tasks: int) -> int:
    """Workers to start: as asked (default every core), at most one per task and 4 per core."""
    asked = workers or available_cores()
    return max(1, min(asked, max(tasks, 1), MAX_WORKERS_PER_CORE * available_cores()))


def _watch_parent(parent: int, every: float = 1.0) -> None:
    """Exit this worker as soon as the process that started the pool is gone."""
    while True:
        time.sleep(every)
        if os.getppid() != parent and not _alive(parent):
            os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _worker_init(parent: int) -> None:
    """Set up a worker: signals are left to the main process, and the worker dies with it.

    The main process stops the pool and keeps finished parts (see the module's docstring).
    """
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    if sys.platform.startswith("linux") and os.getppid() == parent:
        with contextlib.suppress(Exception):  # no libc: the watcher thread below suffices
            import ctypes

            pr_set_pdeathsig = 1
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if not _alive(parent):  # died before the line above took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="watch-parent").start()


def start_method() -> str:
    """How to start workers, chosen explicitly.

    Explicit, so that a library forcing "spawn" process-wide (mesa.batchrunner) does not
    decide for us. fork() is fastest but unsafe once the process runs other threads;
    then forkserver, else spawn.

    Only Python threads are counted. numpy's OpenBLAS keeps a thread pool of its own in
    every process that imports numpy, which is why Python 3.12+ emits a (hidden by default)
    DeprecationWarning at each fork here; OpenBLAS stops that pool around fork()
    (pthread_atfork), so forking stays safe, and counting its threads would cost every
    pool the fork server's start-up of about a second.
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
        self.pool = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=context, initializer=_worker_init, initargs=(os.getpid(),)
        )

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

    def __exit__(self, kind: object, *exc: object) -> None:
        if kind is None:
            self.pool.shutdown(wait=True)
            return
        # stopped by a signal or an error: the workers' running chunks are not waited for
        processes = list((getattr(self.pool, "_processes", None) or {}).values())
        manager = getattr(self.pool, "_executor_manager_thread", None)  # shutdown() forgets it
        for proc in processes:
            with contextlib.suppress(Exception):
                proc.kill()
        self.close()
        for proc in processes:
            with contextlib.suppress(Exception):
                proc.join(5)
        # The pool's manager thread notices the killed workers, closes its wake-up pipe and ends. Wait
        # for it (bounded): at exit the interpreter wakes every such pipe, and on Python 3.11 a pipe
        # closed meanwhile makes that print "OSError: Bad file descriptor" after our clean message.
        if manager is not None:
            manager.join(MANAGER_JOIN_TIMEOUT)
            if manager.is_alive():
                STUCK.append(manager)


class DaskExecutor(Executor):
    """Tasks on a Dask cluster: an existing scheduler, or a LocalCluster on loopback."""

    name = "dask"

    def __init__(self, scheduler: str | None = None, local_workers: int | None = None):
        """Connect to ``scheduler`` (``tcp://HOST:PORT``) or start ``local_workers`` on 127.0.0.1."""
        from dask.distributed import Client, LocalCluster

        self.cluster = None
        if scheduler:
            check_scheduler(scheduler)
            try:
                self.client = Client(scheduler, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError) as exc:
                why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise InputError(
                    [
                        Problem(
                            "--scheduler",
                            0,
                            "",
                            f"cannot reach the Dask scheduler at {scheduler} within {CONNECT_TIMEOUT} s ({why})",
                        )
                    ]
                ) from None
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


def check_scheduler(address: str) -> None:
    """``address`` must be ``tcp://HOST:PORT`` or ``tls://HOST:PORT`` (checked before anything starts)."""
    try:
        parts = urlsplit(address)
        port = parts.port
    except ValueError:
        port, parts = None, None
    if parts is None or parts.scheme not in ("tcp", "tls") or not parts.hostname or port is None or parts.path:
        raise InputError(
            [Problem("--scheduler", 0, "", f"{address!r} is not a scheduler address; write tcp://HOST:PORT")]
        )


def make_executor(workers: int | None = None, scheduler: str | None = None, dask_local: int | None = None) -> Executor:
    """The executor the command line asks for."""
    if scheduler or dask_local:
        try:
            return DaskExecutor(scheduler, dask_local)
        except ImportError:
            raise InputError(
                [Problem("--scheduler", 0, "", "Dask is not installed: pip install 'simrun[cluster]'")]
            ) from None
    if workers == 1:
        return Executor()
    return LocalExecutor(workers)
