"""Crash-safe, resumable leave-one-out fits: every finished (grid point, case) run is kept.

A fit of the whole record runs every case at every grid point (324 × 19 runs for the
documented fit, about 14 minutes on one core). The runs finished so far are appended,
one JSON line each and flushed to disk, to ``.<out>.partial/grid.jsonl`` beside the
result folder; ``plan.json`` there names the computation (the case files as loaded, the
grid, replications, seed and a hash of the model's code). Run the same command with the
same ``--out`` and only the missing grid runs are computed; the result is the same, byte for byte, as an uninterrupted
run (JSON keeps every float exactly). The folder is removed once the results are
published. A line cut short by a crash is ignored; a folder holding another
computation is an input error, never silently reused.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import IO

from sim.experiments.history_scores import Prediction
from sim.scenario.errors import InputError, Problem


def partial_folder(out: Path) -> Path:
    """Where the finished runs of a fit whose results go to ``out`` are kept."""
    return out.with_name(f".{out.name}.partial")


class Checkpoint:
    """The finished (point, case) runs of one fit, on disk."""

    def __init__(self, folder: Path, ident: dict):
        """Open ``folder`` for the computation ``ident``: create it, or resume it if it holds the same one.

        ``ident`` (:meth:`~sim.experiments.history.HistoryPlan.identity`) is JSON; its
        ``cases`` list names case ``i`` of every run.
        """
        self.folder = folder
        self.done: dict[tuple[int, int], Prediction] = {}
        marker = folder / "plan.json"
        canonical = json.loads(json.dumps(ident))
        if folder.exists() and not folder.is_dir():
            raise InputError([Problem(str(folder), 0, "--out", "is not a folder; remove it or use another --out")])
        if marker.exists():
            try:
                held = json.loads(marker.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                held = None
            if not isinstance(held, dict):
                why = "holds a damaged plan.json; remove the folder or use another --out"
                raise InputError([Problem(str(folder), 0, "--out", why)])
            if held != canonical:
                differs = ", ".join(k for k in canonical if held.get(k) != canonical[k]) or "its keys"
                why = f"holds the runs of a different fit ({differs} differ); remove it or use another --out"
                raise InputError([Problem(str(folder), 0, "--out", why)])
            self.done = self._read(folder / "grid.jsonl", canonical["cases"], len(canonical["points"]))
        else:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / ".plan.json.tmp"
            tmp.write_text(json.dumps(canonical), encoding="utf-8")
            os.replace(tmp, marker)
        self._file: IO[str] | None = None

    @staticmethod
    def _read(path: Path, cases: list[str], points: int) -> dict[tuple[int, int], Prediction]:
        done: dict[tuple[int, int], Prediction] = {}
        if not path.exists():
            return done
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
                key = (int(row["k"]), int(row["i"]))
                if not (0 <= key[0] < points and 0 <= key[1] < len(cases)) or cases[key[1]] != row["case"]:
                    continue
                done[key] = Prediction(dict(row["patterns"]), {a: list(v) for a, v in row["depths"].items()})
            except (ValueError, KeyError, IndexError, TypeError):  # a line cut short by a crash
                continue
        return done

    def record(self, k: int, i: int, case: str, prediction: Prediction) -> None:
        """Append one finished run and flush it to disk."""
        if self._file is None:
            path = self.folder / "grid.jsonl"
            self._file = path.open("a", encoding="utf-8")
            if path.stat().st_size and not path.read_bytes().endswith(b"\n"):
                self._file.write("\n")  # end a line a crash cut short, so the next one parses
        row = {"k": k, "i": i, "case": case, "patterns": prediction.patterns, "depths": prediction.depths}
        self._file.write(json.dumps(row) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        """Close the file (the runs stay on disk)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def remove(self) -> None:
        """Delete the folder, once the results it served are published."""
        self.close()
        shutil.rmtree(self.folder, ignore_errors=True)
