"""HTML building blocks of the handouts (report and worksheet).

One inline style, escaping, percentages with their interval, embedded plots, tables,
and an atomic page writer.

Pages are self-contained (plots as data URIs, the style inline) so they open offline.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from sim.scenario.errors import InputError, Problem
from sim.scenario.reading import read_bytes, read_json

STYLE = """
body{font-family:Georgia,'Times New Roman',serif;max-width:62rem;margin:2rem auto;padding:0 1rem;color:#222;
line-height:1.45}
h1{font-size:1.7rem;margin-bottom:.2rem} h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.6rem 0;font-size:.92rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}
th{background:#f2f2f2} td.n{text-align:right;font-variant-numeric:tabular-nums}
img{max-width:100%;border:1px solid #ddd;margin:.5rem 0} .meta{color:#666;font-size:.9rem}
blockquote{margin:.3rem 0 .3rem 1rem;padding-left:.6rem;border-left:3px solid #bbb;color:#333}
.warn{background:#fff6d6;padding:.4rem .6rem;border:1px solid #e6d28a}
"""


GLOSSARY = {
    "weighted mean": "the governments' positions averaged, each weighted by its capability times how much it cares "
    "about the issue.",
    "median": "the middle position: as many governments stand below it as above.",
    "Nash": "the Nash bargaining solution, the text that maximises the product of every government's gain over no "
    "deal: a classic benchmark of a fair bargain.",
    "model deal": "the text the simulated governments actually agreed (blank when they agreed none).",
    "Wilson interval": "the range [low–high] after each probability: with 95% confidence the true share lies inside "
    "it, given the number of replications.",
}
"""One line for each term a student meets in the report."""


def esc(text: object) -> str:
    """``text`` as HTML-safe text."""
    return html.escape(str(text))


def pct(est: dict) -> str:
    """A probability estimate as '42% [36–49]' (its Wilson interval in brackets)."""
    return f"{est['p'] * 100:.0f}% [{est['low'] * 100:.0f}–{est['high'] * 100:.0f}]"


def img(path: Path, alt: str) -> str:
    """A PNG embedded as a data URI (empty when the file is missing)."""
    if not path.exists():
        return ""
    data = base64.b64encode(read_bytes(path, 50_000_000, "plot")).decode()
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{data}">'


def table(header: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    """An HTML table; columns in ``numeric`` are right-aligned."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="{"n" if i in numeric else ""}">{esc(c)}</td>' for i, c in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_page(path: Path, title: str, style: str, body: list[str]) -> Path:
    """Write one self-contained HTML page atomically (a temporary file, then a rename) and return its path."""
    page = (
        f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{esc(title)}</title>"
        f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n"
    )
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(page, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:  # a read-only folder, a full disk, a folder where the file should be
        if tmp.is_file():
            tmp.unlink()
        raise InputError([Problem(str(path.parent), 0, "", f"cannot write {path.name}: {exc.strerror}")]) from None
    return path


RESULT_LIMITS = {"manifest.json": 1_000_000, "summary.json": 5_000_000, "scenario.json": 10_000_000}
"""Bytes a result file may have: a run's summary is a few kB, so a crafted file of millions of
items is refused before it is parsed rather than built into a report."""


def read_result_json(folder: Path, name: str) -> dict:
    """``folder/name`` as a JSON object, or an InputError saying the folder is not a result."""
    path = folder / name
    if not path.exists():
        raise InputError([Problem(str(folder), 0, "", f"no {name}: not a simrun result folder")])
    data = read_json(path, limit=RESULT_LIMITS.get(name, 10_000_000), what=name)
    if not isinstance(data, dict):
        raise InputError([Problem(str(path), 0, "", "not a simrun file (expected a JSON object)")])
    return data
