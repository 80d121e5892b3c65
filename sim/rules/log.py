"""The event log of a kernel: what happened, in words and numbers, per replication.

Each entry is a tuple ``(round, table, level, actor, action, value, reason, detail)``
(:data:`COLUMNS`): events (tension, restriction after them), texts tabled at summits
and drafts floated in sessions (with their content), each member's answer (accept or
reject, its utility V, the reason it declines, and the five terms of V), and the
forum's standard holding or no longer holding across blocs, and what the chair made of
a player's counter-proposal (``counter``: taken, taken deeper, weaker or fails). Read by
``events.csv``, the narrative, the demo, ``simrun play`` and the class game.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.rules.utility import REASONS, reason_codes

if TYPE_CHECKING:
    from sim.rules.state import RunState
    from sim.rules.table import SummitResult

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

    def texts(self, result: SummitResult, kind: str) -> None:
        """Texts tabled at a summit (``kind`` "text") or floated in a session ("draft"), and each member's answer.

        A text row says whether it was adopted ("agreed") or not ("failed"); a draft row
        says "draft". Each member's row gives its V for the text, the reason it declines,
        and the terms of V.
        """
        run = self.run
        table = "+".join(run.gov_ids[i] for i in result.idx)
        members = [run.gov_ids[i] for i in result.idx]
        for text in result.texts:
            content = [" ".join(f"{v:.3f}" for v in x) for x in text.x.tolist()]
            level, signers, value = text.level.tolist(), text.signers.tolist(), text.value.tolist()
            adopted = text.adopted.tolist()
            parts = [np.broadcast_to(a, text.value.shape).tolist() for a in text.terms]
            why = reason_codes(*(np.broadcast_to(a, text.value.shape) for a in text.terms[2:])).tolist()
            for r in np.flatnonzero(text.tabled).tolist():
                entries, name = self.entries[r], run.ladder[level[r]].name
                outcome = "draft" if kind == "draft" else "agreed" if adopted[r] else "failed"
                entries.append((run.round, table, name, "", "offer", NAN, outcome, content[r]))
                for j, actor in enumerate(members):
                    signs = signers[r][j]
                    v = value[r][j]
                    reason = "" if signs else ("choice" if v == -np.inf else REASONS[why[r][j]])
                    lg, co, ct, rv, dp = (parts[k][r][j] for k in range(5))
                    detail = f"L={lg:.3f} dG={co:.3f} dD={ct:.3f} rival={rv:.3f} deep={dp:.3f}"
                    action = "accept" if signs else "reject"
                    entries.append((run.round, table, name, actor, action, lg + co - ct - rv - dp, reason, detail))
        self.counters(result, kind, table)

    def counters(self, result: SummitResult, kind: str, table: str) -> None:
        """What the chair made of each counter-proposal at the table: taken, taken deeper, weaker or fails.

        The row's value is the chair's objective for the counter-proposal's best rung (its
        level); the detail gives ``kind`` (draft or text), that score, the best the chair
        drafted itself (``own``), the first text's (``tabled``), and who would not sign the
        counter-proposal's broadest candidate (``declined``).
        """
        run = self.run
        for v in result.verdicts:
            actor = run.gov_ids[v.gov]
            for r, entries in enumerate(self.entries):
                reason = ("weaker" if v.passes[r] else "fails", "taken", "taken deeper")[int(v.taken[r])]
                declined = "+".join(run.gov_ids[result.idx[j]] for j in np.flatnonzero(v.decliners[r]))
                detail = (
                    f"kind={kind} score={v.score[r]:.3f} own={v.own[r]:.3f} tabled={v.tabled[r]:.3f} "
                    f"declined={declined}"
                )
                level = run.ladder[int(v.level[r])].name
                entries.append((run.round, table, level, actor, "counter", float(v.score[r]), reason, detail))

    def standard(self, was_cross: np.ndarray) -> None:
        """The forum's standard started or stopped holding across blocs this round."""
        run, forum = self.run, self.run.forum
        changed = np.flatnonzero(was_cross != forum.cross_now).tolist()
        for r in changed:
            detail = " ".join(f"{b}={s:.2f}" for b, s in zip(forum.blocs, forum.shares[r].tolist(), strict=True))
            what = "adopted across blocs" if forum.cross_now[r] else "no longer adopted across blocs"
            self.entries[r].append((run.round, "forum", "", "", "standard", NAN, what, detail))
