"""Terminal rendering of a summary with rich: tables a person reads at a glance."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sim.outputs.hinge import hinge_lines, hinge_title
from sim.outputs.summary import wide_estimates


def pct(est: dict) -> str:
    """``62% [55–69]`` from an estimate dict."""
    return f"{est['p'] * 100:4.0f}% [{est['low'] * 100:.0f}–{est['high'] * 100:.0f}]"


def render_summary(summary: dict, names: dict[str, str], console: Console | None = None) -> None:
    """Print the government, business, sequencing, blocker and baseline tables, then what each answer hinges on."""
    console = console or Console()
    n = summary["replications"]
    gov = Table(
        title=f"Government level — {summary['scenario']}, {n} replications (95% intervals)", title_justify="left"
    )
    gov.add_column("depth")
    gov.add_column("P(agreement)", justify="right")
    gov.add_column("P(across blocs)", justify="right")
    gov.add_column("who signs (share of replications)")
    for level in reversed(summary["government"]["levels"]):
        signs = ", ".join(
            f"{names.get(a, a)} {pct(e).strip()}"
            for a, e in sorted(level["signs"].items(), key=lambda kv: -kv[1]["p"])
            if e["p"] > 0
        )
        gov.add_row(level["label"], pct(level["agreement"]), pct(level["cross_bloc"]), signs or "—")
    gov.add_row("no agreement", pct(summary["government"]["none"]), "", "")
    console.print(gov)

    biz = summary["business"]
    bt = Table(title="Business level — standards forum", title_justify="left")
    bt.add_column("outcome")
    bt.add_column("P", justify="right")
    bt.add_row("common standard across blocs", pct(biz["cross_bloc"]))
    bt.add_row("within one bloc only", pct(biz["within_bloc_only"]))
    bt.add_row("no standard", pct(biz["none"]))
    adoption = ", ".join(f"{b} {s * 100:.0f}%" for b, s in biz["mean_adoption"].items())
    bt.add_row("mean final adoption", adoption)
    console.print(bt)

    first = summary["first"]
    sub = summary["substantive_from"].replace("_", " ")
    # a standard that held for some rounds and was then lost still came first: the business table
    # above reports the end of the run, this one the first round each track got there
    ft = Table(
        title=f"Which is reached first (government: a cross-bloc deal at '{sub}' or deeper; business: a "
        "cross-bloc standard holding in some round, even if later lost)",
        title_justify="left",
    )
    for col in ("government first", "business first", "same round", "neither"):
        ft.add_column(col, justify="right")
    ft.add_row(*(pct(first[k]) for k in ("government", "business", "same_round", "neither")))
    console.print(ft)

    blockers = summary["top_blockers"]
    if blockers:
        bl = Table(title="Who blocks most often, and why", title_justify="left")
        for col in ("actor", "blocks", "P", "main reason"):
            bl.add_column(col)
        reasons = {"rivalry": "rival cost at this tension", "content": "proposal too far from its position"}
        for b in blockers:
            bl.add_row(
                names.get(b["actor"], b["actor"]),
                b["level"].replace("_", " "),
                f"{b['p'] * 100:.0f}% [{b['low'] * 100:.0f}–{b['high'] * 100:.0f}]",
                reasons.get(b["reason"], b["reason"]),
            )
        console.print(bl)

    base = Table(
        title="Content: baselines beside the deepest deal reached (mean over replications)", title_justify="left"
    )
    for col in ("issue", "weighted mean", "median", "Nash", "model deal"):
        base.add_column(col, justify="right" if col != "issue" else "left")
    for issue, e in summary["baselines"].items():
        base.add_row(
            issue, *("—" if e[k] is None else f"{e[k]:.2f}" for k in ("weighted_mean", "median", "nash", "deal"))
        )
    console.print(base)

    wide = wide_estimates(summary)
    if wide:
        need = max(e["suggested_replications"] for _, e in wide)
        console.print(
            f"[yellow]{len(wide)} probabilities have a 95% interval wider than ±5 points at n={n}; "
            f"about {need} replications would narrow every one (use --replications).[/yellow]"
        )
    render_hinge(summary.get("hinge"), console)


def render_hinge(block: dict | None, console: Console) -> None:
    """One sentence per main outcome: the inputs whose threshold flips it (:mod:`sim.outputs.hinge`)."""
    if not block:
        return
    console.print(f"[bold]{escape(hinge_title(block))}[/bold]")
    for line in hinge_lines(block):
        console.print(f"  • {escape(line)}", soft_wrap=True, highlight=False)
