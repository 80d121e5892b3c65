"""Resume a class game from its record (:mod:`sim.classroom.record`): replay it on the same scenario and seed.

Apart from :mod:`sim.classroom.record` because it builds a :class:`~sim.classroom.classgame.ClassGame`,
which itself writes the record: the two modules would otherwise import each other.
"""

from __future__ import annotations

from pathlib import Path

from sim.classroom.classgame import ClassGame
from sim.classroom.record import ROOM, _refuse, check_scenario, read_record, read_room
from sim.scenario import Scenario


def resume_game(
    scenario: Scenario, path: str | Path, seed: int | None = None, **settings: object
) -> tuple[ClassGame, Path, str]:
    """The game the record at ``path`` holds, replayed on ``scenario``: (game, its folder, what the teacher is told).

    ``seed``, if given, must be the record's; ``settings`` are
    :class:`~sim.classroom.classgame.ClassGame`'s (round timer, address …); the number of
    model runs is the record's. The game goes on writing its record where it was.
    """
    found, data = read_record(path)
    check_scenario(found, data, scenario)
    if seed is not None and seed != data["seed"]:
        raise _refuse(found, "seed", f"the game was played with seed {data['seed']}, not {seed}: leave --seed out")
    game = ClassGame(scenario, data["seed"], runs=data["runs"], **settings)  # type: ignore[arg-type]
    game.game_id = data["game"]
    room = read_room(found.parent, data["game"])
    if room is not None:
        game.restore_room(room)
    game.replay(data, str(found))
    game.folder = found.parent
    game.save()
    where = {"lobby": "before round 1", "closed": "", "over": "", "ended": "after its end"}.get(game.phase, "")
    where = where or f"after round {game.model.round} of {scenario.rounds}"
    told = (
        f"Resumed the class game of {scenario.name} from {found} {where} (seed {game.seed})"
        + (f", with {len(game.events)} teacher's event(s)" if game.events else "")
        + ". "
        + (
            "Join code, teacher's token and seats restored: the teacher's page and the students' devices carry on."
            if room is not None
            else f"No {ROOM} of this game beside it: new join code and teacher's token; teams join their seats again."
        )
        + (" A round that was open when the server stopped is lost: open it again." if game.phase != "ended" else "")
    )
    return game, found.parent, told
