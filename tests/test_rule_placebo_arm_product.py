"""placebo-arm-product: placebo or sham arms linked to the experimental product. The negatives
are the designs found normal on the real corpus (each named by its trial)."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import valid_record

from audit.record import arm, intervention, record_filename
from audit.rules import Context, placebo_arm_product
from audit.tables import build_tables

RULE = "placebo-arm-product"
CONTEXT = Context(date(2026, 11, 22), RULE, "warning")
DRUG, PLACEBO = intervention("DRUG", "crofelemer"), intervention("DRUG", "Placebo")


def findings(*records: dict) -> list:
    tables = build_tables((record_filename(r), r) for r in records)
    return list(placebo_arm_product.check(tables, CONTEXT))


def trial(arms: list[dict], interventions: list[dict], **fields) -> dict:
    fields.setdefault("intervention_model", "PARALLEL")
    return valid_record(
        "NCT00461526", "ctgov-xml", arms=arms, interventions=interventions, **fields
    )


def test_real_placebo_arm_linked_to_the_drug_only():
    # NCT00461526: both arms are linked to "Drug: crofelemer", the only intervention listed.
    record = trial(
        [
            arm("125 mg crofelemer", "EXPERIMENTAL", interventions=["Drug: crofelemer"]),
            arm("placebo", "PLACEBO_COMPARATOR", interventions=["Drug: crofelemer"]),
        ],
        [intervention("DRUG", "crofelemer", "125 mg crofelemer vs. placebo")],
    )
    [found] = findings(record)
    assert (found.key, found.field, found.severity) == (
        "placebo-arm:placebo",
        "arms.interventions",
        "warning",
    )
    assert found.message == (
        "placebo arm 'placebo' is linked to the experimental product 'crofelemer' (of arm "
        "'125 mg crofelemer')"
    )
    assert found.evidence == {
        "arm": "placebo",
        "arm_type": "PLACEBO_COMPARATOR",
        "products": {"crofelemer": ["125 mg crofelemer"]},
    }


def test_placebo_arm_given_the_product_and_the_placebo():
    record = trial(
        [
            arm("Drug", "EXPERIMENTAL", interventions=["Drug: crofelemer"]),
            arm("Sham", "SHAM_COMPARATOR", interventions=["Drug: crofelemer", "Drug: Placebo"]),
        ],
        [DRUG, PLACEBO],
    )
    [found] = findings(record)
    assert found.message.startswith("sham arm 'Sham' is linked to the experimental product")


def test_every_arm_linked_to_every_intervention():
    # NCT00494767: two drugs, their two placebos, all four linked to all four arms.
    names = ["Drug: GW869682", "Drug: GSK189075", "Drug: GSK189075-Placebo", "Drug: GW-Placebo"]
    record = trial(
        [
            arm("GW869682 1000 mg", "EXPERIMENTAL", interventions=names),
            arm("GSK189075 250 mg", "EXPERIMENTAL", interventions=names),
            arm("GW869682-Placebo TID", "PLACEBO_COMPARATOR", interventions=names),
        ],
        [intervention("DRUG", n.removeprefix("Drug: ")) for n in names],
    )
    [found] = findings(record)
    both = ["GW869682 1000 mg", "GSK189075 250 mg"]
    assert found.evidence["products"] == {"GSK189075": both, "GW869682": both}


def test_add_on_design_is_normal():
    # "Placebo + standard of care" vs "drug + standard of care": the standard of care comes
    # with a product the placebo arm lacks, so it is background.
    record = trial(
        [
            arm("Drug + SOC", "EXPERIMENTAL", interventions=["Drug: crofelemer", "Drug: SOC"]),
            arm(
                "Placebo + SOC", "PLACEBO_COMPARATOR", interventions=["Drug: Placebo", "Drug: SOC"]
            ),
        ],
        [DRUG, PLACEBO, intervention("DRUG", "SOC")],
    )
    assert findings(record) == []


def test_double_dummy_is_normal():
    record = trial(
        [
            arm("X", "EXPERIMENTAL", interventions=["Drug: X", "Drug: Placebo of Y"]),
            arm("Y", "ACTIVE_COMPARATOR", interventions=["Drug: Y", "Drug: Placebo of X"]),
            arm(
                "Double placebo",
                "PLACEBO_COMPARATOR",
                interventions=["Drug: Placebo of X", "Drug: Placebo of Y"],
            ),
        ],
        [intervention("DRUG", n) for n in ("X", "Y", "Placebo of X", "Placebo of Y")],
    )
    assert findings(record) == []


def test_a_provocation_every_arm_gets_is_background():
    # NCT03511846: capsaicin provokes the headache in every arm; oxygen is tested against
    # medical air (the sham). The capsaicin-only arm is experimental too.
    record = trial(
        [
            arm("Oral capsaicin", "EXPERIMENTAL", interventions=["Drug: Oral capsaicin"]),
            arm(
                "Oral capsaicin and Medical Air",
                "SHAM_COMPARATOR",
                interventions=["Drug: Oral capsaicin", "Other: Medical Air"],
            ),
            arm(
                "Oral capsaicin and High Flow Oxygen",
                "EXPERIMENTAL",
                interventions=["Drug: Oral capsaicin", "Drug: High Flow Oxygen"],
            ),
        ],
        [
            intervention("DRUG", "Oral capsaicin"),
            intervention("OTHER", "Medical Air"),
            intervention("DRUG", "High Flow Oxygen"),
        ],
    )
    assert findings(record) == []


def test_placebo_arm_that_receives_the_product_in_an_open_label_phase():
    # NCT02438826: "Open-Label Treatment Phase: Participants received 300 mg galcanezumab".
    record = trial(
        [
            arm("Galcanezumab 300 mg", "EXPERIMENTAL", interventions=["Drug: Galcanezumab"]),
            arm(
                "Placebo",
                "PLACEBO_COMPARATOR",
                "Double-Blind Treatment Phase: placebo once a month.\n\nOpen-Label Treatment "
                "Phase: Participants received 300 mg galcanezumab every 30 days.",
                ["Drug: Galcanezumab", "Drug: Placebo"],
            ),
        ],
        [intervention("DRUG", "Galcanezumab"), PLACEBO],
    )
    assert findings(record) == []


@pytest.mark.parametrize("model", ["CROSSOVER", "FACTORIAL"])
def test_crossover_and_factorial_arms_receive_the_product_by_design(model):
    # NCT03397563 (sham CPAP, crossover), NCT05389930 (alcohol x cannabis, factorial).
    record = trial(
        [
            arm("CPAP", "EXPERIMENTAL", interventions=["Device: CPAP", "Device: sham CPAP"]),
            arm(
                "Sham-CPAP", "SHAM_COMPARATOR", interventions=["Device: CPAP", "Device: sham CPAP"]
            ),
        ],
        [intervention("DEVICE", "CPAP"), intervention("DEVICE", "sham CPAP")],
        intervention_model=model,
    )
    assert findings(record) == []


def test_behavioral_control_on_the_same_platform():
    # NCT06909500: the sham arm uses version B of the same app ("Smartphone app", listed twice).
    record = trial(
        [
            arm("Arm I (app version A)", "EXPERIMENTAL", interventions=["Behavioral: App"]),
            arm("Arm II (app version B)", "SHAM_COMPARATOR", interventions=["Behavioral: App"]),
        ],
        [intervention("BEHAVIORAL", "App")],
    )
    assert findings(record) == []


def test_a_name_listed_twice_is_an_ambiguous_link():
    # NCT00460967: "Rheopheresis" listed twice, once described "Sham treatment".
    record = trial(
        [
            arm("1", "EXPERIMENTAL", interventions=["Device: Rheopheresis"]),
            arm("2", "SHAM_COMPARATOR", interventions=["Device: Rheopheresis"]),
        ],
        [
            intervention("DEVICE", "Rheopheresis", "8 rheopheresis treatments over 10 wks."),
            intervention("DEVICE", "Rheopheresis", "Sham treatment"),
        ],
    )
    assert findings(record) == []


def test_a_product_entry_that_also_names_the_arm_s_own_treatment():
    # NCT00494975: one device entry for both lamps; the placebo arm is "UVA".
    name = "Narrow band UVB phototherapy , long wave UVA phototherapy"
    record = trial(
        [
            arm("NB-UVB", "EXPERIMENTAL", interventions=[f"Device: {name}"]),
            arm("UVA", "PLACEBO_COMPARATOR", interventions=[f"Device: {name}"]),
        ],
        [intervention("DEVICE", name)],
    )
    assert findings(record) == []


def test_clean_and_unlinked_records_give_nothing():
    clean = trial(
        [
            arm("Drug", "EXPERIMENTAL", interventions=["Drug: crofelemer"]),
            arm("Placebo", "PLACEBO_COMPARATOR", interventions=["Drug: Placebo"]),
        ],
        [DRUG, PLACEBO],
    )
    unlinked = trial([arm("Drug", "EXPERIMENTAL"), arm("Placebo", "PLACEBO_COMPARATOR")], [DRUG])
    no_model = trial(clean["arms"], clean["interventions"], intervention_model=None)
    assert findings(clean, unlinked) == findings(no_model) == []


def test_docstring_is_curator_documentation():
    doc = placebo_arm_product.__doc__
    for part in ("What it detects:", "Why it matters:", "How to fix:", "Example:", "add-on"):
        assert part in doc


@pytest.mark.shared
def test_real_corpus(real_tables):
    found = list(placebo_arm_product.check(real_tables, CONTEXT))
    # All 15 read against their records: each placebo arm's links include the product and
    # (but for NCT00494767's all-to-all links) no placebo at all.
    assert sorted(t for f in found for t in f.trial_ids) == [
        "NCT00461526",
        "NCT00462670",
        "NCT00463151",
        "NCT00490230",
        "NCT00493012",
        "NCT00494767",
        "NCT00494767",
        "NCT00495521",
        "NCT00497380",
        "NCT00497900",
        "NCT00499837",
        "NCT01811251",
        "NCT03230123",
        "NCT05521061",
        "NCT06262854",
    ]
