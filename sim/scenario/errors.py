"""Input problems reported as ``FILE:LINE: key.path: message``."""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    r"""``text`` with its control characters written as escapes (``\x1b``, ``\x0a``).

    A message then stays one line and cannot drive the terminal, whatever file name or value it quotes.
    """
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}"


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
        file, message = printable(self.file), printable(self.message)
        where = f"{file}:{self.line}" if self.line else file
        if not self.line and not self.path:  # a file-level problem (missing, a directory, too large)
            return f"{where}: {message}"
        key = printable(self.path) or "(file)"
        return f"{where}: {key}: {message}"


class InputError(Exception):
    """Raised when an input file cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def dotted(loc: tuple) -> str:
    """Join a location tuple ``("actors", 2, "position")`` as ``actors.2.position``."""
    return ".".join(str(part) for part in loc)
