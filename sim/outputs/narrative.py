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
        return None

    def story(self, rows: list[tuple], tension_by_round: dict[int, float] | None = None) -> list[str]:
        """Sentences for the rows worth telling, in order."""
        out = []
        for row in rows:
            tension = (tension_by_round or {}).get(row[0])
            text = self.sentence(row, None if tension is None or math.isnan(tension) else tension)
            if text:
                out.append(text)
        return out
