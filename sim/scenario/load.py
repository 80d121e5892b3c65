"""Load scenarios from YAML: resolve ``base:``, validate, report every problem.

``load_scenario`` reports each problem as ``FILE:LINE: key.path: message``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import ValidationError

from sim.scenario.checks import clean_loc, cross_check, pydantic_message
from sim.scenario.errors import InputError, Problem, dotted
from sim.scenario.schema import Scenario
from sim.scenario.yamlio import Document, load_yaml, merge, parse_yaml


def validate_document(doc: Document) -> Scenario:
    """Validate a parsed document; raise :class:`InputError` listing every problem."""
    try:
        scenario = Scenario.model_validate(doc.data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = clean_loc(err["loc"])
            problems.append(Problem(doc.file_of(loc), doc.line_of(loc), dotted(loc), pydantic_message(err)))
        raise InputError(problems) from None
    found = cross_check(scenario)
    if found:
        raise InputError([Problem(doc.file_of(loc), doc.line_of(loc), dotted(loc), msg) for loc, msg in found])
    return seat(at_date(scenario))


def at_date(scenario: Scenario) -> Scenario:
    """The actors' stances at the scenario's ``date``: every period whose event came before it, oldest first.

    Periods of the scenario's ``subject`` apply after the general ones (they are more specific).

    Runs on a checked scenario; a scenario without a date keeps the traits it writes.
    """
    if scenario.date is None or not scenario.stances:
        return scenario
    data = scenario.model_dump(mode="json")
    actors = {a["id"]: a for a in data["actors"]}
    # general periods first, then those of the text's subject: a stance on the subject itself
    # (a military-AI declaration) outranks a general one whatever their dates
    order = sorted(
        in_force(scenario), key=lambda i: (scenario.stances[i].subject is not None, scenario.stances[i].since)
    )
    for i in order:
        period = data["stances"][i]  # its values as written (a distribution stays one)
        actor = actors[period["actor"]]
        for key, value in period["set"].items():
            head, _, issue = key.partition(".")
            if issue:
                actor[head] = {**actor[head], issue: value}
            else:
                actor[head] = value
    return Scenario.model_validate(data)


def in_force(scenario: Scenario) -> list[int]:
    """Indices of the stance periods in force at the scenario's date and subject: events of an earlier day."""
    if scenario.date is None:
        return []
    return [
        i
        for i, p in enumerate(scenario.stances)
        if p.since < scenario.date and (p.subject is None or p.subject == scenario.subject)
    ]


def seat(scenario: Scenario) -> Scenario:
    """Keep only the governments in ``at_table`` and the company groups whose home is there.

    Runs on a checked scenario. A chair not at the table becomes none; the stance periods of
    actors who are not seated go (those of the seated ones have been applied); an event keeps
    its tension and restriction changes but its forced table keeps only seated
    governments (none if fewer than two are left). Required signatories who are absent
    need no change: the rule asks only those present.
    """
    if scenario.at_table is None:
        return scenario
    seated = set(scenario.at_table)
    data = scenario.model_dump(mode="json")
    data["actors"] = [a for a in data["actors"] if (a["home"] if a["kind"] == "company" else a["id"]) in seated]
    kept = {a["id"] for a in data["actors"]}
    data["stances"] = [p for p in data["stances"] if p["actor"] in kept]  # applied already (at_date)
    if data["chair"] not in seated:
        data["chair"] = None
    for event in data["events"]:
        table = [g for g in event["table"] if g in seated]
        event["table"] = table if len(table) >= 2 else []
    return Scenario.model_validate(data)


BASE_SUFFIXES = (".yaml", ".yml")
MAX_BASES = 32
"""Files a chain of ``base:`` may have (a case file and its base need two)."""


def _is_scenario(doc: Document) -> bool:
    """Whether a parsed file is a scenario: a mapping whose every top-level key is a scenario key."""
    return isinstance(doc.data, dict) and set(doc.data) <= {*Scenario.model_fields, "base"}


def load_document(path: str | Path, _seen: tuple = ()) -> Document:
    """Read a scenario file, resolving ``base: other.yaml`` (relative to the file) first.

    A variant names its base and overrides keys: mappings merge key by key, lists
    and values are replaced (a distribution replaces a distribution of another
    family whole). Bases may chain; a cycle is an error.

    A base must be a ``.yaml``/``.yml`` file (also after following links). A problem
    in a base is reported with the base's lines only if the base is a scenario (a
    mapping of scenario keys); otherwise the variant's ``base`` line says the file is
    not a scenario, and nothing of the file's content is printed.
    """
    doc = load_yaml(path)
    base = doc.data.get("base")
    if base is None:
        return doc
    where = (doc.file, doc.line_of(("base",)), "base")
    if not isinstance(base, str) or not base.strip():
        raise InputError([Problem(*where, "must be a file name")])
    if len(_seen) >= MAX_BASES:  # before the recursion runs out: the message names the file that chains on
        raise InputError([Problem(*where, f"bases chain more than {MAX_BASES} files deep; write a shorter chain")])
    try:
        base_path = (Path(path).parent / base).resolve()
        here = Path(path).resolve()
    except (RuntimeError, OSError) as exc:  # a link loop (RuntimeError before Python 3.13, OSError since)
        why = "links in a loop" if "loop" in str(exc).lower() or isinstance(exc, RuntimeError) else exc.strerror
        raise InputError([Problem(*where, f"{base}: cannot be resolved ({why})")]) from None
    if Path(base).suffix.lower() not in BASE_SUFFIXES or base_path.suffix.lower() not in BASE_SUFFIXES:
        raise InputError([Problem(*where, f"{base}: a base must be a .yaml or .yml scenario file")])
    if base_path in _seen or base_path == here:
        raise InputError([Problem(*where, "scenarios extend each other in a cycle")])
    try:
        head = load_yaml(base_path)
    except InputError as exc:
        first = exc.problems[0]
        at = f" (line {first.line})" if first.line else ""
        # the key path of a problem may quote the file, which need not be a scenario: leave it out
        raise InputError([Problem(*where, f"{base}: {first.message}{at}")]) from None
    if not _is_scenario(head):
        raise InputError([Problem(*where, f"{base}: not a scenario file (its top-level keys are not scenario keys)")])
    parent = load_document(base_path, (*_seen, here))
    data = dict(doc.data)
    del data["base"]
    merged = merge(parent, Document(doc.file, data, doc.lines, doc.files))
    return merged


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file (resolving ``base``)."""
    return validate_document(load_document(path))


def scenario_from_text(text: str, file: str = "<string>") -> Scenario:
    """Load and validate scenario YAML given as text (tests, the browser app)."""
    return validate_document(parse_yaml(text, file))


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the validated scenario in canonical JSON (comments and layout ignored)."""
    data = scenario.model_dump(mode="json")
    for key in ("at_table", "date", "stances", "subject"):  # hashes of scenarios without these stay what they were
        if not data.get(key):
            data.pop(key, None)
    if data.get("venue") == {"kind": "summit", "fixes": {}, "others_adopt": False}:
        data.pop("venue")
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def json_schema() -> dict:
    """JSON Schema of the scenario language, for editors."""
    return Scenario.model_json_schema()
