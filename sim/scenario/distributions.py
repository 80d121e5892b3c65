"""Uncertain numbers: any number in a scenario may be a distribution.

A distribution is written ``{normal: [mean, sd]}``, ``{uniform: [low, high]}`` or
``{triangular: [low, mode, high]}``. It is drawn anew for each replication from the
replication's generator and clipped to the range its field allows (a normal
belief about a share cannot produce a share above 1).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, PlainValidator, WithJsonSchema

if TYPE_CHECKING:  # numpy only for annotations: ``simrun validate`` does not pay for importing it
    import numpy as np


class Distribution(BaseModel):
    """A probability distribution over one number, clipped to ``[lo, hi]``."""

    model_config = ConfigDict(frozen=True)

    family: str
    params: tuple[float, ...]
    lo: float = -math.inf
    hi: float = math.inf

    def draw(self, rng: np.random.Generator) -> float:
        """One draw, clipped to the field's range."""
        if self.family == "normal":
            value = rng.normal(self.params[0], self.params[1])
        elif self.family == "uniform":
            value = rng.uniform(self.params[0], self.params[1])
        else:
            value = rng.triangular(*self.params)
        return float(min(max(value, self.lo), self.hi))

    @property
    def mean(self) -> float:
        """Mean of the unclipped distribution (used for baselines and labels)."""
        if self.family == "normal":
            return self.params[0]
        if self.family == "uniform":
            return (self.params[0] + self.params[1]) / 2
        return sum(self.params) / 3

    def support(self) -> tuple[float, float]:
        """Range of values a draw can take after clipping."""
        if self.family == "normal":
            return self.lo, self.hi
        return max(self.params[0], self.lo), min(self.params[-1], self.hi)


def _float(value: float) -> float:
    """``float(value)``, with an integer too large for a float reported as a value error."""
    try:
        return float(value)
    except OverflowError:
        raise ValueError("number is too large") from None


_ARITY = {"normal": 2, "uniform": 2, "triangular": 3}


def _parse_distribution(value: dict, lo: float, hi: float) -> Distribution:
    if len(value) != 1:
        raise ValueError("a distribution has exactly one key: normal, uniform or triangular")
    ((family, params),) = value.items()
    if family not in _ARITY:
        raise ValueError(f"unknown distribution {family!r}; use normal, uniform or triangular")
    n = _ARITY[family]
    if (
        not isinstance(params, list)
        or len(params) != n
        or not all(isinstance(p, int | float) and not isinstance(p, bool) for p in params)
    ):
        names = {"normal": "[mean, sd]", "uniform": "[low, high]", "triangular": "[low, mode, high]"}
        raise ValueError(f"{family} takes {names[family]} as {n} numbers")
    params = [_float(p) for p in params]
    names = {"normal": ("mean", "sd"), "uniform": ("low", "high"), "triangular": ("low", "mode", "high")}[family]
    for name, p in zip(names, params, strict=True):
        if not math.isfinite(p):
            raise ValueError(f"{family} {name} must be a finite number, got {p:g}")
    if family == "normal":
        mean, sd = params
        if sd <= 0:
            raise ValueError(f"normal sd must be > 0, got {sd:g} (write a plain number for a fixed value)")
        if not lo <= mean <= hi:
            raise ValueError(f"normal mean {mean:g} is outside the allowed range [{lo:g}, {hi:g}]")
    else:
        low, high = params[0], params[-1]
        if family == "uniform" and low > high:
            raise ValueError(f"uniform needs low <= high, got [{low:g}, {high:g}]")
        if family == "triangular" and not (low <= params[1] <= high and low < high):
            raise ValueError(f"triangular needs low <= mode <= high with low < high, got {[float(p) for p in params]}")
        if low < lo or high > hi:
            raise ValueError(f"{family} range {low:g}..{high:g} is outside [{lo:g}, {hi:g}]")
    return Distribution(family=family, params=tuple(params), lo=lo, hi=hi)


def _number_validator(lo: float, hi: float):
    def validate(value: Any) -> float | Distribution:
        if isinstance(value, Distribution):
            return value
        if isinstance(value, dict):
            return _parse_distribution(value, lo, hi)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(
                f"expected a number or a distribution such as {{normal: [mean, sd]}}, got {type(value).__name__}"
            )
        value = _float(value)
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        if not lo <= value <= hi:
            raise ValueError(f"{value:g} is outside the allowed range [{lo:g}, {hi:g}]")
        return value

    return validate


def _serialize(value: float | Distribution) -> Any:
    if isinstance(value, Distribution):
        return {value.family: list(value.params)}
    return value


def _schema(lo: float, hi: float) -> dict:
    bounds = {k: v for k, v in (("minimum", lo), ("maximum", hi)) if math.isfinite(v)}
    return {
        "anyOf": [
            {"type": "number", **bounds},
            {
                "type": "object",
                "description": "a distribution drawn per replication",
                "minProperties": 1,
                "maxProperties": 1,
                "properties": {
                    "normal": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
                    "uniform": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
                    "triangular": {"type": "array", "items": {"type": "number"}, "minItems": 3, "maxItems": 3},
                },
                "additionalProperties": False,
            },
        ]
    }


def Number(lo: float = -math.inf, hi: float = math.inf) -> Any:  # noqa: N802 - a type factory
    """Type of a scenario number in ``[lo, hi]`` that may also be a distribution."""
    return Annotated[
        float | Distribution,
        PlainValidator(_number_validator(lo, hi)),
        PlainSerializer(_serialize),
        WithJsonSchema(_schema(lo, hi)),
    ]


Unit = Number(0.0, 1.0)
"""A number on [0, 1], or a distribution clipped to it."""


def _integer(value: Any) -> Any:
    """Refuse text and booleans where an integer is meant (``rounds: "12"``, ``count: true``), as numbers are."""
    if isinstance(value, bool | str | bytes):
        raise ValueError(f"expected an integer, got {type(value).__name__}")
    return value


Integer = Annotated[int, BeforeValidator(_integer)]
"""An integer of a scenario (rounds, seed, a count): pydantic would otherwise read ``"12"`` and ``true`` as ones."""


_PATHS: dict[int, tuple[Any, list]] = {}


def realize(value: Any, rng: np.random.Generator) -> Any:
    """Replace every :class:`Distribution` inside ``value`` by a draw, depth first in field order.

    The order of draws is the order of the fields in the schema and of the keys in the
    file, so the same seed gives the same numbers. Only the branches that hold a
    distribution are copied (this runs once per replication).
    """
    key = id(value)
    cached = _PATHS.get(key)
    if cached is None or cached[0] is not value:
        paths = uncertain_paths(value)
        cached = (value, paths, _tree(paths))
        if len(_PATHS) > 64:
            _PATHS.clear()
        _PATHS[key] = cached
    _, paths, tree = cached
    if not paths:
        return value
    if paths[0][0] == ():  # ``value`` is itself a distribution
        return paths[0][1].draw(rng)
    draws = iter([dist.draw(rng) for _, dist in paths])
    return _replace(value, tree, draws)


def _tree(paths: list) -> dict:
    """The paths as nested dicts, keys in the order of the paths; a leaf is ``None``."""
    tree: dict = {}
    for path, _ in paths:
        if not path:
            continue
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = None
    return tree


def _replace(value: Any, tree: dict | None, draws: Iterator[float]) -> Any:
    """Copy of ``value`` with the leaves of ``tree`` replaced by ``draws``, taken in tree order."""
    if tree is None:
        return next(draws)
    if isinstance(value, BaseModel):
        return value.model_copy(update={k: _replace(getattr(value, k), sub, draws) for k, sub in tree.items()})
    if isinstance(value, dict):
        update = {k: _replace(value[k], sub, draws) for k, sub in tree.items()}
        return {k: update.get(k, v) for k, v in value.items()}
    items = list(value)
    for i, sub in tree.items():
        items[i] = _replace(items[i], sub, draws)
    return type(value)(items)


def expected(value: Any) -> Any:
    """Replace every :class:`Distribution` by its mean (for baselines and the demo)."""
    if isinstance(value, Distribution):
        return float(min(max(value.mean, value.lo), value.hi))
    if isinstance(value, BaseModel):
        return value.model_copy(update={n: expected(getattr(value, n)) for n in type(value).model_fields})
    if isinstance(value, list):
        return [expected(v) for v in value]
    if isinstance(value, dict):
        return {k: expected(v) for k, v in value.items()}
    return value


def uncertain_paths(value: Any, prefix: tuple = ()) -> list[tuple[tuple, Distribution]]:
    """Every (path, distribution) pair inside ``value``, for sensitivity analysis."""
    found: list[tuple[tuple, Distribution]] = []
    if isinstance(value, Distribution):
        return [(prefix, value)]
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            found += uncertain_paths(getattr(value, name), prefix + (name,))
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            found += uncertain_paths(v, prefix + (i,))
    elif isinstance(value, dict):
        for k, v in value.items():
            found += uncertain_paths(v, prefix + (k,))
    return found


def values_at(value: Any, paths: list[tuple]) -> tuple[float, ...]:
    """The numbers ``value`` holds at ``paths`` (e.g. a realised scenario where its source had distributions)."""
    found = []
    for path in paths:
        node = value
        for part in path:
            node = getattr(node, part) if isinstance(node, BaseModel) else node[part]
        found.append(float(node))
    return tuple(found)
