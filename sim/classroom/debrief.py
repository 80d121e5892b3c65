"""The class game's debrief: each seat against its agent on the same seed, and the class against model runs.

The agent's game replays the class's game with every seat left to its agent: same
scenario, seed and teacher's events at the same rounds. For a government seat the
debrief gives what it signed and its utility, term by term (as the model weighed the
text when it signed, what its screen showed), in both games; for a company seat what its companies adopted
and their mean utility, term by term (at their last decision); for each seat the round
where its answers first differed. The class's outcome, as the model's own pattern
(deepest rung, who signed, across blocs or not), is set against ``runs`` model runs of
the scenario with the teacher's events written into it at the rounds they came
(:func:`with_events`), each stopped after as many rounds as the class played, so the
class is compared with the world it played in (:mod:`sim.classroom.compare`).
"""

from __future__ import annotations

from sim.classroom.compare import BUSINESS_LABELS, compare, model_runs
from sim.classroom.play import build_model
from sim.classroom.play_debrief import first_difference, result_for
from sim.model import NegotiationModel
from sim.scenario import Event, Scenario

GOVERNMENT_TERMS = ("legitimacy", "cooperation", "content", "rivalry", "too_deep")
COMPANY_TERMS = ("legitimacy", "market", "content", "rivalry")

Events = list[tuple[int, str, float, float]]
"""The teacher's events: (rounds played before it, label, change of tension, change of restriction)."""

Adoption = dict[int, dict[str, tuple[int, int]]]
"""Per round, per company group: how many of its companies adopt (their bloc's standard, the common one)."""


def adoption(model: NegotiationModel) -> dict[str, tuple[int, int]]:
    """Each company group's adopters now: (their bloc's standard, the common one)."""
    return {g.actor_id: g.adopters() for g in model.company_groups}


def agent_game(scenario: Scenario, seed: int, rounds: int, events: Events) -> tuple[NegotiationModel, Adoption]:
    """The class's game played by the agents alone: ``rounds`` rounds, the teacher's ``events`` at the same points."""
    agent = build_model(scenario, seed)
    adopted: Adoption = {}
    for done in range(rounds + 1):
        for at, label, tension, restriction in events:
            if at == done:
                agent.apply_live_event(label, tension, restriction)
        if done < rounds:
            agent.step()
            adopted[agent.round] = adoption(agent)
    return agent, adopted


def turning_point(
    mine: list[tuple], theirs: list[tuple], actor: str, labels: dict[str, str] | None = None
) -> dict | None:
    """The first round where ``actor`` answered differently in the class's game and in its agent's play.

    Returns the round and, for each game, the actor's answers that round as "level: accept/reject"
    (the level in words when ``labels`` are given); ``None`` when it answered the same throughout.
    """

    def answers(log: list[tuple]) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for row in log:
            if row[3] == actor and row[4] in ("accept", "reject"):
                out.setdefault(row[0], []).append(f"{(labels or {}).get(row[2], row[2])}: {row[4]}")
        return out

    a, b = answers(mine), answers(theirs)
    for round_no in sorted(set(a) | set(b)):
        if a.get(round_no) != b.get(round_no):
            return {"round": round_no, "class": a.get(round_no, []), "agent": b.get(round_no, [])}
    return None


def company_turning_point(mine: Adoption, theirs: Adoption, actor: str, count: int) -> dict | None:
    """The first round where company group ``actor``'s adopters differed between the two games, in words."""

    def words(pair: tuple[int, int]) -> str:
        return f"bloc {pair[0]} of {count}, common {pair[1]} of {count}"

    for round_no in sorted(set(mine) & set(theirs)):
        if mine[round_no][actor] != theirs[round_no][actor]:
            return {"round": round_no, "class": words(mine[round_no][actor]), "agent": words(theirs[round_no][actor])}
    return None


def government_rows(model: NegotiationModel, agent: NegotiationModel, seats: dict) -> dict:
    """The debrief of each government seat: signed, utility and its terms, class against agent.

    The utility and its terms are the model's when the government signed (what its screen showed);
    ``note`` says why when it signed below zero.
    """
    labels = {lv.name: lv.label or lv.name.replace("_", " ") for lv in model.ladder}
    out = {}
    for actor, seat in seats.items():
        mine, theirs = result_for(model, actor), result_for(agent, actor)
        terms = {
            term: [round(getattr(r.terms, term), 3) if r.terms else 0.0 for r in (mine, theirs)]
            for term in GOVERNMENT_TERMS
        }
        out[actor] = {
            "name": model.by_id[actor].name,
            "played_by": seat.team or ("a team" if seat.taken else "the model's agent"),
            "signed": [mine.signed, theirs.signed],
            "signed_label": [labels.get(mine.signed, "nothing"), labels.get(theirs.signed, "nothing")],
            "utility": [round(mine.utility, 3), round(theirs.utility, 3)],
            "note": [mine.note, theirs.note],
            "terms": terms,
            "votes": seat.history,
            "turning_point": turning_point(model.log, agent.log, actor, labels),
        }
    return out


def company_rows(
    model: NegotiationModel, agent: NegotiationModel, seats: dict, mine: Adoption, theirs: Adoption
) -> dict:
    """The debrief of each company seat: adopters, mean utility and its terms, class against agent."""
    out = {}
    for actor, seat in seats.items():
        group, other = model.group_by_id[actor], agent.group_by_id[actor]
        a, b = group.adopted_terms(), other.adopted_terms()
        out[actor] = {
            "name": group.name,
            "count": group.count,
            "played_by": seat.team or ("a team" if seat.taken else "the model's agent"),
            "adopted": [list(group.adopters()), list(other.adopters())],
            "utility": [round(a["value"], 3), round(b["value"], 3)],
            "terms": {t: [round(a[t], 3), round(b[t], 3)] for t in COMPANY_TERMS},
            "votes": seat.history,
            "turning_point": company_turning_point(mine, theirs, actor, group.count),
        }
    return out


def with_events(scenario: Scenario, events: Events) -> Scenario:
    """``scenario`` with the teacher's ``events`` written in as scenario events.

    One thrown in after ``at`` rounds acts from round ``at + 1`` on, as it did live;
    events after the last round change nothing and are left out.
    """
    extra = [
        Event(round=at + 1, label=label, tension_change=tension, restriction_change=restriction)
        for at, label, tension, restriction in events
        if at < scenario.rounds
    ]
    return scenario.model_copy(update={"events": [*scenario.events, *extra]}) if extra else scenario


def debrief(
    game_model: NegotiationModel,
    scenario: Scenario,
    seed: int,
    seats: dict,
    events: Events,
    adopted: Adoption,
    runs: int,
) -> dict:
    """The whole debrief: seats (governments), companies, where the games parted, the class against ``runs`` runs.

    ``seats`` maps actor ids to :class:`~sim.classroom.seats.Seat`; ``adopted`` is the
    class's adoption per round.
    """
    m = game_model
    agent, agent_adopted = agent_game(scenario, seed, m.round, events)
    governments = {a: s for a, s in seats.items() if s.kind == "government"}
    companies = {a: s for a, s in seats.items() if s.kind == "company"}
    rows = model_runs(with_events(scenario, events), seed, runs, m.round)
    levels = ["none"] + [lv.name for lv in m.ladder]
    outcome = m.outcome()
    held = [a for a, s in governments.items() if s.taken]
    replayed = sum(at < scenario.rounds for at, *_ in events)
    return {
        "compare": compare(scenario, outcome, rows, m.round, events=replayed, focus=held),
        "seats": government_rows(m, agent, governments),
        "companies": company_rows(m, agent, companies, adopted, agent_adopted),
        "parted": first_difference(m.log, agent.log),
        "class_level": outcome["gov_level"],
        "distribution": {lv: sum(r["gov_level"] == lv for r in rows) / len(rows) for lv in levels},
        "class_business": outcome["business_level"],
        "agent_business": agent.outcome()["business_level"],
        "business": {b: sum(r["business_level"] == b for r in rows) / len(rows) for b in BUSINESS_LABELS},
        "labels": {lv.name: lv.label or lv.name.replace("_", " ") for lv in m.ladder} | {"none": "no deal"},
        "business_labels": BUSINESS_LABELS,
        "runs": len(rows),
        "rounds": m.round,
        "events_replayed": replayed,
    }
