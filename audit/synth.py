"""Synthetic registry corpora at any scale, with defects injected at known rates.

Clean trials are drawn from distributions measured on the real data in ``../shared/data``
(5,918 records: ClinicalTrials.gov API v2 exports, legacy XML, WHO ICTRP 2020): statuses,
phases, masking, allocation, enrollment quantiles, numbers of arms, people and sites, and name
styles including family-name-first pinyin. Every injected defect is listed in
``ground_truth.json`` so each rule's precision and recall can be measured.
"""

from __future__ import annotations

import itertools
import json
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from audit.record import arm, dumps, intervention, new_record, outcome, person, record_filename
from audit.record import site as site_entry

AS_OF = date(2026, 11, 22)

# (value, weight) tables measured on the real corpus, rounded.
STATUSES = (
    ("COMPLETED", 48),
    ("RECRUITING", 30),
    ("TERMINATED", 7),
    ("WITHDRAWN", 3),
    ("ACTIVE_NOT_RECRUITING", 6),
    ("NOT_YET_RECRUITING", 4),
    ("SUSPENDED", 1),
    ("ENROLLING_BY_INVITATION", 1),
)
PHASES = (
    (["PHASE2"], 15),
    (["PHASE3"], 11),
    (["NA"], 11),
    (["PHASE4"], 6),
    (["PHASE1"], 4),
    (["PHASE2", "PHASE3"], 3),
    (["PHASE1", "PHASE2"], 3),
    (["EARLY_PHASE1"], 1),
    ([], 46),
)
MASKINGS = (("NONE", 60), ("DOUBLE", 14), ("SINGLE", 10), ("QUADRUPLE", 10), ("TRIPLE", 6))
ROLES_BY_MASKING = {
    "NONE": [],
    "SINGLE": ["PARTICIPANT"],
    "DOUBLE": ["PARTICIPANT", "INVESTIGATOR"],
    "TRIPLE": ["PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR"],
    "QUADRUPLE": ["PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR", "OUTCOMES_ASSESSOR"],
}
ENROLLMENT_QUANTILES = (12, 20, 50, 115, 374, 1200, 3100)
ARM_COUNTS = ((2, 55), (1, 30), (3, 9), (4, 4), (5, 2))
SITE_COUNTS = ((1, 78), (2, 8), (3, 4), (5, 4), (10, 4), (25, 2))
SOURCE_MIX = (
    (("ctgov-api",), 62),
    (("ctgov-api", "ictrp"), 20),
    (("ictrp",), 10),
    (("ctgov-api", "veeva"), 4),
    (("ctgov-xml",), 3),
    (("ctgov-api", "medpath"), 1),
)
# Family names are few in China and many elsewhere; given names are built from syllables so
# that, as in a real registry, most people's names are rare and some are very common.
PINYIN_FAMILY = (
    "wang",
    "li",
    "zhang",
    "liu",
    "chen",
    "yang",
    "huang",
    "zhao",
    "wu",
    "zhou",
    "xu",
    "sun",
    "ma",
    "zhu",
    "hu",
    "guo",
    "he",
    "lin",
    "luo",
    "gao",
    "zheng",
    "liang",
    "xie",
    "song",
    "tang",
    "han",
    "feng",
    "deng",
    "cao",
    "peng",
    "zeng",
    "xiao",
    "tian",
    "dong",
    "pan",
    "yuan",
    "cai",
)
PINYIN_SYLLABLES = (
    "wei",
    "fang",
    "min",
    "jing",
    "lei",
    "jun",
    "yan",
    "hui",
    "qiang",
    "ping",
    "cong",
    "rong",
    "zhong",
    "xiao",
    "ming",
    "yu",
    "ting",
    "hao",
    "ran",
    "jian",
    "guo",
    "li",
    "hua",
    "xin",
    "yi",
    "chen",
    "lan",
    "feng",
    "bo",
    "tao",
    "kai",
    "ning",
    "shu",
    "wen",
    "jia",
    "qi",
    "zi",
)
WESTERN_GIVEN = (
    "Anna",
    "James",
    "Maria",
    "David",
    "Sofia",
    "Thomas",
    "Laura",
    "Daniel",
    "Emma",
    "Michael",
    "Julia",
    "Peter",
    "Sarah",
    "Lukas",
    "Elena",
    "Martin",
    "Claire",
    "Pablo",
    "Ingrid",
    "Omar",
    "Fatima",
    "Kenji",
    "Aisha",
    "Marco",
    "Olga",
    "Tomasz",
    "Hannah",
    "Ravi",
    "Chloe",
    "Samuel",
)
WESTERN_STEMS = (
    "Smith",
    "Garc",
    "Mull",
    "Ross",
    "Dub",
    "Nov",
    "Jens",
    "Silv",
    "Kowal",
    "Anders",
    "Mor",
    "Fisch",
    "Bianch",
    "Lars",
    "Cost",
    "Berg",
    "Hald",
    "Brandt",
    "Pere",
    "Olsz",
    "Kar",
    "Wint",
)
WESTERN_ENDINGS = ("", "er", "ini", "sen", "ova", "ez", "ski", "ard", "ton", "ley", "mann", "elli")
DEGREES = ((["MD"], 40), ([], 30), (["MD", "PhD"], 15), (["PhD"], 10), (["MSc"], 5))
SPONSORS = tuple(
    f"{a} {b}"
    for a in (
        "Northfield",
        "Lakeside",
        "Shanghai East",
        "Qingdao",
        "Riverside",
        "Hanover",
        "Coastal",
        "Meridian",
        "Highland",
        "Van Hanh",
        "Tongji",
        "Valley",
    )
    for b in (
        "University Hospital",
        "Medical Center",
        "Cancer Institute",
        "Research Foundation",
        "Pharmaceuticals",
    )
)
CONDITIONS = (
    "Type 2 Diabetes",
    "Hypertension",
    "Asthma",
    "COVID-19",
    "Breast Cancer",
    "Migraine",
    "Heart Failure",
    "Depression",
    "Obesity",
    "Psoriasis",
    "Leukemia",
)
DRUGS = (
    "metformin",
    "aspirin",
    "atorvastatin",
    "placebo",
    "semaglutide",
    "lisinopril",
    "hydroxychloroquine",
    "umbilical cord mesenchymal stem cells",
    "saline",
    "insulin",
)
COUNTRIES = (
    ("United States", "Boston", "Massachusetts"),
    ("China", "Shanghai", "Shanghai"),
    ("Germany", "Berlin", None),
    ("Iran", "Tehran", None),
    ("Spain", "Madrid", None),
    ("France", "Paris", None),
    ("Viet Nam", "Hanoi", None),
)


def pick(rng: random.Random, table: tuple) -> Any:
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights)[0]


@dataclass
class Trial:
    """One synthetic trial: its records (one per source) and the defects injected into it."""

    trial_id: str
    records: list[dict[str, Any]]
    defects: list[dict[str, Any]] = field(default_factory=list)


def _name(rng: random.Random) -> tuple[str, str]:
    """A display name and an email local part; pinyin names come family-name first."""
    if rng.random() < 0.35:
        family = rng.choice(PINYIN_FAMILY)
        given = "".join(rng.choices(PINYIN_SYLLABLES, k=rng.choice((1, 2, 2))))
        return f"{family} {given}", f"{family}.{given}.{rng.randint(1, 99999)}"
    given = rng.choice(WESTERN_GIVEN)
    family = rng.choice(WESTERN_STEMS) + rng.choice(WESTERN_ENDINGS)
    return f"{given} {family}", f"{given.lower()}.{family.lower()}.{rng.randint(1, 99999)}"


def _date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _criteria(rng: random.Random, condition: str) -> list[str]:
    """Inclusion items with the numbers that make real criteria texts almost all distinct."""
    return [
        f"Diagnosed with {condition} at least {rng.randint(2, 36)} months before screening",
        f"HbA1c between {rng.randint(60, 75) / 10}% and {rng.randint(90, 120) / 10}%",
        f"Body mass index {rng.randint(18, 22)} to {rng.randint(30, 40)} kg/m2",
    ][: rng.randint(1, 3)]


def clean_trial(rng: random.Random, number: int, as_of: date) -> Trial:
    trial_id = f"NCT{10_000_000 + number:08d}"
    status = pick(rng, STATUSES)
    phases = pick(rng, PHASES)
    masking = pick(rng, MASKINGS)
    arms_count = pick(rng, ARM_COUNTS)
    low, high = rng.choice(list(itertools.pairwise(ENROLLMENT_QUANTILES)))
    enrollment = rng.randint(low, high) // arms_count * arms_count or arms_count
    active = status in (
        "RECRUITING",
        "NOT_YET_RECRUITING",
        "ACTIVE_NOT_RECRUITING",
        "ENROLLING_BY_INVITATION",
    )
    start = _date(rng, as_of - timedelta(days=3650), as_of - timedelta(days=400))
    start_type = "ACTUAL"
    if status == "NOT_YET_RECRUITING":  # nobody enrolled yet: the start is a plan
        start = _date(rng, as_of + timedelta(days=30), as_of + timedelta(days=365))
        start_type = "ESTIMATED"
    if active:
        earliest = max(as_of + timedelta(days=60), start + timedelta(days=200))
        completion = _date(rng, earliest, as_of + timedelta(days=1500))
        verified = _date(rng, as_of - timedelta(days=300), as_of)
    else:
        completion = _date(rng, start + timedelta(days=200), as_of - timedelta(days=30))
        verified = _date(rng, completion, as_of)
    completion_type = "ESTIMATED" if completion > as_of else "ACTUAL"
    sponsor = rng.choice(SPONSORS)
    drugs = rng.sample(DRUGS, k=min(arms_count, 3))
    randomized = arms_count > 1 and rng.random() < 0.8
    arms = [
        arm(
            f"Arm {chr(65 + i)}",
            "EXPERIMENTAL" if i == 0 else "ACTIVE_COMPARATOR",
            f"Participants receive {drugs[i % len(drugs)]}.",
            [f"Drug: {drugs[i % len(drugs)]}"],
        )
        for i in range(arms_count)
    ]
    interventions = [intervention("DRUG", d, None) for d in drugs]
    people = []
    for role in ("OVERALL_OFFICIAL",) + ("CENTRAL_CONTACT",) * rng.choice((0, 1, 1, 2)):
        name, local = _name(rng)
        degrees = pick(rng, DEGREES)
        people.append(
            person(
                name,
                role,
                list(degrees),
                f"{local}@example.org",
                f"+1-555-{rng.randint(1000, 9999)}",
                sponsor,
            )
        )
    country, city, state = rng.choice(COUNTRIES)
    sites = [
        site_entry(
            f"{sponsor} site {i + 1}",
            city,
            state,
            None,
            country,
            "RECRUITING" if status == "RECRUITING" else None,
        )
        for i in range(pick(rng, SITE_COUNTS))
    ]
    condition = rng.choice(CONDITIONS)
    min_age, max_age = rng.choice((18, 18, 20, 21, 30, 40)), rng.choice((55, 65, 70, 75, 80, 85))
    title = (
        f"{rng.choice(('A Study of', 'Efficacy of', 'Safety and Efficacy of'))} "
        f"{drugs[0].title()} in {condition} ({trial_id[-5:]})"
    )
    record = new_record(
        trial_id=trial_id,
        nct_id=trial_id,
        secondary_ids=[f"{sponsor[:3].upper()}-{number}"],
        source="ctgov-api",
        source_file=f"synthetic/{trial_id}.json",
        title=title,
        official_title=f"{title}: a {'randomized' if randomized else 'single-center'} trial",
        overall_status=status,
        status_verified=verified.isoformat()[:7],
        phases=list(phases),
        study_type="INTERVENTIONAL",
        allocation=("RANDOMIZED" if randomized else "NON_RANDOMIZED") if arms_count > 1 else "NA",
        intervention_model="PARALLEL" if arms_count > 1 else "SINGLE_GROUP",
        masking=masking,
        who_masked=list(ROLES_BY_MASKING[masking]),
        primary_purpose="TREATMENT",
        enrollment={"count": enrollment, "type": "ESTIMATED" if active else "ACTUAL"},
        start_date={"date": start.isoformat(), "type": start_type},
        primary_completion_date={"date": completion.isoformat(), "type": completion_type},
        completion_date={"date": completion.isoformat(), "type": completion_type},
        first_posted=(min(start, as_of) - timedelta(days=30)).isoformat(),
        last_update_posted=verified.isoformat(),
        sponsor=sponsor,
        conditions=[condition],
        interventions=interventions,
        arms=arms,
        people=people,
        sites=sites,
        outcomes=[outcome("primary", "Change in the primary measure", "12 weeks")],
        eligibility={
            "sex": "ALL",
            "min_age_years": float(min_age),
            "max_age_years": float(max_age),
            "healthy_volunteers": False,
            "inclusion": [f"Adults aged {min_age} to {max_age} years", *_criteria(rng, condition)],
            "exclusion": ["Pregnancy", f"eGFR below {rng.randint(15, 60)} mL/min/1.73m2"],
        },
        descriptions={
            "brief_summary": f"This study tests {drugs[0]} in {condition}.",
            "detailed_description": None,
        },
    )
    sources = pick(rng, SOURCE_MIX)
    return Trial(trial_id, [_copy_for(record, source) for source in sources])


def _copy_for(record: dict[str, Any], source: str) -> dict[str, Any]:
    copy = json.loads(json.dumps(record))
    copy["source"] = source
    copy["source_file"] = f"synthetic/{record['trial_id']}.{source}.txt"
    return copy


Injector = Callable[[random.Random, Trial, deque[Trial], date], list[str] | None]


def _main(trial: Trial) -> dict[str, Any]:
    return trial.records[0]


def _each(trial: Trial, change: Callable[[dict[str, Any]], None]) -> None:
    for record in trial.records:
        change(record)


def _misspelled_contact(rng: random.Random, trial: Trial, _: deque[Trial], __: date):
    """The official again as a central contact with one letter more at the end of the longest
    part of the name ("zhongmin" -> "zhongming"), under the same email."""
    official = _main(trial)["people"][0]
    words = official["name"].split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    if len(word) < 4:
        return None
    words[longest] = word + ("g" if word.endswith("n") else word[-1])
    variant = person(
        " ".join(words), "CENTRAL_CONTACT", [], official["email"], None, official["affiliation"]
    )
    _main(trial)["people"].append(variant)
    return [trial.trial_id]


def _placeholder_contact(rng: random.Random, trial: Trial, _: deque[Trial], __: date):
    name = rng.choice(("Site Contact", "Use Central Contact", "Clinical Trials Desk", "TBD"))
    _main(trial)["people"].append(person(name, "CENTRAL_CONTACT"))
    return [trial.trial_id]


def _unknown_status(rng: random.Random, trial: Trial, _: deque[Trial], as_of: date):
    verified = as_of - timedelta(days=rng.randint(900, 3000))

    def change(record: dict[str, Any]) -> None:
        record["last_known_status"] = "RECRUITING"
        record["overall_status"] = "UNKNOWN"
        record["status_verified"] = verified.isoformat()[:7]
        for entry in record["sites"]:
            entry["status"] = None

    _each(trial, change)
    return [trial.trial_id]


def _stale_active(rng: random.Random, trial: Trial, _: deque[Trial], as_of: date):
    if _main(trial)["overall_status"] != "RECRUITING":
        return None
    verified = as_of - timedelta(days=rng.randint(800, 2000))
    _each(trial, lambda r: r.update(status_verified=verified.isoformat()[:7]))
    return [trial.trial_id]


def _stale_estimate(rng: random.Random, trial: Trial, _: deque[Trial], as_of: date):
    if _main(trial)["overall_status"] != "COMPLETED":
        return None
    start = date.fromisoformat(_main(trial)["start_date"]["date"])
    passed = as_of - timedelta(days=rng.randint(500, 1500))
    day = max(passed, start + timedelta(days=30)).isoformat()

    def change(record: dict[str, Any]) -> None:
        record["completion_date"] = {"date": day, "type": "ESTIMATED"}
        record["primary_completion_date"] = {"date": day, "type": "ESTIMATED"}

    _each(trial, change)
    return [trial.trial_id]


def _single_group_arms(rng: random.Random, trial: Trial, _: deque[Trial], __: date):
    # SINGLE_GROUP is wrong when the record randomizes between its arms (cohorts of a
    # non-randomized study under SINGLE_GROUP are normal)
    main = _main(trial)
    if len(main["arms"]) < 2 or main["allocation"] != "RANDOMIZED":
        return None
    _each(trial, lambda r: r.update(intervention_model="SINGLE_GROUP"))
    return [trial.trial_id]


def _source_conflict(rng: random.Random, trial: Trial, _: deque[Trial], __: date):
    if len(trial.records) < 2:
        return None
    other = trial.records[1]
    other["enrollment"] = dict(other["enrollment"], count=other["enrollment"]["count"] * 2 + 10)
    return [trial.trial_id]


def _open_label_text(rng: random.Random, trial: Trial, _: deque[Trial], __: date):
    if _main(trial)["masking"] in ("NONE", "SINGLE"):
        return None
    sentence = "This is an open-label study."
    _each(
        trial,
        lambda r: r["descriptions"].update(
            brief_summary=f"{r['descriptions']['brief_summary']} {sentence}"
        ),
    )
    return [trial.trial_id]


def _age_text(rng: random.Random, trial: Trial, _: deque[Trial], __: date):
    """Criteria whose minimum age is ten years above the structured one."""
    eligibility = _main(trial)["eligibility"]
    low, high = int(eligibility["min_age_years"]) + 10, int(eligibility["max_age_years"])
    _each(
        trial,
        lambda r: r["eligibility"].update(
            inclusion=[f"Adults aged {low} to {high} years", *r["eligibility"]["inclusion"][1:]]
        ),
    )
    return [trial.trial_id]


def _unlisted_intervention(rng: random.Random, trial: Trial, _: deque[Trial], __: date):
    _main(trial)["arms"][0]["interventions"].append("Drug: zoledronic acid")
    return [trial.trial_id]


def _secondary_id_of_another(rng: random.Random, trial: Trial, done: deque[Trial], __: date):
    if not done:
        return None
    other = rng.choice(done)
    if other.defects:
        return None
    _main(trial)["secondary_ids"].append(other.trial_id)
    return [trial.trial_id, other.trial_id]


INJECTORS: dict[str, Injector] = {
    "contact-name-mismatch": _misspelled_contact,
    "placeholder-contact": _placeholder_contact,
    "stale-unknown-status": _unknown_status,
    "stale-active-status": _stale_active,
    "stale-estimated-date": _stale_estimate,
    "enrollment-arm-mismatch": _single_group_arms,
    "source-conflict": _source_conflict,
    "design-text-conflict": _open_label_text,
    "eligibility-conflict": _age_text,
    "arm-intervention-mismatch": _unlisted_intervention,
    "duplicate-registration": _secondary_id_of_another,
}


def write_corpus(
    out: Path, trials: int, seed: int, as_of: date = AS_OF, rate: float = 0.02
) -> dict[str, Any]:
    """Write ``trials`` synthetic trials as records under ``out/records`` and the injected
    defects to ``out/ground_truth.json``; returns the ground truth."""
    rng = random.Random(seed)
    folder = out / "records"
    folder.mkdir(parents=True, exist_ok=True)
    truth: list[dict[str, Any]] = []
    count = 0
    recent: deque[Trial] = deque(maxlen=1000)
    rules = list(INJECTORS)
    for number in range(trials):
        trial = clean_trial(rng, number, as_of)
        draw = rng.random() / rate
        if draw < len(rules):
            rule = rules[int(draw)]
            trial_ids = INJECTORS[rule](rng, trial, recent, as_of)
            if trial_ids:
                trial.defects.append({"rule": rule, "trial_ids": trial_ids})
        recent.append(trial)
        for record in trial.records:
            (folder / record_filename(record)).write_text(dumps(record), encoding="utf-8")
            count += 1
        truth += trial.defects
    summary = {
        "trials": trials,
        "records": count,
        "seed": seed,
        "as_of": as_of.isoformat(),
        "rate": rate,
        "defects": truth,
    }
    (out / "ground_truth.json").write_text(json.dumps(summary, indent=1) + "\n", "utf-8")
    return summary
