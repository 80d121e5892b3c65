"""Sealed forecasts: the model's predicted distribution for a text not yet agreed, fixed before the event.

``simrun forecast CASE.yaml`` runs a case file written by the history conventions
(docs/cases.md: a date, who sits, the chair, the tension; stances from the base's dated
periods) and writes ``<case>-<seal>.json``: the predicted pattern and per-actor depth
distributions, the validated inputs, the code's hash, the time, and a *seal*, the SHA-256
of everything else in canonical JSON. Any change to the file breaks the seal, and the
file name carries the seal's first 16 hex digits, so an edited forecast cannot pass for
the original; publishing the seal (a commit, a post) when the forecast is made is what
makes it a pre-registration that nobody, its author included, can rewrite unnoticed.

Once the record holds the outcome, ``simrun backtest history`` (``--forecasts DIR``)
verifies each seal and scores the forecast against the record like any case; a forecast
sealed on or after the day of its event is scored but flagged as no forecast.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path

from sim.experiments.history_predictors import case_rows, model_prediction
from sim.experiments.history_record import ACTORS, LEVELS, Case
from sim.experiments.history_scores import Prediction, score_case
from sim.scenario import Scenario, load_scenario
from sim.scenario.errors import InputError, Problem

FORMAT = "simrun-sealed-forecast/1"
SEAL_DIGITS = 16
"""Hex digits of the seal in the file name."""


def canonical(data: dict) -> bytes:
    """The bytes the seal is computed over: sorted keys, no spaces, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def seal_of(data: dict) -> str:
    """SHA-256 of the canonical JSON of every field but ``seal``."""
    return hashlib.sha256(canonical({k: v for k, v in data.items() if k != "seal"})).hexdigest()


def future_case(scenario: Scenario, level: str) -> Case:
    """The record-like case a forecast is about: its id, date, level and the four at its table."""
    if scenario.date is None:
        raise InputError([Problem("CASE", 0, "date", "a forecast needs the case's date (date: YYYY-MM-DD)")])
    seated = [a.id for a in scenario.governments if a.id in ACTORS]
    if not seated:
        raise InputError([Problem("CASE", 0, "at_table", f"no actor of the record ({', '.join(ACTORS)}) is seated")])
    return Case(scenario.name, scenario.title or scenario.name, scenario.date.isoformat(), level, tuple(seated),
                (), (), "none", False, "high", 0)  # fmt: skip


def make_forecast(path: Path, level: str, replications: int, seed: int | None, now: dt.datetime) -> dict:
    """Run the case file and return the sealed forecast (not yet written)."""
    from importlib import metadata

    from sim.outputs.files import code_sha256
    from sim.scenario.load import scenario_hash

    if level not in LEVELS:
        raise InputError([Problem("--level", 0, "", f"must be one of {', '.join(LEVELS)}")])
    scenario = load_scenario(path)
    case = future_case(scenario, level)
    master = scenario.seed if seed is None else seed
    prediction = model_prediction(case, scenario, case_rows(scenario, replications, master))
    modal, p_modal = prediction.modal
    data = {
        "format": FORMAT,
        "case": case.id,
        "level": level,
        "date": case.date,
        "at_table": list(case.at_table),
        "sealed_at": now.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "replications": replications,
        "seed": master,
        "prediction": {"patterns": prediction.patterns, "depths": prediction.depths},
        "modal": {"pattern": modal, "probability": p_modal},
        "inputs": {
            "case_file": str(path),
            "case_file_sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest(),
            "scenario_sha256": scenario_hash(scenario),
            "scenario": scenario.model_dump(mode="json"),
        },
        "code_sha256": code_sha256(),
        "simrun_version": _version(metadata),
    }
    data["seal"] = seal_of(data)
    return data


def _version(metadata: object) -> str:
    try:
        return metadata.version("simrun")  # type: ignore[attr-defined]
    except metadata.PackageNotFoundError:  # type: ignore[attr-defined]
        return "0+unknown"


def write_sealed(folder: Path, data: dict) -> Path:
    """Write ``<case>-<seal>.json`` read-only, atomically; never overwrite."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{data['case']}-{data['seal'][:SEAL_DIGITS]}.json"
    if target.exists():
        raise InputError([Problem(str(target), 0, "", "exists: a sealed forecast is never overwritten")])
    fd, tmp = tempfile.mkstemp(prefix=f".{data['case']}.", suffix=".json", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o444)  # read-only: an accidental edit needs a deliberate chmod first
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def read_sealed(path: Path) -> dict:
    """A sealed forecast, its seal verified; an :class:`InputError` names the file if it was changed."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError([Problem(str(path), 0, "", f"not a sealed forecast ({exc})")]) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError([Problem(str(path), 0, "format", f"not a sealed forecast (format {FORMAT!r} expected)")])
    if data.get("seal") != seal_of(data):
        raise InputError([Problem(str(path), 0, "seal", "does not match the content: the forecast was changed "
                                  "after it was sealed")])  # fmt: skip
    if not path.name.endswith(f"-{str(data['seal'])[:SEAL_DIGITS]}.json"):
        raise InputError([Problem(str(path), 0, "seal", "the file name does not carry this seal: renamed or replaced")])
    return data


def score_forecasts(folder: Path, record: list[Case]) -> dict:
    """Every sealed forecast of ``folder``: scored where the record has its case, else pending."""
    by_id = {c.id: c for c in record}
    scored, pending = [], []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        data = read_sealed(path)
        case = by_id.get(data["case"])
        entry = {"case": data["case"], "file": path.name, "sealed_at": data["sealed_at"], "seal": data["seal"]}
        if case is None:
            pending.append(entry | {"date": data["date"]})
            continue
        pred = data["prediction"]
        prediction = Prediction(dict(pred["patterns"]), {a: list(map(float, d)) for a, d in pred["depths"].items()})
        score = score_case(case, prediction)
        before = data["sealed_at"][:10] < case.date
        entry |= {"level": case.level, "event_date": case.date, "sealed_before_event": before}
        entry |= {k: v for k, v in asdict(score).items() if k in ("observed", "modal", "p_modal", "p_observed", "rps",
                                                                     "hit", "differs")}  # fmt: skip
        scored.append(entry)
    return {"folder": str(folder), "scored": scored, "pending": pending}
