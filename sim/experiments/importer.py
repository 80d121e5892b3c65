"""Scenario files from the field's actor tables: KTAB, Bueno de Mesquita (BDM) and DEU III.

All three say, per actor and issue, a capability, a position and a salience, on 0–100
scales; a scenario holds positions on [0, 1] (position / 100), saliences as given (any
scale) and capabilities as relative weights. What the table says of its origin becomes
the actors' ``sources`` (kind ``fact``, the numbers quoted), so ``simrun validate
--sources`` can trace every number back to the table.

* ``ktab``: the CSV of KTAB's spatial model (SMP): a first line ``name,description,
  actors,dimensions``, a header ``Actor,Description,Power,Pstn1,Sal1,Pstn2,Sal2,…``,
  then one actor per line.
* ``bdm``: the table form of Bueno de Mesquita's expected utility model, long: a header
  with ``actor``, ``capability``, ``position``, ``salience`` and optionally ``issue``
  (one issue when absent), ``name``, ``bloc`` and ``source``, one actor and issue per line.
* ``deu``: one issue of a DEU III TSV (:func:`sim.experiments.backtest.load_deu`).

Everything else (blocs, the decision rule, the depth ladder, the model's coefficients)
takes the scenario language's defaults: edit the file written.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from sim.experiments.backtest import load_deu
from sim.scenario.errors import InputError, Problem
from sim.scenario.reading import read_text

FORMATS = ("ktab", "bdm", "deu")
MAX_BYTES = 20_000_000
DEFAULT_BLOC = "all"
"""The bloc of actors a table gives none (KTAB, DEU): one bloc, so no cross-bloc costs."""


def slug(text: str, fallback: str) -> str:
    """A lower-case identifier (``[a-z][a-z0-9_]*``) from a name: ``SActor-00`` → ``sactor_00``."""
    ident = re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")
    if not ident:
        return fallback
    return ident if ident[0].isalpha() else f"{fallback}_{ident}"


def _rows(path: Path, delimiter: str = ",") -> list[tuple[int, list[str]]]:
    """The non-empty rows of a CSV file with their 1-based line numbers, cells stripped, trailing empty ones dropped."""
    text = read_text(path, MAX_BYTES, "table")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out = []
    try:
        for row in reader:
            cells = [c.strip() for c in row]
            while cells and cells[-1] == "":
                cells.pop()
            if cells:
                out.append((reader.line_num, cells))
    except csv.Error as exc:
        raise InputError([Problem(str(path), reader.line_num, "", f"not a CSV file ({exc})")]) from None
    return out


def _number(path: Path, line: int, key: str, text: str, low: float, high: float) -> float:
    """A cell read as a number within [low, high], else an InputError at its line."""
    try:
        value = float(text)
    except ValueError:
        raise InputError([Problem(str(path), line, key, f"not a number: {text!r}")]) from None
    if not low <= value <= high:
        raise InputError([Problem(str(path), line, key, f"{value:g} is outside [{low:g}, {high:g}]")])
    return value


def _unique(ids: list[str], base: str) -> str:
    """``base``, or ``base_2``, ``base_3``… if taken."""
    found, k = base, 2
    while found in ids:
        found, k = f"{base}_{k}", k + 1
    return found


def read_ktab(path: Path) -> dict:
    """A scenario (as a file's contents) from a KTAB SMP CSV."""
    rows = _rows(path)
    if len(rows) < 3:
        raise InputError([Problem(str(path), 1, "", "expected a title line, a header and one line per actor")])
    (_, title), (header_line, header) = rows[0], rows[1]
    name, description = (title + ["", ""])[:2]
    dims = (len(header) - 3) // 2
    if len(header) < 5 or [h.lower() for h in header[:3]] != ["actor", "description", "power"]:
        raise InputError(
            [Problem(str(path), header_line, "header", "expected Actor,Description,Power,Pstn1,Sal1,… (KTAB SMP)")]
        )
    issues = [f"dimension_{k + 1}" for k in range(dims)]
    by = f"{path.name}: KTAB table {name!r}" + (f" ({description})" if description else "")
    actors, ids = [], []
    for line, cells in rows[2:]:
        if len(cells) < 3 + 2 * dims:
            raise InputError([Problem(str(path), line, "", f"expected {3 + 2 * dims} cells, got {len(cells)}")])
        ident = _unique(ids, slug(cells[0], "actor"))
        ids.append(ident)
        power = _number(path, line, "Power", cells[2], 0, 1000)
        pos = {i: _number(path, line, f"Pstn{k + 1}", cells[3 + 2 * k], 0, 100) for k, i in enumerate(issues)}
        sal = {i: _number(path, line, f"Sal{k + 1}", cells[4 + 2 * k], 0, 100) for k, i in enumerate(issues)}
        actors.append(_actor(ident, cells[0], DEFAULT_BLOC, power, pos, sal, by))
    return _scenario(slug(name, "ktab"), name, description, issues, actors)


def read_bdm(path: Path) -> dict:
    """A scenario from the long BDM table: actor, capability, position, salience (and issue, name, bloc, source)."""
    rows = _rows(path)
    if len(rows) < 2:
        raise InputError([Problem(str(path), 1, "", "expected a header and one line per actor (and issue)")])
    header_line, header = rows[0]
    col = {h.lower(): i for i, h in enumerate(header)}
    missing = [c for c in ("actor", "capability", "position", "salience") if c not in col]
    if missing:
        raise InputError([Problem(str(path), header_line, "header", f"missing columns {missing}")])
    by_actor: dict[str, dict] = {}
    issues: list[str] = []
    for line, cells in rows[1:]:
        cells = cells + [""] * (len(header) - len(cells))

        def cell(name: str, default: str = "", cells: list[str] = cells) -> str:
            return cells[col[name]] if name in col and cells[col[name]] else default

        issue = slug(cell("issue", "issue"), "issue")
        if issue not in issues:
            issues.append(issue)
        ident = slug(cell("actor"), "actor")
        entry = by_actor.setdefault(
            ident,
            {"name": cell("name", cell("actor")), "bloc": slug(cell("bloc", DEFAULT_BLOC), "bloc"), "pos": {},
             "sal": {}, "capability": None, "sources": []},
        )  # fmt: skip
        if issue in entry["pos"]:
            raise InputError([Problem(str(path), line, "actor", f"{ident!r} is given twice on issue {issue!r}")])
        capability = _number(path, line, "capability", cell("capability"), 0, 1000)
        entry["capability"] = capability if entry["capability"] is None else entry["capability"]
        entry["pos"][issue] = _number(path, line, "position", cell("position"), 0, 100)
        entry["sal"][issue] = _number(path, line, "salience", cell("salience"), 0, 100)
        source = cell("source", f"{path.name}, line {line}")
        entry["sources"].append(
            {
                "quote": f"{issue}: capability {capability:g}, position {entry['pos'][issue]:g}, "
                f"salience {entry['sal'][issue]:g}",
                "by": source,
                "kind": "fact",
                "supports": [f"position.{issue}", f"salience.{issue}", "capability"],
            }
        )
    actors = []
    for ident, e in by_actor.items():
        absent = [i for i in issues if i not in e["pos"]]
        if absent:  # an actor without a position on an issue: indifferent (salience 0), at the middle
            e["pos"].update(dict.fromkeys(absent, 50.0))
            e["sal"].update(dict.fromkeys(absent, 0.0))
        actor = _actor(ident, e["name"], e["bloc"], e["capability"], e["pos"], e["sal"], "")
        actor["sources"] = e["sources"]
        actors.append(actor)
    stem = slug(path.stem, "bdm")
    return _scenario(stem, path.stem, f"Imported from the BDM table {path.name}.", issues, actors)


def read_deu(path: Path, issue: str | None) -> dict:
    """A scenario from one issue of a DEU III TSV (``issue``: its ``isnr``; default the first with an outcome)."""
    found = load_deu(path)
    if not found:
        raise InputError([Problem(str(path), 0, "", "no issue with positions and an outcome")])
    chosen = found[0] if issue is None else next((i for i in found if i.issue == issue), None)
    if chosen is None:
        known = ", ".join(i.issue for i in found[:5])
        raise InputError([Problem("--issue", 0, "", f"no issue {issue!r} in {path} (e.g. {known}, …)")])
    by = f"DEU III (Arregui & Perarnaud 2021, CC BY 4.0), {path.name}, issue {chosen.issue}"
    actors = []
    for p in chosen.positions:
        actors.append(
            _actor(
                slug(p.actor, "actor"), p.actor.upper(), DEFAULT_BLOC, max(p.capability, 0.001),
                {"issue": p.position}, {"issue": p.salience}, by,
            )
        )  # fmt: skip
    description = (
        f"DEU III issue {chosen.issue} (proposal {chosen.proposal}, {chosen.rule}); observed outcome "
        f"{chosen.outcome:g} on 0–100"
    )
    scenario = _scenario(slug(f"deu_{chosen.issue}", "deu"), f"DEU III {chosen.issue}", description, ["issue"], actors)
    if chosen.reference is not None:
        scenario["issues"][0]["status_quo"] = round(chosen.reference / 100, 6)
    return scenario


def _actor(ident: str, name: str, bloc: str, capability: float, pos: dict, sal: dict, by: str) -> dict:
    """One government of the scenario; ``by`` non-empty: a source quoting its numbers."""
    actor = {
        "id": ident,
        "name": name,
        "kind": "government",
        "bloc": bloc,
        "capability": round(capability, 6),
        "position": {i: round(v / 100, 6) for i, v in pos.items()},
        "salience": {i: round(v, 6) for i, v in sal.items()},
    }
    if by:
        numbers = ", ".join(f"{i} position {pos[i]:g} salience {sal[i]:g}" for i in pos)
        actor["sources"] = [
            {
                "quote": f"capability {capability:g}; {numbers}",
                "by": by,
                "kind": "fact",
                "supports": ["capability", *(f"position.{i}" for i in pos), *(f"salience.{i}" for i in sal)],
            }
        ]
    return actor


def _scenario(name: str, title: str, description: str, issues: list[str], actors: list[dict]) -> dict:
    """The scenario's contents: the issues on 0–100 and the actors; everything else the language's defaults."""
    return {
        "name": name,
        "title": title,
        "description": description,
        "issues": [{"id": i, "low": "0 on the table's scale", "high": "100 on the table's scale"} for i in issues],
        "tension": 0.0,  # the tables have no blocs or rivalry: set it (and blocs) to model them
        "actors": actors,
    }


def import_table(fmt: str, path: str | Path, issue: str | None = None) -> dict:
    """The scenario (a file's contents, validated) that the table at ``path`` describes; InputError if it cannot be."""
    from sim.scenario.load import validate_document
    from sim.scenario.yamlio import Document

    path = Path(path)
    if fmt not in FORMATS:
        raise InputError([Problem("FORMAT", 0, "", f"unknown table format {fmt!r}; known: {', '.join(FORMATS)}")])
    if issue is not None and fmt != "deu":
        raise InputError([Problem("--issue", 0, "", "only for deu (an issue of the DEU III file)")])
    data = read_ktab(path) if fmt == "ktab" else read_bdm(path) if fmt == "bdm" else read_deu(path, issue)
    if len(data["actors"]) < 2:
        raise InputError([Problem(str(path), 0, "", "a negotiation needs at least two actors")])
    validate_document(Document(str(path), data, {}))  # the scenario a file would hold: every problem named
    return data


def write_scenario(data: dict, out: Path) -> None:
    """Write the scenario as YAML (a comment line on its origin first); refuse to overwrite a file."""
    import yaml

    if out.exists():
        raise InputError([Problem("--out", 0, "", f"{out} exists; choose another file")])
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)
    out.write_text(f"# written by simrun import from an actor table; edit blocs, rule and ladder as needed\n{text}")
