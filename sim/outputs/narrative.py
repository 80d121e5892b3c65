"""The event log in plain words, for the demo, the play mode and the report.

"Round 4: China rejects binding standards — the cost of a deep deal with rivals at
tension 0.70 outweighs its gain."
"""

from __future__ import annotations

import math

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
        return people[0] if len(people) == 1 else ", ".join(people[:-1]) + " and " + people[-1]

    def sentence(self, row: tuple, tension: float | None = None) -> str | None:
        """One log row as a sentence (None for rows not worth telling)."""
        round_no, table, level, actor, action, value, reason, detail = row
        label = self.labels.get(level, level)
        at = f"Round {round_no}: "
        if action == "reject":
            why = {
                "rivalry": "the cost of dealing with rivals"
                + (f" at tension {tension:.2f}" if tension is not None else "")
                + " outweighs its gain",
                "content": "the proposal is too far from its position for what cooperation brings",
                "too_deep": "the text goes deeper than it wants to commit",
                "choice": "its player said no",
            }.get(reason, reason)
            return f"{at}{self.who(actor)} rejects {label} — {why}."
        if action == "offer" and reason == "agreed":
            return f"{at}agreement on {label} at the table of {self.who(table)}."
        if action == "event":
            return f"{at}{reason} ({detail})."
        if action == "standard":
            return f"{at}companies' common standard {reason} ({detail})."
        if action == "counter":
            return at + self.counter(actor, label, reason, detail)
        return None

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

    def story(self, rows: list[tuple], tension_by_round: dict[int, float] | None = None) -> list[str]:
        """Sentences for the rows worth telling, in order."""
        out = []
        for row in rows:
            tension = (tension_by_round or {}).get(row[0])
            text = self.sentence(row, None if tension is None or math.isnan(tension) else tension)
            if text:
                out.append(text)
        return out
