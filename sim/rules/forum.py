"""The business track: a standards forum of companies, in arrays over replications.

Companies start unaligned: nobody has adopted anything, and each company's *contact*
(its trust in rival-bloc companies, on [0, 1]) starts at ``business.contact0``. Each
round:

1. **Meetings.** Companies are paired at random. A same-bloc pair meets; a cross-bloc
   pair meets with probability ``openness × (1 − restriction)``. A company that met a
   rival-bloc company raises its contact, ``c ← c + trust_gain·(1 − c)``; every other
   company's contact decays, ``c ← (1 − trust_decay)·c``. Met pairs closer than the
   confidence bound converge (Deffuant), and every company is pulled towards its home
   government.
2. **Drafts.** Each bloc's own standard is the capability × salience weighted
   compromise of that bloc's companies' technical positions; the *common* standard is
   drafted in cross-bloc contact: the compromise of all companies weighted by
   capability × salience × contact (plain capability × salience while every contact
   is 0).
3. **Adoption.** Each company values both standards against adopting nothing (= 0),
   reading last round's adoption and the drafters' contact (:func:`~sim.rules.standards.standard_terms`),
   and adopts each whose value is >= 0: standards are not exclusive, a company keeps
   its bloc's standard and adds the common one for access to rival markets. A company
   group may have a *player* (a team in the class game; one replication only,
   :attr:`Forum.players`): then the player's answer replaces every one of the group's
   companies' own, for each standard.

The common standard holds *across blocs* when at least ``quorum`` of every bloc's
companies adopt it; it is the focal point governments see. Cost is
O(companies × replications) per round.

Arrays are stored company-major, ``(n, R[, K])``: a sum over companies then adds whole
rows one after another, and element-wise work runs over long contiguous rows. Each
replication draws its own pairings from its own generator; copies of a replication
taken into another forum (:meth:`Forum.take`) share theirs, drawn once (:attr:`Forum.stream`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from sim.rules.arrays import as_rows, company_major, compromise, over_companies, row_sum
from sim.rules.standards import Layout, standard_terms
from sim.rules.utility import normalise

if TYPE_CHECKING:
    from sim.scenario import Scenario

NONE, BLOC, COMMON = 0, 1, 2
"""Codes of what a company has adopted (:attr:`Forum.choice`)."""

CompanyPlayer = Callable[[float, float], tuple[bool, bool]]
"""Takes a company group's adoption: given the group's mean V of its bloc's standard and of the
common standard this round, whether its companies adopt (the bloc's standard, the common one)."""


class Forum:
    """The standards forum of ``R`` replications: positions, contact, adoption, the standards, their state."""

    COMPANY_MAJOR = ("positions", "salience", "weight", "legitimacy", "gain", "_draft_w", "contact", "met_rival")
    COMPANY_MAJOR += ("choice", "on_bloc", "on_common")
    """Arrays (n, R[, K]) of the companies, replication on axis 1."""
    PER_REPLICATION = ("bloc_cap", "market", "openness", "bound", "home_pull", "depth", "restriction_cost", "quorum")
    PER_REPLICATION += ("trust_gain", "trust_decay", "kappa0", "kappa1", "bloc_standards", "standard", "shares")
    PER_REPLICATION += ("bloc_shares", "contact_mean", "cross_now", "within_now", "cross_round")
    """Arrays (R, ...), replication on axis 0."""
    SHARED = ("bloc", "home", "bloc_size", "in_bloc", "stream", "bloc_flat", "pair_convergence", "pair_bound")
    """Arrays that hold no replication axis (``stream``, ``bloc_flat`` and the pairs' are rebuilt by take)."""
    READ_BY_TABLES = ("bound", "standard", "cross_now")
    """What the government tables read of the forum (:meth:`focal_bonus`): all a forum taken without companies keeps."""

    def __init__(self, specs: Sequence[Scenario], plan: Layout, scatter: np.ndarray):
        """Build the companies of each realised scenario; nobody has adopted anything yet.

        ``scatter`` (R, n, K) holds each replication's standard-normal draws of company
        positions around their group's, drawn by the caller in each stream's order.
        Group numbers (gain, legitimacy, ...) are realised per replication by the caller,
        so a distribution on a group's gain gives each replication its own draw.
        """
        self.tech, self.blocs, self.n = plan.tech, plan.blocs, sum(plan.sizes)
        self.bloc, self.home = plan.bloc, plan.home
        blocs = len(self.blocs)
        self.bloc_size = np.bincount(self.bloc, minlength=blocs)
        reps, n, k = len(specs), self.n, len(plan.tech)
        self.reps = reps

        def per_company(get: Callable, width: int = 1) -> np.ndarray:
            values = np.array([[get(g) for g in s.companies] for s in specs], dtype=float)
            return np.repeat(values.reshape(reps, len(plan.sizes), width), plan.sizes, axis=1)

        centre = per_company(lambda g: [g.position[i] for i in plan.tech_ids], k)
        spread = per_company(lambda g: g.spread)
        self.positions = company_major(np.clip(centre + scatter * spread, 0.0, 1.0))
        self.salience = company_major(normalise(per_company(lambda g: [g.salience[i] for i in plan.tech_ids], k)))
        self.weight = company_major(per_company(lambda g: g.capability / g.count)[:, :, 0])
        self.legitimacy = company_major(per_company(lambda g: g.legitimacy)[:, :, 0])
        self.gain = company_major(per_company(lambda g: g.gain)[:, :, 0])
        self.in_bloc = self.bloc[:, None] == np.arange(blocs)[None, :]  # (n, B)
        # the drafts' weights (capability share × salience) never change; contact scales the common one
        self._draft_w = self.weight[:, :, None] * self.salience
        # a bloc's companies' capability, and its share of all companies' (the market it opens)
        self.bloc_cap = (self.in_bloc.T.astype(float) @ self.weight).T  # (R, B)
        total_cap = self.bloc_cap.sum(axis=1, keepdims=True)
        self.market = np.divide(self.bloc_cap, total_cap, out=np.zeros_like(self.bloc_cap), where=total_cap > 0)
        b = [s.business for s in specs]
        self.openness = np.array([x.openness for x in b])
        self.bound = np.array([x.confidence_bound for x in b])
        self.home_pull = np.array([x.home_pull for x in b])[:, None]  # against (n, R, K)
        self.depth = np.array([x.standard_depth for x in b])
        self.restriction_cost = np.array([x.restriction_cost for x in b])
        self.quorum = np.array([x.quorum for x in b])[:, None]
        self.trust_gain = np.array([x.trust_gain for x in b])
        self.trust_decay = np.array([x.trust_decay for x in b])
        self.kappa0 = np.array([s.model.kappa0_company for s in specs])
        self.kappa1 = np.array([s.model.kappa1_company for s in specs])
        # per pair of companies met in a round (each replication's scalars, repeated)
        self.pair_convergence = np.repeat([x.convergence for x in b], n // 2)
        self.pair_bound = np.repeat([x.confidence_bound * k for x in b], n // 2)
        # company rows offset by replication, for counting by (replication, bloc) in one bincount
        self.bloc_flat = (self.bloc[:, None] + blocs * np.arange(reps)[None, :]).ravel()
        self.contact = np.repeat(np.array([x.contact0 for x in b], dtype=float)[None, :], n, axis=0)  # (n, R)
        self.met_rival = np.zeros((n, reps), dtype=bool)  # met a rival-bloc company this round
        self.choice = np.zeros((n, reps), dtype=np.int8)  # NONE, BLOC or COMMON (common wins): nobody yet
        self.on_bloc = np.zeros((n, reps), dtype=bool)  # adopted its bloc's standard
        self.on_common = np.zeros((n, reps), dtype=bool)  # adopted the common standard
        self.bloc_standards = np.zeros((reps, blocs, k))
        self.standard = self._drafts() if n else np.zeros((reps, k))
        self.values = (np.zeros((n, reps)), np.zeros((n, reps)))  # last round's V of (bloc, common) standard
        self.shares = np.zeros((reps, blocs))  # share of each bloc's companies adopting the common standard
        self.bloc_shares = np.zeros((reps, blocs))  # ... adopting their bloc's own standard
        self.contact_mean = self._mean_by_bloc(self.contact)
        self.cross_now = np.zeros(reps, dtype=bool)  # the common standard holds in every bloc now
        self.within_now = np.zeros(reps, dtype=bool)  # some bloc reaches the quorum on either standard
        self.cross_round = np.zeros(reps, dtype=np.int64)  # first round one held across blocs; 0: never
        # each group's companies: rows of the (n, R) arrays
        ends = np.cumsum([0, *plan.sizes]).tolist()
        self.group_rows = [slice(a, b) for a, b in zip(ends[:-1], ends[1:], strict=True)]
        self.players: dict[int, CompanyPlayer] = {}  # group index -> who takes its adoption (R = 1 only)
        self.terms: tuple[tuple, tuple] | None = None  # last round's value_terms (bloc, common), each (n, R)
        self.stream: np.ndarray | None = None  # each replication's generator in ``rngs`` (None: the r-th); see take
        self.companies = True  # False: taken without its companies (see take); it can run no more rounds

    # -- replications taken from another forum ----------------------------------------------
    def take(self, rows: np.ndarray, stream: np.ndarray | None, companies: bool = True) -> Forum:
        """A forum of the replications ``rows`` of this one (repeats allowed), in that order.

        Each keeps its state; its pairings come from generator ``stream[i]`` of the ``rngs``
        later given to :meth:`round` (replications sharing a generator draw identical
        pairings, made once). Without ``companies`` only what the tables read is kept
        (:data:`READ_BY_TABLES`): enough for summits, not for another round of the forum.
        """
        if self.players:
            raise ValueError("a forum with company players cannot be taken apart")
        if companies and not self.companies:
            raise ValueError("this forum was taken without its companies: it has none to give")
        unknown = [
            k
            for k, v in vars(self).items()
            if isinstance(v, np.ndarray) and k not in (*self.COMPANY_MAJOR, *self.PER_REPLICATION, *self.SHARED)
        ]
        if unknown:
            raise TypeError(f"Forum.take does not know how to take {unknown}")
        rows = np.asarray(rows, dtype=np.intp)
        out = object.__new__(Forum)
        out.__dict__.update(vars(self))
        reps, h, blocs = len(rows), self.n // 2, len(self.blocs)
        out.reps, out.companies = reps, companies
        out.stream = None if stream is None else np.asarray(stream, dtype=np.intp)
        for name in self.PER_REPLICATION:
            kept = out.companies or name in self.READ_BY_TABLES
            setattr(out, name, np.take(getattr(self, name), rows, axis=0) if kept else None)
        for name in self.COMPANY_MAJOR:  # np.take gives contiguous arrays, as _meet's row views need
            setattr(out, name, np.take(getattr(self, name), rows, axis=1) if out.companies else None)
        if not out.companies:
            out.values = out.terms = None
            out.pair_convergence = out.pair_bound = out.bloc_flat = None
            return out
        out.values = tuple(np.take(v, rows, axis=1) for v in self.values)
        if self.terms is not None:  # each term (n, R), (R,) or a number
            out.terms = tuple(tuple(_take_term(t, rows) for t in side) for side in self.terms)
        out.pair_convergence = self.pair_convergence.reshape(self.reps, h)[rows].ravel()
        out.pair_bound = self.pair_bound.reshape(self.reps, h)[rows].ravel()
        out.bloc_flat = (self.bloc[:, None] + blocs * np.arange(reps)[None, :]).ravel()
        return out

    @property
    def adopted(self) -> np.ndarray:
        """Which companies adopt the common standard now (n, R)."""
        return self.on_common

    def round(
        self,
        rngs: Sequence[np.random.Generator],
        round_no: int,
        restriction: np.ndarray,
        tension: np.ndarray,
        government_positions: np.ndarray,
    ) -> None:
        """Meet, build or lose contact, pull home, draft, adopt.

        ``restriction`` and ``tension`` are (R,), government positions (R, G, K).
        """
        if not self.companies:
            raise ValueError("this forum was taken without its companies: it runs no more rounds")
        if self.n == 0:
            return
        if self.n >= 2:
            self._meet(rngs, restriction)
        gain, decay = self.trust_gain, self.trust_decay
        self.contact = np.where(
            self.met_rival, self.contact + gain * (1.0 - self.contact), (1.0 - decay) * self.contact
        )
        target = np.swapaxes(government_positions[:, :, self.tech], 0, 1)[self.home]  # (n, R, K)
        self.positions += self.home_pull * (target - self.positions)
        self.standard = self._drafts()
        self._adopt(restriction, tension)
        self.contact_mean = self._mean_by_bloc(self.contact)
        self.cross_now = (self.shares >= self.quorum).all(axis=1) & (len(self.blocs) >= 2)
        self.within_now = (self.shares + self.bloc_shares >= self.quorum).any(axis=1)
        first = (self.cross_round == 0) & self.cross_now
        self.cross_round[first] = round_no

    def focal_bonus(self, perceived: np.ndarray, focal_gain: np.ndarray) -> np.ndarray:
        """Gain a cross-bloc standard adds to governments reading a proposal as ``perceived`` (R, m, K)."""
        on = (self.cross_now & (self.bound > 0))[:, None]
        if not on.any():
            return np.zeros(perceived.shape[:2])
        # the mean over technical issues, as numpy's mean computes it: the sum, then / count
        gap = row_sum(np.abs(np.take(perceived, self.tech, axis=2) - self.standard[:, None, :])) / len(self.tech)
        with np.errstate(divide="ignore", invalid="ignore"):
            bonus = focal_gain * np.maximum(0.0, 1.0 - gap / self.bound[:, None])
        return np.where(on, bonus, 0.0)

    def _meet(self, rngs: Sequence[np.random.Generator], restriction: np.ndarray) -> np.ndarray:
        """Pair companies at random; met, close-enough pairs converge.

        Records who met a rival-bloc company (:attr:`met_rival`) and returns the
        cross-bloc meetings per replication (R,).
        """
        reps, n = self.reps, self.n
        h = n // 2
        orders = np.tile(np.arange(n), (len(rngs) if self.stream is not None else reps, 1))
        draws = np.empty((len(orders), h))
        for rng, order, draw in zip(rngs, orders, draws, strict=True):
            # each replication's own stream; shuffling arange(n) in place is permutation(n)
            # without an allocation per draw
            rng.shuffle(order)
            rng.random(out=draw)
        if self.stream is not None:  # replications sharing a generator share its draws
            orders, draws = orders[self.stream], draws[self.stream]
        a, b = orders[:, 0 : n - 1 : 2], orders[:, 1:n:2]
        cross = self.bloc[a] != self.bloc[b]
        p_cross = (self.openness * (1.0 - restriction))[:, None]
        met = (~cross | (draws < p_cross)).ravel()
        flat = self.positions.reshape(n * reps, -1)  # row a * R + r: company a in replication r
        rep = np.arange(reps)[:, None]
        fa, fb = (a * reps + rep).ravel(), (b * reps + rep).ravel()
        met_cross = met & cross.ravel()
        rival = np.zeros(n * reps, dtype=bool)
        rival[fa[met_cross]] = True
        rival[fb[met_cross]] = True
        self.met_rival = rival.reshape(n, reps)
        pa, pb = np.take(flat, fa, axis=0), np.take(flat, fb, axis=0)
        diff = pb - pa
        close = met & (row_sum(np.abs(diff)) <= self.pair_bound)
        # pairs that do not converge take a zero step (x + 0.0 == x), which spares selecting the others
        step = diff * np.where(close, self.pair_convergence, 0.0)[:, None]
        # write rows back through a one-element-per-row view: np.put is several times faster
        # than assigning rows by fancy index, and moves the same bytes
        rows = as_rows(flat)
        np.put(rows, fa, as_rows(pa + step))
        np.put(rows, fb, as_rows(pb - step))
        return met_cross.reshape(reps, h).sum(axis=1)

    def _drafts(self) -> np.ndarray:
        """Draft this round's standards: each bloc's own (kept in :attr:`bloc_standards`) and the common one (R, K)."""
        w = self._draft_w
        plain = compromise(self.positions, w, self._plain_mean())
        for b in range(len(self.blocs)):
            mine = self.in_bloc[:, b]
            self.bloc_standards[:, b] = compromise(self.positions[mine], w[mine], plain)
        return compromise(self.positions, w * self.contact[:, :, None], plain)

    def _plain_mean(self) -> np.ndarray:
        """Capability-weighted mean position (R, K): the draft on an issue no company weighs."""
        w = self.weight[:, :, None] + 1e-12
        return over_companies(w * self.positions) / over_companies(w)

    def value_terms(self, restriction: np.ndarray, tension: np.ndarray) -> tuple[tuple, tuple]:
        """The terms of each company's value of its bloc's standard and of the common one, each (n, R).

        Reads last round's adoption (:attr:`choice`) and this round's drafts and contact.
        """
        d = self.depth
        on_common = self.on_common
        # capability adopting each standard last round, per (replication, bloc)
        bloc_cap = self._cap_by_bloc(self.on_bloc)
        common_cap = self._cap_by_bloc(on_common)
        with np.errstate(divide="ignore", invalid="ignore"):
            bloc_reach = np.where(self.bloc_cap > 0, bloc_cap / self.bloc_cap, 0.0)
            common_reach = np.where(self.bloc_cap > 0, common_cap / self.bloc_cap, 0.0)
        # firms expect the common standard to reach at least the firms that drafted it,
        # in proportion to their contact: a standard nobody has met cannot be expected
        common_reach = np.maximum(common_reach, self.contact_mean)
        # market reached: own bloc in full, rival blocs through restrictions and contact
        own_bloc = (self.market * bloc_reach)[:, self.bloc].T  # (n, R)
        by_bloc = self.market * common_reach  # (R, B)
        own_common = by_bloc[:, self.bloc].T
        rival_common = (by_bloc @ (~self.in_bloc).T.astype(float)).T  # (n, R): the rival blocs' part
        m_common = own_common + (1.0 - restriction) * self.contact * rival_common
        # X: capability share of rival-bloc companies among the *other* adopters of the common standard
        rival_cap = (common_cap @ (~self.in_bloc).T.astype(float)).T
        own_cap = np.maximum(common_cap[:, self.bloc].T - np.where(on_common, self.weight, 0.0), 0.0)
        others = self._count_by_bloc(on_common).sum(axis=1) - on_common
        among = rival_cap + own_cap
        x_share = np.divide(rival_cap, among, out=np.zeros(others.shape), where=(others > 0) & (among > 0))
        # distances to the drafts
        mine = np.swapaxes(self.bloc_standards, 0, 1)[self.bloc]  # (n, R, K)
        dist_bloc = np.einsum("...j,...j->...", self.salience, np.abs(self.positions - mine))
        dist_common = np.einsum("...j,...j->...", self.salience, np.abs(self.positions - self.standard))
        shared = {"legitimacy": self.legitimacy, "gain": self.gain, "depth": d, "tension": tension}
        # a bloc's own standard: drafted among trusted peers, no rival-bloc adopters to pay for
        bloc = standard_terms(
            contact=1.0,
            market=own_bloc,
            distance=dist_bloc,
            rival_share=0.0,
            kappa0=0.0,
            kappa1=0.0,
            restriction=0.0,
            cost=0.0,
            **shared,
        )
        common = standard_terms(
            contact=self.contact,
            market=m_common,
            distance=dist_common,
            rival_share=x_share,
            kappa0=self.kappa0,
            kappa1=self.kappa1,
            restriction=restriction,
            cost=self.restriction_cost,
            **shared,
        )
        return bloc, common

    def _adopt(self, restriction: np.ndarray, tension: np.ndarray) -> None:
        bloc, common = self.value_terms(restriction, tension)
        v_bloc = bloc[0] + bloc[1] - bloc[2] - bloc[3]
        v_common = common[0] + common[1] - common[2] - common[3]
        self.values, self.terms = (v_bloc, v_common), (bloc, common)
        # standards are not exclusive: a firm keeps its bloc's and adds the common one for rival markets
        self.on_bloc, self.on_common = v_bloc >= 0.0, v_common >= 0.0
        if self.players:
            self._players_adopt(v_bloc, v_common)
        self.choice = np.where(self.on_common, COMMON, np.where(self.on_bloc, BLOC, NONE)).astype(np.int8)
        size = np.maximum(self.bloc_size, 1)
        self.shares = self._count_by_bloc(self.on_common) / size
        self.bloc_shares = self._count_by_bloc(self.on_bloc & ~self.on_common) / size

    def _players_adopt(self, v_bloc: np.ndarray, v_common: np.ndarray) -> None:
        """A played group's companies adopt what its player says, each standard apart (replication 0)."""
        if self.reps != 1:
            raise ValueError("company players take one replication's adoption only (R = 1)")
        for group, player in self.players.items():
            rows = self.group_rows[group]
            bloc, common = player(float(v_bloc[rows, 0].mean()), float(v_common[rows, 0].mean()))
            self.on_bloc[rows, 0], self.on_common[rows, 0] = bool(bloc), bool(common)

    def _count_by_bloc(self, mask: np.ndarray) -> np.ndarray:
        """Companies in ``mask`` (n, R) per (replication, bloc), as integers (R, B)."""
        blocs = len(self.blocs)
        return np.bincount(self.bloc_flat[mask.ravel()], minlength=self.reps * blocs).reshape(self.reps, blocs)

    def _cap_by_bloc(self, mask: np.ndarray) -> np.ndarray:
        """Capability of the companies in ``mask`` (n, R) per (replication, bloc) (R, B)."""
        blocs = len(self.blocs)
        weights = np.where(mask, self.weight, 0.0).ravel()
        return np.bincount(self.bloc_flat, weights=weights, minlength=self.reps * blocs).reshape(self.reps, blocs)

    def _mean_by_bloc(self, x: np.ndarray) -> np.ndarray:
        """Mean of ``x`` (n, R) over each bloc's companies (R, B)."""
        blocs = len(self.blocs)
        total = np.bincount(self.bloc_flat, weights=x.ravel(), minlength=self.reps * blocs).reshape(self.reps, blocs)
        return total / np.maximum(self.bloc_size, 1)


def _take_term(term: object, rows: np.ndarray) -> object:
    """One term of :attr:`Forum.terms` for the replications ``rows``: (n, R) or (R,) arrays, or a number."""
    if not isinstance(term, np.ndarray):
        return term
    return term[:, rows] if term.ndim == 2 else term[rows]
