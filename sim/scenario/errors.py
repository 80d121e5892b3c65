"""Input problems reported as ``FILE:LINE: key.path: message``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file.

    ``line`` is 1-based (0 when no line applies, e.g. a missing file);
    ``path`` is the dotted key path inside the document ("" for the whole file).
    """

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        if not self.line and not self.path:  # a file-level problem (missing, a directory, too large)
            return f"{where}: {self.message}"
        key = self.path or "(file)"
        return f"{where}: {key}: {self.message}"


class InputError(Exception):
    """Raised when an input file cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def dotted(loc: tuple) -> str:
    """Join a location tuple ``("actors", 2, "position")`` as ``actors.2.position``."""
    return ".".join(str(part) for part in loc)
