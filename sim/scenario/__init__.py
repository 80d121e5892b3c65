"""The scenario language: schema, YAML with line marks, distributions, checks, errors.

The lowest layer of simrun: it imports nothing else of the package.
"""

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
