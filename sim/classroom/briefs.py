"""What a seat of the class game sees: its role brief and its utility terms for what is on the table.

A government seat sees its red lines, the quotes behind its stance, its position, and
its utility terms for the chair's text at every depth (V = legitimacy + cooperation −
content − rivalry − too deep; V >= 0 beats no deal). A company seat sees its
companies' stance on the technical issues, the quotes behind it, the two drafts its
companies can adopt (their bloc's standard and the common cross-bloc one), and its
companies' mean terms for each (V = legitimacy + market − content − rivalry; adopting
nothing = 0). Every number is read from the model, nothing is recomputed here.
"""

from __future__ import annotations

import numpy as np

from sim.model import NegotiationModel
from sim.model.agents import CompanyGroup, Government
from sim.scenario import Scenario


def text_rows(scenario: Scenario, x: np.ndarray, issues: list[int] | None = None) -> list[dict]:
    """A text (or a position) as rows: issue, its value on [0, 1], and what 0 and 1 mean."""
    keep = range(len(scenario.issues)) if issues is None else issues
    return [
        {
            "issue": scenario.issues[k].id.replace("_", " "),
            "id": scenario.issues[k].id,
            "value": round(float(x[j]), 2),
            "low": scenario.issues[k].low,
            "high": scenario.issues[k].high,
            "depth": bool(scenario.issues[k].depth),
        }
        for j, k in enumerate(keep)
    ]


def _quotes(scenario: Scenario, actor: str) -> list[str]:
    spec = next(a for a in scenario.actors if a.id == actor)
    return [f"“{s.quote}” ({s.by})" for s in spec.sources]


def _red_lines(scenario: Scenario, position: np.ndarray, salience: np.ndarray, issues: list[int]) -> list[str]:
    """The two issues weighing most, with where the actor stands and what 0 and 1 mean."""
    out = []
    for j in np.argsort(-np.asarray(salience), kind="stable")[:2]:
        issue = scenario.issues[issues[j]]
        out.append(f"{issue.id.replace('_', ' ')}: you stand at {position[j]:.2f} (0 = {issue.low}, 1 = {issue.high})")
    return out


def government_brief(model: NegotiationModel, gov: Government, proposal: np.ndarray) -> dict:
    """A government seat's brief and its utility terms for ``proposal`` at every rung, as the model reads it."""
    m, scenario = model, model.spec
    share = float(m.rival_shares(m.governments)[m.governments.index(gov)])
    seen = np.clip(proposal + gov.misreading, 0.0, 1.0)
    bonus = m.focal_bonus(seen)
    levels = []
    for lv in m.ladder:
        a = gov.appraise(seen, lv.depth, share, m.tension, bonus)
        levels.append(
            {
                "level": lv.label or lv.name,
                "name": lv.name,
                "legitimacy": round(a.legitimacy, 3),
                "cooperation": round(a.cooperation, 3),
                "content": round(a.content, 3),
                "rivalry": round(a.rivalry, 3),
                "too_deep": round(a.too_deep, 3),
                "value": round(a.value, 3),
            }
        )
    everything = list(range(len(scenario.issues)))
    return {
        "actor": gov.actor_id,
        "kind": "government",
        "name": gov.name,
        "position": text_rows(scenario, gov.position),
        "red_lines": _red_lines(scenario, gov.ideal, gov.salience, everything),
        "quotes": _quotes(scenario, gov.actor_id),
        "utility": levels,
    }


def company_brief(model: NegotiationModel, group: CompanyGroup) -> dict:
    """A company seat's brief: stance, the two drafts on the table, and its companies' mean terms for each.

    The terms are those the group's companies would weigh if they decided now, on the
    drafts as they stand; the drafts move in the next round's meetings before the
    companies decide.
    """
    m, scenario = model, model.spec
    forum = m.kernel.forum
    spec = next(a for a in scenario.actors if a.id == group.actor_id)
    tech = forum.tech
    salience = [spec.salience.get(scenario.issue_ids[k], 0.0) for k in tech]
    position = group.mean_position()
    bloc = forum.blocs.index(group.bloc)
    terms = group.standard_terms(now=True)
    on_bloc, on_common = group.adopters()
    home = m.by_id[group.home].name if group.home in m.by_id else group.home
    return {
        "actor": group.actor_id,
        "kind": "company",
        "name": group.name,
        "count": group.count,
        "home": home,
        "position": text_rows(scenario, position, tech),
        "red_lines": _red_lines(scenario, position, salience, tech),
        "quotes": _quotes(scenario, group.actor_id),
        "drafts": {
            "bloc": text_rows(scenario, forum.bloc_standards[0, bloc], tech),
            "common": text_rows(scenario, forum.standard[0], tech),
        },
        "standards": [
            {"standard": name, "label": label, **{k: round(v, 3) for k, v in terms[name].items()}}
            for name, label in (("bloc", "your bloc's standard"), ("common", "the common cross-bloc standard"))
        ],
        "adopters": {"bloc": on_bloc, "common": on_common},
    }
