"""simrun import: the field's actor tables (KTAB, BDM, DEU III) into scenarios that validate and run."""

from __future__ import annotations

import yaml
from conftest import ROOT, simrun

import sim
from sim.data import DEU

EXAMPLES = ROOT / "docs" / "examples"


def test_a_ktab_table_round_trips_into_a_scenario_that_validates_and_runs(tmp_path):
    out = tmp_path / "d00032.yaml"
    proc = simrun("import", "ktab", str(EXAMPLES / "deu_d00032.ktab.csv"), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert simrun("validate", "--sources", str(out)).returncode == 0
    s = sim.load(out)
    assert [i.id for i in s.issues] == ["dimension_1", "dimension_2"] and len(s.actors) == 17
    de = next(a for a in s.actors if a.id == "de")
    # the table's numbers: DE at 0 and 100 (of 100), saliences 80 and 90, capability 4.1
    assert de.position == {"dimension_1": 0.0, "dimension_2": 1.0} and de.salience == {
        "dimension_1": 80,
        "dimension_2": 90,
    }
    assert de.capability == 4.1 and "DEU III" in de.sources[0].by and de.sources[0].kind == "fact"
    result = sim.run(s, replications=5, seed=1)
    assert len(result.outcomes) == 5
    proc = simrun(str(out), "-n", "5", "--out", str(tmp_path / "run"))
    assert proc.returncode == 0, proc.stderr


def test_the_bdm_table_form_carries_each_rows_source(tmp_path):
    out = tmp_path / "bdm.yaml"
    proc = simrun("import", "bdm", str(EXAMPLES / "deu_d00032.bdm.csv"), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    data = yaml.safe_load(out.read_text())
    assert [i["id"] for i in data["issues"]] == ["issue_1", "issue_4"]
    com = next(a for a in data["actors"] if a["id"] == "com")
    assert [src["by"] for src in com["sources"]][0].endswith("d00032i1") and len(com["sources"]) == 2
    assert sim.run(sim.load(out), replications=3, seed=2).replications == 3


def test_one_issue_of_the_deu_file_is_imported_with_its_reader(tmp_path):
    out = tmp_path / "deu.yaml"
    proc = simrun("import", "deu", str(DEU), "--issue", "d00032i4", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    s = sim.load(out)
    assert s.issues[0].status_quo == 0.0 and "d00032i4" in s.description and len(s.actors) == 17


def test_bad_tables_are_refused_with_file_line_key(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("T,desc,2,1\nActor,Description,Power,Pstn1,Sal1\nA,x,10,50,50\nB,y,10,150,50\n")
    proc = simrun("import", "ktab", str(bad), "--out", str(tmp_path / "b.yaml"))
    assert proc.returncode == 2 and proc.stderr.strip() == f"{bad}:4: Pstn1: 150 is outside [0, 100]"
    header = tmp_path / "h.csv"
    header.write_text("actor,position\nA,5\n")
    proc = simrun("import", "bdm", str(header))
    assert proc.returncode == 2 and "h.csv:1: header: missing columns ['capability', 'salience']" in proc.stderr
    taken = tmp_path / "taken.yaml"
    taken.write_text("x")
    proc = simrun("import", "ktab", str(EXAMPLES / "deu_d00032.ktab.csv"), "--out", str(taken))
    assert proc.returncode == 2 and "--out: " in proc.stderr and "Traceback" not in proc.stderr
    proc = simrun("import", "xls", str(bad))
    assert proc.returncode == 2 and "unknown table format 'xls'" in proc.stderr
