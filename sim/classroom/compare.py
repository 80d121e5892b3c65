"""The class's (or a player's) outcome as the model's own pattern, set against that pattern in model runs.

A game's *pattern* is what the model records of a run: the deepest rung agreed, who
signed it, and whether the signatories span blocs; beside it, the deepest rung each
government signed and whether the two principal rivals (the worksheet's "will the US
and China both sign?") both signed. :func:`model_runs` plays ``runs`` runs of the same
scenario (the teacher's events written in) and stops each after as many rounds as the
game played, so a game the teacher ends early is compared with runs stopped at the same
point; :func:`compare` says, in plain sentences first and numbers after, how often the
model reaches the game's pattern, and why it does not when it rarely does (who declines
and the term of its utility that makes it decline, read from the runs' blockers).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from sim.experiments.runner import batch_size, replication_seed
from sim.rules.kernel import Negotiation, structure
from sim.rules.outcomes import classify_all
from sim.rules.protocols import bilateral_pair, summit_plan
from sim.scenario import Scenario
from sim.scenario.distributions import realize

REASON_WORDS = {
    "too_deep": "the text goes deeper than {who} wants to commit (too deep)",
    "rivalry": "for {who} the cost of dealing with rivals outweighs the gain (rivalry)",
    "content": "the text is too far from {who}'s position for what cooperation brings (content)",
    "choice": "{who}'s player said no",
}
"""Why a government declines, in words (the log's reason codes, never shown raw)."""

REASON_SHORT = {"too_deep": "too deep", "rivalry": "rivalry", "content": "content", "choice": "its player's choice"}

BUSINESS_LABELS = {
    "cross_bloc": "a common standard across blocs",
    "within_bloc": "standards within blocs only",
    "none": "no standard",
}


def model_runs(scenario: Scenario, seed: int, runs: int, rounds: int) -> list[dict]:
    """Outcome rows of replications ``0 … runs-1`` under ``seed``, each stopped after ``rounds`` rounds.

    Replication 0 is the game's own world (the class and ``simrun play`` play replication
    0 of the same seed); a run stopped early is classified as it stands then.
    """
    seeds = [replication_seed(seed, r) for r in range(runs)]
    rngs = [np.random.default_rng(s) for s in seeds]
    specs = [realize(scenario, rng) for rng in rngs]
    groups: dict[tuple, list[int]] = {}
    for i, spec in enumerate(specs):
        groups.setdefault(structure(spec), []).append(i)
    size, rows = batch_size(scenario), [{}] * runs
    stop = max(0, min(rounds, scenario.rounds))
    for members in groups.values():
        for first in range(0, len(members), size):
            part = members[first : first + size]
            kernel = Negotiation([specs[i] for i in part], [rngs[i] for i in part])
            for _ in range(stop):
                kernel.step()
            for i, row in zip(part, classify_all(kernel), strict=True):
                rows[i] = row
    return rows


def signers(row: dict, level: str) -> frozenset[str]:
    """Who signed rung ``level`` in an outcome row (empty when it was not agreed)."""
    if level == "none" or not row.get(f"{level}_agreed"):
        return frozenset()
    return frozenset(x for x in str(row[f"{level}_signatories"]).split(";") if x)


def pattern(row: dict) -> tuple[str, frozenset[str], bool]:
    """The model's pattern of an outcome row: deepest rung agreed, who signed it, across blocs or not."""
    level = row["gov_level"]
    return level, signers(row, level), bool(level != "none" and row.get(f"{level}_cross_bloc"))


def signed_level(row: dict, ladder: Sequence[str], actor: str) -> str:
    """The deepest rung ``actor`` signed in an outcome row ("none": it signed nothing)."""
    best = "none"
    for level in ladder:
        if actor in signers(row, level):
            best = level
    return best


def both_signed(row: dict, ladder: Sequence[str], pair: Sequence[str]) -> str:
    """The deepest rung every government of ``pair`` signed ("none" when they never all signed one)."""
    best = "none"
    for level in ladder:
        if set(pair) <= signers(row, level):
            best = level
    return best


def principal_pair(scenario: Scenario) -> list[str]:
    """The worksheet's "US and China": those two where the scenario seats both, else the two principal rivals."""
    ids = [g.id for g in scenario.governments]
    return ["us", "china"] if {"us", "china"} <= set(ids) else bilateral_pair(scenario)


def summit_rounds(scenario: Scenario) -> list[int]:
    """The rounds in which some table is a summit (texts opened for signature)."""
    return [r for r, tables in enumerate(summit_plan(scenario), start=1) if any(tables)]


def percent(k: int, n: int) -> str:
    """``k`` of ``n`` as a whole percentage, "under 1%" rather than a misleading 0% for a rare event."""
    if n == 0:
        return "–"
    p = 100 * k / n
    return "under 1%" if 0 < p < 0.5 else "over 99%" if 99.5 <= p < 100 else f"{p:.0f}%"


class Words:
    """Names and labels of one scenario, in words (never internal ids)."""

    def __init__(self, scenario: Scenario):
        """Read the governments' names, the rungs' labels and the blocs from ``scenario``."""
        self.names = {a.id: a.name for a in scenario.actors}
        self.labels = {lv.name: lv.label or lv.name.replace("_", " ") for lv in scenario.ladder}
        self.labels["none"] = "no text"
        self.ladder = [lv.name for lv in scenario.ladder]
        self.order = [g.id for g in scenario.governments]
        self.bloc = {g.id: g.bloc for g in scenario.governments}

    def who(self, ids: frozenset[str] | set[str] | Sequence[str]) -> str:
        """Government ids as "the United States, the European Union and China" (in the scenario's order)."""
        people = [self.names.get(i, i) for i in self.order if i in ids]
        if not people:
            return "nobody"
        return people[0] if len(people) == 1 else ", ".join(people[:-1]) + " and " + people[-1]

    def outcome(self, p: tuple[str, frozenset[str], bool]) -> str:
        """A pattern in words: "shared testing standards signed by …, across blocs"."""
        level, who, cross = p
        if level == "none":
            return "no text signed"
        span = "across blocs" if cross else "within one bloc"
        return f"{self.labels[level]} signed by {self.who(who)}, {span}"

    def reason(self, rows: list[dict], level: str, actor: str | None = None) -> tuple[str, str, int] | None:
        """The commonest blocker of rung ``level`` in ``rows`` (only ``actor`` if given): (name, why in words, runs)."""
        reasons: Counter[tuple[str, str]] = Counter()
        for row in rows:
            for part in str(row.get(f"{level}_blockers", "")).split(";"):
                who, _, why = part.partition(":")
                if who and why and (actor is None or who == actor):
                    reasons[(who, why)] += 1
        if not reasons:
            return None
        (who, why), k = reasons.most_common(1)[0]
        name = self.names.get(who, who)
        return name, REASON_WORDS.get(why, why.replace("_", " ")).format(who=name), k

    def because(self, rows: list[dict], level: str) -> str:
        """Why rung ``level`` is not signed across blocs in ``rows``: "China declines it in 100% of runs: …"."""
        found = self.reason(rows, level)
        return "" if found is None else f"{found[0]} declines it in {percent(found[2], len(rows))} of runs: {found[1]}"


def compare(
    scenario: Scenario,
    mine: dict,
    rows: list[dict],
    rounds: int,
    *,
    you: str = "Your class",
    game: str = "your class",
    events: int = 0,
    focus: Sequence[str] = (),
) -> dict:
    """The game's outcome row ``mine`` against ``rows`` (model runs stopped after ``rounds`` rounds).

    Returns a JSON-ready dict: ``sentences`` (plain words, first), then the numbers:
    ``pattern`` (the game's, with its share of runs), ``patterns`` (the commonest in the
    runs), ``governments`` (each one's deepest rung signed, game against runs), ``pair``
    (the worksheet's question), ``business``, ``runs``, ``rounds``. ``you`` is who played
    ("Your class", "You"), ``game`` the game ("your class", "your game"); ``focus``: the
    governments the players held, told first.
    """
    w = Words(scenario)
    n = len(rows)
    labels = w.labels
    ours = pattern(mine)
    found = Counter(pattern(r) for r in rows)
    same = found[ours]
    summits = summit_rounds(scenario)
    stopped = f" stopped after round {rounds}, where the game ended" if rounds < scenario.rounds else ""
    runs_words = f"{n} model runs of the same scenario{stopped}" + (
        f" (with the teacher's {events} event{'s' if events > 1 else ''} at the same rounds)" if events else ""
    )
    sentences = []
    level, who, cross = ours
    if level == "none":
        sentences.append(f"No text was signed in {game}.")
    else:
        span = "across blocs" if cross else f"within one bloc ({w.bloc[next(iter(who))]})"
        whose = game[0].upper() + game[1:]
        sentences.append(f"{whose}'s deepest text was {labels[level]}, signed by {w.who(who)}: {span}.")
    if not any(s <= rounds for s in summits):
        first = summits[0] if summits else scenario.rounds
        sentences.append(
            f"Texts are opened for signature only at the summit (round {first}); the game ended after round "
            f"{rounds}, before it, so nothing could be signed yet."
        )
    sentences.append(
        f"The model reaches this same outcome — {w.outcome(ours)} — in {same} of {runs_words} ({percent(same, n)})."
    )
    if cross and level != "none":
        deep_cross = sum(1 for r in rows if r.get(f"{level}_cross_bloc"))
        why = w.because(rows, level)
        sentences.append(
            f"It signs {labels[level]} across blocs in {percent(deep_cross, n)} of runs"
            + (f", because {why}." if why and deep_cross < n / 2 else ".")
        )
    if found and found.most_common(1)[0][0] != ours:
        top, k = found.most_common(1)[0]
        why = w.because(rows, top[0]) if top[0] != "none" and not top[2] else ""
        sentences.append(
            f"The model's commonest outcome is {w.outcome(top)}, in {percent(k, n)} of runs"
            + (f"; {why}." if why else ".")
        )
    governments = []
    for g in [*focus, *(x for x in w.order if x not in focus)]:
        mine_g = signed_level(mine, w.ladder, g)
        theirs = Counter(signed_level(r, w.ladder, g) for r in rows)
        at_least = (
            sum(1 for r in rows if g in signers(r, mine_g)) if mine_g != "none" else theirs["none"]
        )  # runs where it signs that rung (a deeper text includes the shallower ones)
        governments.append(
            {
                "id": g,
                "name": w.names[g],
                "class": labels[mine_g],
                "share": at_least / n if n else 0.0,
                "model": {labels[lv]: theirs[lv] / n if n else 0.0 for lv in ["none", *w.ladder]},
            }
        )
        name = w.names[g]
        if mine_g != "none" and at_least <= n / 4:
            why = w.reason([r for r in rows if g not in signers(r, mine_g)], mine_g, g)
            sentences.append(
                f"{you} got {name} to sign {labels[mine_g]}; the model's {name} does so in {percent(at_least, n)} "
                f"of runs" + (f", because {why[1]}." if why else ".")
            )
        elif mine_g == "none" and at_least <= n / 4:
            typical = theirs.most_common(1)[0][0]
            sentences.append(
                f"In {game}, {name} signed nothing; the model's {name} signs "
                f"{labels[typical]} in {percent(theirs[typical], n)} of runs."
            )
    pair = principal_pair(scenario)
    pair_words = w.who(pair)
    both_mine = both_signed(mine, w.ladder, pair)
    both = Counter(both_signed(r, w.ladder, pair) for r in rows)
    model_pair = {
        labels[lv]: sum(k for deepest, k in both.items() if deepest != "none" and w.ladder.index(deepest) >= i) / n
        if n
        else 0.0
        for i, lv in enumerate(w.ladder)
    }
    answer = (
        f"Will {pair_words} both sign? In {game}: "
        + (f"yes, both signed {labels[both_mine]}." if both_mine != "none" else "no.")
        + f" In the model, both sign {labels[w.ladder[0]]} in {percent(round(model_pair[labels[w.ladder[0]]] * n), n)}"
        + " of runs"
        + "".join(f", {labels[lv]} in {percent(round(model_pair[labels[lv]] * n), n)}" for lv in w.ladder[1:])
        + "."
    )
    sentences.append(answer)
    business = Counter(r["business_level"] for r in rows)
    ours_b = mine["business_level"]
    sentences.append(
        f"The companies ended with {BUSINESS_LABELS[ours_b]}; the model's companies do so in "
        f"{percent(business[ours_b], n)} of runs."
    )
    return {
        "sentences": sentences,
        "runs": n,
        "rounds": rounds,
        "pattern": {
            "level": labels[level],
            "signed_by": w.who(who) if level != "none" else "",
            "cross": cross,
            "share": same / n if n else 0.0,
            "count": same,
            "words": w.outcome(ours),
        },
        "patterns": [{"words": w.outcome(p), "share": k / n, "ours": p == ours} for p, k in found.most_common(4)]
        + ([] if ours in dict(found.most_common(4)) else [{"words": w.outcome(ours), "share": same / n, "ours": True}]),
        "cross": {labels[lv]: sum(1 for r in rows if r.get(f"{lv}_cross_bloc")) / n if n else 0.0 for lv in w.ladder},
        "governments": governments,
        "pair": {
            "names": pair_words,
            "class": {labels[lv]: bool(set(pair) <= signers(mine, lv)) for lv in w.ladder},
            "model": model_pair,
            "answer": answer,
        },
        "business": {
            "class": BUSINESS_LABELS[ours_b],
            "shares": {BUSINESS_LABELS[b]: business[b] / n if n else 0.0 for b in BUSINESS_LABELS},
        },
    }
