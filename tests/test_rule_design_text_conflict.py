"""design-text-conflict: masking and allocation named in the text vs the structured design."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from conftest import valid_record

from audit.cli import main
from audit.corpus import load_corpus
from audit.record import arm, record_filename
from audit.rules import Context, design_text_conflict
from audit.tables import build_tables

RULE = "design-text-conflict"
CONTEXT = Context(date(2026, 11, 22), RULE, "warning")


def findings(*records: dict) -> list:
    tables = build_tables((record_filename(r), r) for r in records)
    return list(design_text_conflict.check(tables, CONTEXT))


def described(summary: str, **fields) -> dict:
    return valid_record(
        descriptions={"brief_summary": summary, "detailed_description": None}, **fields
    )


def keys(*records: dict) -> list[str]:
    return [f.key for f in findings(*records)]


SEED_SUMMARY = (
    "This study is a 24-week single-center, randomized, double-blind, placebo-controlled trial."
)


@pytest.mark.parametrize("masking", ["DOUBLE", "TRIPLE", "QUADRUPLE"])
def test_double_blind_text_agrees_with_every_masking_of_two_or_more_roles(masking):
    # NCT04441658 on Veeva: "randomized, double-blind, placebo-controlled trial", Triple Blind.
    # The structured level counts the masked roles; "double-blind" is the design's usual name.
    record = described(SEED_SUMMARY, trial_id="NCT04441658", source="veeva", masking=masking)
    assert findings(record) == []


def test_double_blind_text_on_single_masking_is_a_warning():
    record = described(SEED_SUMMARY, masking="SINGLE", allocation="RANDOMIZED")
    [found] = findings(record)
    assert (found.field, found.key, found.severity) == ("masking", "masking-text", "warning")
    assert found.message == 'text says "double-blind" (brief_summary) but masking is SINGLE'
    [mention] = found.evidence["text"]
    assert mention["field"] == "brief_summary"
    assert "randomized, double-blind, placebo-controlled" in mention["snippet"]


@pytest.mark.parametrize(
    ("text", "masking"),
    [
        ("A Double Blind Study of X", "SINGLE"),
        ("A double-masked trial of X", "NONE"),
        ("A single-blind study of X", "NONE"),
        ("An open-label study of X", "DOUBLE"),
        ("An Open Label Randomized Trial", "TRIPLE"),
        ("An unblinded study of X", "QUADRUPLE"),
        ("A triple-blind study of X", "DOUBLE"),
        ("A quadruple-blind study of X", "TRIPLE"),
    ],
)
def test_masking_named_in_the_title_unlike_the_structured_masking(text, masking):
    assert keys(valid_record(official_title=text, masking=masking)) == ["masking-text"]


@pytest.mark.parametrize(
    ("text", "masking"),
    [
        ("A Double-Blind Study of X", "DOUBLE"),
        ("A single blinded study of X", "SINGLE"),
        ("An open-label study of X", "NONE"),
        ("A triple-blind study of X", "TRIPLE"),
        ("A study of X", "QUADRUPLE"),
        ("A double-blind study of X", None),
        ("A double-blinded study of X", "QUADRUPLE"),
        ("A triple-blind study of X", "QUADRUPLE"),
        ("A single-blind study of X", "DOUBLE"),
    ],
)
def test_masking_text_agreeing_or_absent_gives_nothing(text, masking):
    assert findings(valid_record(official_title=text, masking=masking)) == []


def test_open_label_with_only_the_outcomes_assessor_masked_is_a_probe_design():
    probe = described(
        "A multicentre, open-label randomised controlled trial.",
        masking="SINGLE",
        who_masked=["OUTCOMES_ASSESSOR"],
    )
    assert findings(probe) == []
    participant = described(
        "A multicentre, open-label randomised controlled trial.",
        masking="SINGLE",
        who_masked=["PARTICIPANT"],
    )
    assert keys(participant) == ["masking-text"]


def test_a_text_naming_two_phases_conflicts_only_with_a_third_masking():
    text = "Cohort A is treated double-blind; cohort B is treated open label."
    assert findings(described(text, masking="DOUBLE")) == []
    assert findings(described(text, masking="NONE")) == []
    assert findings(described(text, masking="QUADRUPLE")) == []  # double-blind or more
    assert keys(described(text, masking="SINGLE")) == ["masking-text"]


@pytest.mark.parametrize(
    "text",
    [
        "Results will be compared with a previous double-blind trial of the same drug.",
        "Patients who completed the double-blind study may enroll.",
        "This combination has never been studied in a double-blind trial.",
        "An open-label single group trial has demonstrated the safety of X.",
        "The 9-week phase will be followed by a 1-year open-label extension without placebo.",
        "Participants and study staff are unblinded following the first challenge.",
        "A Phase I, Investigator And Subject-Blind (Sponsor Unblinded), Dose Escalation Study.",
    ],
)
def test_mentions_of_other_studies_phases_or_events_are_not_the_design(text):
    assert findings(described(text, masking="DOUBLE")) == []


@pytest.mark.parametrize(
    "text",
    [
        # False positives of the labelled sample (tests/evaluation/findings), as fixtures: a
        # treatment given openly after the blinded phase, as rescue or to a subgroup.
        "Patients receive X or placebo for 6 months. All patients then receive open-label X "
        "for approximately 6 additional months.",
        "Patients who fail at week 12 are offered open-label drug Y for the rest of the study.",
        "Following study treatment, patients may elect to receive an open-label, 6-month "
        "course of approved therapy.",
        "After 10 weeks all patients may receive active drug on an open-label basis.",
        "Non-responders may receive an injection of open label X at the 1 month visit.",
        "Patients on the blinded arms will proceed as open-label X after unblinding.",
        "Group B: Patients receive treatment on their assigned, open-label regimen.",
        # (hold-out sample) a later step entered after a CD4 drop, told in an amendment,
        "Patients who develop a drop in CD4 count are offered open-label azithromycin. [AS PER "
        "AMENDMENT 06/24/98: Patients remain on open-label azithromycin regardless of "
        "subsequent CD4 counts.] Patients from Step 3 who are initiating open-label "
        "azithromycin enter Step 4.",
        # (hold-out round 3) a cohort an amendment added,
        "Per 07/28/92 amendment, 18 volunteers will receive 200 mcg gp160 in an unblinded study.",
        # a later trial, and an open-label first part followed by the blinded one,
        "If the patients elect, we will transition them into an open label trial of X.",
        "An Open Label Dose Escalation Phase 1 Trial Followed by a Randomized, Double-blind, "
        "Placebo-controlled Phase 2 Trial",
    ],
)
def test_a_treatment_given_openly_is_not_the_design(text):
    assert findings(described(text, masking="DOUBLE")) == []


def test_an_open_label_arm_makes_open_label_text_a_part_of_the_design():
    # Modelled on a TMS trial: blinded active and sham coils in Phase I, then an arm "Phase II
    # Open Label Active TMS"; the text names the open-label TMS of that part.
    text = "To evaluate the benefit of daily, active, open-label TMS in Phase I non-responders."
    arms = [
        arm("Phase I TMS Active", "ACTIVE_COMPARATOR"),
        arm("Phase I TMS Sham", "SHAM_COMPARATOR"),
        arm("Phase II Open Label Active TMS", "OTHER"),
    ]
    assert findings(described(text, masking="QUADRUPLE", arms=arms)) == []
    assert keys(described(text, masking="QUADRUPLE", arms=arms[:2])) == ["masking-text"]


def test_receiving_a_drug_in_an_open_label_fashion_is_the_design():
    text = "Participants will receive drug X in an open-label fashion for 12 weeks."
    assert keys(described(text, masking="DOUBLE")) == ["masking-text"]


@pytest.mark.parametrize(
    "text",
    [
        # False positives of the labelled sample, as fixtures: a later stage, earlier
        # evidence, a named trial.
        "Subsequently, the study will proceed with a placebo-controlled randomized study "
        "according to the results of the pilot.",
        "NAC had been safely used in a large group of patients for over one year in a "
        "prospective randomized trial.",
        "Patients were followed up to 4 years in the SPIRIT III Randomized Control Trial.",
    ],
)
def test_randomized_mentions_of_other_stages_or_trials_give_nothing(text):
    assert findings(described(text, allocation="NON_RANDOMIZED")) == []


def test_randomized_text_with_non_randomized_allocation():
    [found] = findings(
        valid_record(official_title="A Randomized Trial of X versus Y", allocation="NON_RANDOMIZED")
    )
    assert (found.field, found.key) == ("allocation", "allocation-text")
    assert found.message == (
        'text says "Randomized" (official_title) but allocation is NON_RANDOMIZED'
    )


@pytest.mark.parametrize(
    ("text", "allocation"),
    [
        ("A non-randomized study of X", "RANDOMIZED"),
        ("A nonrandomised study of X", "RANDOMIZED"),
        ("Patients are not randomized.", "RANDOMIZED"),
        ("A quasi-randomized design", "RANDOMIZED"),
        ("A randomised trial of X", "NON_RANDOMIZED"),
    ],
)
def test_allocation_conflicts(text, allocation):
    assert keys(described(text, allocation=allocation)) == ["allocation-text"]


@pytest.mark.parametrize(
    ("text", "allocation"),
    [
        ("A non-randomized study of X", "NON_RANDOMIZED"),
        ("A Non-Randomized, Open Label Study", "NON_RANDOMIZED"),
        ("Randomized controlled trials have shown that X works.", "NON_RANDOMIZED"),
        ("The subsequent cluster-randomized trial will test X.", "NON_RANDOMIZED"),
        ("A randomized trial of X", "RANDOMIZED"),
        ("A randomized trial of X", "NA"),
    ],
)
def test_allocation_agreeing_or_about_other_trials_gives_nothing(text, allocation):
    assert findings(described(text, allocation=allocation)) == []


def test_masking_level_unlike_the_number_of_masked_roles():
    [found] = findings(
        valid_record(
            masking="DOUBLE", who_masked=["PARTICIPANT", "INVESTIGATOR", "OUTCOMES_ASSESSOR"]
        )
    )
    assert (found.field, found.key) == ("who_masked", "masked-roles")
    assert found.message == (
        "masking is DOUBLE but 3 roles are masked (INVESTIGATOR, OUTCOMES_ASSESSOR, PARTICIPANT)"
    )
    assert keys(valid_record(masking="SINGLE", who_masked=["PARTICIPANT", "INVESTIGATOR"])) == [
        "masked-roles"
    ]
    assert keys(valid_record(masking="NONE", who_masked=["PARTICIPANT"])) == ["masked-roles"]


def test_matching_or_missing_roles_give_nothing():
    four = ["PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR", "OUTCOMES_ASSESSOR"]
    assert findings(valid_record(masking="QUADRUPLE", who_masked=four)) == []
    assert findings(valid_record(masking="DOUBLE", who_masked=[])) == []


def test_placebo_arm_with_open_label_masking():
    by_type = valid_record(
        masking="NONE", arms=[arm("Drug X", "EXPERIMENTAL"), arm("Control", "PLACEBO_COMPARATOR")]
    )
    [found] = findings(by_type)
    assert (found.field, found.key) == ("masking", "placebo-open")
    assert found.message == "placebo arm (Control) but masking is NONE"
    by_label = valid_record(masking="NONE", arms=[arm("Placebo tablets", "OTHER")])
    assert keys(by_label) == ["placebo-open"]


def test_placebo_arm_when_masked_or_open_label_placebo_by_design_gives_nothing():
    arms = [arm("Placebo", "PLACEBO_COMPARATOR")]
    assert findings(valid_record(masking="DOUBLE", arms=arms)) == []
    assert findings(valid_record(masking=None, arms=arms)) == []
    assert (
        findings(described("We test open-label placebo pills in IBS.", masking="NONE", arms=arms))
        == []
    )
    assert (
        findings(
            valid_record(masking="NONE", arms=[arm("Open-label placebo", "PLACEBO_COMPARATOR")])
        )
        == []
    )


def test_docstring_is_curator_documentation():
    doc = design_text_conflict.__doc__
    assert doc.splitlines()[0].endswith(".")
    for part in ("What it detects", "Why it matters", "How to fix", "Example"):
        assert part in doc


def test_seed_nct04441658_double_blind_text_on_triple_masking_is_no_conflict(seeds, tmp_path):
    assert main(["normalize", str(seeds), "--out", str(tmp_path)]) == 0
    tables = load_corpus(tmp_path).tables
    studies = tables.studies.set_index("trial_id")
    assert studies.loc["NCT04441658", "masking"] == "TRIPLE"
    assert "double-blind" in studies.loc["NCT04441658", "brief_summary"]
    assert list(design_text_conflict.check(tables, CONTEXT)) == []


def test_real_corpus_counts(real_tables):
    found = list(design_text_conflict.check(real_tables, CONTEXT))
    counts = Counter((f.key, f.sources[0]) for f in found)
    # 256 fewer masking-text findings than when blinded levels were compared literally: the
    # 254 info findings of a text naming fewer blinded roles than the structured masking (245
    # of them "double-blind" on TRIPLE or QUADRUPLE), and 2 warnings on texts naming a
    # double-blind and an open-label phase of a TRIPLE and a QUADRUPLE record.
    assert counts == {
        ("masking-text", "ctgov-xml"): 3,
        ("masking-text", "ctgov-api"): 8,
        (
            "masking-text",
            "ictrp",
        ): 9,  # 10 before an open-label first part "followed by" a blinded one was read as a phase
        ("allocation-text", "ctgov-xml"): 2,  # 5 before other trials and stages were skipped
        ("allocation-text", "ctgov-api"): 2,
        ("allocation-text", "ictrp"): 2,
        ("placebo-open", "ctgov-xml"): 4,
        ("placebo-open", "ctgov-api"): 4,
    }
    assert all(f.severity == "warning" for f in found)
