"""Long (tidy) tables of a run: one signatory, blocker or stated position per row.

``outcomes.csv`` packs a rung's signatories and blockers into cells (``eu;uk;us``,
``china:rivalry``) and ``rounds.csv`` holds positions as wide ``pos_<actor>_<issue>``
columns; their bytes stay as they are. The tables here say the same in long form, as
columns (name → list), for ``signatories.csv``, ``blockers.csv`` and ``positions.csv``
and the Parquet files beside them (:func:`write_parquet`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from sim.outputs.files import cell
from sim.scenario import Scenario


def items(packed: str) -> list[str]:
    """The items of a ``;``-packed cell of ``outcomes.csv`` (ids and reasons never hold ``;``)."""
    return [item for item in packed.split(";") if item]


def signatory_columns(scenario: Scenario, outcomes: Iterable[tuple[int, Mapping]]) -> dict[str, list]:
    """One row per replication × rung × government that signed the rung's text: replication, level, actor, bloc."""
    bloc = {a.id: a.bloc for a in scenario.actors}
    levels = [lv.name for lv in scenario.ladder]
    columns: dict[str, list] = {"replication": [], "level": [], "actor": [], "bloc": []}
    for index, outcome in outcomes:
        for name in levels:
            for actor in items(outcome[f"{name}_signatories"]):
                columns["replication"].append(index)
                columns["level"].append(name)
                columns["actor"].append(actor)
                columns["bloc"].append(bloc[actor])
    return columns


def blocker_columns(scenario: Scenario, outcomes: Iterable[tuple[int, Mapping]]) -> dict[str, list]:
    """One row per replication × rung × government that last declined it: replication, level, actor, reason."""
    levels = [lv.name for lv in scenario.ladder]
    columns: dict[str, list] = {"replication": [], "level": [], "actor": [], "reason": []}
    for index, outcome in outcomes:
        for name in levels:
            for item in items(outcome[f"{name}_blockers"]):
                actor, _, reason = item.partition(":")
                columns["replication"].append(index)
                columns["level"].append(name)
                columns["actor"].append(actor)
                columns["reason"].append(reason)
    return columns


def position_keys(scenario: Scenario) -> list[tuple[str, str, str]]:
    """``(actor, issue, column)`` of every ``pos_<actor>_<issue>`` column of ``rounds.csv``."""
    return [(g.id, issue, f"pos_{g.id}_{issue}") for g in scenario.governments for issue in scenario.issue_ids]


def position_columns(scenario: Scenario, rounds: Mapping[str, Sequence]) -> dict[str, list]:
    """One row per replication × round × government × issue: replication, round, actor, issue, position.

    ``rounds`` is the columns of ``rounds.csv`` (``replication``, ``round``, ``pos_<actor>_<issue>`` ...).
    """
    import numpy as np

    keys = [(actor, issue, key) for actor, issue, key in position_keys(scenario) if key in rounds]
    rows = len(rounds["round"])
    values = (
        np.column_stack([np.asarray(rounds[key], dtype=float) for *_, key in keys]) if keys else np.empty((rows, 0))
    )
    return {
        "replication": np.repeat(np.asarray(rounds["replication"]), len(keys)).tolist(),
        "round": np.repeat(np.asarray(rounds["round"]), len(keys)).tolist(),
        "actor": [actor for actor, _, _ in keys] * rows,
        "issue": [issue for _, issue, _ in keys] * rows,
        "position": values.ravel().tolist(),
    }


def write_columns(path: Path, columns: Mapping[str, Sequence]) -> None:
    """Write columns as CSV, each cell as :func:`sim.outputs.files.cell` writes it, a column at a time (fast)."""
    import csv

    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(list(columns))
        writer.writerows(zip(*(_cells(values) for values in columns.values()), strict=True))


def _cells(values: Sequence) -> list[str]:
    """A column's cells: floats with 6 significant digits (NaN empty), booleans as 0/1, the rest as text."""
    kinds = set(map(type, values))
    if kinds == {float}:
        return ["" if v != v else f"{v:.6g}" for v in values]
    if kinds <= {int, str}:
        return list(map(str, values))
    return [cell(v) for v in values]


def write_parquet(path: Path, columns: Mapping[str, Sequence]) -> None:
    """Write columns (name → values, all of one length) as a Parquet file (pyarrow infers each column's type)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({name: list(values) for name, values in columns.items()}), path)
