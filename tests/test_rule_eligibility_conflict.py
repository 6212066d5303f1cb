"""eligibility-conflict: ages and sex stated in the inclusion criteria vs the structured fields."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pandas as pd
import pytest
from conftest import valid_record

from audit.cli import main
from audit.corpus import load_corpus
from audit.record import record_filename
from audit.rules import Context, eligibility_conflict
from audit.tables import build_tables

RULE = "eligibility-conflict"
CONTEXT = Context(date(2026, 11, 22), RULE, "info")


def findings(*records: dict) -> list:
    tables = build_tables((record_filename(r), r) for r in records)
    return list(eligibility_conflict.check(tables, CONTEXT))


def eligible(
    inclusion: list[str],
    min_age: float | None = 18,
    max_age: float | None = 70,
    sex: str | None = "ALL",
    exclusion: list[str] | None = None,
    **fields,
) -> dict:
    return valid_record(
        eligibility={
            "sex": sex,
            "min_age_years": min_age,
            "max_age_years": max_age,
            "healthy_volunteers": None,
            "inclusion": inclusion,
            "exclusion": exclusion or [],
        },
        **fields,
    )


def summary(*records: dict) -> list[tuple[str | None, str, str]]:
    return [(f.field, f.key, f.severity) for f in findings(*records)]


def test_seed_like_ages_in_text_matching_the_structured_ages():
    # NCT03943940 on Veeva: "Males and females between age 18 and 70 years", 18 to 70 years.
    assert (
        findings(
            eligible(
                [
                    "Who is diagnosed with Type 2 Diabetes Mellitus",
                    "Males and females between age 18 and 70 years at the screening.",
                    "8% ≤ HbA1C ≤ 11%",
                ],
                trial_id="NCT03943940",
            )
        )
        == []
    )


def test_seed_like_ages_only_in_text_are_info():
    # NCT06751199 on MedPath: the page gives no structured ages, the criteria say 18-70.
    record = eligible(
        ["Aged 18-70, no gender restriction."],
        min_age=None,
        max_age=None,
        trial_id="NCT06751199",
        source="medpath",
    )
    minimum, maximum = findings(record)
    assert (minimum.field, minimum.key, minimum.severity) == ("min_age_years", "missing", "info")
    assert minimum.message == (
        'criteria state a minimum age of 18 years ("18-70"); the record has no minimum age'
    )
    assert (maximum.field, maximum.evidence["stated_years"]) == ("max_age_years", 70.0)


def test_maximum_age_conflict():
    [found] = findings(eligible(["Aged 18-70"], max_age=65))
    assert (found.field, found.key, found.severity) == ("max_age_years", "conflict", "info")
    assert found.message == (
        'criteria say a maximum age of 70 years ("18-70"), the record says 65 years'
    )
    assert found.evidence == {"criteria": "18-70", "stated_years": 70.0, "max_age_years": 65.0}


@pytest.mark.parametrize(
    ("item", "min_age"),
    [
        ("age ≥ 18 years", 21),
        ("18 years or older", 16),
        ("Patients must be at least 18 years of age", 12),
        ("Aged over 50", 18),
        ("Age > 18 years", 20),
        ("Children aged 6 months to 17 years", 6),
    ],
)
def test_minimum_age_conflicts(item, min_age):
    assert summary(eligible([item], min_age=min_age, max_age=17)) == [
        ("min_age_years", "conflict", "info")
    ]


@pytest.mark.parametrize(
    ("item", "min_age", "max_age"),
    [
        ("Age > 18 years", 18, None),
        ("Age > 18 years", 19, None),
        ("Age < 65 years", None, 64),
        ("Age < 65 years", None, 65),
        ("Be between the ages of 18 and 65", 19, 64),
        ("Children aged 6 months to 17 years", 0.5, 17),
        ("Males and females (age 9 - 17.99)", 9, 17),
        ("Postnatal age < 48 hours", None, 0.0055),
        ("Age ≥ 18 years", 18, 75),
    ],
)
def test_agreeing_ages_give_nothing(item, min_age, max_age):
    assert findings(eligible([item], min_age=min_age, max_age=max_age)) == []


@pytest.mark.parametrize(
    "item",
    [
        "BMI 18-30 kg/m2",
        "Body mass index 18.5kg/m2 to 25 kg/m2",
        "HbA1c 7-10%",
        "Stable dose within 6 months",
        "< 30 days since surgery",
        "The course of diabetes is 5-15 years",
        "Caregiver aged 18 years or older",
        "Age at diagnosis ≤ 18 years",
        "Gestational age 37-42 weeks",
        "Lansky ≥ 50 for patients who are ≤ 16 years old",
        "Age ≥ 60 years or diabetes or hypertension",
        "One of the following risk factors: age > 65, obesity, diabetes",
        "Adults (18 years and older) and children with confirmed infection",
        "Age more than 21 if not married",
        "Symptoms and one of three: dyspnea, age > 60, relevant comorbidity",
        # False positives of the labelled sample (tests/evaluation/findings), as fixtures:
        # an age for the participants who choose an optional part only,
        "Patients who elect to complete the mail-in questionnaire must be >= 18 years old.",
        # a performance-score threshold by age,
        "Performance status: Karnofsky 70-100% OR Age less than 16 years: Lansky 50-100%",
        # an exclusion filed among the inclusion criteria,
        "Age less than 18 years and over 70 years.",
        # relatives' age at diagnosis,
        "Two first or second-degree relatives affected at an early age (age 55 years or younger).",
        # a condition for a test, not for enrolment,
        "Exercise stress test without ischemia required for: Diabetes Hypertension Age over 50",
        # a quota,
        "No more than 10 percent of subjects may be over 50 years of age.",
        # a possible later extension of the trial,
        "Patients at least 18 years old (may only be extended to include children 12 years or "
        "older after the 1st interim analysis)",
    ],
)
def test_numbers_that_are_not_the_participants_age_limits(item):
    assert findings(eligible([item], min_age=40, max_age=60)) == []


@pytest.mark.parametrize(
    "items",
    [
        # cohorts of different ages
        ["Adults aged 18-65 years", "Adolescents aged 12-17 years"],
        # NCT00001125: the age at a past illness beside the participants' ages
        ["Are 2 to 18 years old.", "Were at least 1 year old when they had chickenpox."],
        # NCT00000431: the wound's age
        ["Patient must be more than 18 years old", "Wound must be more than 6 months old"],
        # NCT00005014: a developmental age
        ["Between the ages of 5 and 17 years", "Mental age of at least 18 months"],
        # NCT00001352: patients "over the age of 18", volunteers "between 18 and 70"
        ["Be over the age of 18 years old", "Be between the ages of 18 and 70 years old"],
        # limits split over two items
        ["Age >= 18 years", "Age <= 75 years"],
    ],
)
def test_criteria_giving_ages_in_several_items_are_not_judged(items):
    for min_age, max_age in ((18, 65), (0.25, 99), (None, None)):
        assert findings(eligible(items, min_age=min_age, max_age=max_age)) == []


def test_several_limits_in_one_item_conflict_only_when_the_record_agrees_with_none():
    # Modelled on NCT04368728 (whose ranges "(dependent upon study stage)" are one part's each
    # and are not read at all)
    item = (
        "Male or female participants between the ages of 18 and 55 years, inclusive, or 65 and "
        "85 years, inclusive, at randomization."
    )
    assert findings(eligible([item], min_age=18, max_age=85)) == []
    assert summary(eligible([item], min_age=18, max_age=90)) == [
        ("max_age_years", "conflict", "info")
    ]
    assert findings(eligible([item], min_age=None, max_age=85)) == []  # which minimum?
    staged = item.replace("at randomization.", "at randomization (dependent upon study stage).")
    assert findings(eligible([staged], min_age=18, max_age=90)) == []


def test_an_age_in_a_past_year_is_not_a_limit():
    # NCT00005557: a cohort recruited in 1988 and followed for decades
    assert findings(eligible(["Age 30-60 in 1988"], min_age=30, max_age=95)) == []


def test_open_age_group_above_a_range_states_no_maximum():
    item = "Healthy adults aged 18-59 years, or 60 years and above with identity papers"
    assert findings(eligible([item], min_age=18, max_age=80)) == []
    item = "Age >=60 years OR age 18-59 years with one of the following conditions:"
    assert findings(eligible([item], min_age=18, max_age=None)) == []


def test_age_stated_before_a_list_of_risk_factors_is_read():
    items = ["Men age ≥45 years with at least one of the following cardiovascular risk factors"]
    assert findings(eligible(items, min_age=45, max_age=None)) == []
    assert summary(eligible(items, min_age=40, max_age=None)) == [
        ("min_age_years", "conflict", "info")
    ]


def test_items_listed_under_one_of_the_following_are_alternatives():
    # Modelled on a plasma trial: "=18 years" (a mangled >=) for everyone, then "Age > 65
    # years" as one of the risk features a patient needs at least one of.
    items = [
        "2. Patient of both sexes, aged 40 to 60 years.",
        "4. Patients requiring hospitalization and at least one of the following:",
        "O2 saturation = 94% in ambient air.",
        "Age> 65 years.",
        "Presence of: high blood pressure, diabetes or obesity",
    ]
    assert findings(eligible(items, min_age=40, max_age=60)) == []
    # Ages are read again from the next numbered item on.
    numbered = pd.Series([*items, "5. Aged 30 years or older"], index=[0] * 6)
    assert eligibility_conflict._alternatives(numbered).tolist() == [0, 0, 1, 1, 1, 0]
    # One of the conditions of a test ("ejection fraction at least 40% for any of the
    # following criteria:"), in a legacy record whose items are not numbered.
    conditions = ["Cardiac ejection fraction at least 40% for any of the following criteria:"]
    conditions += ["Age 60 and over", "Significant cardiac history"]
    assert findings(eligible(conditions, min_age=19, max_age=70)) == []


def test_at_least_3_of_the_following_are_alternatives():
    # Modelled on a Hodgkin's disease trial: age is one of the poor-prognosis characteristics.
    items = [
        "Stage III or IV Hodgkin's disease with at least 3 of the following characteristics:",
        "Male sex",
        "At least 45 years of age",
        "Stage IV disease",
    ]
    assert findings(eligible(items, min_age=15, max_age=65)) == []


def test_poor_risk_factors_including_are_alternatives():
    # Modelled on an AML trial: "Greater than 60 years old" is one poor risk factor of the
    # untreated-AML cohort; the participants' limit is "18 and over".
    items = [
        "Untreated AML with poor risk factors for response to standard therapy including:",
        "Greater than 60 years old",
        "AML occurs in setting of antecedent hematologic disorder",
        "18 and over",
    ]
    assert findings(eligible(items, min_age=18, max_age=None)) == []


def test_age_windows_from_birth_joined_by_or():
    # Modelled on a newborn study: three windows, the first from birth.
    item = (
        "Are between birth and 48 hours of age, between 3 and 7 days of age, or between 21 "
        "and 28 days of age."
    )
    assert findings(eligible([item], min_age=1 / 365.25, max_age=28 / 365.25)) == []


def test_a_range_ending_a_sentence_is_read():
    # Modelled on cohorts "Age 18 to 55." / ">= 60 years of age." / "Age 18 to 40.": the final
    # period used to hide the ranges, leaving the older cohort's 60 as the minimum.
    cohorts = ["Age 18 to 55.", "Greater than or equal to 60 years of age.", "Age 18 to 40."]
    assert findings(eligible(cohorts, min_age=18, max_age=70)) == []
    assert summary(eligible(["Age 18 to 55."], min_age=18, max_age=65)) == [
        ("max_age_years", "conflict", "info")
    ]


def test_an_open_older_group_after_a_parenthesis_states_no_maximum():
    item = (
        "Aged 18 to 60 years (i.e. to the day before the 61st birthday) or 61 years or above "
        "(from the day of the 61st birthday) on the day of inclusion"
    )
    assert findings(eligible([item], min_age=18, max_age=None)) == []


def test_exclusion_criteria_are_not_read():
    assert findings(eligible(["Signed consent"], exclusion=["Age < 18 years"])) == []
    merged = ["Age 20-65 years Exclusion Criteria: - Age > 80 years"]
    assert findings(eligible(merged, min_age=20, max_age=65)) == []


def test_sex_conflicts():
    [found] = findings(eligible(["Women only, aged 18-70"], sex="ALL"))
    assert (found.field, found.key) == ("sex", "conflict")
    assert found.message == (
        'criteria admit female participants only ("Women only, aged '
        '18-70"), the record says sex ALL'
    )
    assert summary(eligible(["Males and females aged 18-70"], sex="FEMALE")) == [
        ("sex", "conflict", "info")
    ]
    assert summary(eligible(["Men only"], sex="FEMALE")) == [("sex", "conflict", "info")]


@pytest.mark.parametrize(
    ("item", "sex"),
    [
        ("Males and females aged 18-70", "ALL"),
        ("Aged 18-70, no gender restriction.", "ALL"),
        ("Postmenopausal women only", "FEMALE"),
        ("For women only: a negative pregnancy test", "ALL"),
        ("Men and women of child-bearing potential must use contraception", "FEMALE"),
        ("Women only; men and women over 70 may join the registry", "ALL"),
    ],
)
def test_sex_agreeing_or_not_about_eligibility_gives_nothing(item, sex):
    assert [f for f in findings(eligible([item], sex=sex)) if f.field == "sex"] == []


def test_docstring_is_curator_documentation():
    doc = eligibility_conflict.__doc__
    assert doc.splitlines()[0].endswith(".")
    for part in ("What it detects", "Why it matters", "How to fix", "Example"):
        assert part in doc


def test_seed_trials_normalized_with_the_cli(seeds, tmp_path):
    assert main(["normalize", str(seeds), "--out", str(tmp_path)]) == 0
    tables = load_corpus(tmp_path).tables
    found = list(eligibility_conflict.check(tables, CONTEXT))
    assert [f for f in found if "NCT03943940" in f.trial_ids] == []
    seed = sorted((f.field, f.key, f.severity) for f in found if "NCT06751199" in f.trial_ids)
    assert seed == [("max_age_years", "missing", "info"), ("min_age_years", "missing", "info")]
    assert [f for f in found if f.severity != "info"] == []


def test_real_corpus_counts(real_tables):
    found = list(eligibility_conflict.check(real_tables, CONTEXT))
    counts = Counter((f.field, f.key, f.sources[0]) for f in found)
    assert counts == {
        ("min_age_years", "conflict", "ctgov-xml"): 8,
        ("min_age_years", "conflict", "ctgov-api"): 2,
        ("min_age_years", "conflict", "ictrp"): 25,
        ("max_age_years", "conflict", "ctgov-xml"): 6,
        ("max_age_years", "conflict", "ctgov-api"): 3,
        ("max_age_years", "conflict", "ictrp"): 18,
        ("sex", "conflict", "ctgov-xml"): 1,
        ("sex", "conflict", "ctgov-api"): 1,
        ("sex", "conflict", "ictrp"): 3,
        # info: criteria state an age the record lacks (mostly EU CTR, CTRI, ChiCTR rows of ICTRP)
        ("min_age_years", "missing", "ctgov-xml"): 3,
        ("min_age_years", "missing", "ctgov-api"): 2,
        ("min_age_years", "missing", "ictrp"): 226,
        ("max_age_years", "missing", "ctgov-xml"): 3,
        ("max_age_years", "missing", "ctgov-api"): 1,
        ("max_age_years", "missing", "ictrp"): 95,
    }


def test_a_stated_minimum_of_0_is_no_minimum():
    # Modelled on paediatric ICTRP rows "0-18 years" with no structured minimum age: the
    # same thing, nothing to fill in; the missing maximum is still reported.
    assert summary(eligible(["Children aged 0-18 years"], min_age=None, max_age=None)) == [
        ("max_age_years", "missing", "info")
    ]


def test_newborn_participants_are_not_contradicted_by_the_mothers_or_other_cohorts():
    # Modelled on a mother-to-child transmission trial (mothers "pregnant for more than 32
    # weeks and at least 18 years of age", their newborns enrolled from day 1) and on a study
    # of premature infants (gestational age < 33 weeks) and of infants over 4 weeks old.
    mothers = ["Have been pregnant for more than 32 weeks and are at least 18 years of age."]
    assert findings(eligible(mothers, min_age=1 / 365.25, max_age=None)) == []
    cohorts = [
        "Premature infants with gestational age of less than 33 weeks",
        "Infants over 4 weeks old with bronchopulmonary dysplasia",
    ]
    assert findings(eligible(cohorts, min_age=0, max_age=None)) == []
    # ISRCTN68026880: the babies take part too, so no minimum is not a missing one
    babies = ["1. Women aged 18-50 who are pregnant and their babies"]
    assert findings(eligible(babies, min_age=None, max_age=50)) == []
    # while the mothers alone do not make a missing minimum right
    mothers = ["Non-pregnant women aged 18-50"]
    assert summary(eligible(mothers, min_age=None, max_age=50)) == [
        ("min_age_years", "missing", "info")
    ]
    # A record whose minimum is not the newborns' is still reported.
    neonates = ["Neonates aged 1-60 days"]
    assert summary(eligible(neonates, min_age=1, max_age=60 / 365.25)) == [
        ("min_age_years", "conflict", "info")
    ]


def test_cohort_ages_qualified_after_the_range_are_not_limits():
    # Modelled on "Age: 14-18 for children with hypogonadotropinism 9-13 for normal children".
    item = "Age: 14-18 for children with hypogonadotropinism 9-13 for normal children"
    assert findings(eligible([item], min_age=9, max_age=18)) == []


def test_an_ambiguous_equals_age_widens_the_other_limits():
    # ICTRP writes >= and <= as "=". Modelled on "Patients = 20 but < 65 years of age" and
    # "patients 65 - 80 years of age": the = 20 may be the minimum, so 20-80 agrees.
    cohorts = [
        "Patients = 20 but < 65 years of age with a temperature of 38°C",
        "patients 65 - 80 years of age with a temperature of 37.8°C",
    ]
    assert findings(eligible(cohorts, min_age=20, max_age=80)) == []
    # Alone it states no limit at all.
    assert findings(eligible(["Age = 18 years"], min_age=None, max_age=None)) == []


def test_an_item_with_an_age_in_words_is_not_read():
    # Modelled on "aged 3 months to 3 years. In the Phase II trial, children aged five years
    # 3 months of age and younger": the ages in words belong to a cohort not read otherwise.
    item = (
        "In the Phase I trial, children aged 3 months to 3 years. In the Phase II trial, "
        "children aged five years 3 months of age and younger."
    )
    assert findings(eligible([item], min_age=0.25, max_age=5)) == []


def test_a_test_result_not_older_than_some_days_is_no_age():
    assert findings(eligible(["Negative PCR not older than 28 days"], max_age=None)) == []


def test_asides_about_consent_puberty_and_earlier_versions():
    # Modelled on legacy NIH records: who consents for minors does not change the limit, the
    # age at which puberty is delayed describes the condition, an earlier version's limit is
    # history; a second age window after ", or are" is read as one.
    minors = ["Are at least 14 years old (consent of parent or guardian required if under 18)."]
    assert findings(eligible([*minors, "Are at least 18 years old."], min_age=14)) == []
    assert findings(eligible(["Puberty is somewhat delayed (age 15-16)"], min_age=10)) == []
    history = (
        "Are between the age of 3 months and 18 months. (This study has been changed. In an "
        "earlier version, patients up to 19 years old were eligible.)"
    )
    assert findings(eligible([history], min_age=None, max_age=None)) == []
    windows = "Are between 13 and 30 years old, or are more than 44 years of age."
    assert findings(eligible([windows], min_age=13, max_age=None)) == []


def test_the_healthy_volunteers_age_is_not_the_patients():
    # Modelled on a natural-history study: patients of any age, healthy volunteers 18 or older.
    items = [
        "Patients with neurological disorders and subjects with a family history OR",
        "Healthy volunteers: People age 18 or older who are generally in good health.",
    ]
    assert findings(eligible(items, min_age=2, max_age=None)) == []


def test_a_quota_in_an_aside_leaves_the_range_standing():
    item = "Participants must be between 18-60 years of age (no more than 10% to be over 50)."
    assert findings(eligible([item], min_age=18, max_age=60)) == []
    assert summary(eligible([item], min_age=18, max_age=None)) == [
        ("max_age_years", "missing", "info")
    ]


# False positives of the hold-out sample (tests/evaluation/findings), as fixtures.
def test_the_age_at_onset_in_the_same_sentence_is_not_a_limit():
    # Modelled on a strabismus trial: the onset age follows the participant's age.
    item = (
        "An eligible male or female must have been age 3 years or older (adults were "
        "included) and must have had esotropia that occurred at age 6 months or older."
    )
    assert findings(eligible([item], min_age=3, max_age=None)) == []
    assert summary(eligible([item], min_age=5, max_age=None)) == [
        ("min_age_years", "conflict", "info")
    ]


def test_an_age_in_parentheses_choosing_a_performance_scale_is_not_a_limit():
    items = [
        "Life expectancy of 12 weeks or more",
        "Performance status must be > 60 from Lansky (age 1 to 16) or Karnofsky (age > 16)",
    ]
    assert findings(eligible(items, min_age=1, max_age=25)) == []
    assert findings(eligible(items, min_age=5, max_age=None)) == []
    # Modelled on a leptomeningeal-disease trial (a finding newly drawn after the fix above).
    scales = [
        "Performance status - Lansky 50-100% (age 10 and under)",
        "Performance status - Karnofsky 50-100% (over age 10)",
    ]
    assert findings(eligible(scales, min_age=1, max_age=None)) == []


def test_healthy_volunteers_ages_beside_patients_are_one_cohorts():
    # Modelled on a natural-history protocol: patients and relatives of any age over a month,
    # healthy volunteers 18-80.
    items = [
        "Patients known to have or suspected of having an immune defect will be eligible, as "
        "well as their blood relatives.",
        "Healthy volunteers will be healthy adults between the age of 18 and 80 years of "
        "either sex, and they must be able to provide informed consents for themselves.",
    ]
    assert findings(eligible(items, min_age=0.0833, max_age=None)) == []
    # A trial of healthy volunteers alone: their ages are the trial's.
    alone = [items[1], "Non-smokers"]
    assert summary(eligible(alone, min_age=0.0833, max_age=None)) == [
        ("min_age_years", "conflict", "info"),
        ("max_age_years", "missing", "info"),
    ]


def test_cohort_headings_among_the_exclusion_criteria_widen_the_ages():
    # Modelled on a transplant protocol with two age groups, the older one named only in
    # the heading of its exclusion criteria.
    inclusion = [
        "Patients with CML in first chronic phase",
        "Patients =< 65 years old who are at high risk of regimen related toxicity",
    ]
    exclusion = [
        "Patients who are HIV+",
        "GROUP 1: (PATIENTS AGED > 65 AND < 75 YEARS)",
        "Karnofsky score < 70",
        "GROUP 2 (PATIENTS AGED =< 65)",
        "DONOR: Age less than 12 years",
    ]
    assert findings(eligible(inclusion, min_age=None, max_age=74, exclusion=exclusion)) == []
    # Without the heading the inclusion criteria's maximum still conflicts.
    assert summary(eligible(inclusion, min_age=None, max_age=74)) == [
        ("max_age_years", "conflict", "info")
    ]
    # A maximum beyond every cohort's still conflicts.
    assert summary(eligible(inclusion, min_age=None, max_age=80, exclusion=exclusion)) == [
        ("max_age_years", "conflict", "info")
    ]


def test_an_age_the_criteria_give_elsewhere_is_not_contradicted():
    # NCT04398147: "18 to <55" is not read as a range, yet 18 is an age the item gives
    items = ["Healthy adults from 18 to <55 and 65-<85 years of age at the time of enrollment"]
    assert findings(eligible(items, min_age=18, max_age=84)) == []
    assert summary(eligible(items, min_age=10, max_age=84)) == [
        ("min_age_years", "conflict", "info")
    ]


@pytest.mark.parametrize(
    "items",
    [
        # NCT04384588: lettered risk factors under "2 or more factor risks:"
        [
            "1. Patients with severity criteria must have any of the following: dyspnea",
            "2. Patients without severity criteria but with 2 or more factor risks:",
            "A. 50 years or older",
            "B. any of the following comorbidities: Diabetes Mellitus, Hypertension",
        ],
        # NCT00003027: conditions for a test
        ["Normal cardiac stress test required for the following:", "Over 50 years of age"],
        # NCT00000759: the age at which a specimen was taken
        ["Negative HIV antibody test on a specimen obtained at >= 18 months of age."],
    ],
)
def test_ages_that_are_conditions_not_limits(items):
    assert findings(eligible(items, min_age=0.25, max_age=8)) == []


@pytest.mark.parametrize(
    "items",
    [
        # NCT04431869: mothers and their neonates
        [
            "Pregnant females, 18 years and higher, with documented COVID-19 infection",
            "Neonates ages 1-60 days of life with documented limb anomalies",
        ],
        # NCT00004317: infants, and older children entered as controls
        [
            "Infants with congenital toxoplasmosis confirmed prior to age 2.5 months",
            "Untreated older children entered as controls",
            "Age more than 1 year",
        ],
    ],
)
def test_a_limit_of_one_population_among_several_is_not_missing(items):
    assert findings(eligible(items, min_age=None, max_age=None)) == []


@pytest.mark.parametrize(
    ("items", "min_age", "max_age"),
    [
        # NCT00001627: the patients' "age greater than or equal to 2" has no unit
        (
            [
                "Healthy volunteers age greater than or equal to 18 years.",
                "Subjects with hematologic disease age greater than or equal to 2 (for subjects "
                "less than 18, specimens will be obtained with clinically indicated sampling).",
            ],
            2,
            110,
        ),
        # NCT00001625: cohorts "between the ages of 21 and 55" and "21 and 65", no unit
        (
            [
                "Adults between the ages of 21 and 55 in good general health.",
                "Adults between the ages of 21 and 65 with non-insulin dependent diabetes.",
            ],
            21,
            65,
        ),
        # ChiCTR2000029822: the age is not limited; 16 is who signs the consent
        (
            [
                "1. Age is not limited;",
                "7. consent signed by the guardian of the person under the age of 16.",
            ],
            0,
            100,
        ),
        # NCT00001305: a recruitment goal, not a limit
        (
            [
                "Patients will be recruited with the goal of including at least 10 each of "
                "individuals with types III and IV OI who are between 3 and 8 years of age."
            ],
            3,
            16,
        ),
        # NCT00002757: "under 21 years" has no age word; 18 is a national exception
        (
            ["Over 6 months to under 21 years", "Maximum age 18 years in France and the UK"],
            0.5,
            20,
        ),
        # NCT00004991: the children of one of several subject groups
        (
            [
                "To address the hypotheses, several subject groups will be studied. Normal "
                "adults will be compared with normally developing children (ages 6-17)."
            ],
            6,
            65,
        ),
    ],
)
def test_hold_out_false_alarms_of_rounds_3_and_4(items, min_age, max_age):
    assert findings(eligible(items, min_age=min_age, max_age=max_age)) == []


def test_hold_out_round_5_false_alarms():
    # NCT00462891: the ages of one portion of the study
    item = "Age 42 to 69 years (randomized portion of study)"
    assert findings(eligible([item], min_age=18, max_age=None)) == []
    # NCT00001852: the exclusion criteria's "Age less than 4 years" is the record's minimum
    exclusion = ["Age less than 4 years."]
    assert findings(eligible(["Age 18 years or older."], 4, None, exclusion=exclusion)) == []
    assert summary(eligible(["Age 18 years or older."], 8, None, exclusion=exclusion)) == [
        ("min_age_years", "conflict", "info")
    ]


# Phrases each of which some pattern matches, in any case: every branch of the patterns
# the rule filters by literal words first (``audit.frames.matches``).
PATTERN_PHRASES = [
    "Healthy controls aged 18-40", "CONTROL GROUP: age 20 to 50", "enrolled as controls",
    "Cohort B: 12 to 17 years", "Healthy adult volunteers and patients with asthma",
    "patients aged 18-65; healthy subjects aged 18-40", "Group 2 (aged 6-11)",
    "ARM A: adults", "Part 1: adults over 18", "Stratum II", "two age groups",
    "subject groups by age", "pregnant women and their newborns", "Mothers and infants",
    "NEONATES born preterm", "new-born at birth", "gestation of 32 weeks",
    "premature infants", "Age is not limited", "age unlimited", "No age limit", "ALL AGES",
    "Women only", "only males", "Men and women aged 18-70", "boys or girls", "both sexes",
    "either gender", "regardless of sex", "No gender restriction", "FEMALES AND MALES",
    "at least one of the following:", "Risk factors including:", "Two or more of the following :",
    "GROUP 1: (PATIENTS AGED > 65 AND < 75 YEARS)", "cohort A aged 2-5",
    "over 6 months to under 21 years", "18 and over", "6 to 17 years", "65 years or older",
    "Age 35-39 yrs", "older than 12 months", "1. Aged 18 or over", "b) one of these:",
    "iv. healthy", "Exclusion Criteria: none", "Adults, 40 years old", "YOA 18",
    # letters Python's case-insensitive regexes match to ASCII ones: ı, ſ, İ
    "Inclusıon: healthy volunteers or patıents", "COHORſ A", "Women ONLY (exclusıon criteria)",
    "PATİENTS AND HEALTHY VOLUNTEERS", "No age lİmit", "AGED OVER 18 YEARS", "ſex: both ſexes",
    # and phrases no pattern matches
    "Body mass index 18 to 30", "HbA1c 7-10%", "Signed informed consent", "",
]  # fmt: skip


def test_literal_filters_never_change_what_a_pattern_matches():
    """Each pattern tried only on texts holding one of its words (for speed) matches exactly
    what the pattern alone matches: no word list misses a branch."""
    from audit.frames import matches

    texts = pd.Series(
        [variant for phrase in PATTERN_PHRASES for variant in (phrase, phrase.upper())],
        dtype=object,  # Python's regexes, whose case-insensitive matching is the widest
    )
    rule = eligibility_conflict
    filtered = [
        (rule._NEWBORNS, rule._NEWBORN_WORDS),
        (rule._POPULATIONS, rule._POPULATION_WORDS),
        (rule._UNLIMITED, rule._UNLIMITED_WORDS),
        (rule._ANY_SEX, rule._SEX_WORDS),
        (rule._ALTERNATIVES_HEADER, ":"),
        (rule._COHORT_HEADING, "age"),
        (rule._BOUND_AGE, rule._BOUND_AGE_WORDS),
        ("(?i)" + rule._AGE_WORD, rule._AGE_LITERALS),
        (rule._AGE_WORD, rule._AGE_LITERALS),
        (r":\s*$", ":"),
        (rule._MARKER, (".", ")")),
        (rule._EXCLUSION_HEADING, "exclusion criteria"),
    ]
    for pattern, words in filtered:
        lowered = pattern in (rule._BOUND_AGE, rule._AGE_WORD)  # run on lower-cased text
        texts_in_case = texts.str.lower() if lowered else texts
        plain = texts_in_case.str.contains(pattern, regex=True).fillna(False).to_numpy(bool)
        assert plain.any(), pattern
        assert (matches(texts_in_case, pattern, words) == plain).all(), pattern
