"""The batched engine's outcomes: each replication read as :func:`sim.rules.outcomes.classify` reads a model.

One classification for both engines: rather than a second copy of it, a finished
:class:`~sim.rules.batch.BatchRun` is seen through one small view per replication holding
the attributes ``classify`` reads from a :class:`~sim.model.NegotiationModel`.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np

from sim.model import Deal
from sim.rules.batch_table import REASONS

if TYPE_CHECKING:
    from sim.rules.batch import BatchRun


def outcome_views(run: BatchRun) -> list[SimpleNamespace]:
    """Per replication, the attributes :func:`sim.rules.outcomes.classify` reads from a Mesa model."""
    out = []
    bloc_of = dict(zip(run.gov_ids, run.gov_bloc, strict=True))
    # what the baselines read, shared when no replication drew different numbers for it
    same = all((a == a[:1]).all() for a in (run.ideal, run.sal, run.cap))
    shared = _governments(run, 0) if same else None
    for r, spec in enumerate(run.specs):
        deals = {}
        for level, lv in enumerate(run.ladder):
            if run.deal_round[r, level]:
                who = {run.gov_ids[g] for g in np.flatnonzero(run.deal_signers[r, level])}
                deals[lv.name] = Deal(lv.name, lv.depth, int(run.deal_round[r, level]), who, run.deal_content[r, level])
        blockers = {
            lv.name: {run.gov_ids[g]: REASONS[int(c)] for g, c in enumerate(run.blocker_code[r, level]) if c}
            for level, lv in enumerate(run.ladder)
            if run.blocker_set[r, level]
        }
        governments = shared or _governments(run, r)
        out.append(
            SimpleNamespace(
                spec=spec,
                ladder=run.ladder,
                deals=deals,
                blockers=blockers,
                governments=governments,
                is_cross_bloc=lambda ids, b=bloc_of: len({b[i] for i in ids}) >= 2,
                business_cross_now=bool(run.forum.cross_now[r]),
                business_within_now=bool(run.forum.within_now[r]),
                business_cross_round=int(run.forum.cross_round[r]) or None,
                forum=run.forum,
                business_shares=run.forum.shares[r],
                round=run.round,
            )
        )
    return out


def _governments(run: BatchRun, r: int) -> list[SimpleNamespace]:
    """Replication ``r``'s governments as the outcome baselines read them (initial positions)."""
    return [
        SimpleNamespace(actor_id=i, bloc=b, ideal=run.ideal[r, g], salience=run.sal[r, g], capability=run.cap[r, g])
        for g, (i, b) in enumerate(zip(run.gov_ids, run.gov_bloc, strict=True))
    ]
