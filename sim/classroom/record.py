"""The record of a class game: a file the teacher hands out, reloads into a report, and resumes a game from.

The record (:data:`RECORD`, JSON, in the class's results folder) holds the scenario's
SHA-256 and the seed, and each round's moves: the teacher's events thrown in before it,
every seat's vote ("agent" where nobody sat), the teams at each seat, the counter-proposals
tabled, the model's log of the round (texts tabled, each government's answer, what the
chair made of a counter-proposal), the tension after it and the plenary's lines; then the
outcome and, once the game has ended, the debrief. It holds no token and no join code, so
it can be handed out. It is written atomically (a temporary file, then a rename) after
every round, event and move of the teacher's, and when a team joins or leaves.

The room (:data:`ROOM`, beside it, readable by its owner only) holds what a restarted
server needs to let everyone carry on: the join code, the teacher's token and each
member's token and team. A game resumed with it keeps its join code and tokens, so the
teacher's page and the students' devices carry on; without it (it was not copied, or
belongs to another game), the join code and the teacher's token are new and the teams
join again.

A game is resumed by replaying its moves on the same scenario and seed
(:meth:`~sim.classroom.classgame.ClassGame.replay`): the model's moves are the same as in
the uninterrupted game, and a round that does not replay to the log the record holds is
refused. A round still open when the server stopped is lost: its votes were not yet played.
"""

from __future__ import annotations

import json
import math
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.scenario.errors import InputError, Problem
from sim.scenario.load import scenario_hash
from sim.scenario.reading import read_json

if TYPE_CHECKING:
    from sim.scenario import Scenario

RECORD = "class-game.json"
ROOM = "room.json"
KIND = "simrun class game"
VERSION = 1
LIMIT = 50_000_000  # bytes: a 12-round game's record is some 100 kB


def plain(value: object) -> object:
    """``value`` as strict JSON: tuples as lists, numpy numbers as Python's, NaN as ``None``, infinities as text."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def write_atomic(path: Path, data: object, private: bool = False) -> None:
    """Write ``data`` as JSON to ``path`` through a temporary file and a rename (``private``: owner only)."""
    text = json.dumps(plain(data), indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(3)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def record_of(game: Any) -> dict:
    """The game's record (see the module's docstring): no token, no join code."""
    m, s = game.model, game.scenario
    return {
        "kind": KIND,
        "version": VERSION,
        "game": game.game_id,
        "scenario": s.name,
        "title": s.title or s.name,
        "scenario_sha256": game.scenario_sha256,
        "seed": game.seed,
        "rounds": s.rounds,
        "played": m.round,
        "phase": game.phase,
        "runs": game.runs,
        "round_seconds": game.round_seconds,
        "seats": {a: {"name": x.name, "kind": x.kind} for a, x in game.seats.items()},
        "levels": {lv.name: lv.label or lv.name.replace("_", " ") for lv in m.ladder},
        "events": [
            {"after_round": at, "label": label, "tension_change": t, "restriction_change": r}
            for at, label, t, r in game.events
        ],
        "moves": game.moves,
        "tension": m.tension,
        "plenary": game.plenary,
        "outcome": m.outcome(),
        "debrief": game.debrief,
    }


def room_of(game: Any) -> dict:
    """What a restarted server needs to let everyone carry on: join code, tokens, members, the room's settings."""
    return {
        "kind": "simrun class room",
        "game": game.game_id,
        "join_code": game.join_code,
        "teacher_token": game.teacher_token,
        "locked": game.locked,
        "delegation": game.delegation,
        "members": {
            a: [
                {"token": x.token, "team": x.team, "id": x.id, "client": x.client, "vote": x.vote, "order": x.order}
                for x in seat.members
            ]
            for a, seat in game.seats.items()
        },
    }


def save(game: Any, folder: Path) -> None:
    """Write the game's record and room into ``folder``, atomically."""
    write_atomic(folder / RECORD, record_of(game))
    write_atomic(folder / ROOM, room_of(game), private=True)


# -- reading a record -------------------------------------------------------------------------
def record_path(path: str | Path) -> Path | None:
    """The record ``path`` names (the file, or a folder holding :data:`RECORD`); ``None`` if it names none."""
    path = Path(path)
    if path.is_dir():
        return path / RECORD if (path / RECORD).is_file() else None
    if path.is_file() and path.suffix == ".json":
        return path
    return None


def _refuse(path: Path, key: str, message: str) -> InputError:
    return InputError([Problem(str(path), 0, key, message)])


def _need(path: Path, data: dict, key: str, kind: type | tuple, what: str) -> object:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, kind):
        raise _refuse(path, key, f"missing or not {what}")
    return value


def read_record(path: str | Path) -> tuple[Path, dict]:
    """The record at ``path`` (a file or a folder holding one), checked in form; :class:`InputError` if not one."""
    given = Path(path)
    found = record_path(given)
    if found is None:
        raise _refuse(given, "", f"not a class game's record (a {RECORD} file or a folder holding one)")
    data = read_json(found, limit=LIMIT, what="class game record")
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise _refuse(found, "kind", f"not a class game's record (expected kind {KIND!r})")
    if data.get("version") != VERSION:
        raise _refuse(found, "version", f"a record of version {data.get('version')!r}; this simrun reads {VERSION}")
    _need(found, data, "scenario_sha256", str, "a SHA-256")
    _need(found, data, "seed", int, "a whole number")
    _need(found, data, "game", str, "the game's id")
    for key in ("runs", "round_seconds", "played"):
        _need(found, data, key, int, "a whole number")
    moves = _need(found, data, "moves", list, "a list of rounds")
    events = _need(found, data, "events", list, "a list of the teacher's events")
    _need(found, data, "plenary", list, "a list of lines")
    for i, move in enumerate(moves):
        if not isinstance(move, dict) or move.get("round") != i + 1:
            raise _refuse(found, f"moves.{i}", f"not round {i + 1}'s moves")
        for key in ("votes", "counters", "teams"):
            if not isinstance(move.get(key), dict):
                raise _refuse(found, f"moves.{i}.{key}", "missing or not an object")
        if not isinstance(move.get("log"), list):
            raise _refuse(found, f"moves.{i}.log", "missing or not a list")
    last = 0
    for i, ev in enumerate(events):
        numbers = [ev.get(k) for k in ("tension_change", "restriction_change")] if isinstance(ev, dict) else []
        if (
            not isinstance(ev, dict)
            or not isinstance(ev.get("after_round"), int)
            or not last <= ev["after_round"] <= len(moves)
            or not isinstance(ev.get("label"), str)
            or not all(isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) for x in numbers)
        ):
            raise _refuse(found, f"events.{i}", "not a teacher's event (after_round, label, tension and restriction)")
        last = ev["after_round"]
    if data.get("debrief") is not None and not isinstance(data["debrief"], dict):
        raise _refuse(found, "debrief", "not a debrief")
    if data.get("phase") == "ended" and not isinstance(data.get("debrief"), dict):
        raise _refuse(found, "debrief", "the game ended but its debrief is missing")
    return found, data


def check_scenario(found: Path, data: dict, scenario: Scenario) -> None:
    """Refuse a record of another scenario (or another version of it): the moves would not replay."""
    digest = scenario_hash(scenario)
    if data["scenario_sha256"] != digest:
        raise _refuse(
            found,
            "scenario_sha256",
            f"the record is of another scenario ({str(data.get('scenario', '?'))[:40]}, "
            f"{data['scenario_sha256'][:12]}…), not of {scenario.name} ({digest[:12]}…)",
        )


def read_room(folder: Path, game_id: str) -> dict | None:
    """The room beside a record, if it is there, readable and of the same game (else ``None``: reissue)."""
    path = folder / ROOM
    if not path.is_file():
        return None
    try:
        room = read_json(path, limit=LIMIT, what="class room")
    except InputError:
        return None
    ok = isinstance(room, dict) and room.get("game") == game_id
    ok = ok and isinstance(room.get("join_code"), str) and isinstance(room.get("teacher_token"), str)
    return room if ok and isinstance(room.get("members"), dict) else None
