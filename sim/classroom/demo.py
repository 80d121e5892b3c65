"""The model behind the browser demo: the negotiation model with keyword parameters.

The demo page builds models from keyword arguments; this class turns the controls
(tension, protocol, chair, decision rule, business openness, seed) into a validated
scenario and runs replication 0 of it, the same as ``simrun`` would.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from sim.experiments.runner import replication_seed
from sim.experiments.sweep_spec import apply_point
from sim.model import NegotiationModel
from sim.scenario import Scenario, load_scenario
from sim.scenario.distributions import expected, realize

ENV = "SIMRUN_SCENARIO"
DEFAULT = str(Path(__file__).resolve().parents[2] / "scenarios" / "bletchley.yaml")


def scenario_file() -> str:
    """The scenario the demo serves (``simrun demo FILE`` sets it in the environment)."""
    return os.environ.get(ENV, DEFAULT)


@lru_cache(maxsize=8)
def base_scenario(path: str) -> Scenario:
    """Load once per server process."""
    return load_scenario(path)


def required_pair(scenario: Scenario) -> list[str]:
    """Signatories for the ``required`` rule: the scenario's own, else the most capable government of each big bloc."""
    rule = scenario.decision_rule
    if getattr(rule, "signatories", None):
        return list(rule.signatories)
    best: dict[str, tuple[float, str]] = {}
    for g in scenario.governments:
        cap = float(expected(g.capability))
        if g.bloc not in best or cap > best[g.bloc][0]:
            best[g.bloc] = (cap, g.id)
    return [gid for _, gid in sorted(best.values(), reverse=True)[:2]]


class DemoModel(NegotiationModel):
    """One replication of the demo's scenario with the controls applied."""

    def __init__(
        self,
        scenario_file: str = DEFAULT,
        tension: float | None = None,
        protocol: str | None = None,
        chair: str | None = None,
        decision_rule: str | None = None,
        threshold: float = 0.65,
        openness: float | None = None,
        seed: int | str | None = None,
    ):
        """Controls left as None keep the scenario's value (or its distribution, drawn with the seed).

        With every control None this is ``simrun play``'s world for the same seed.
        """
        base = base_scenario(scenario_file)
        point: dict = {}
        if tension is not None:
            point["tension"] = float(tension)
        if protocol:
            point["protocol"] = protocol
        if chair:
            point["chair"] = chair
        if openness is not None:
            point["business.openness"] = float(openness)
        if decision_rule == "qualified_majority":
            point["decision_rule"] = {"rule": "qualified_majority", "threshold": float(threshold)}
        elif decision_rule == "required":
            point["decision_rule"] = {"rule": "required", "signatories": required_pair(base)}
        elif decision_rule == "consensus":
            point["decision_rule"] = {"rule": "consensus"}
        scenario = apply_point(base, point) if point else base
        try:
            master = int(seed) if seed not in (None, "") else base.seed
        except ValueError:
            master = base.seed
        rng = np.random.default_rng(replication_seed(master, 0))
        super().__init__(realize(scenario, rng), rng=rng)
        self.scenario_file = scenario_file
        self.master_seed = master
        self.source = scenario  # the settings before realisation (what "run 100 times" replays)
        self.live_events: list[tuple[int, str, float, float]] = []  # (rounds played, label, Δtension, Δrestriction)

    def apply_live_event(self, label: str, tension_change: float = 0.0, restriction_change: float = 0.0) -> None:
        """The teacher's event, also kept so that "run 100 times" replays it at the same round."""
        super().apply_live_event(label, tension_change, restriction_change)
        self.live_events.append((self.round, label, tension_change, restriction_change))


OFFLINE_ENV = {
    # Solara's usage analytics (a machine fingerprint sent to an analytics service): off.
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    # A fixed id, so that Solara does not write a persistent one under its home folder.
    "SOLARA_TELEMETRY_SERVER_USER_ID": "simrun-offline",
    # The server serves the page's front-end files from solara-assets' local copy; a file
    # missing there would be fetched from the CDN, so the CDN is pointed at a closed
    # loopback port (the discard port): a missing file fails instead of going online.
    "SOLARA_ASSETS_PROXY": "True",
    "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/",
}
"""Environment for the Solara server: nothing leaves the machine (see docs/classroom.md)."""


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to send SIGTERM to this process when its parent dies (even by SIGKILL)."""
    import contextlib
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):  # not Linux: the signal handlers still stop it
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG


def serve(app: str, host: str, port: int, env: dict[str, str]) -> int:
    """Run ``solara run APP`` on ``host:port`` in a child process group until it ends or we are signalled.

    SIGTERM, SIGHUP and SIGINT stop the whole child group (then SIGKILL after 5 s), so the
    port is free when this returns. Solara's version check, telemetry and CDN proxy are off
    and its home folder is a temporary one, removed at the end: the server contacts
    nothing outside the machine and leaves nothing behind.
    """
    import shutil
    import sys
    import tempfile

    home = tempfile.mkdtemp(prefix="simrun-solara-")
    command = [
        sys.executable,
        "-c",
        "from solara.__main__ import main; main()",
        "run",
        app,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",
        "--log-level",
        "warning",
    ]
    try:
        return supervise(command, {**os.environ, **env, **OFFLINE_ENV, "SOLARA_HOME": home, "MPLBACKEND": "Agg"})
    finally:
        shutil.rmtree(home, ignore_errors=True)


def supervise(command: list[str], env: dict[str, str]) -> int:
    """Run ``command`` in its own process group; on SIGTERM, SIGHUP or SIGINT stop the group and return.

    Returns the child's exit status, or 128 + the signal number when a signal stopped it.
    The child also gets SIGTERM if this process dies without cleaning up (SIGKILL).
    """
    import signal
    import subprocess

    child = subprocess.Popen(command, env=env, start_new_session=True, preexec_fn=_die_with_parent)  # noqa: PLW1509

    def stop(signum: int, _frame: object) -> None:
        raise _StopSignal(signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
    try:
        return child.wait()
    except _StopSignal as exc:
        return 128 + exc.signum
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        _stop_group(child)


class _StopSignal(Exception):  # noqa: N818 - a signal, not an error
    """Raised by the signal handler to leave ``child.wait()``."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _stop_group(child: object) -> None:
    """SIGTERM the child's process group, then SIGKILL whatever is left after 5 s."""
    import signal
    import subprocess

    if child.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            return
        try:
            child.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
