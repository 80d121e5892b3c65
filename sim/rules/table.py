"""The government track at one table, in every replication at once: sessions and summits.

A *session* (a negotiating round before the summit) moves stated positions: every
member moves towards the positions of the others it listens to (bounded confidence,
Hegselmann–Krause), weighting each by capability × trust (full within its bloc,
``θ·(1 − τ)`` across blocs), at the rate of its flexibility; members farther than its
confidence bound (salience-weighted distance) are not heard.

At a *summit* texts are opened for signature. The chair sets the agenda: for each rung
of the depth ladder it drafts content — the compromise point of the stated positions
at the table (capability × salience, the chair's weight multiplied by
``chair_weight``), and the compromise of that draft's prospective signatories — and
sees who would sign each (the participation game, :mod:`sim.rules.decision`). It tables
the adopted text maximising ``w·V_chair + (1 − w)·breadth`` (breadth: the capability
share of the table that signs; ``w``: ``chair_depth_weight``), then, if one exists, the
deeper adopted text it values most, for a narrower group, when it values that one more.
With no chair at the table the venue tables one text: the broadest, then the deepest.
Model v3: at a single-text venue (``venue.kind``) the chair tables one text only, the issues
the venue fixes (``venue.fixes``) are set in every draft, and where the venue's other members
carry a text (``venue.others_adopt``) one signature at the table adopts it.
Each member reads a text through its persistent misreading.

A government at the table may have submitted a *counter-proposal* (a player's, one
replication only: :attr:`~sim.rules.state.RunState.counters`): its content joins the
chair's candidates, at its rung or at every rung, and is tabled only where it beats,
by the chair's same objective, what the chair drafted itself (ties go to the chair's
own draft). Each counter-proposal's verdict says whether it was taken and why not.

It reads and moves the kernel's government arrays (:mod:`sim.rules.state`); the
kernel records what was signed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from sim.rules.decision import Appraised, Signature, adopt, participation
from sim.rules.utility import CHOICE, Appraisal, fallback_points, reason_codes, terms, trust, value_of
from sim.scenario import RequiredSignatories

if TYPE_CHECKING:
    from sim.rules.state import RunState


@dataclass
class Seating:
    """Per-table constants (the same governments always sit at a table the same way)."""

    idx: np.ndarray
    weight: np.ndarray  # (R, m) proposal weight: capability, the chair's multiplied up
    same_bloc: np.ndarray  # (m, m) whether members i and j share a bloc
    trust: np.ndarray  # (m, m) rival-bloc pairs (1) or not (0), for trust
    chair: np.ndarray  # (m,) the chair, if it sits here
    required: np.ndarray | None = None  # (m,) members the 'required' rule names


class Text(NamedTuple):
    """A text tabled at a summit, per replication: where ``tabled`` (R,), whether adopted, rung, content, signatories.

    Where no draft can be adopted the chair still tables the shallowest broad draft,
    which fails: the record of who declined it and why.
    """

    tabled: np.ndarray
    adopted: np.ndarray  # (R,)
    level: np.ndarray  # (R,) ladder index
    x: np.ndarray  # (R, K)
    signers: np.ndarray  # (R, m)
    value: np.ndarray  # (R, m) each member's V for it
    terms: tuple[np.ndarray, ...]  # (R, m) each


class Verdict(NamedTuple):
    """What the chair made of one counter-proposal, per replication (R,) arrays.

    ``taken``: 0 not tabled; 1 tabled as the first text (its best candidate beats the
    chair's own drafts by the chair's objective ``w·V_chair + (1 − w)·breadth``, breadth
    alone at a table without a chair); 2 tabled as the deeper text for a narrower group
    (the chair values it, ``V_chair``, above its own deeper drafts and the first text).
    ``passes``: at some rung it was offered at, the rule would adopt it. ``score``: the
    objective of its best candidate (−inf where it passes at no rung; ``V_chair`` where
    ``taken`` is 2), ``level`` that candidate's rung; ``own``: the same measure of the
    best text the chair drafted itself (for ``taken`` 2: its best deeper draft, −inf if
    none passes); ``tabled``: the objective of the first text tabled. ``decliners``
    (R, m): who would not sign its broadest candidate.
    """

    gov: int
    taken: np.ndarray
    passes: np.ndarray
    score: np.ndarray
    level: np.ndarray
    own: np.ndarray
    tabled: np.ndarray
    decliners: np.ndarray


class Agenda(NamedTuple):
    """What the chair tables from its candidates (C of them), and how it weighed them."""

    texts: list[Text]
    picks: list[tuple[np.ndarray, np.ndarray]]  # per text: the candidate (R,), where tabled (R,)
    score: np.ndarray  # (C, R) the first text's objective; −inf where the rule would not adopt
    deeper: np.ndarray | None  # (C, R) V_chair of the adopted candidates deeper than the first text, else −inf


@dataclass
class SummitResult:
    """What a summit at one table left, in every replication."""

    idx: tuple[int, ...]
    texts: list[Text]
    decliners: np.ndarray  # (R, L, G) who would not sign each rung's draft, and why (reason codes; 0 signs)
    draft: np.ndarray  # (R, K) content of the first text
    verdicts: list[Verdict] = field(default_factory=list)  # one per counter-proposal from this table


class Table:
    """Runs sessions and summits at tables of governments for a kernel."""

    def __init__(self, run: RunState):
        """Keep the run for its arrays, rule, ladder and state (tension, forum, players)."""
        self.run = run
        self._seating: dict[tuple[int, ...], Seating] = {}

    def seating(self, members: tuple[int, ...]) -> Seating:
        """What does not change while the same governments sit at a table (cached per table)."""
        run = self.run
        found = self._seating.get(members)
        if found is None:
            idx = np.array(members)
            cap = run.cap[:, idx]
            chair = np.array([run.gov_ids[i] == run.spec.chair for i in members])
            weight = np.where(chair[None, :], cap * run.chair_factor[:, None], cap)
            blocs = [run.gov_bloc[i] for i in members]
            same = np.array([[a == b for b in blocs] for a in blocs])
            required = None
            if isinstance(run.rule, RequiredSignatories):
                required = np.array([run.gov_ids[i] in run.rule.signatories for i in members])
            found = Seating(idx, weight, same, ~same, chair, required)
            self._seating[members] = found
        return found

    # -- drafting -------------------------------------------------------------------------
    def proposal(self, members: tuple[int, ...], among: np.ndarray | None = None) -> np.ndarray:
        """Compromise point of the members' stated positions (of those in ``among`` (R, m)), chair weighted up."""
        run = self.run
        t = self.seating(members)
        positions = run.pos[:, t.idx]
        sal = run.sal[:, t.idx]
        weight = t.weight if among is None else np.where(among, t.weight, 0.0)
        w = weight[:, :, None] * sal
        total = w.sum(axis=1)
        x = (w * positions).sum(axis=1) / np.where(total > 0, total, 1.0)
        rows = np.flatnonzero(~np.all(total > 0, axis=1))  # an issue nobody drafting cares about
        if len(rows):
            x[rows] = fallback_points(positions[rows], sal[rows], weight[rows] + 1e-12)
        return x

    def _appraiser(self, t: Seating, x: np.ndarray, level: int):  # noqa: ANN202 - a closure for decision.py
        """What each member makes of content ``x`` at rung ``level``, given R_i."""
        run = self.run
        d = run.depth[level]
        positions = run.pos[:, t.idx]
        perceived = np.clip(x[:, None, :] + run.mis[:, t.idx], 0.0, 1.0)
        dist = np.einsum("...j,...j->...", run.content_sal[:, t.idx], np.abs(perceived - positions))
        gain = run.gain[:, t.idx] + run.forum.focal_bonus(perceived, run.focal_gain)
        ambition, lam = run.ambition()[:, t.idx], run.lam[:, t.idx]
        players = [(j, run.players[int(i)]) for j, i in enumerate(t.idx) if int(i) in run.players]

        def appraise(rival: np.ndarray) -> Appraised:
            parts = terms(run.leg[:, t.idx], gain, dist, d, rival, run.tension[:, None], run.k0, run.k1, ambition, lam)
            value = value_of(parts)
            for j, player in players:  # a player (student, script) decides for its government
                said = Appraisal(*(float(np.broadcast_to(p, value.shape)[0, j]) for p in parts))
                value = value.copy()
                value[0, j] = np.inf if player(run.ladder[level].name, said) else -np.inf
            return Appraised(value, parts)

        return appraise

    def _sign(self, t: Seating, x: np.ndarray, level: int) -> Signature:
        """Open content ``x`` at rung ``level`` for signature: the coalition, and whether the rule adopts it."""
        run = self.run
        cap = run.cap[:, t.idx]
        game = participation(self._appraiser(t, x, level), cap, t.same_bloc)
        adopted = adopt(run.rule, game.signers, cap, t.chair, t.required, run.threshold, run.spec.venue.others_adopt)
        return game._replace(adopted=adopted)

    def at_venue(self, x: np.ndarray) -> np.ndarray:
        """Content ``x`` (R, K) with the issues the venue fixes set (a UN text is UN-centred by nature)."""
        fixes = self.run.spec.venue.fixes
        if not fixes:
            return x
        x = x.copy()
        for issue, value in fixes.items():
            x[:, self.run.ids.index(issue)] = float(value)
        return x

    # -- a summit -----------------------------------------------------------------------
    def summit(self, members: tuple[int, ...]) -> SummitResult:
        """The chair drafts a text per rung and content, tables the best by its objective, maybe a deeper one."""
        run = self.run
        t = self.seating(members)
        reps, levels = run.reps, len(run.ladder)
        base = self.proposal(members)
        if run.tabled is not None and run.tabled[0] in members:
            base[:] = run.tabled[1]  # a member tabled its own text
        base = self.at_venue(base)
        cands: list[tuple[int, np.ndarray, Signature]] = []
        decliners = np.zeros((reps, levels, len(run.gov_ids)), np.int8)
        for level in range(levels):
            first = self._sign(t, base, level)
            cands.append((level, base, first))
            why = reason_codes(first.terms[2], first.terms[3], first.terms[4])
            why = np.where(np.isneginf(first.value), CHOICE, why)
            decliners[:, level, t.idx] = np.where(first.signers, 0, why)
            narrower = self.at_venue(self.proposal(members, among=first.signers))
            cands.append((level, narrower, self._sign(t, narrower, level)))
        own = len(cands)
        spans = []  # (counter-proposal, its first and last candidate + 1)
        for counter in (c for c in run.counters if c.gov in members):
            if reps != 1:
                raise ValueError("counter-proposals are a player's, one replication only (R = 1)")
            x = self.at_venue(np.broadcast_to(np.clip(counter.x, 0.0, 1.0), base.shape).copy())
            start = len(cands)
            for level in range(levels) if counter.level is None else (counter.level,):
                cands.append((level, x, self._sign(t, x, level)))
            spans.append((counter.gov, start, len(cands)))
        agenda = self._agenda(t, cands)
        verdicts = [self._verdict(cands, gov, a, b, own, agenda) for gov, a, b in spans]
        return SummitResult(members, agenda.texts, decliners, agenda.texts[0].x.copy(), verdicts)

    @staticmethod
    def _verdict(
        cands: list[tuple[int, np.ndarray, Signature]], gov: int, start: int, stop: int, own: int, agenda: Agenda
    ) -> Verdict:
        """Counter-proposal ``gov``'s verdict: its candidates are ``cands[start:stop]``, the chair's ``cands[:own]``."""
        score = agenda.score
        rows = np.arange(score.shape[1])
        levels = np.array([c[0] for c in cands])
        best = start + np.argmax(score[start:stop], axis=0)
        value, mine, level = score[best, rows], score[:own].max(axis=0), levels[best]
        first, has = agenda.picks[0]
        taken = np.where(has & (first >= start) & (first < stop), 1, 0)
        if len(agenda.picks) > 1:
            second, more = agenda.picks[1]
            deeper = more & (second >= start) & (second < stop)
            taken = np.where(deeper, 2, taken)
            value = np.where(deeper, agenda.deeper[second, rows], value)
            mine = np.where(deeper, agenda.deeper[:own].max(axis=0), mine)
            level = np.where(deeper, levels[second], level)
        signers = np.array([c[2].signers for c in cands[start:stop]])  # (c, R, m)
        broadest = np.argmax(signers.sum(axis=2), axis=0)
        passes = np.isfinite(score[best, rows])
        return Verdict(gov, taken, passes, value, level, mine, score[first, rows], ~signers[broadest, rows])

    def _agenda(self, t: Seating, cands: list[tuple[int, np.ndarray, Signature]]) -> Agenda:
        """The texts the chair tables (one or two per replication), from the drafted candidates."""
        run = self.run
        reps = run.reps
        rows = np.arange(reps)
        cap = run.cap[:, t.idx]
        adopted = np.array([c[2].adopted for c in cands])  # (C, R)
        signers = np.array([c[2].signers for c in cands])  # (C, R, m)
        breadth = (signers * cap[None]).sum(axis=2) / cap.sum(axis=1)[None]
        depth = np.array([run.depth[c[0]] for c in cands])[:, None] * np.ones((1, reps))
        total_v = np.array([np.where(c[2].signers, c[2].value, 0.0).sum(axis=1) for c in cands])
        if t.chair.any():
            j = int(np.flatnonzero(t.chair)[0])
            # The chair drafts by its own interests: its utility from the terms, not a player's
            # vote (±inf), which would tie every text it signs and leave counter-proposals no chance.
            chair_v = np.array([value_of(c[2].terms)[:, j] for c in cands])  # (C, R)
            w = run.chair_w[None, :]
            score = np.where(adopted, w * chair_v + (1.0 - w) * breadth, -np.inf)
            first = np.argmax(score, axis=0)
        else:
            chair_v = None
            score = np.where(adopted, breadth, -np.inf)
            widest = np.where(adopted, breadth, -np.inf).max(axis=0)
            top = adopted & (breadth >= widest[None] - 1e-12)
            deepest = np.where(top, depth, -np.inf).max(axis=0)
            top &= depth >= deepest[None]
            first = np.argmax(np.where(top, total_v, -np.inf), axis=0)
        has = adopted[first, rows]
        first = np.where(has, first, 0)  # nothing can pass: the shallowest broad draft, which fails
        out = [self._text(cands, first, np.ones(reps, dtype=bool), has)]
        picks, deeper_v = [(first, has)], None
        if chair_v is not None and run.spec.venue.kind == "summit":  # a deeper text for a narrower group, if the
            # chair values it more: only at a summit (a single-text venue, a UN vote or a communique, tables one)
            deeper = adopted & (depth > depth[first, rows][None])
            deeper_v = np.where(deeper, chair_v, -np.inf)
            second = np.argmax(deeper_v, axis=0)
            more = has & deeper[second, rows] & (chair_v[second, rows] > chair_v[first, rows])
            if more.any():
                out.append(self._text(cands, second, more, more))
                picks.append((second, more))
        return Agenda(out, picks, score, deeper_v)

    @staticmethod
    def _text(
        cands: list[tuple[int, np.ndarray, Signature]], pick: np.ndarray, tabled: np.ndarray, adopted: np.ndarray
    ) -> Text:
        """Gather the candidate ``pick[r]`` of each replication into one :class:`Text`."""
        rows = np.arange(len(pick))
        level = np.array([c[0] for c in cands])[pick]
        x = np.array([c[1] for c in cands])[pick, rows]
        signers = np.array([c[2].signers for c in cands])[pick, rows] & tabled[:, None]
        value = np.array([c[2].value for c in cands])[pick, rows]
        parts = tuple(
            np.array([np.broadcast_to(c[2].terms[k], c[2].value.shape) for c in cands])[pick, rows] for k in range(5)
        )
        return Text(tabled, adopted, level, x, signers, value, parts)

    # -- a session ----------------------------------------------------------------------
    def session(self, members: tuple[int, ...]) -> np.ndarray:
        """Members move towards those they listen to (bounded confidence); returns each replication's largest move."""
        run = self.run
        t = self.seating(members)
        pos = run.pos[:, t.idx]  # (R, m, K)
        sal = run.sal[:, t.idx]
        gap = np.abs(pos[:, :, None, :] - pos[:, None, :, :])  # (R, i, j, K)
        heard = np.einsum("rik,rijk->rij", sal, gap) <= run.gov_bound[:, :, None]
        trusted = trust(t.trust[None].astype(float), run.tension[:, None, None], run.trust_cross[:, :, None])
        weight = np.where(heard, run.cap[:, None, t.idx] * trusted, 0.0)  # (R, i, j)
        target = np.einsum("rij,rjk->rik", weight, pos) / weight.sum(axis=2)[:, :, None]
        moved = np.clip(pos + run.flex[:, t.idx][:, :, None] * (target - pos), 0.0, 1.0)
        run.pos[:, t.idx] = moved
        return np.abs(moved - pos).max(axis=(1, 2))
