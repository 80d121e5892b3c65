"""The scenario language: schema, YAML with line marks, distributions, checks, errors.

The lowest layer of simrun: it imports nothing else of the package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Names are imported on first use (PEP 562), so ``from sim.scenario.errors import InputError``
# does not load pydantic and the schema: ``simrun --help`` stays fast.
_HOME = {
    "InputError": "errors",
    "Problem": "errors",
    **dict.fromkeys(
        ("json_schema", "load_document", "load_scenario", "scenario_from_text", "scenario_hash", "validate_document"),
        "load",
    ),
    **dict.fromkeys(
        (
            "PROTOCOLS",
            "Actor",
            "Business",
            "Coefficients",
            "Consensus",
            "Event",
            "Issue",
            "Level",
            "OpenSignature",
            "ProtocolOptions",
            "QualifiedMajority",
            "RequiredSignatories",
            "Scenario",
            "Source",
            "Strict",
        ),
        "schema",
    ),
}

if TYPE_CHECKING:
    from sim.scenario.errors import InputError, Problem
    from sim.scenario.load import (
        json_schema,
        load_document,
        load_scenario,
        scenario_from_text,
        scenario_hash,
        validate_document,
    )
    from sim.scenario.schema import (
        PROTOCOLS,
        Actor,
        Business,
        Coefficients,
        Consensus,
        Event,
        Issue,
        Level,
        OpenSignature,
        ProtocolOptions,
        QualifiedMajority,
        RequiredSignatories,
        Scenario,
        Source,
        Strict,
    )


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is asked for."""
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})


__all__ = [
    "Actor",
    "Business",
    "Coefficients",
    "Consensus",
    "Event",
    "InputError",
    "Issue",
    "Level",
    "OpenSignature",
    "PROTOCOLS",
    "Problem",
    "ProtocolOptions",
    "QualifiedMajority",
    "RequiredSignatories",
    "Scenario",
    "Source",
    "Strict",
    "json_schema",
    "load_document",
    "load_scenario",
    "scenario_from_text",
    "scenario_hash",
    "validate_document",
]
