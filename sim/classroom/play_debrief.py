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
    """How a run ended for one actor; ``terms`` are the utility terms of the deepest text it signed.

    The utility and its terms are the model's own when the actor signed (the log's row:
    its position, the tension and the co-signatories then), so they agree with what the
    player saw on the screen. ``note`` says why, when it signed below zero.
    """

    level: str
    cross_bloc: bool
    signed: str
    utility: float
    business: str
    terms: Appraisal | None = None
    round: int = 0
    note: str = ""


@dataclass
class Debrief:
    """The student's result beside the agent's, same scenario and seed; ``parted``: first round that differed.

    ``runs``: the game set against model runs of the scenario (:func:`~sim.classroom.compare.compare`).
    """

    actor: str
    student: Result
    agent: Result
    choices: list[str]
    parted: int | None = None
    runs: dict | None = None


COST_WORDS = {
    "content": "the content's distance from its position",
    "rivalry": "dealing with rivals",
    "too_deep": "going deeper than it wants",
}


def _signing_row(model: NegotiationModel, actor: str, level: str, round_no: int) -> tuple | None:
    """The log row of ``actor`` signing the text that gave it rung ``level`` in ``round_no``.

    A deeper text includes the shallower rungs; ``None`` when the log has no such row.
    """
    depth = {lv.name: lv.depth for lv in model.ladder}
    rows = [
        r
        for r in model.log
        if r[0] == round_no and r[3] == actor and r[4] == "accept" and depth.get(r[2], -1.0) >= depth[level]
    ]
    return min(rows, key=lambda r: depth[r[2]]) if rows else None


def terms_of(detail: str) -> Appraisal:
    """The utility terms of a log row's detail ("L=… dG=… dD=… rival=… deep=…")."""
    d = {k: float(v) for k, _, v in (part.partition("=") for part in detail.split())}
    return Appraisal(d["L"], d["dG"], d["dD"], d["rival"], d.get("deep", 0.0))


def below_zero(terms: Appraisal) -> str:
    """Why a government signed a text worth less than no deal: only a player's choice does that."""
    costs = {"content": terms.content, "rivalry": terms.rivalry, "too_deep": terms.too_deep}
    worst = max(costs, key=costs.get)
    return (
        "its player chose to sign though the text was worth less than no deal to it "
        f"(mostly the cost of {COST_WORDS[worst]}); the model's agents sign only at zero or above"
    )


def result_for(model: NegotiationModel, actor: str) -> Result:
    """The deepest deal the actor signed, and its utility for it as the model weighed it when it signed."""
    gov = model.by_id[actor]
    best = None
    for level in model.ladder:
        deal = model.deals.get(level.name)
        if deal and actor in deal.signatories:
            best = (level, deal)
    deepest = max((lv for lv in model.ladder if lv.name in model.deals), key=lambda lv: lv.depth, default=None)
    cross = any(model.is_cross_bloc(d.signatories) for d in model.deals.values())
    terms, value, round_no, note = None, 0.0, 0, ""
    if best is not None:
        level, deal = best
        round_no = deal.round
        row = _signing_row(model, actor, level.name, deal.round)
        if row is not None:
            terms, value = terms_of(row[7]), float(row[5])
        else:  # no log (it was switched off): weigh the text now, from where the actor stands
            terms = _appraise_now(model, gov, level, deal)
            value = float(terms.value)
        if value < 0:
            note = below_zero(terms)
    business = "cross_bloc" if model.business_cross_now else "within_bloc" if model.business_within_now else "none"
    return Result(
        deepest.name if deepest else "none",
        cross,
        best[0].name if best else "none",
        value,
        business,
        terms,
        round_no,
        note,
    )


def _appraise_now(model: NegotiationModel, gov: object, level: object, deal: object) -> Appraisal:
    signers = [g for g in model.governments if g.actor_id in deal.signatories]
    share = float(model.rival_shares(signers)[signers.index(gov)])
    ambition = gov.position[model.kernel.depth_issue] if model.kernel.depth_issue is not None else gov.ambition
    return appraise(
        x=deal.content,
        depth=level.depth,
        position=gov.position,
        salience=model.kernel.content_sal[0, gov.index],
        legitimacy=gov.legitimacy,
        gain=gov.gain,
        tension=model.tension,
        rival_share=share,
        kappa0=gov.kappa0,
        kappa1=gov.kappa1,
        ambition=float(ambition),
        depth_cost=gov.depth_cost,
    )


def write_debrief(
    student: NegotiationModel,
    agent: NegotiationModel,
    actor: str,
    choices: list[str],
    by_round: dict[int, str],
    labels: dict[str, str],
    write: Callable[[str], None],
    runs: dict | None = None,
) -> Debrief:
    """Write the debrief of ``actor``'s game (``student``) against the agent's (``agent``), both played out.

    Plain sentences first (the game against model runs, ``runs`` from
    :func:`~sim.classroom.compare.compare`, then the government's own result), the numbers
    after. ``choices``: the student's moves in order; ``by_round``: round → the move made
    there; ``labels``: level name → its label in words; ``write`` takes one line of text.
    """
    mine, theirs = result_for(student, actor), result_for(agent, actor)
    parted = first_difference(student.log, agent.log)
    name = student.by_id[actor].name
    words = labels | {"none": "nothing"}
    write("\n══ Debrief ══")
    for sentence in runs["sentences"] if runs else []:
        write(sentence)
    write("")
    if mine.signed == "none":
        write(f"{name} signed nothing: its utility is 0, the value of no deal.")
    else:
        write(
            f"{name} signed {words[mine.signed]} in round {mine.round}, at a utility of {mine.utility:+.2f} "
            "as the model weighed it then (the number your screen showed, for the text as tabled)."
        )
        if mine.note:
            write(f"It signed below zero: {mine.note}.")
    agent_did = "nothing" if theirs.signed == "none" else f"{words[theirs.signed]} ({theirs.utility:+.2f})"
    verdict = (
        "better than"
        if mine.utility > theirs.utility + 1e-9
        else "worse than"
        if mine.utility < theirs.utility - 1e-9
        else "as well as"
    )
    write(f"The model's agent, on the same seed, signs {agent_did} for {name}: you did {verdict} the agent.")
    if parted is None:
        write("Your game and the agent's went the same way in every round.")
    else:
        did = by_round.get(parted, "no move (not at the table)")
        write(f"Turning point: your game and the agent's parted in round {parted}, where you played {did!r}.")
        write("  In your game:   " + round_summary(student.log, parted, actor, name, labels))
        write("  In the agent's: " + round_summary(agent.log, parted, actor, name, labels))
    write("")
    business = {"cross_bloc": "across blocs", "within_bloc": "within blocs", "none": "none"}
    rows = [
        ("deepest government deal", words[mine.level], words[theirs.level]),
        ("signed across blocs", "yes" if mine.cross_bloc else "no", "yes" if theirs.cross_bloc else "no"),
        (f"{name} signed up to", words[mine.signed], words[theirs.signed]),
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
        rows.append((f"  {sign} {label}", f"{a:.2f}", f"{b:.2f}"))
    rows += [
        ("its utility (0 = no deal)", f"{mine.utility:+.2f}", f"{theirs.utility:+.2f}"),
        ("business standard", business[mine.business], business[theirs.business]),
    ]
    width = 2 + max(len(v) for row in rows for v in row[1:] + ("the agent",))  # columns never touch
    write(f"{'':28}{'you':>{width}}{'the agent':>{width}}")
    for label, a, b in rows:
        write(f"{label:28}{a:>{width}}{b:>{width}}")
    write("(utility = L + d·G − d·D − rivalry − too deep, as the model weighed the text when it was signed)")
    if runs:
        write_runs(runs, write)
    return Debrief(actor, mine, theirs, choices, parted, runs)


def write_runs(runs: dict, write: Callable[[str], None]) -> None:
    """The numbers behind the sentences: the commonest patterns in the runs, each government, the pair."""
    write(f"\nIn {runs['runs']} model runs over {runs['rounds']} rounds, the outcome was (share of runs):")
    for p in runs["patterns"]:
        write(f"  {100 * p['share']:5.1f}%  {p['words']}" + ("   ← your game" if p["ours"] else ""))
    write("Each government's deepest text signed, your game → the model's runs:")
    for g in runs["governments"]:
        spread = ", ".join(f"{k} {100 * v:.0f}%" for k, v in g["model"].items() if v > 0)
        write(f"  {g['name']}: {g['class']} → {spread}")
    pair = runs["pair"]
    write(f"Will {pair['names']} both sign? your game → the model's runs:")
    for level, share in pair["model"].items():
        write(f"  {level}: {'yes' if pair['class'][level] else 'no'} → {100 * share:.0f}%")


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
