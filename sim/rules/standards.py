"""The business forum's companies and what a standard is worth to one of them.

:class:`Layout` says who the companies are (their technical issues, blocs and home
governments), which no drawn number changes; :func:`standard_terms` is a company's
value of adopting a standard, term by term. The forum (:mod:`sim.rules.forum`) runs
the rounds on them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from sim.scenario import Actor, Scenario


class Layout(NamedTuple):
    """Who the companies are, which does not change with any drawn number.

    ``tech`` indexes the technical issues (all issues if none is marked technical);
    ``sizes`` are the groups' company counts; ``bloc`` and ``home`` give, per company,
    its bloc's index in ``blocs`` and its home government's index among the governments.
    """

    tech: list[int]
    tech_ids: list[str]
    blocs: list[str]
    sizes: list[int]
    bloc: np.ndarray
    home: np.ndarray


def layout(scenario: Scenario, groups: list[Actor]) -> Layout:
    """The forum's :class:`Layout` for the company groups ``groups`` of ``scenario``."""
    tech = [i for i, issue in enumerate(scenario.issues) if issue.technical] or list(range(len(scenario.issues)))
    blocs = list(dict.fromkeys(g.bloc for g in groups))
    gov_ids = [g.id for g in scenario.governments]
    sizes = [g.count for g in groups]
    return Layout(
        tech,
        [scenario.issue_ids[i] for i in tech],
        blocs,
        sizes,
        np.repeat(np.array([blocs.index(g.bloc) for g in groups], dtype=int), sizes),
        np.repeat(np.array([gov_ids.index(g.home) for g in groups], dtype=int), sizes),
    )


Num = float | np.ndarray
"""A number, or an array of them broadcast against the others."""


def standard_terms(
    *,
    contact: Num,
    legitimacy: Num,
    gain: Num,
    market: Num,
    distance: Num,
    depth: Num,
    rival_share: Num,
    tension: Num,
    kappa0: Num,
    kappa1: Num,
    restriction: Num,
    cost: Num,
) -> tuple[Num, Num, Num, Num]:
    """The four terms of a company's value of a standard: legitimacy, market, content, rivalry.

    ``V = legitimacy + market − content − rivalry`` (adopting nothing = 0), with

    - legitimacy ``contact · L``: what adopting anything at all is worth, believed only
      as far as the company trusts the standard's rival-bloc drafters;
    - market ``d · G · M``: the gain per unit of depth ``d`` on the market share ``M``
      (on [0, 1]) the standard is expected to reach: last round's adopters, or at least
      the drafters in proportion to their contact; rival markets only through the
      company's own contact and what restrictions leave open;
    - content ``d · D``: the salience-weighted distance D (``distance``, on [0, 1]) from the
      company's position to the standard;
    - rivalry ``X · (τ · (κ0 + κ1 · d) + r · restriction_cost)``: X is the capability
      share of rival-bloc companies among the other adopters, τ the tension, r the
      restrictions on cross-bloc business.

    A bloc's own standard is the case ``contact = 1`` and ``X = 0``. Works on floats
    and arrays alike (the forum passes (n, R) arrays).
    """
    return (
        contact * legitimacy,
        depth * gain * market,
        depth * distance,
        rival_share * (tension * (kappa0 + kappa1 * depth) + restriction * cost),
    )
