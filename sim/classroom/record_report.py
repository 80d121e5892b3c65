"""A class game's record (:mod:`sim.classroom.record`) as one self-contained report.html to hand out.

``simrun report`` writes it beside the record: the debrief's sentences first (the class's
outcome against the model's runs), each government's and company group's result, then the
game round by round: the teacher's events, every seat's vote, the counter-proposals and what
the chair made of them, the texts tabled and each government's answer, and the plenary's words.
"""

from __future__ import annotations

from pathlib import Path

from sim.classroom.record import read_record
from sim.outputs.html import STYLE, esc, table, write_page
from sim.scenario.errors import InputError, Problem

VOTE_WORDS = {
    "accept": "sign",
    "reject": "refuse",
    "auto": "left it to its agent",
    "agent": "no team (the model's agent)",
    "bloc": "their bloc's standard",
    "common": "the common standard",
    "both": "both standards",
    "neither": "neither standard",
}
VERDICTS = {
    "taken": "tabled by the chair",
    "taken deeper": "tabled by the chair, at a deeper rung",
    "weaker": "not tabled: the chair's own draft scores higher",
    "fails": "not tabled: it passes at no rung",
}


def build_class_report(path: str | Path) -> Path:
    """Write ``report.html`` beside the class game's record at ``path`` (the file or its folder); return its path."""
    found, data = read_record(path)
    try:
        body = _body(data)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise InputError([Problem(str(found), 0, "", f"not a complete class game record ({exc!r} is wrong)")]) from None
    title = str(data.get("title") or data.get("scenario") or "Class game")
    return write_page(found.parent / "report.html", f"{title} — class game — simrun report", STYLE, body)


def _body(data: dict) -> list[str]:
    seats = {a: str(s["name"]) for a, s in data["seats"].items()}
    levels = {str(k): str(v) for k, v in data["levels"].items()}

    def who(ids: str) -> str:
        return ", ".join(seats.get(a, a) for a in ids.split("+") if a)

    title = str(data.get("title") or data.get("scenario"))
    played, rounds = data["played"], data.get("rounds", "?")
    body = [
        f"<h1>{esc(title)}: the class's game</h1>",
        f"<p class=meta>Scenario {esc(data.get('scenario'))}, SHA-256 {esc(str(data['scenario_sha256'])[:16])}…; "
        f"seed {esc(data['seed'])}; {esc(played)} of {esc(rounds)} rounds played.</p>",
    ]
    debrief = data.get("debrief")
    body.append("<h2>How the game ended</h2>")
    if isinstance(debrief, dict):
        body += [f"<p>{esc(s)}</p>" for s in debrief["compare"]["sentences"]]
        patterns = debrief["compare"].get("patterns", [])
        if patterns:
            body.append("<h3>The model's commonest outcomes</h3>")
            rows = [[p["words"] + (" (your class)" if p.get("ours") else ""), f"{p['share']:.0%}"] for p in patterns]
            body.append(table(["outcome", f"share of {debrief['runs']} runs"], rows, {1}))
        body.append("<h2>Each government: the class against its agent</h2>")
        rows = [
            [
                r["name"],
                r["played_by"],
                r["signed_label"][0],
                f"{r['utility'][0]:+.2f}",
                r["signed_label"][1],
                f"{r['utility'][1]:+.2f}",
                r["note"][0] or "",
            ]
            for r in debrief["seats"].values()
        ]
        header = ["government", "played by", "signed", "utility", "its agent signs", "agent's utility", "note"]
        body.append(table(header, rows, {3, 5}))
        if debrief.get("companies"):
            body.append("<h2>The companies: the class against their agents</h2>")
            rows = [
                [
                    r["name"],
                    r["played_by"],
                    f"bloc {r['adopted'][0][0]}, common {r['adopted'][0][1]} of {r['count']}",
                    f"bloc {r['adopted'][1][0]}, common {r['adopted'][1][1]} of {r['count']}",
                ]
                for r in debrief["companies"].values()
            ]
            body.append(table(["company group", "played by", "adopted", "their agents adopt"], rows))
    else:
        body.append(
            f"<p class=warn>The game had not ended when this record was written (after round {esc(played)}): "
            "no debrief yet. The teacher ends the game for one.</p>"
        )
    body.append("<h2>Round by round</h2>")
    for move in data["moves"]:
        body.append(f"<h3>Round {esc(move['round'])}</h3>")
        for ev in move.get("events", []):
            body.append(f"<p>Teacher's event: {esc(ev['label'])}.</p>")
        teams = move.get("teams", {})
        rows = [
            [seats.get(a, a), teams.get(a, "") or "", VOTE_WORDS.get(v, v)]
            for a, v in move["votes"].items()
            if v != "agent"
        ]
        if rows:
            body.append(table(["seat", "team", "vote"], rows))
        else:
            body.append("<p class=meta>No team voted: every seat was left to the model's agents.</p>")
        for actor, c in move.get("counters", {}).items():
            changes = ", ".join(f"{k.replace('_', ' ')} {float(v):.2f}" for k, v in c["changes"].items())
            at = levels.get(c["level"], c["level"]) if c.get("level") else "any depth"
            verdict = next(
                (VERDICTS.get(r[6], r[6]) for r in move["log"] if r[4] == "counter" and r[3] == actor), "no answer"
            )
            body.append(
                f"<p>{esc(seats.get(actor, actor))} ({esc(c.get('team') or 'its team')}) tabled a counter-proposal: "
                f"{esc(changes or 'the chair’s text')}, at {esc(at)} — {esc(verdict)}.</p>"
            )
        texts = []
        for i, row in enumerate(move["log"]):
            if row[4] != "offer":
                continue
            answers = []
            for other in move["log"][i + 1 :]:
                if other[4] not in ("accept", "reject") or other[2] != row[2] or other[1] != row[1]:
                    break
                answers.append(f"{seats.get(other[3], other[3])} {'signs' if other[4] == 'accept' else 'refuses'}")
            result = {"agreed": "agreed", "failed": "not agreed", "draft": "a draft (a session)"}.get(row[6], row[6])
            texts.append([levels.get(row[2], row[2]), who(row[1]), result, "; ".join(answers)])
        if texts:
            body.append(table(["text", "table", "result", "answers"], texts))
        lines = [line for line in move.get("plenary", []) if not str(line).startswith("Teacher's event")]
        if lines:
            body.append("<blockquote>" + "<br>".join(esc(line) for line in lines) + "</blockquote>")
    body.append(
        "<h2>What these numbers are</h2><p>The class played one run of an agent-based model; its outcome is set "
        "against model runs of the same scenario, seed and number of rounds, with the teacher's events at the same "
        "rounds. The shares are of those runs: conditional on the scenario's inputs and the model's mechanics, "
        "not forecasts of the world.</p>"
    )
    return body
