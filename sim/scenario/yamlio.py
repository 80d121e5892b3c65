"""Safe YAML loading that remembers the line of every key.

Only plain YAML is accepted: no ``!!python/...`` tags (SafeLoader refuses them),
no anchors or aliases (an alias bomb expands exponentially once validated), and
no duplicate keys (YAML keeps the last silently, which hides mistakes), no nesting
deeper than :data:`MAX_DEPTH` (the composer recurses), no control characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from sim.scenario.errors import InputError, Problem
from sim.scenario.reading import MAX_BYTES, read_text

MAX_DEPTH = 64
"""Deepest nesting of mappings and lists accepted; a real scenario needs about 6."""

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
"""C0 controls except tab, newline and CR, DEL, and what YAML cannot hold at all."""


@dataclass
class Document:
    """A parsed YAML document and the 1-based line of each key path.

    ``files`` names, for paths that came from another file (a variant's ``base``),
    the file they came from; every other path is in ``file``.
    """

    file: str
    data: object
    lines: dict[tuple, int]
    files: dict[tuple, str] = field(default_factory=dict)

    def _find(self, loc: tuple) -> tuple:
        loc = tuple(loc)
        while loc and loc not in self.lines:
            loc = loc[:-1]
        return loc

    def line_of(self, loc: tuple) -> int:
        """Line of ``loc`` or of its longest prefix present in the file."""
        return self.lines.get(self._find(loc), 1)

    def file_of(self, loc: tuple) -> str:
        """File that defines ``loc`` (or its longest defined prefix)."""
        return self.files.get(self._find(loc), self.file)


class _Checks:
    """Composer hooks: aliases are refused at composition time (before any expansion), and deep nesting."""

    depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:  # noqa: D102 - PyYAML hook
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed in scenario files", event.start_mark
            )
        if self.check_event(yaml.MappingStartEvent, yaml.SequenceStartEvent):
            if self.depth >= MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark
                )
            self.depth += 1
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1
        return super().compose_node(parent, index)


class _NoAliasLoader(_Checks, yaml.SafeLoader):
    """PyYAML's SafeLoader, all in Python, with the checks of :class:`_Checks`."""


_Loader: type = _NoAliasLoader
if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class _FastNoAliasLoader(_Checks, Composer, CParser, SafeConstructor, Resolver):
        """libyaml's scanner and parser (C) under PyYAML's composer (Python, with the checks of :class:`_Checks`).

        The same nodes, marks and checks as :class:`_NoAliasLoader`, about five times faster
        on a scenario file; a syntax error is found at the same line, in libyaml's words.
        """

        offsets_in_bytes = True
        """A :class:`yaml.reader.ReaderError`'s position counts the text's UTF-8 bytes, not its characters."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    _Loader = _FastNoAliasLoader


MAX_INT_DIGITS = 4300
"""Digits of an integer Python converts from text (``sys.get_int_max_str_digits``); more is refused."""
_INT_TAG = "tag:yaml.org,2002:int"
_BINARY_TAG = "tag:yaml.org,2002:binary"

_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""Characters no text of a scenario may hold, whatever the YAML escapes (``"\\e"``, ``"\\x9b"``): C0 controls but
tab and newline, DEL, C1 controls (a terminal reads U+009B as an escape), line separators and the
bidirectional overrides that make a text display otherwise than it reads."""
SINGLE_LINE = frozenset({"base", "name", "title", "label", "id", "bloc", "home", "chair", "actor", "rule"})
"""Keys whose text is printed on one line (in tables, messages and file names): no newline."""


def _scalar_problem(node: yaml.ScalarNode, is_key: bool, single_line: bool) -> str:
    """Why a scalar's text cannot be accepted ("" if it can)."""
    if node.tag == _INT_TAG and sum(c.isdigit() for c in node.value) > MAX_INT_DIGITS:
        return f"an integer has more than {MAX_INT_DIGITS:,} digits"
    if node.tag == _BINARY_TAG:
        return "binary data (!!binary) is not text; write the text itself"
    if node.tag == "tag:yaml.org,2002:str" or not node.tag.startswith("tag:yaml.org,2002:"):
        bad = _UNPRINTABLE.search(node.value)
        if bad is None and single_line and "\n" in node.value:
            return f"{'a key' if is_key else 'this text'} must be one line (it holds a line break)"
        if bad:
            where = "a key" if is_key else "text"
            return f"{where} holds the control character U+{ord(bad.group()):04X}, which is not allowed"
    return ""


def _record_lines(node: yaml.Node, loc: tuple, lines: dict, problems: list, file: str) -> None:
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.ScalarNode):
        key = next((part for part in reversed(loc) if isinstance(part, str)), "")
        why = _scalar_problem(node, False, key in SINGLE_LINE)
        if why:
            problems.append(Problem(file, node.start_mark.line + 1, ".".join(map(str, loc)) or "(file)", why))
    if isinstance(node, yaml.MappingNode):
        seen: set = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):  # "? [a, b]: x" or "? {a: 1}": not a name
                where = ".".join(map(str, loc)) or "(file)"
                problems.append(Problem(file, key_node.start_mark.line + 1, where, "a key must be a plain name"))
                continue
            key = key_node.value
            why = _scalar_problem(key_node, True, True)
            if why:
                where = ".".join(map(str, loc)) or "(file)"
                problems.append(Problem(file, key_node.start_mark.line + 1, where, why))
                continue
            if key in seen:
                problems.append(
                    Problem(file, key_node.start_mark.line + 1, ".".join(map(str, loc + (key,))), "duplicate key")
                )
            seen.add(key)
            lines[loc + (key,)] = key_node.start_mark.line + 1
            _record_lines(value_node, loc + (key,), lines, problems, file)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[loc + (i,)] = item.start_mark.line + 1
            _record_lines(item, loc + (i,), lines, problems, file)


def load_yaml(path: str | Path) -> Document:
    """Read ``path`` as one plain YAML document; raise :class:`InputError` on any problem."""
    file = str(path)
    return parse_yaml(read_text(path, MAX_BYTES, "scenario file"), file)


def parse_yaml(text: str, file: str = "<string>") -> Document:
    """Parse YAML text; see :func:`load_yaml`."""
    if not text.strip():
        raise InputError([Problem(file, 1, "", "file is empty")])
    bad = _CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        raise InputError(
            [Problem(file, line, "", f"control character U+{ord(bad.group()):04X} at column {column} is not allowed")]
        )
    loader = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is None:
            raise InputError([Problem(file, 1, "", "file holds no YAML document")])
        lines: dict[tuple, int] = {}
        problems: list[Problem] = []
        _record_lines(node, (), lines, problems, file)
        if problems:
            raise InputError(problems)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise InputError([Problem(file, line, "", f"not valid YAML: {message}")]) from None
    except yaml.reader.ReaderError as exc:
        position = exc.position
        if getattr(loader, "offsets_in_bytes", False):  # libyaml's offset is in the UTF-8 bytes
            position = len(text.encode("utf-8")[:position].decode("utf-8", "ignore"))
        line = text.count("\n", 0, position) + 1
        raise InputError([Problem(file, line, "", f"not valid YAML: {exc.reason} (U+{exc.character:04X})")]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(file, 1, "", f"not valid YAML: {exc}")]) from None
    except RecursionError:  # a safety net below MAX_DEPTH (a tiny stack); not expected
        raise InputError([Problem(file, 1, "", "nested too deeply")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(data, dict):
        raise InputError([Problem(file, 1, "", "a scenario must be a mapping of keys to values")])
    return Document(file, data, lines)


DISTRIBUTIONS = ("normal", "uniform", "triangular")


def is_distribution(value: object) -> bool:
    """Whether a YAML value is written as a distribution (one key naming a family)."""
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in DISTRIBUTIONS


def merge(base: Document, variant: Document) -> Document:
    """``variant`` over ``base``: mappings merge key by key, anything else is replaced.

    Lists of mappings that all carry an ``id`` (actors, issues) merge item by item by
    ``id``: a variant may change one actor's stance by naming only that actor and the
    keys it changes; items with new ids are appended. A distribution in the variant
    replaces the base's value whole, so that ``{normal: [..]}`` over ``{uniform: [..]}``
    changes the family (not two keys). The result remembers, for each key path, the
    file and line that defined it.
    """
    lines: dict[tuple, int] = {}
    files: dict[tuple, str] = {}
    vlines = dict(variant.lines)  # the variant's line marks, re-keyed where items move

    def by_id(items: object) -> bool:
        return isinstance(items, list) and bool(items) and all(isinstance(i, dict) and "id" in i for i in items)

    def walk(b: object, v: object, loc: tuple) -> object:
        if isinstance(b, dict) and isinstance(v, dict) and not is_distribution(v):
            merged = {}
            for key in [*b, *(k for k in v if k not in b)]:
                if key in v:
                    merged[key] = (
                        walk(b.get(key), v[key], loc + (key,)) if key in b else take(v[key], loc + (key,), variant)
                    )
                else:
                    merged[key] = take(b[key], loc + (key,), base)
            lines[loc] = vlines.get(loc, 1)
            return merged
        if by_id(b) and by_id(v):
            index = {item["id"]: i for i, item in enumerate(b)}
            extra = [j for j, item in enumerate(v) if item["id"] not in index]
            moved = {j: index[item["id"]] for j, item in enumerate(v) if item["id"] in index}
            moved.update({j: len(b) + k for k, j in enumerate(extra)})
            remap(loc, moved)
            out = [take(item, loc + (i,), base) for i, item in enumerate(b)]
            for j, item in enumerate(v):
                i = moved[j]
                if i < len(b):
                    out[i] = walk(b[i], item, loc + (i,))
                else:
                    out.append(take(item, loc + (i,), variant))
            lines[loc] = vlines.get(loc, 1)
            return out
        return take(v, loc, variant)

    def remap(loc: tuple, moved: dict[int, int]) -> None:
        """Re-key the variant's line marks under ``loc`` from its item indices to the merged ones."""
        n = len(loc)
        shifted = {}
        for path in [p for p in vlines if p[:n] == loc and len(p) > n and p[n] in moved]:
            shifted[(*loc, moved[path[n]], *path[n + 1 :])] = vlines.pop(path)
        vlines.update(shifted)

    def take(value: object, loc: tuple, doc: Document) -> object:
        marks = vlines if doc is variant else doc.lines
        for path, line in marks.items():
            if path[: len(loc)] == loc:
                lines[path] = line
                files[path] = doc.files.get(path, doc.file)
        return value

    data = walk(base.data, variant.data, ())
    return Document(variant.file, data, lines, {p: f for p, f in files.items() if f != variant.file})
