"""What each predictor says of a case of the history record: the model, and the baselines.

The model's replications of a case give a distribution over *patterns*: the deepest
rung agreed and the exact set of signatories of that rung among the four actors.

* Government case: the pattern of a replication is the deepest rung of the government
  table and its signatories; an actor's depth is the deepest rung it signed.
* Business case: the firms of a home sign when their bloc's adoption share is at least
  the scenario's ``business.quorum`` (the common standard; where the firms at the table
  all come from one bloc, their bloc's own standard counts too); they sign the rung whose depth equals
  ``business.standard_depth``. The model fixes that depth in advance, so it cannot
  predict the depth of an industry text: it only predicts who adopts.

The baselines need no model: (a) everyone at the table declares; (b) the western actors
sign at their median ambition (read from the case's dated stances), China a declaration at
most; (c) a lookup rule: any ambition 0 → no text; China at the table → everyone declares;
the West alone → the lowest ambition at the table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from sim.experiments.history_record import ACTORS, LADDER, WESTERN, Case, pattern_key
from sim.experiments.history_scores import Prediction
from sim.scenario import Scenario


def case_rows(scenario: Scenario, replications: int, seed: int) -> list[dict]:
    """Outcome rows of ``replications`` seeded runs of ``scenario``: the single entry point to the model."""
    from sim.experiments.runner import outcome_rows, replication_seed

    return outcome_rows(scenario, [replication_seed(seed, r) for r in range(replications)])


def _fixed(value: object) -> float:
    """A scenario number, or the mean of its distribution."""
    return float(value if isinstance(value, int | float) else value.mean)  # type: ignore[attr-defined]


def row_pattern(row: dict, case: Case, scenario: Scenario) -> tuple[str, dict[str, int]]:
    """Pattern key of one outcome row and each at-table actor's depth rank (0 none … 4 binding)."""
    at = [a for a in case.at_table if a in ACTORS]
    if case.level == "business":
        quorum = _fixed(scenario.business.quorum)
        depth = _fixed(scenario.business.standard_depth)
        rung = min(scenario.ladder, key=lambda lv: abs(lv.depth - depth)).name
        bloc = {c.home: c.bloc for c in scenario.companies}
        # firms of one bloc alone can sign their bloc's own standard; across blocs only the common one counts
        alone = len({bloc[a] for a in at if a in bloc}) == 1

        def share(b: str) -> float:
            common = row.get(f"adoption_{b}", 0.0)
            return common + row.get(f"own_standard_{b}", 0.0) if alone else common

        signers = {a for a in at if a in bloc and share(bloc[a]) >= quorum}
        ranks = {a: LADDER.index(rung) if a in signers else 0 for a in at}
        return pattern_key(rung, signers), ranks
    ranks = dict.fromkeys(at, 0)
    deepest, signers = "none", set()
    for rung in LADDER[1:]:  # load_cases checked that the scenario's ladder is the record's
        if not row[f"{rung}_agreed"]:
            continue
        names = {a for a in row[f"{rung}_signatories"].split(";") if a}
        deepest, signers = rung, names & set(ACTORS)
        for a in names:
            if a in ranks:
                ranks[a] = LADDER.index(rung)
    return pattern_key(deepest, signers), ranks


def model_prediction(case: Case, scenario: Scenario, rows: list[dict], counts: list[int] | None = None) -> Prediction:
    """Share of replications per pattern, and per actor per rung.

    ``counts[i]`` replications gave ``rows[i]`` (default: one each); the shares are the
    same numbers, bit for bit, as those of the rows repeated (whole counts add exactly).
    """
    weights = [1] * len(rows) if counts is None else counts
    patterns: Counter[str] = Counter()
    depths = {a: [0.0] * len(LADDER) for a in case.at_table}
    for row, weight in zip(rows, weights, strict=True):
        key, ranks = row_pattern(row, case, scenario)
        patterns[key] += weight
        for a, k in ranks.items():
            depths[a][k] += weight
    n = max(sum(weights), 1)
    return Prediction(
        {k: v / n for k, v in sorted(patterns.items())}, {a: [v / n for v in d] for a, d in depths.items()}
    )


def certain(case: Case, depth: str, signers: set[str]) -> Prediction:
    """A prediction that gives probability one to one pattern."""
    depths = {a: [0.0] * len(LADDER) for a in case.at_table}
    for a in case.at_table:
        depths[a][LADDER.index(depth) if a in signers and depth != "none" else 0] = 1.0
    return Prediction({pattern_key(depth, signers): 1.0}, depths)


def everyone_declares(case: Case, scenario: Scenario) -> Prediction:
    """Baseline (a): everyone at the table signs a declaration."""
    return certain(case, "declaration", set(case.at_table))


def ambition(scenario: Scenario, actor: str) -> str:
    """The rung nearest the depth an actor wants (0 none, 0.25 … 1 binding).

    Its ``ambition`` where the case states one, else its stance on ``binding_force``:
    read from stances, never from outcomes.
    """
    gov = next(a for a in scenario.governments if a.id == actor)
    x = _fixed(gov.ambition if gov.ambition is not None else gov.position["binding_force"])
    depths = [0.0, *(lv.depth for lv in scenario.ladder)]
    return LADDER[min(range(len(depths)), key=lambda k: abs(depths[k] - x))]


def western_median(case: Case, scenario: Scenario) -> Prediction:
    """Baseline (b): the western actors sign at their median ambition; China signs a declaration at most.

    Ambition is read from the stances of the case file (never from outcomes). With an
    even number of western actors the lower median is taken (the text the less
    ambitious half can accept). Business cases use the home governments' stances.
    """
    west = [a for a in case.at_table if a in WESTERN]
    if not west:
        return certain(case, "none", set())
    ranks = sorted(LADDER.index(ambition(scenario, a)) for a in west)
    depth = LADDER[ranks[(len(ranks) - 1) // 2]]
    if depth == "none":
        return certain(case, "none", set())
    signers = set(west) | ({"china"} if "china" in case.at_table and depth == "declaration" else set())
    return certain(case, depth, signers)


def lookup_rule(case: Case, scenario: Scenario) -> Prediction:
    """Baseline (c), a rule with no simulation: no text if anyone wants none; with China, a declaration by all.

    Any actor at the table whose ambition (its dated stance) is nearest "none" → no text;
    China at the table → everyone declares; the West alone → everyone signs the lowest
    ambition at the table. Business cases read the home governments' ambitions.
    """
    at = list(case.at_table)
    ranks = [LADDER.index(ambition(scenario, a)) for a in at if any(g.id == a for g in scenario.governments)]
    if not ranks or min(ranks) == 0:
        return certain(case, "none", set())
    if "china" in at:
        return certain(case, "declaration", set(at))
    return certain(case, LADDER[min(ranks)], set(at))


BASELINES: dict[str, Callable[[Case, Scenario], Prediction]] = {
    "everyone_declares": everyone_declares,
    "western_median": western_median,
    "lookup_rule": lookup_rule,
}
