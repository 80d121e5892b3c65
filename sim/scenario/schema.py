"""The scenario language: a pydantic schema of a negotiation.

Every parameter the model uses lives here, with its default and its meaning, so that
nothing is hidden in code. :mod:`sim.scenario.load` reads it from YAML.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from sim.scenario.distributions import Integer, Number, Unit

Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", description="lower-case identifier")]
PROTOCOLS = ("simultaneous", "west_first", "bilateral_first")


class Strict(BaseModel):
    """Base of every schema block: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


SOURCE_KINDS = ("quote", "fact", "assumption", "calibrated")


class Source(Strict):
    """A short attributed quote, a fact, a named assumption, or a calibration behind a number."""

    quote: str = Field(description="short quote from the source, the fact, or the assumption in words")
    by: str = Field(description="who said it or where the fact is recorded; 'assumption' for an assumption")
    kind: Literal["quote", "fact", "assumption", "calibrated"] | None = Field(
        None,
        description="quote (words of a source), fact (public record), assumption (the modeller's), or calibrated "
        "(set to fit a named observation); required by `simrun validate --sources`",
    )
    supports: list[str] = Field(default_factory=list, description="fields the quote informs, e.g. position.forum")


class Issue(Strict):
    """One dimension of the negotiation, on [0, 1] between two described ends."""

    id: Id
    low: str = Field(description="what 0 means")
    high: str = Field(description="what 1 means")
    technical: bool = Field(False, description="companies negotiate this issue in the business forum")
    status_quo: Unit = Field(0.0, description="where policy stands with no agreement (for the Nash baseline)")
    depth: bool = Field(
        False,
        description="this issue is a text's depth (0 nothing … 1 binding): a government's position on it is its "
        "ambition, and it is not part of a text's content (at most one issue)",
    )


class Actor(Strict):
    """A government, or a group of companies sharing a home government."""

    id: Id
    name: str
    kind: Literal["government", "company"]
    bloc: Id = Field(description="geopolitical bloc; dealing across blocs costs tension")
    position: dict[str, Unit] = Field(description="ideal point per issue, on [0, 1]")
    salience: dict[str, Number(0.0, 100.0)] = Field(
        description="importance per issue (>= 0, any scale; normalised to sum to 1)"
    )
    capability: Number(0.0, 1000.0) = Field(1.0, description="bargaining weight (relative)")
    flexibility: Unit = Field(0.2, description="share of the gap to a proposal conceded in one round")
    legitimacy: Number(0.0, 2.0) = Field(0.1, description="L: value of signing anything at all")
    gain: Number(0.0, 2.0) = Field(0.5, description="G: value of cooperation per unit of depth")
    ambition: Unit | None = Field(
        None, description="a: the depth this government wants; default its position on the depth issue, else 1"
    )
    depth_cost: Number(0.0, 10.0) | None = Field(
        None, description="λ: cost per unit of depth beyond its ambition; default the model's depth_cost"
    )
    count: Integer = Field(1, ge=1, le=1_000_000, description="companies in the group (companies only)")
    spread: Number(0.0, 1.0) = Field(0.1, description="sd of company positions around the group's")
    home: Id | None = Field(None, description="home government of a company group")
    sources: list[Source] = Field(default_factory=list)


class Event(Strict):
    """Something that happens at the start of a round."""

    round: Integer = Field(ge=1, description="round at whose start the event happens (1-based)")
    label: str = ""
    tension_change: Number(-1.0, 1.0) = Field(0.0, description="added to tension (result clipped to [0, 1])")
    restriction_change: Number(-1.0, 1.0) = Field(
        0.0, description="added to business restrictions: > 0 sanctions, < 0 facilitated dialogue"
    )
    table: list[Id] = Field(default_factory=list, description="governments forced to meet this round")
    sources: list[Source] = Field(default_factory=list)


class OpenSignature(Strict):
    """A text is open for signature: adopted when at least two sign, the chair among them, holding ``min_share``.

    The non-signers stay out. ``min_share`` is the share of the table's capability the
    signatories must hold.
    """

    rule: Literal["open"]
    min_share: Unit = Field(0.0, description="share of the table's capability the signatories must hold")


class Consensus(Strict):
    """Every government at the table must sign."""

    rule: Literal["consensus"]


class QualifiedMajority(Strict):
    """Signatories must hold at least ``threshold`` of the table's capability."""

    rule: Literal["qualified_majority"]
    threshold: Unit = 0.65


class RequiredSignatories(Strict):
    """Listed governments must sign (those at the table); the others may join or not."""

    rule: Literal["required"]
    signatories: list[Id] = Field(min_length=1)


DecisionRule = Annotated[
    OpenSignature | Consensus | QualifiedMajority | RequiredSignatories, Field(discriminator="rule")
]


class Level(Strict):
    """One rung of the depth ladder."""

    name: Id
    depth: Unit = Field(description="d in the utility: 0 nothing … 1 binding rules")
    label: str = ""


def _default_ladder() -> list[Level]:
    return [
        Level(name="declaration", depth=0.25, label="shallow declaration"),
        Level(name="voluntary_commitments", depth=0.5, label="voluntary commitments"),
        Level(name="shared_testing", depth=0.75, label="shared testing standards"),
        Level(name="binding", depth=1.0, label="binding standards"),
    ]


class ProtocolOptions(Strict):
    """Details of the sequencing protocols."""

    first_phase_rounds: Integer | None = Field(
        None, ge=1, description="rounds of the first phase (west_first, bilateral_first); default half"
    )
    first_bloc: Id | None = Field(None, description="bloc that converges first in west_first; default the chair's")
    pair: list[Id] | None = Field(None, description="the two governments of bilateral_first; default the largest")


class Business(Strict):
    """The business track: a standards forum of companies that must build contact across blocs."""

    openness: Unit = Field(0.6, description="chance a cross-bloc pair of companies meets with no restrictions")
    restriction: Unit = Field(0.0, description="restrictions on cross-bloc contact at the start, on [0, 1]")
    restriction_per_tension: Unit = Field(
        0.0, description="restriction added per unit of tension (default: the record's fit, validation §4d)"
    )
    quorum: Unit = Field(0.6, description="share of a bloc's companies that must adopt a standard for it to hold there")
    standard_depth: Unit = Field(0.5, description="depth d of a forum standard in company utility")
    convergence: Unit = Field(0.3, description="Deffuant step: share of the gap closed when two companies meet")
    confidence_bound: Unit = Field(0.4, description="companies farther apart than this (mean |gap|) do not converge")
    home_pull: Unit = Field(0.05, description="share of the gap to the home government closed each round")
    restriction_cost: Number(0.0, 2.0) = Field(
        0.5, description="cost per unit of restriction of sharing the common standard with rival-bloc adopters"
    )
    contact0: Unit = Field(0.0, description="companies' trust in rival-bloc companies at the start, on [0, 1]")
    trust_gain: Unit = Field(0.3, description="share of the missing trust gained in a round with a rival-bloc meeting")
    trust_decay: Unit = Field(0.1, description="share of trust lost in a round without a rival-bloc meeting")


class Coefficients(Strict):
    """The model's own coefficients, varied in sensitivity runs.

    The defaults of the fitted coefficients are the record's fit (κ0 and κ1 for
    governments, λ, the focal gain; with ``Business.restriction_per_tension``:
    docs/validation.md §4d), and the chair's depth weight and the companies' κ are the
    shipped assumptions, so a scenario that leaves them out gets the shipped model's
    values. Ranges (the confidence bound here; openness and restriction cost in
    ``Business``) are written out in each shipped scenario: their defaults are points.
    """

    kappa0_government: Number(0.0, 5.0) = Field(0.02, description="κ0: cost of any deal with rivals")
    kappa1_government: Number(0.0, 5.0) = Field(1.0, description="κ1: extra rival cost per unit of depth")
    kappa0_company: Number(0.0, 5.0) = Field(0.02, description="κ0 for companies")
    kappa1_company: Number(0.0, 5.0) = Field(0.06, description="κ1 for companies")
    trust_cross_bloc: Unit = Field(0.5, description="trust in a rival bloc's proposal at zero tension")
    confidence_bound: Unit = Field(0.35, description="a government ignores proposals farther than this")
    perception_noise: Number(0.0, 1.0) = Field(0.03, description="sd of each actor's reading of a proposal")
    chair_weight: Number(1.0, 10.0) = Field(1.5, description="multiplier on the chair's weight in the proposal")
    chair_depth_weight: Unit = Field(
        0.2,
        description="w: the chair tables the text maximising w·(its own V) + (1 − w)·(capability share that signs)",
    )
    depth_cost: Number(0.0, 10.0) = Field(3.0, description="λ: cost per unit of depth beyond an actor's ambition")
    focal_gain: Number(0.0, 2.0) = Field(
        0.0,
        description="gain a cross-bloc industry standard adds to governments (default: the record's fit, weakly: §4d)",
    )
    relief_level: Id | None = Field(None, description="government deal at/above this level eases business restrictions")
    relief: Unit = Field(0.3, description="restriction removed by such a deal")


STANCE_FIELDS = ("ambition", "legitimacy", "gain", "flexibility", "position", "salience")
"""What a dated stance period may set: an actor's standing traits (``position.<issue>``, ``salience.<issue>``)."""


class DatedSource(Source):
    """A source with the date it was published or the event it records happened."""

    date: dt.date = Field(description="when the source was published or its event happened (YYYY-MM-DD)")


class StancePeriod(Strict):
    """An actor's standing traits from a dated event on (an election, a new policy, a law).

    A scenario with a ``date`` takes, for each actor, every period whose ``since`` is before
    that date (a text agreed on the day of a policy did not yet know it), in date order: the
    latest value of each field wins. Every source of
    a period must be dated before the cases that use it (``simrun validate --sources``).
    """

    actor: Id
    since: dt.date = Field(description="the day the event took effect (YYYY-MM-DD)")
    subject: Id | None = Field(
        None, description="the period holds only for texts on this subject (civil_safety, military, ...); none: all"
    )
    event: str = Field(min_length=1, description="what changed, in words")
    set: dict[str, Number(0.0, 100.0)] = Field(
        min_length=1,
        description="fields and their values from this date: ambition, legitimacy, gain, flexibility, "
        "position.<issue>, salience.<issue>; each is checked against its field's range once applied",
    )
    sources: list[DatedSource] = Field(min_length=1)


class Venue(Strict):
    """Where a text is negotiated: what kind of meeting, what it fixes of every text, who else adopts it.

    Exploratory (model v3): knocked out on the history record it changed no out-of-sample
    score (docs/validation.md §4g), so it is off by default and no shipped file sets it.

    * ``summit`` (default): the chair may table a deeper text for a narrower group beside the first;
    * ``single_text``: one text per summit, each member signs it or not (a UN vote, a communique);
    * ``fixes``: issues whose content every text here has by the nature of the venue (a UN
      resolution is UN-centred: ``{forum: 1.0}``), not by negotiation;
    * ``others_adopt``: the venue's other members carry the text whatever the actors modelled
      do, so it stands once any one of them signs (a General Assembly resolution).
    """

    kind: Literal["summit", "single_text"] = "summit"
    fixes: dict[str, Unit] = Field(default_factory=dict, description="issue -> content of every text at this venue")
    others_adopt: bool = Field(False, description="members outside the table carry the text: one signature suffices")


class Scenario(Strict):
    """A negotiation: who, over what, under which tension and rules."""

    name: Id
    title: str = ""
    description: str = ""
    sources: list[Source] = Field(default_factory=list)
    issues: list[Issue] = Field(min_length=1)
    actors: list[Actor] = Field(min_length=2)
    tension: Unit = Field(description="geopolitical tension τ on [0, 1]")
    events: list[Event] = Field(default_factory=list)
    protocol: Literal["simultaneous", "west_first", "bilateral_first"] = "simultaneous"
    protocol_options: ProtocolOptions = Field(default_factory=ProtocolOptions)
    chair: Id | None = None
    at_table: list[Id] | None = Field(
        None,
        description="governments at the table (their company groups come along); default all. "
        "The loaded scenario keeps only these; a chair not at the table becomes none",
    )
    decision_rule: DecisionRule = Field(default_factory=lambda: OpenSignature(rule="open"))
    depth_ladder: list[Level] = Field(default_factory=_default_ladder, min_length=1)
    substantive_from: Id | None = Field(None, description="first level counted as substantive; default the second")
    business: Business = Field(default_factory=Business)
    model: Coefficients = Field(default_factory=Coefficients)
    rounds: Integer = Field(12, ge=1, le=1000)
    replications: Integer = Field(200, ge=1, le=1_000_000)
    seed: Integer = Field(20231101, ge=0, lt=2**63, description="master seed of the replications (0 <= seed < 2**63)")
    date: dt.date | None = Field(
        None, description="the day the text was agreed (YYYY-MM-DD): actors take the stances of events before it"
    )
    stances: list[StancePeriod] = Field(
        default_factory=list, description="dated stance periods of the actors (applied at ``date``)"
    )
    subject: Id | None = Field(
        None,
        description="what the text is about (civil_safety, military, development, standards): picks the "
        "stance periods of that subject",
    )
    venue: Venue = Field(default_factory=Venue)

    # -- derived views ---------------------------------------------------------
    @property
    def governments(self) -> list[Actor]:
        """Government actors in file order."""
        return [a for a in self.actors if a.kind == "government"]

    @property
    def companies(self) -> list[Actor]:
        """Company groups in file order."""
        return [a for a in self.actors if a.kind == "company"]

    @property
    def issue_ids(self) -> list[str]:
        """Issue identifiers in file order."""
        return [i.id for i in self.issues]

    @property
    def ladder(self) -> list[Level]:
        """Depth ladder, shallow to deep."""
        return sorted(self.depth_ladder, key=lambda lv: lv.depth)

    @property
    def substantive_level(self) -> Level:
        """The first level counted as substantive (default: the second rung)."""
        ladder = self.ladder
        if self.substantive_from:
            return next(lv for lv in ladder if lv.name == self.substantive_from)
        return ladder[min(1, len(ladder) - 1)]

    @property
    def depth_issue(self) -> int | None:
        """Index of the issue that is a text's depth (see :attr:`Issue.depth`), or ``None``."""
        return next((i for i, issue in enumerate(self.issues) if issue.depth), None)

    @property
    def blocs(self) -> list[str]:
        """Blocs of the governments, in order of first appearance."""
        return list(dict.fromkeys(a.bloc for a in self.governments))
