"""The console tables of the history backtest: per case, totals, out of sample, sealed forecasts, misses.

:mod:`sim.experiments.history_report` builds the summary and writes the files; this module
only prints what the summary holds.
"""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table

from sim.experiments.history_oos import SCHEMES
from sim.experiments.history_report import BUSINESS_NOTE, NO_FIT, STORED_NOTE, label


def render(summary: dict, console: Console) -> None:
    """Per-case table of the model, totals of every predictor, leave-one-out, and where the model fails."""
    model = summary["predictors"]["model"]
    table = Table(
        title=f"History backtest: model, {summary['replications']} replications per case", title_justify="left"
    )
    for col in (
        "case",
        "level",
        "observed",
        "predicted (modal)",
        "P(modal)",
        "P(observed)",
        "RPS",
        "hit",
        "hit chance",
    ):
        table.add_column(col, justify="right" if col.startswith(("P", "RPS", "hit c")) else "left")
    chance = model["noise"]["hit_chance"]  # the hit's firmness: replications drawn again (history_noise)
    for c in model["cases"]:
        table.add_row(
            c["case"], c["level"][:3], c["observed"], c["modal"], f"{c['p_modal']:.2f}", f"{c['p_observed']:.2f}",
            f"{c['rps']:.3f}", "yes" if c["hit"] else "[red]no[/red]", f"{chance[c['case']]:.2f}",
        )  # fmt: skip
    console.print(table)
    totals_table = Table(title="Totals (hit rate: government / business / all)", title_justify="left")
    cols = (
        "predictor",
        "hits gov",
        "hits bus",
        "hits all",
        "mean P(obs)",
        "mean log P(obs)",
        "RPS gov",
        "RPS bus",
        "RPS all",
    )
    for col in cols:
        totals_table.add_column(col, justify="left" if col == "predictor" else "right")

    def pct(x: float | None) -> str:
        return "–" if x is None else f"{x:.2f}"

    def rps(x: float | None) -> str:  # a stored baseline written before the by-track means has none
        return "–" if x is None else f"{x:.3f}"

    rows = [(p["label"], p["totals"]) for p in summary["predictors"].values()]
    loo = summary["leave_one_out"]
    if loo["fitted"]:
        rows.append(("model, leave-one-out fit", loo["totals"]))
    for name, t in rows:
        hits = f"{t['hit_rate']:.2f} ({t['hits']}/{t['cases']})"
        totals_table.add_row(
            name, pct(t["hit_rate_government"]), pct(t["hit_rate_business"]), hits,
            f"{t['mean_p_observed']:.3f}", f"{t['mean_log_p_observed']:.2f}",
            rps(t.get("mean_rps_government")), rps(t.get("mean_rps_business")), f"{t['mean_rps']:.3f}",
        )  # fmt: skip
    console.print(totals_table)
    render_out_of_sample(summary["out_of_sample"], console)
    spreads = [("model", summary["predictors"]["model"]["noise"])]
    if loo["fitted"]:
        spreads.append(("leave-one-out", loo["noise"]))
    for name, noise in spreads:
        parts = [
            f"{level} {noise[level]['interval_90'][0]}–{noise[level]['interval_90'][1]} of {noise[level]['cases']} "
            f"(expected {noise[level]['expected']:.1f})"
            for level in ("government", "business", "all")
            if level in noise
        ]
        console.print(
            f"Hits of the {name} with its replications drawn again (sampling only, 90%): {'; '.join(parts)}.",
            highlight=False,
        )
    if loo["fitted"]:
        counts = Counter(
            ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in f["chosen"].items())
            for f in loo["folds"]
        )
        chosen = "; ".join(f"{point} in {n} of {len(loo['folds'])} folds" for point, n in counts.most_common())
        console.print(f"Leave-one-out (fitted {', '.join(loo['axes'])}): {chosen}", highlight=False)
        for axis, open_ in loo.get("not_fixed", {}).items():
            values = ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in open_["values"])
            console.print(
                f"Not fixed by the record: {axis} — in {open_['folds']} of {len(loo['folds'])} folds the chosen "
                f"point ties with points that differ on it (values that tie: {values}); the grid's order chose.",
                highlight=False,
            )
    else:
        console.print(f"Leave-one-out: {NO_FIT}.", highlight=False)
    console.print(f"Note: {BUSINESS_NOTE}.")
    if summary.get("missing_case_files"):
        console.print(
            f"[yellow]Not scored, no case file: {', '.join(summary['missing_case_files'])} "
            f"(--strict refuses a record with such cases).[/yellow]"
        )
    render_sealed(summary.get("sealed_forecasts"), console)
    fails = summary["model_failures"]
    if fails:
        console.print(f"[bold]Where the model fails[/bold] ({len(fails)} of {summary['cases']} cases missed):")
        for f in fails:
            console.print(f"  {f['case']} ({f['level']}): predicted {f['modal']} — {f['why']}", highlight=False)
    else:
        console.print("The model's modal pattern matches the record in every case.")


SCHEME_LABELS = {
    "leave_one_out": "leave-one-out",
    "time_split_forward": "time split, forward",
    "time_split_backward": "time split, backward",
}


def render_out_of_sample(oos: dict, console: Console) -> None:
    """Hits with both 90% intervals, RPS and log score per predictor under every out-of-sample scheme."""
    if not oos.get("fitted"):
        console.print(f"Out of sample: {oos['note']}.", highlight=False)
        return
    table = Table(
        title="Out of sample: hits (90%: redrawn replications | resampled cases), RPS, mean log P(observed)",
        title_justify="left",
    )
    for col in ("scheme", "predictor", "government hits", "business hits", "RPS gov", "log P gov", "vs model"):
        table.add_column(col, justify="left" if col in ("scheme", "predictor") else "right")

    def hits(spread: dict, level: str) -> str:
        s = spread.get(level)
        if not s:
            return "–"
        lo, hi = s["replications_90"]
        cl, ch = s["cases_90"]
        return f"{s['hits']}/{s['cases']} ({lo}–{hi} | {cl:.2f}–{ch:.2f})"

    for scheme in SCHEMES:
        for name, by_scheme in oos["predictors"].items():
            t = by_scheme.get(scheme)
            if not t:
                continue
            versus = oos["versus_model"].get(name, {}).get(scheme)
            vs = (
                f"{versus['difference']:+.2f} [{versus['interval_90'][0]:+.2f}, {versus['interval_90'][1]:+.2f}]"
                if versus and versus.get("cases")
                else ""
            )
            rps_gov = t.get("mean_rps_government")
            log_gov = t.get("mean_log_p_observed_government")
            table.add_row(
                SCHEME_LABELS[scheme], label(name), hits(t["spread"], "government"), hits(t["spread"], "business"),
                "–" if rps_gov is None else f"{rps_gov:.3f}", "–" if log_gov is None else f"{log_gov:.2f}", vs,
            )  # fmt: skip
        table.add_section()
    console.print(table)
    splits = "; ".join(
        f"{SCHEME_LABELS[n]} chose {', '.join(f'{k}={v:g}' for k, v in s['chosen'].items())}"
        for n, s in oos["splits"].items()
    )
    console.print(
        f"Time split at {oos['split_date']}: {splits}. 'vs model': the model's hit rate minus the predictor's, "
        "on the same cases, with its 90% case-resampling interval.",
        highlight=False,
    )
    if any(name.startswith("stored:") for name in oos["predictors"]):
        console.print(f"Note: {STORED_NOTE}", highlight=False)


def render_sealed(sealed: dict | None, console: Console) -> None:
    """One line per sealed forecast: its score against the record, or that it waits for its outcome."""
    if not sealed:
        return
    console.print(
        f"Sealed forecasts in {sealed['folder']}: {len(sealed['scored'])} scored, {len(sealed['pending'])} pending.",
        highlight=False,
    )
    for f in sealed["scored"]:
        flag = "" if f["sealed_before_event"] else " [red](sealed on or after the event: no forecast)[/red]"
        console.print(
            f"  {f['case']}: sealed {f['sealed_at']}, observed {f['observed']}, forecast {f['modal']} "
            f"(P(observed) {f['p_observed']:.2f}, RPS {f['rps']:.3f}, {'hit' if f['hit'] else 'miss'}){flag}",
            highlight=False,
        )
    for f in sealed["pending"]:
        console.print(f"  {f['case']}: sealed {f['sealed_at']}, waits for the record (date {f['date']})")
