"""The debrief of ``simrun play``: the student's result beside the agent's, and where the two games parted.

The agent's game is the same scenario on the same seed with every move left to the
agent. The debrief sets the two side by side for the student's government: the deepest
deal, whether it crossed blocs, what the government signed, its utility term by term
(from its original ideal point, at the final tension) and the business standard; then
the first round whose log differs between the two games, and what happened there in each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sim.model import NegotiationModel
from sim.rules.utility import Appraisal, appraise


@dataclass
class Result:
    """How a run ended for one actor; ``terms`` are the utility terms of the deepest text it signed."""

    level: str
    cross_bloc: bool
    signed: str
    utility: float
    business: str
    terms: Appraisal | None = None


@dataclass
class Debrief:
    """The student's result beside the agent's, same scenario and seed; ``parted``: first round that differed."""

    actor: str
    student: Result
    agent: Result
    choices: list[str]
    parted: int | None = None


def result_for(model: NegotiationModel, actor: str) -> Result:
    """The deepest deal the actor signed, and its utility measured from its original ideal point."""
    gov = model.by_id[actor]
    best = None
    for level in model.ladder:
        deal = model.deals.get(level.name)
        if deal and actor in deal.signatories:
            best = (level, deal)
    deepest = max((lv for lv in model.ladder if lv.name in model.deals), key=lambda lv: lv.depth, default=None)
    cross = any(model.is_cross_bloc(d.signatories) for d in model.deals.values())
    terms = None
    if best is not None:
        level, deal = best
        signers = [g for g in model.governments if g.actor_id in deal.signatories]
        share = float(model.rival_shares(signers)[signers.index(gov)])
        ideal_ambition = gov.ideal[model.kernel.depth_issue] if model.kernel.depth_issue is not None else gov.ambition
        terms = appraise(
            x=deal.content,
            depth=level.depth,
            position=gov.ideal,
            salience=model.kernel.content_sal[0, gov.index],
            legitimacy=gov.legitimacy,
            gain=gov.gain,
            tension=model.tension,
            rival_share=share,
            kappa0=gov.kappa0,
            kappa1=gov.kappa1,
            ambition=float(ideal_ambition),
            depth_cost=gov.depth_cost,
        )
    business = "cross_bloc" if model.business_cross_now else "within_bloc" if model.business_within_now else "none"
    return Result(
        deepest.name if deepest else "none",
        cross,
        best[0].name if best else "none",
        float(terms.value) if terms else 0.0,
        business,
        terms,
    )


def write_debrief(
    student: NegotiationModel,
    agent: NegotiationModel,
    actor: str,
    choices: list[str],
    by_round: dict[int, str],
    labels: dict[str, str],
    write: Callable[[str], None],
) -> Debrief:
    """Write the debrief of ``actor``'s game (``student``) against the agent's (``agent``), both played out.

    ``choices``: the student's moves in order; ``by_round``: round → the move made there;
    ``labels``: level name → its label in words; ``write`` takes one line of text.
    """
    mine, theirs = result_for(student, actor), result_for(agent, actor)
    parted = first_difference(student.log, agent.log)
    name = student.by_id[actor].name
    write("\n══ Debrief ══")
    rows = [
        ("deepest government deal", mine.level, theirs.level),
        ("signed across blocs", "yes" if mine.cross_bloc else "no", "yes" if theirs.cross_bloc else "no"),
        (f"{name} signed up to", mine.signed, theirs.signed),
    ]
    for label, term, sign in (
        ("legitimacy L", "legitimacy", "+"),
        ("cooperation gain d·G", "cooperation", "+"),
        ("cost of content d·D", "content", "−"),
        ("cost of rivalry", "rivalry", "−"),
        ("cost of going too deep", "too_deep", "−"),
    ):
        a = getattr(mine.terms, term) if mine.terms else 0.0
        b = getattr(theirs.terms, term) if theirs.terms else 0.0
        rows.append((f"  {sign} {label}", f"{a:.3f}", f"{b:.3f}"))
    rows += [
        ("its utility (0 = no deal)", f"{mine.utility:+.3f}", f"{theirs.utility:+.3f}"),
        ("business standard", mine.business, theirs.business),
    ]
    rows = [(label, a.replace("_", " "), b.replace("_", " ")) for label, a, b in rows]
    width = 2 + max(len(v) for row in rows for v in row[1:] + ("the agent",))  # columns never touch
    write(f"{'':28}{'you':>{width}}{'the agent':>{width}}")
    for label, a, b in rows:
        write(f"{label:28}{a:>{width}}{b:>{width}}")
    write("(utility = L + d·G − d·D − rivalry − too deep, from your original position, at the final tension)")
    verdict = (
        "better than"
        if mine.utility > theirs.utility + 1e-9
        else "worse than"
        if mine.utility < theirs.utility - 1e-9
        else "as well as"
    )
    write(f"You did {verdict} the agent for {name}.")
    if parted is None:
        write("Your game and the agent's went the same way in every round.")
    else:
        did = by_round.get(parted, "no move (not at the table)")
        write(f"Turning point: your game and the agent's parted in round {parted}, where you played {did!r}.")
        write("  In your game:   " + round_summary(student.log, parted, actor, name, labels))
        write("  In the agent's: " + round_summary(agent.log, parted, actor, name, labels))
    return Debrief(actor, mine, theirs, choices, parted)


def round_summary(log: list[tuple], round_no: int, actor: str, name: str, labels: dict[str, str]) -> str:
    """What happened to ``actor`` (called ``name``) and the table in ``round_no``, in a line."""
    agreed = [labels.get(r[2], r[2]) for r in log if r[0] == round_no and r[4] == "offer" and r[6] == "agreed"]
    mine = [r for r in log if r[0] == round_no and r[3] == actor and r[4] in ("accept", "reject")]
    signed = [labels.get(r[2], r[2]) for r in mine if r[4] == "accept"]
    texts = [r[7] for r in log if r[0] == round_no and r[4] == "offer" and r[3] == ""]
    text = " ".join(f"{float(v):4.2f}" for v in texts[0].split()) if texts else "none"
    offers = [r[6] for r in log if r[0] == round_no and r[4] == "offer"]
    if offers and all(o == "draft" for o in offers):  # a session: answers are signals, nothing is signed
        return (
            f"a session, where nothing is signed: the draft {text}; {name} said it would sign "
            f"{', '.join(signed) if signed else 'nothing'}."
        )
    return (
        f"the text {text}; {name} signs {', '.join(signed) if signed else 'nothing'}; "
        f"the table agrees on {', '.join(agreed) if agreed else 'nothing'}."
    )


def first_difference(mine: list[tuple], theirs: list[tuple]) -> int | None:
    """The first round whose log rows differ between two runs (None if the logs are the same)."""
    rounds = sorted({r[0] for r in mine} | {r[0] for r in theirs})
    for round_no in rounds:
        a = [r for r in mine if r[0] == round_no]
        b = [r for r in theirs if r[0] == round_no]
        if [_key(r) for r in a] != [_key(r) for r in b]:
            return round_no
    return None


def _key(row: tuple) -> tuple:
    """A log row without its float value (NaN never equals itself)."""
    return row[:5] + row[6:]
