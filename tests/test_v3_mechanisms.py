"""Model v3's mechanisms, each knocked out: subjects, and the venues (exploratory: no shipped case uses them).

On the record, knocking out a venue's fixed content, its single text or adoption by its other
members changed no out-of-sample score (docs/validation.md §4g), so no case file sets a venue;
the tests here show each still does what it says where a scenario sets one.
"""

from __future__ import annotations

import re
import shutil

from conftest import ROOT

import sim
from sim.experiments.history_predictors import case_rows, model_prediction
from sim.experiments.history_record import load_record
from sim.scenario import load_scenario

CASES = ROOT / "scenarios" / "history"
RECORD = {c.id: c for c in load_record(ROOT / "sim" / "data" / "history.yaml")}


def _variant(tmp_path, case: str, replace: tuple[str, str]):
    shutil.copy(CASES / "base.yaml", tmp_path / "base.yaml")
    text = (CASES / f"{case}.yaml").read_text()
    old, new = replace
    assert re.search(old, text, re.M), old
    (tmp_path / "v.yaml").write_text(re.sub(old, new, text, flags=re.M))
    return load_scenario(tmp_path / "v.yaml")


def _offers(scenario):
    events = sim.run(scenario, replications=6, seed=3).events
    return events[events.action == "offer"]


def test_a_venue_fixes_the_forum_of_every_text_it_tables():
    plain = load_scenario(CASES / "un_gdc_2024.yaml")
    un = sim.validate(plain.model_copy(update={"venue": plain.venue.model_copy(update={"fixes": {"forum": 1.0}})}))
    forum = un.issue_ids.index("forum")
    fixed = [float(d.split()[forum]) for d in _offers(un).detail]
    assert fixed and set(fixed) == {1.0}  # a UN text is UN-centred by the nature of the venue
    drafted = [float(d.split()[forum]) for d in _offers(plain).detail]
    assert drafted and max(drafted) < 0.9  # knocked out: the compromise of the table's forum stances


def test_a_single_text_venue_tables_one_text_where_a_summit_adds_a_narrower_deeper_one(tmp_path):
    summit = sim.load(ROOT / "scenarios" / "bletchley.yaml")  # the UK chair adds a West-only deeper text
    per_summit = _offers(summit).groupby(["replication", "round"]).size()
    assert per_summit.max() == 2
    single = sim.validate(summit.model_copy(update={"venue": summit.venue.model_copy(update={"kind": "single_text"})}))
    assert _offers(single).groupby(["replication", "round"]).size().max() == 1


def test_others_adopt_a_text_that_one_of_the_four_signs():
    """A UN vote: a text the venue's other members carry stands with one signature at the table;
    knocked out (two needed at the table), the same signature adopts nothing."""
    votes = load_scenario(CASES / "unga_laws_2025.yaml")
    lone = sim.validate(votes.model_copy(update={"at_table": ["uk"]}))  # the UK alone of the four
    carried = sim.validate(lone.model_copy(update={"venue": lone.venue.model_copy(update={"others_adopt": True})}))
    assert all(r["declaration_agreed"] for r in case_rows(carried, 8, 5))
    assert not any(r["declaration_agreed"] for r in case_rows(lone, 8, 5))


def test_a_stance_on_the_text_s_subject_outranks_the_general_one(tmp_path):
    military = load_scenario(CASES / "reaim_2024_blueprint.yaml")
    us = next(a for a in military.governments if a.id == "us")
    assert military.subject == "military" and us.ambition == 0.5  # the Political Declaration, not EO 14110
    general = _variant(tmp_path, "reaim_2024_blueprint", (r"^subject: .*$", "subject: civil_safety"))
    assert next(a for a in general.governments if a.id == "us").ambition == 0.75
    case = RECORD["reaim_2024_blueprint"]
    with_subject = model_prediction(case, military, case_rows(military, 30, 7)).modal[0]
    without = model_prediction(case, general, case_rows(general, 30, 7)).modal[0]
    assert with_subject.startswith("voluntary_commitments") and without.startswith("shared_testing")
