"""EU Clinical Trials Register (EudraCT) records as ctrdata stores them (``ctrname`` EUCTR).

A record is one member state's copy of the protocol (fields named after the EudraCT form:
``a2_eudract_number``, ``e73_therapeutic_confirmatory_phase_iii``, ``f422_in_the_whole_clinical_
trial`` ...), with the trial's results (``trialInformation``, ``subjectDisposition`` ...) when
posted. Decisions worth knowing:

* ``trial_id`` is ``EUCTR<EudraCT number>-<member state>`` (``EUCTR2016-004489-24-DE``), as
  WHO ICTRP names EU CTR records: each member state's copy is its own record, and the
  duplicate-registration rule compares EU CTR ids by their EudraCT number, so copies of one
  trial are one trial. A record without a member state in ``_id`` gets ``EUCTR<number>``.
* Status: the results' "global end of trial reached" (COMPLETED) or "premature" (TERMINATED)
  is the trial's, and wins over the member state's protocol status, which is often left at
  "Ongoing". Otherwise "Completed", "Prematurely Ended" (TERMINATED) and "Temporarily Halted"
  (SUSPENDED) map; "Ongoing", "Restarted", "Not Authorised", "Trial now transitioned" ... say
  nothing certain about recruitment and stay null. The words are kept in ``status_text``.
* Dates: the protocol states none. The results give the recruitment start (ACTUAL start) and
  the global end of the trial (ACTUAL completion); a primary completion date is never stated.
  ``first_posted`` is the day the record was first entered in EudraCT, the register's only
  registration date.
* Enrollment: the results' subjects per country (ACTUAL) when posted, else the planned number
  in the whole trial (ESTIMATED), else the member state's number for a trial run in that state
  only. Ages are age-range categories (newborns, adults ...), not limits, so ages stay null.
* Arms: the protocol lists none, only their number (``stated_arm_count``); the results' arms
  are reporting groups and become the participant flow (subjects STARTED per arm).
* Interventions are the investigational medicinal products (section D), named by product
  name, trade name or INN; their type follows the stated origin: gene therapy GENETIC,
  biological, immunological, plasma-derived or advanced therapy BIOLOGICAL, chemical DRUG.
* Design: randomised, open/single/double blind and parallel/cross-over are yes/no fields,
  read as for ICTRP's EU CTR rows; a single "yes" among diagnosis, prophylaxis and therapy
  gives the primary purpose. Every EU CTR trial is interventional.
* Cross-registrations: the US NCT number (``nct_id``), ISRCTN, WHO UTRN, the sponsor's
  protocol code and other identifiers of the protocol and results become ``secondary_ids``.
* People are the sponsor's contact point (B.5) and the results' public and scientific
  contacts, as named (often a desk). EU CTR lists no sites: the one site is the copy's member
  state; the planned countries (E.8.6.3) are names run together with spaces and are not split.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from audit.record import intervention, new_record, outcome, person, site
from audit.registries import sole_nct_id
from audit.sources import SourceError, ctrdata, whole_number
from audit.sources.ctrdata import block, day, flag, items, line, obj, objs, unique
from audit.vocab import to_phases

NAME = "euctr"

CANNOT_CARRY = frozenset(
    {
        "status_verified",
        "last_known_status",
        "primary_completion_date",
        "eligibility.min_age_years",
        "eligibility.max_age_years",
    }
)  # EU CTR states ages only as age-range categories
CTRNAME = "EUCTR"

_EUDRACT = re.compile(r"(?:19|20)\d{2}-\d{6}-\d{2}")
# ``_id`` is the EudraCT number and the member state: DE, ES ..., or 3RD (outside the EEA).
_COPY = re.compile(r"((?:19|20)\d{2}-\d{6}-\d{2})-([A-Z]{2}|3RD)")
_STATUSES = {
    "prematurely ended": "TERMINATED",
    "temporarily halted": "SUSPENDED",
    "completed": "COMPLETED",
}
_PHASES = {
    "e71_human_pharmacology_phase_i": "Phase I",
    "e72_therapeutic_exploratory_phase_ii": "Phase II",
    "e73_therapeutic_confirmatory_phase_iii": "Phase III",
    "e74_therapeutic_use_phase_iv": "Phase IV",
}
_PURPOSES = {
    "e61_diagnosis": "DIAGNOSTIC",
    "e62_prophylaxis": "PREVENTION",
    "e63_therapy": "TREATMENT",
}
_DESIGN_FLAGS = {
    "randomised": "e811_randomised",
    "open": "e812_open",
    "single blind": "e813_single_blind",
    "double blind": "e814_double_blind",
    "parallel group": "e815_parallel_group",
    "cross over": "e816_cross_over",
}
_LAY_TITLE = "a31_title_of_the_trial_for_lay_people_in_easily_understood_ie_nontechnical_language"
_NOTHING = {"", "-", "n/a", "na", "none", "nil", "not applicable", "nil known"}


def sniff(path: Path, head: str) -> bool:
    return ctrdata.sniff(head, CTRNAME)


def parse(path: Path, text: str) -> list[dict]:
    return ctrdata.parse(path, text, NAME)


def record(path: Path, value: dict, where: str) -> dict:
    eudract, trial_id = _ids(path, value, where)
    results = obj(value, "trialInformation")
    status, status_text = _status(value, results)
    count, count_type = _enrollment(value, results)
    secondary = _secondary_ids(value, results, eudract)
    return new_record(
        trial_id=trial_id,
        nct_id=sole_nct_id(secondary),
        secondary_ids=secondary,
        source=NAME,
        source_file=str(path),
        title=line(value.get(_LAY_TITLE))
        or line(value.get("a32_name_or_abbreviated_title_of_the_trial_where_available")),
        official_title=line(value.get("a3_full_title_of_the_trial"))
        or line(results.get("fullTitle")),
        overall_status=status,
        status_text=status_text,
        phases=to_phases(" ".join(p for key, p in _PHASES.items() if flag(value.get(key)))),
        study_type="INTERVENTIONAL",
        **design(_yes_no(value)),
        primary_purpose=_purpose(value),
        stated_arm_count=whole_number(
            line(value.get("e824_number_of_treatment_arms_in_the_trial"))
        ),
        enrollment={"count": count, "type": count_type},
        start_date=_actual(results.get("recruitmentStartDate")),
        completion_date=_actual(
            value.get("p_date_of_the_global_end_of_the_trial")
            or results.get("globalEndOfTrialDate")
        ),
        first_posted=day(
            value.get("x6_date_on_which_this_record_was_first_entered_in_the_eudract_database")
        ),
        sponsor=_sponsor(value),
        collaborators=_collaborators(value),
        conditions=ctrdata.lines(value.get("e11_medical_conditions_being_investigated")),
        interventions=_interventions(value),
        people=_people(value, results),
        sites=_sites(value),
        outcomes=_outcomes(value),
        eligibility={
            "sex": _sex(value),
            "min_age_years": None,
            "max_age_years": None,
            "healthy_volunteers": flag(value.get("f31_healthy_volunteers")),
            "inclusion": items(value.get("e3_principal_inclusion_criteria")),
            "exclusion": items(value.get("e4_principal_exclusion_criteria")),
        },
        descriptions={
            "brief_summary": block(value.get("e21_main_objective_of_the_trial")),
            "detailed_description": None,
        },
        participant_flow=_participant_flow(value),
    )


# --- ids and status ----------------------------------------------------------------------


def _ids(path: Path, value: dict, where: str) -> tuple[str, str]:
    """(EudraCT number, trial id with the member state when ``_id`` names one)."""
    number = line(value.get("a2_eudract_number")) or line(value.get("eudractNumber")) or ""
    if not _EUDRACT.fullmatch(number):
        raise SourceError(path, f"{where}: no EudraCT number in a2_eudract_number")
    copy = _COPY.fullmatch(line(value.get("_id")) or "")
    if copy and copy.group(1) == number:
        return number, f"EUCTR{number}-{copy.group(2)}"
    return number, f"EUCTR{number}"


def _secondary_ids(value: dict, results: dict, eudract: str) -> list[str]:
    """Other registries' ids and the sponsor's codes, as written ("Nil known" dropped)."""
    written = [
        value.get("a52_us_nct_clinicaltrialsgov_registry_number"),
        results.get("usctnIdentifier"),
        value.get("a51_isrctn_international_standard_randomised_controlled_trial_number"),
        results.get("isrctnIdentifier"),
        value.get("a53_who_universal_trial_reference_number_utrn"),
        results.get("whoIdentifier"),
        value.get("a41_sponsors_protocol_code_number"),
        results.get("sponsorProtocolCode"),
        value.get("a54_other_identifiers"),
        results.get("otherIdentifiers"),
    ]
    ids = (_isrctn(text) for item in written if (text := line(item)))
    return unique(i for i in ids if i.lower() not in _NOTHING and i != eudract)


def _isrctn(text: str) -> str:
    """ "ISRCTN12345678" for an ISRCTN written without its prefix, else the text."""
    return f"ISRCTN{text}" if re.fullmatch(r"\d{8}", text) else text


def _status(value: dict, results: dict) -> tuple[str | None, str | None]:
    """(API v2 status, the protocol's status as written)."""
    written = line(value.get("p_end_of_trial_status")) or line(value.get("x5_trial_status"))
    if flag(results.get("globalEndOfTrialPremature")):
        return "TERMINATED", written or "Prematurely Ended"
    if flag(results.get("isGlobalEndOfTrialReached")):
        return "COMPLETED", written or "Completed"
    return _STATUSES.get((written or "").lower()), written


def _actual(value: Any) -> dict:
    date = day(value)
    return {"date": date, "type": "ACTUAL" if date else None}


# --- design and population -----------------------------------------------------------------


def _yes_no(value: dict) -> dict[str, bool]:
    answers = {name: flag(value.get(key)) for name, key in _DESIGN_FLAGS.items()}
    return {name: answer for name, answer in answers.items() if answer is not None}


def design(flags: dict[str, bool]) -> dict[str, str]:
    """EU CTR's yes/no design answers ("randomised", "open", "single blind", "double blind",
    "parallel group", "cross over"): one "yes" among the blindings gives the masking, one among
    the models the intervention model. ICTRP's EU CTR rows state the same answers."""
    found: dict[str, str] = {}
    if "randomised" in flags:
        found["allocation"] = "RANDOMIZED" if flags["randomised"] else "NON_RANDOMIZED"
    blinds = [
        masking
        for name, masking in (
            ("open", "NONE"),
            ("single blind", "SINGLE"),
            ("double blind", "DOUBLE"),
        )
        if flags.get(name)
    ]
    if len(blinds) == 1:
        found["masking"] = blinds[0]
    models = [
        model
        for name, model in (("parallel group", "PARALLEL"), ("cross over", "CROSSOVER"))
        if flags.get(name)
    ]
    if len(models) == 1:
        found["intervention_model"] = models[0]
    return found


def _purpose(value: dict) -> str | None:
    said = [purpose for key, purpose in _PURPOSES.items() if flag(value.get(key))]
    return said[0] if len(said) == 1 else None


def _sex(value: dict) -> str | None:
    female, male = flag(value.get("f21_female")), flag(value.get("f22_male"))
    if female and male:
        return "ALL"
    if female or male:
        return "FEMALE" if female else "MALE"
    return None


def _enrollment(value: dict, results: dict) -> tuple[int | None, str | None]:
    counts = objs(results, "countrySubjectCounts", "countrySubjectCount")
    actual = [whole_number(line(c.get("subjects"))) for c in counts]
    if actual and None not in actual:
        return sum(n for n in actual if n is not None), "ACTUAL"
    planned = whole_number(line(value.get("f422_in_the_whole_clinical_trial")))
    if (
        planned is None
        and flag(value.get("e85_the_trial_involves_multiple_member_states")) is False
    ):
        planned = whole_number(line(value.get("f41_in_the_member_state")))
    return planned, "ESTIMATED" if planned is not None else None


# --- sponsor, people, products, sites, outcomes ----------------------------------------------


def _sponsor(value: dict) -> str | None:
    names = [line(s.get("b11_name_of_sponsor")) for s in objs(value, "b1_sponsor")]
    return next((n for n in names if n), None) or line(value.get("sponsor"))


def _collaborators(value: dict) -> list[str]:
    """Further sponsors and the organisations giving monetary or material support."""
    lead = (_sponsor(value) or "").casefold()
    sponsors = objs(value, "b1_sponsor")
    names = [line(s.get("b11_name_of_sponsor")) for s in sponsors[1:]]
    names += [
        line(support.get("b41_name_of_organisation_providing_support"))
        for s in sponsors
        for support in objs(s, "b4_sources_of_monetary_or_material_support")
    ]
    return unique(n for n in names if n and n.casefold() != lead and n.lower() not in _NOTHING)


def _people(value: dict, results: dict) -> list[dict]:
    """The sponsor's contact points (protocol B.5) and the results' public and scientific
    contacts."""
    found = [
        person(
            name,
            "PUBLIC_CONTACT",
            email=line(s.get("b56_email")),
            phone=line(s.get("b54_telephone_number")),
            affiliation=line(s.get("b51_name_of_organisation"))
            or line(s.get("b11_name_of_sponsor")),
        )
        for s in objs(value, "b1_sponsor")
        if (name := line(s.get("b52_functional_name_of_contact_point")))
    ]
    for sponsor in objs(results, "sponsors", "sponsor"):
        found += [
            _results_contact(obj(sponsor, key), role)
            for key, role in (
                ("publicContact", "PUBLIC_CONTACT"),
                ("scientificContact", "SCIENTIFIC_CONTACT"),
            )
            if line(obj(sponsor, key).get("functionalContactName"))
        ]
    return unique(found)


def _results_contact(contact: dict, role: str) -> dict:
    phone = obj(contact, "telephoneNumber")
    code, number = line(phone.get("countryCode")), line(phone.get("number"))
    return person(
        line(contact.get("functionalContactName")) or "",
        role,
        email=line(contact.get("emailAddress")),
        phone=" ".join(filter(None, (f"+{code}" if code else None, number))) or None,
        affiliation=line(contact.get("organisationName")),
    )


def _interventions(value: dict) -> list[dict]:
    found = []
    for product in objs(value, "dimp"):
        inn = next(
            (
                n
                for d in objs(product, "d38_imp_identification_details")
                if (n := line(d.get("d38_inn__proposed_inn")))
            ),
            None,
        )
        name = line(product.get("d31_product_name")) or line(product.get("d2111_trade_name")) or inn
        if name:
            role = line(product.get("d12_and_d13_imp_role"))
            found.append(
                intervention(_product_type(product), name, f"IMP role: {role}" if role else None)
            )
    return unique(found)


# A product's stated origins (D.3.11: field codes, the start of ctrdata's long key names), in
# the order they decide its type: gene therapy, advanced therapy, biological, immunological,
# plasma-derived, chemical.
_ORIGINS = (
    ("d31132_", "GENETIC"),
    ("d3113_", "BIOLOGICAL"),
    ("d3112_", "BIOLOGICAL"),
    ("d3116_", "BIOLOGICAL"),
    ("d3117_", "BIOLOGICAL"),
    ("d3111_", "DRUG"),
)


def _product_type(product: dict) -> str | None:
    said = {
        code
        for code, _ in _ORIGINS
        for key, answer in product.items()
        if key.startswith(code) and flag(answer)
    }
    return next((kind for code, kind in _ORIGINS if code in said), None)


def _sites(value: dict) -> list[dict]:
    """The member state of this copy ("Germany - PEI" -> Germany); EU CTR lists no sites."""
    state = line(value.get("a1_member_state_concerned"))
    country = state.split(" - ")[0].strip() if state else None
    if not country or country.lower().startswith("outside"):
        return []
    return [site(None, country=country)]


def _outcomes(value: dict) -> list[dict]:
    found = []
    for kind, measure_key, time_key in (
        ("primary", "e51_primary_end_points", "e511_timepoints_of_evaluation_of_this_end_point"),
        (
            "secondary",
            "e52_secondary_end_points",
            "e521_timepoints_of_evaluation_of_this_end_point",
        ),
    ):
        measure = block(value.get(measure_key))
        if measure and measure.lower() not in _NOTHING:
            found.append(outcome(kind, measure, block(value.get(time_key))))
    return found


def _participant_flow(value: dict) -> list[dict]:
    """Subjects STARTED per arm of the results' first period."""
    periods = objs(value, "subjectDisposition", "postAssignmentPeriods", "postAssignmentPeriod")
    if not periods:
        return []
    return [
        {
            "group": title,
            "started": whole_number(line(obj(arm, "startedMilestoneAchievement").get("subjects"))),
        }
        for arm in objs(periods[0], "arms", "arm")
        if (title := line(arm.get("title")))
    ]
