"""The event log in plain words, for the demo, the play mode and the report.

"Round 12: China rejects binding standards — the cost of a deep deal with rivals at
tension 0.70 outweighs its gain." Accept and reject lines are for summits only: in a
session, where nothing is signed, the draft the chair floats and who would sign it are one
sentence, and :meth:`Narrator.moves` says who moved towards whom.
"""

from __future__ import annotations

import math

import numpy as np

from sim.scenario import Scenario


class Narrator:
    """Turns event-log rows of one run into sentences."""

    def __init__(self, scenario: Scenario):
        """Names of actors and labels of levels come from the scenario."""
        self.names = {a.id: a.name for a in scenario.actors}
        self.labels = {lv.name: lv.label or lv.name.replace("_", " ") for lv in scenario.ladder}
        # With no chair the venue tables the broadest text: say so, not "the chair's objective".
        self.chair = "the chair" if scenario.chair else "the table"
        self.objective = (
            "by the chair's objective (its own utility and the breadth of support)"
            if scenario.chair
            else "by the breadth of support (no chair)"
        )

    def who(self, ids: str) -> str:
        """``us+china`` → ``United States and China``."""
        people = [self.names.get(i, i) for i in ids.split("+") if i]
        if not people:
            return "nobody"
        return people[0] if len(people) == 1 else ", ".join(people[:-1]) + " and " + people[-1]

    def sentence(self, row: tuple, tension: float | None = None) -> str | None:
        """One log row as a sentence (None for rows not worth telling)."""
        round_no, table, level, actor, action, value, reason, detail = row
        label = self.labels.get(level, level)
        at = f"Round {round_no}: "
        if action == "reject":
            return f"{at}{self.who(actor)} rejects {label} — {self.why(reason, tension)}."
        if action == "offer" and reason == "agreed":
            return f"{at}agreement on {label} at the table of {self.who(table)}."
        if action == "event":
            return f"{at}{reason} ({detail})."
        if action == "standard":
            return f"{at}companies' common standard {reason} ({detail})."
        if action == "counter":
            return at + self.counter(actor, label, reason, detail)
        return None

    @staticmethod
    def why(reason: str, tension: float | None = None) -> str:
        """The reason code a member declines a text for, in words."""
        return {
            "rivalry": "the cost of dealing with rivals"
            + (f" at tension {tension:.2f}" if tension is not None else "")
            + " outweighs its gain",
            "content": "the proposal is too far from its position for what cooperation brings",
            "too_deep": "the text goes deeper than it wants to commit",
            "choice": "its player said no",
        }.get(reason, reason.replace("_", " "))

    def draft(self, offer: tuple, answers: list[tuple], deeper: bool, tension: float | None = None) -> str:
        """A session's draft (an ``offer`` row with reason "draft") and its members' answers, as one sentence.

        Nothing is signed in a session: the sentence says who would sign the draft and who
        would not, and why, never that anyone "rejects" it.
        """
        round_no, table, level = offer[0], offer[1], offer[2]
        label = self.labels.get(level, level)
        what = f"a deeper draft at {label} for a narrower group" if deeper else f"a draft at {label}"
        head = f"Round {round_no} (session of {self.who(table)}): {self.chair} floats {what}"
        head += " (nothing is signed before the summit)."
        yes = [r[3] for r in answers if r[4] == "accept"]
        no = [r for r in answers if r[4] == "reject"]
        parts = []
        if yes:
            parts.append(f"{self.who('+'.join(yes))} would sign it")
        for r in no:
            parts.append(f"{self.who(r[3])} would not ({self.why(r[6], tension)})")
        return head + (" " + "; ".join(parts) + "." if parts else "")

    def moves(
        self, round_no: int, ids: list[str], before: np.ndarray, after: np.ndarray, issues: list[str]
    ) -> str | None:
        """Who moved towards whom in a session of ``ids`` (positions ``before`` and ``after`` it, one row each).

        A member moved towards the member whose earlier position it came closest to; its
        largest shift is named with its issue. None when nobody moved (by 0.005 or more).
        """
        before, after = np.asarray(before, float), np.asarray(after, float)
        parts, still = [], []
        for i, actor in enumerate(ids):
            shift = after[i] - before[i]
            k = int(np.abs(shift).argmax())
            if abs(shift[k]) < 0.005:
                still.append(actor)
                continue
            closer = [
                (np.linalg.norm(before[i] - before[j]) - np.linalg.norm(after[i] - before[j]), j)
                for j in range(len(ids))
                if j != i
            ]
            gain, j = max(closer) if closer else (0.0, i)
            towards = f" towards {self.who(ids[j])}" if gain > 0 else ""
            issue = issues[k].replace("_", " ")
            parts.append(f"{self.who(actor)} moved{towards} ({issue} {shift[k]:+.2f})")
        if not parts:
            return None
        told = f"Round {round_no} (session): " + "; ".join(parts)
        if still:
            told += f"; {self.who('+'.join(still))} held {'its position' if len(still) == 1 else 'their positions'}"
        return told + "."

    def counter(self, actor: str, label: str, verdict: str, detail: str) -> str:
        """What the chair made of ``actor``'s counter-proposal (a ``counter`` row of the log), in words."""
        d = dict(part.split("=", 1) for part in detail.split() if "=" in part)
        text = d.get("kind") == "text"
        whose = f"{self.who(actor)}'s counter-proposal"
        if verdict == "taken":
            how = "tables it for signature" if text else "floats it as its draft (nothing is signed before the summit)"
            return (
                f"{self.chair} takes {whose} at {label} and {how}: {self.objective} it scores {d['score']} "
                f"against {d['own']} for {self.chair}'s own best draft."
            )
        if verdict == "taken deeper":
            how = "for signature" if text else "as a draft (nothing is signed before the summit)"
            own = "none of which would pass" if d["own"] == "-inf" else d["own"]
            return (
                f"the chair takes {whose} at {label} as a deeper text for a narrower group, {how}: the chair values "
                f"it at {d['score']}, above its own deeper drafts ({own}) and the first text."
            )
        if verdict == "weaker":
            return (
                f"{self.chair} does not take {whose}: {self.objective} it scores {d['score']} at best "
                f"(at {label}), not above {d['tabled']} for the text {self.chair} {'tabled' if text else 'drafted'}."
            )
        who = self.who(d.get("declined", "")) if d.get("declined") else "too few"
        return f"{self.chair} does not take {whose}: the rule would adopt it at no rung offered ({who} would not sign)."

    def lines(self, rows: list[tuple], tension_by_round: dict[int, float] | None = None) -> list[tuple[tuple, str]]:
        """(row, sentence) for the rows worth telling, in order.

        A session's draft and its members' answers (the ``accept``/``reject`` rows after its
        ``offer`` row) make one sentence (:meth:`draft`), on the ``offer`` row.
        """
        out: list[tuple[tuple, str]] = []
        floated: set[tuple] = set()  # (round, table) where a draft was floated already
        i = 0
        while i < len(rows):
            row = rows[i]
            tension = (tension_by_round or {}).get(row[0])
            tension = None if tension is None or math.isnan(tension) else tension
            if row[4] == "offer" and row[6] in ("draft", "agreed"):
                j = i + 1
                while j < len(rows) and rows[j][4] in ("accept", "reject") and rows[j][:3] == row[:3]:
                    j += 1
                if row[6] == "agreed":  # who signed, so that a member's "rejects" after it is not read as signing
                    signed = "+".join(r[3] for r in rows[i + 1 : j] if r[4] == "accept")
                    text = f"Round {row[0]}: agreement on {self.labels.get(row[2], row[2])}"
                    out.append(
                        (
                            row,
                            text
                            + (f", signed by {self.who(signed)}" if signed else "")
                            + f" at the table of {self.who(row[1])}.",
                        )
                    )
                    i += 1  # the members' rows are told one by one (rejects only)
                    continue
                key = (row[0], row[1])
                out.append((row, self.draft(row, rows[i + 1 : j], key in floated, tension)))
                floated.add(key)
                i = j
                continue
            text = self.sentence(row, tension)
            if text:
                out.append((row, text))
            i += 1
        return out

    def story(self, rows: list[tuple], tension_by_round: dict[int, float] | None = None) -> list[str]:
        """Sentences for the rows worth telling, in order (see :meth:`lines`)."""
        return [text for _, text in self.lines(rows, tension_by_round)]
