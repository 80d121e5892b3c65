"""The event log of a kernel: what happened, in words and numbers, per replication.

Each entry is a tuple ``(round, table, level, actor, action, value, reason, detail)``
(:data:`COLUMNS`): events (tension, restriction after them), offers (agreed or failed,
with the proposal's content), each member's answer (accept or reject, its utility V,
the reason it rejects, and the four terms of V), and the forum's standard holding or
no longer holding across blocs. Read by ``events.csv``, the narrative, the demo and
``simrun play``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.rules.utility import REASONS

if TYPE_CHECKING:
    from sim.rules.state import RunState
    from sim.rules.table import TableResult

COLUMNS = ("round", "table", "level", "actor", "action", "value", "reason", "detail")
NAN = float("nan")


class EventLog:
    """One list of entries per replication of a :class:`~sim.rules.state.RunState`."""

    def __init__(self, run: RunState):
        """Start an empty log for each of ``run``'s replications."""
        self.run = run
        self.entries: list[list[tuple]] = [[] for _ in range(run.reps)]

    def event(self, label: str) -> None:
        """An event just applied: tension and restriction after it."""
        run = self.run
        tension, restriction = run.tension.tolist(), run.restriction.tolist()
        for r, entries in enumerate(self.entries):
            detail = f"tension {tension[r]:.2f}, restriction {restriction[r]:.2f}"
            entries.append((run.round, "", "", "", "event", NAN, label or "event", detail))

    def offers(self, result: TableResult) -> None:
        """Every rung put to a table this round, and each member's answer with its utility terms."""
        run = self.run
        table = "+".join(run.gov_ids[i] for i in result.idx)
        members = [run.gov_ids[i] for i in result.idx]
        content = [" ".join(f"{v:.3f}" for v in x) for x in result.x.tolist()]
        for offer in result.offers:
            name = run.ladder[offer.level].name
            v = offer.vote
            legitimacy, cooperation, dcontent, rivalry = (np.broadcast_to(a, v.accepts.shape).tolist() for a in v.terms)
            accepts, reason, passed = v.accepts.tolist(), v.reason.tolist(), v.passed.tolist()
            for r in np.flatnonzero(offer.offered).tolist():
                entries = self.entries[r]
                outcome = "agreed" if passed[r] else "failed"
                entries.append((run.round, table, name, "", "offer", NAN, outcome, content[r]))
                for j, actor in enumerate(members):
                    terms = (legitimacy[r][j], cooperation[r][j], dcontent[r][j], rivalry[r][j])
                    value = terms[0] + terms[1] - terms[2] - terms[3]
                    why = "" if accepts[r][j] else REASONS[reason[r][j]]
                    detail = f"L={terms[0]:.3f} dG={terms[1]:.3f} dD={terms[2]:.3f} rival={terms[3]:.3f}"
                    entries.append(
                        (run.round, table, name, actor, "accept" if accepts[r][j] else "reject", value, why, detail)
                    )

    def standard(self, was_cross: np.ndarray) -> None:
        """The forum's standard started or stopped holding across blocs this round."""
        run, forum = self.run, self.run.forum
        changed = np.flatnonzero(was_cross != forum.cross_now).tolist()
        for r in changed:
            detail = " ".join(f"{b}={s:.2f}" for b, s in zip(forum.blocs, forum.shares[r].tolist(), strict=True))
            what = "adopted across blocs" if forum.cross_now[r] else "no longer adopted across blocs"
            self.entries[r].append((run.round, "forum", "", "", "standard", NAN, what, detail))
