"""Case files of the history backtest keep their conventions (docs/cases.md): `validate --sources` enforces them."""

from __future__ import annotations

import re
import shutil

from conftest import ROOT, simrun

CASES = ROOT / "scenarios" / "history"


def test_every_shipped_case_file_passes_validate_sources():
    files = sorted(str(p) for p in CASES.glob("*.yaml"))
    assert len(files) > 1
    proc = simrun("validate", "--sources", *files)
    assert proc.returncode == 0, proc.stderr


def _copy(tmp_path):
    shutil.copy(CASES / "base.yaml", tmp_path / "base.yaml")
    shutil.copy(CASES / "g7_hiroshima_2023.yaml", tmp_path / "case.yaml")
    return tmp_path / "case.yaml"


def test_a_case_that_sets_a_stance_or_a_coefficient_is_refused_at_its_line(tmp_path):
    case = _copy(tmp_path)
    text = case.read_text()
    case.write_text(text + "actors:\n  - {id: us, ambition: 0.0}\nmodel:\n  depth_cost: 5\n")
    lines = case.read_text().splitlines()
    proc = simrun("validate", "--sources", str(case))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    for key in ("actors", "model"):
        line = lines.index(f"{key}:") + 1
        assert re.search(rf"^{re.escape(str(case))}:{line}: {key}: a dated case file may set only ", proc.stderr, re.M)
    assert simrun("validate", str(case)).returncode == 0  # without --sources it is a valid scenario


def test_a_case_without_its_date_is_refused(tmp_path):
    case = _copy(tmp_path)
    case.write_text(re.sub(r"(?m)^date: .*\n", "", case.read_text()))
    proc = simrun("validate", "--sources", str(case))
    assert proc.returncode == 2 and "date: a case of a base with dated stances must set its date" in proc.stderr


def test_a_stance_whose_source_postdates_a_case_that_uses_it_is_refused(tmp_path):
    case = _copy(tmp_path)  # G7 Hiroshima, 2023-10-30: uses the US period of 21 July 2023
    base = tmp_path / "base.yaml"
    text = base.read_text()
    assert "date: 2023-07-21}" in text
    base.write_text(text.replace("date: 2023-07-21}", "date: 2023-11-02}"))
    line = next(i for i, s in enumerate(base.read_text().splitlines(), 1) if "date: 2023-11-02}" in s)
    proc = simrun("validate", "--sources", str(case))
    assert proc.returncode == 2
    assert f"{base}:{line}: stances.1.sources.0.date: this stance of us (since 2023-07-21) is in force" in proc.stderr
    # a period not yet in force at the case's date may be sourced later (EO 14110 is 30 Oct 2023, the case's day)
    base.write_text(text.replace("date: 2023-10-30}", "date: 2023-12-01}"))
    assert simrun("validate", "--sources", str(case)).returncode == 0
