"""simrun: an agent-based simulator of multilateral negotiation (Mesa).

The package turns a scenario file (actors, stances, tension, protocol) into
probabilities of agreement at government level and at business level.

The Python API (``docs/api.md``)::

    import sim

    s = sim.load("scenarios/bletchley.yaml")                 # validated Scenario; InputError if not
    s = sim.validate(s.model_copy(update={"tension": 0.5}))  # check a scenario changed in Python
    result = sim.run(s, replications=200, seed=7)            # as `simrun FILE -n 200 --seed 7`
    result.summary                                           # the run's summary.json, as a dict
    result.outcomes, result.signatories, result.rounds       # tidy pandas tables
    result.positions, result.blockers, result.events
    sim.sweep(s, vary=["tension=0:1:11"], replications=100)  # tidy DataFrame: point × outcome
    summary, cases = sim.backtest_history(replications=50)   # the history backtest (--no-fit)

- :func:`load` (path) -> :class:`Scenario`: a scenario file loaded and validated.
- :func:`validate` (Scenario or mapping) -> :class:`Scenario`: checked as a file is.
- :func:`run` (Scenario, mapping or path, ``replications``, ``seed``) -> :class:`RunResult`.
- :func:`sweep` (scenario, ``vary``, ``replications``, ``seed``) -> DataFrame: ``simrun sweep``'s summary, tidy.
- :func:`backtest_history` (``replications``, ``fit``) -> :class:`Backtest`: summary dict, per-case DataFrame.
- :class:`InputError`: raised for any bad input; ``.problems`` lists each one.
- ``__version__``: the installed version of simrun ("0+unknown" if not installed).

Names are imported on first use, so ``import sim`` loads neither pydantic, numpy nor
pandas; ``python -m sim`` is the ``simrun`` command.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_HOME = {
    "load": "sim.api",
    "validate": "sim.api",
    "run": "sim.api",
    "RunResult": "sim.api",
    "sweep": "sim.api",
    "backtest_history": "sim.api",
    "Backtest": "sim.api",
    "InputError": "sim.scenario.errors",
    "Scenario": "sim.scenario.schema",
}

if TYPE_CHECKING:
    from sim.api import Backtest, RunResult, backtest_history, load, run, sweep, validate
    from sim.scenario.errors import InputError
    from sim.scenario.schema import Scenario

    __version__: str


def _version() -> str:
    """The installed distribution's version (importlib.metadata), else "0+unknown"."""
    from importlib import metadata

    try:
        return metadata.version("simrun")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def __getattr__(name: str) -> Any:
    """Import a public name (or read the version) the first time it is asked for."""
    if name == "__version__":
        value = _version()
    elif name in _HOME:
        value = getattr(importlib.import_module(_HOME[name]), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME, "__version__"})


__all__ = ["Backtest", "InputError", "RunResult", "Scenario", "backtest_history", "load", "run", "sweep", "validate"]
