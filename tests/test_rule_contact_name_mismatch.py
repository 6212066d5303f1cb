"""contact-name-mismatch: one person spelled two ways, linked by email, name-like email or name
at one institution; never by phone, never across a shared mailbox with different names."""

from __future__ import annotations

import json
import time
from datetime import date

import pytest
from conftest import valid_record

from audit.cli import main
from audit.names import email_name_tokens, name_key, spelling_difference
from audit.record import person, record_filename
from audit.rules import Context, contact_name_mismatch
from audit.tables import Tables, build_tables

RULE = "contact-name-mismatch"
AS_OF = date(2026, 11, 22)


def tables_of(*records: dict) -> Tables:
    return build_tables((record_filename(r), r) for r in records)


def findings(*records: dict, as_of: date = AS_OF) -> list:
    context = Context(as_of, RULE, "warning")
    return list(contact_name_mismatch.check(tables_of(*records), context))


def record(trial_id: str, *people: dict, source: str = "ctgov-api", sponsor: str = "Acme") -> dict:
    return valid_record(trial_id, source, sponsor=sponsor, people=list(people))


def seed_records() -> tuple[dict, dict]:
    """The two seed trials' people as the classic page and the Veeva page give them."""
    classic = record(
        "NCT04216849",
        person("Congrong Wang", "CENTRAL_CONTACT", ["MD"], "wcr601@163.com", "+86-021-38804518"),
        person(
            "Zhongming Liu",
            "CENTRAL_CONTACT",
            ["MD"],
            "liu.zhongmin@tongji.edu.cn",
            "+86-021-38804518",
        ),
        person(
            "Congrong Wang",
            "SITE_CONTACT",
            ["MD"],
            "wcr601@163.com",
            "+86-021-38804518",
            "Shanghai East Hospital",
        ),
        person(
            "Zhongming Liu",
            "OVERALL_OFFICIAL",
            ["MD"],
            affiliation="Shanghai East Hospital, Shanghai Tongji University",
        ),
        source="ctgov-classic",
        sponsor="Shanghai East Hospital",
    )
    veeva = record(
        "NCT04441658",
        person("liu zhongmin", "CENTRAL_CONTACT", ["doctor"]),
        person("wang congrong", "CENTRAL_CONTACT", ["doctor"]),
        source="veeva",
        sponsor="Tongji University",
    )
    return classic, veeva


def test_seed_zhongming_liu_and_liu_zhongmin_are_one_person_spelled_two_ways():
    [found] = findings(*seed_records())
    assert found.severity == "warning"
    assert found.trial_ids == ("NCT04216849", "NCT04441658")
    assert found.sources == ("ctgov-classic", "veeva")
    assert found.field == "people.name"
    assert found.key == "liu zhongmin | liu zhongming"
    assert found.message == (
        'One person is spelled 2 ways: "liu zhongmin" in NCT04441658 (veeva) and '
        '"Zhongming Liu" in NCT04216849 (ctgov-classic) ("zhongmin" vs "zhongming"). '
        'The email liu.zhongmin@tongji.edu.cn reads "liu zhongmin".'
    )
    veeva, classic = found.evidence["spellings"]
    assert veeva["occurrences"] == [
        {
            "record_file": "NCT04441658.veeva.json",
            "item": 0,
            "trial_id": "NCT04441658",
            "source": "veeva",
            "role": "CENTRAL_CONTACT",
            "email": None,
        },
    ]
    assert {o["role"] for o in classic["occurrences"]} == {"CENTRAL_CONTACT", "OVERALL_OFFICIAL"}
    assert found.evidence["emails"] == ["liu.zhongmin@tongji.edu.cn"]
    assert found.evidence["differing_words"] == [["zhongmin", "zhongming"]]
    assert "Congrong" not in found.message  # "wang congrong" is the same name in another order


def test_fingerprint_ignores_file_names_run_date_and_record_order():
    classic, veeva = seed_records()
    first = findings(classic, veeva)[0]
    renamed = build_tables([("a/x.json", veeva), ("b/y.json", classic)])
    again = list(contact_name_mismatch.check(renamed, Context(date(2030, 1, 1), RULE, "warning")))
    assert [f.fingerprint for f in again] == [first.fingerprint]


def test_seed_pages_normalized_with_the_cli(seeds, tmp_path):
    assert main(["normalize", str(seeds), "--out", str(tmp_path)]) == 0
    records = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(tmp_path.glob("*.json"))]
    [found] = findings(*records)
    assert found.trial_ids == ("NCT04216849", "NCT04441658")
    assert found.key == "liu zhongmin | liu zhongming"
    assert not any("congrong" in f.key for f in findings(*records))


def test_name_that_differs_from_its_own_email_is_info():
    [found] = findings(
        record("NCT1", person("Daniel Fortan", "CENTRAL_CONTACT", email="daniel.forton@nhs.net"))
    )
    assert found.severity == "info"
    assert found.message == (
        'The name "Daniel Fortan" in NCT1 (ctgov-api) does not match the email address given '
        'with it ("fortan" vs "forton"). The email daniel.forton@nhs.net reads "daniel forton".'
    )
    assert found.key == "daniel fortan | email: daniel forton"


def test_same_email_with_a_misspelled_surname_in_another_trial():
    [found] = findings(
        record("NCT1", person("Andreas Fritsche", "OVERALL_OFFICIAL", email="AF@uni.de")),
        record("NCT2", person("Andreas Fritsch", "SITE_CONTACT", email="af@uni.de")),
    )
    assert found.evidence["differing_words"] == [["fritsch", "fritsche"]]
    assert found.trial_ids == ("NCT1", "NCT2")


def test_email_local_part_links_a_name_only_at_the_same_institution():
    owner = person("Jon Smither", "CENTRAL_CONTACT", email="jon.smithers@uni-a.edu")
    elsewhere = person("Jon Smithers", "OVERALL_OFFICIAL", affiliation="Hospital B Rotterdam")
    same_place = person("Jon Smithers", "OVERALL_OFFICIAL", affiliation="University A Leiden")
    owner_record = record("NCT1", owner, sponsor="University A Leiden")
    # Elsewhere: only the owner's own name-vs-email difference, at info.
    [alone] = findings(owner_record, record("NCT2", elsewhere, sponsor="Rotterdam Trials BV"))
    assert (alone.severity, alone.trial_ids) == ("info", ("NCT1",))
    [linked] = findings(owner_record, record("NCT2", same_place, sponsor="Leiden Uni"))
    assert (linked.severity, linked.trial_ids) == ("warning", ("NCT1", "NCT2"))
    assert linked.key == "jon smither | jon smithers"


def test_shared_department_phone_never_links_people():
    phone = "+86-021-38804518"
    assert (
        findings(
            record(
                "NCT1",
                person("Jonathan Little", "CENTRAL_CONTACT", email="jl@a.org", phone=phone),
                person("Jonathon Little", "SITE_CONTACT", email="jo@b.org", phone=phone),
                sponsor="Shanghai East Hospital",
            )
        )
        == []
    )


def test_shared_office_mailbox_with_different_people_is_not_a_mismatch():
    box = "clinicaltrials@xyz.com"
    assert (
        findings(
            record("NCT1", person("Jane Smith", "CENTRAL_CONTACT", email=box)),
            record("NCT2", person("John Smith", "CENTRAL_CONTACT", email=box)),
            record("NCT3", person("Yan Li", "CENTRAL_CONTACT", email=box)),
            record("NCT4", person("Yun Li", "CENTRAL_CONTACT", email=box)),
            record("NCT5", person("Ding Wang", "CENTRAL_CONTACT", email=box)),
            record("NCT6", person("Jue Wang", "CENTRAL_CONTACT", email=box)),
        )
        == []
    )


def test_same_name_at_different_institutions_is_not_linked_or_reported():
    assert (
        findings(
            record("NCT1", person("Wei Wang", "OVERALL_OFFICIAL", affiliation="Peking University")),
            record(
                "NCT2", person("Wei Wang", "OVERALL_OFFICIAL", affiliation="Harvard University")
            ),
        )
        == []
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Liu Zhongmin", "liu zhongmin"),  # case only
        ("Dr. Jane Smith", "Jane Smith, MD"),  # titles and degrees
        ("wang congrong", "Congrong Wang"),  # order
        ("Phuong Thi-Bich Le, MSc-MD", "Phuong Thi Bich Le"),  # punctuation and a degree
        ("David Mc Call", "David McCall"),  # spacing
        ("Wilhelm Wössmann", "Wilhelm Woessmann"),  # German umlaut spelling
        ("Tapan M. Kadia", "Tapan Kadia"),  # a middle initial
        ("Pilar M Palomo Moraleda", "Pilar Palomo"),  # a missing second surname
        ("Gerald Chanques, MD, Ph D", "GERALD CHANQUES, MD PHD"),
        ("Site Public Contact", "Site Pulblic Contact"),  # no person (placeholder-contact)
    ],
)
def test_same_email_with_an_equivalent_spelling_is_not_reported(first, second):
    box = "shared@example.org"
    assert (
        findings(
            record("NCT1", person(first, "CENTRAL_CONTACT", email=box)),
            record("NCT2", person(second, "OVERALL_OFFICIAL", email=box)),
        )
        == []
    )


@pytest.mark.parametrize(
    ("name", "email"),
    [
        ("Jianxing He", "drjianxing.he@gmail.com"),  # a title glued into the address
        ("Guillaume BONNET", "guillaume.bonnetccf@gmail.com"),  # letters added to the address
        ("Torbjørn Omland", "torbjorn.omland@medisin.uio.no"),  # ø written as o
        ("Tor Biering-Sørensen", "tor.biering-soerensen@regionh.dk"),
        ("Martin Bornhäuser, MD", "martin.bornhaeuser@uniklinikum-dresden.de"),
        ("Werner Z`Graggen", "werner.zgraggen@insel.ch"),  # a stray backtick
        ("Lluís Masana", "luis.masana@urv.cat"),  # a doubled letter
        ("Stephanie J. Brewster, MS, LCGC", "stephanie.brewster@childrens.harvard.edu"),
        ("Nataliia Kriventsova", "nataliya.krivencova@fccho-moscow.ru"),  # two words differ
        # Transliterations of one name (modelled on real ICTRP and API v2 entries).
        ("Galina f Tereshchenko", "galina.tereshenko@example.ru"),  # Russian shch / sh
        ("Najmeh Davoodian", "najmeh.davoudian@example.com"),  # Persian oo / ou
        ("Nahla Elashmawy", "nahla.elashmawi@example.edu.eg"),  # a final y / i
        ("Nermeen ElDesouky", "nermeen.eldesoukey@example.edu.eg"),  # a final y / ey
        ("Masoumeh Nouri", "masoume.nouri2002@example.com"),  # a final h after a vowel
        ("Salli Fennessey", "sally.fennessey@example.org"),
    ],
)
def test_name_and_email_that_agree_are_not_reported(name, email):
    assert findings(record("NCT1", person(name, "CENTRAL_CONTACT", email=email))) == []


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Josh Booth", "Joshua Booth"),  # a nickname (NCT04354259, ICTRP)
        ("Kathy Miller", "Kathryn Miller"),
        ("Christoph Meyer", "Christopher Meyer"),
        ("Galina Tereshchenko", "Galina Tereshenko"),
        ("Yousef Karimi", "Yusef Karimi"),
    ],
)
def test_nicknames_and_transliterations_of_one_person_are_not_misspellings(first, second):
    box = "person@example.org"
    assert (
        findings(
            record("NCT1", person(first, "CENTRAL_CONTACT", email=box)),
            record("NCT2", person(second, "OVERALL_OFFICIAL", email=box)),
        )
        == []
    )


def test_near_misspellings_stay_reported_beside_the_variants():
    box = "theresa.wodehouse@example.net"
    [found] = findings(
        record(
            "NCT1",
            person("Theresa Wodehoise", "CENTRAL_CONTACT", email=box),  # not "ou" for "oi"
            person("Theresa Wodehouse", "SITE_CONTACT", email=box),
        )
    )
    assert found.evidence["differing_words"] == [["wodehoise", "wodehouse"]]
    [info] = findings(
        record(
            "NCT2",
            person("Peter Rosenberger", "CENTRAL_CONTACT", email="peter.rosenberg@example.de"),
        )
    )
    assert info.severity == "info"


def test_name_helpers():
    assert name_key("Dr. LIU Zhongming, MD") == name_key("zhongming liu") == "liu zhongming"
    assert name_key("Ma Jun, MD") == "jun ma"  # "Ma" is a surname here, not a degree
    assert name_key("Pankit Vachhani, Site 109") == "pankit vachhani"
    assert email_name_tokens("liu.zhongmin@tongji.edu.cn") == ["liu", "zhongmin"]
    for weak in ("info@x.org", "jsmith2@x.org", "clinical.trials@x.com", "a.b@x.org", None):
        assert email_name_tokens(weak) == []
    assert spelling_difference(("zhongming", "liu"), ("liu", "zhongmin")) == (
        "zhongming",
        "zhongmin",
    )
    assert spelling_difference(("chen", "li"), ("chan", "li")) is None  # 75% similar only


def test_real_corpus_counts_and_speed(real_tables):
    start = time.perf_counter()
    found = list(contact_name_mismatch.check(real_tables, Context(AS_OF, RULE, "warning")))
    assert time.perf_counter() - start < 20
    severities = [f.severity for f in found]
    # 7 fewer than before transliterations and nicknames were told apart (38: 21 warning, 17
    # info): "Tereshchenko"/"tereshenko", "Davoodian"/"davoudian", "Josh"/"Joshua" ...
    assert (len(found), severities.count("warning"), severities.count("info")) == (31, 20, 11)
    keys = {f.key for f in found}
    assert "andreas fritsch | andreas fritsche" in keys
    assert "chen zhenshun | cheng zhenshun" in keys  # same personal email in two ChiCTR trials
    assert "ning qin | ning qing" in keys
    assert not [k for k in keys if "jianxing" in k or "torbjorn" in k or "wossmann" in k]
    assert len({f.fingerprint for f in found}) == len(found)


def test_a_large_cluster_names_a_few_emails_in_its_message():
    """Seven trials list "Zhongming Liu", each at its own address reading that name, and an
    eighth misspells him at one of those addresses: the message names five addresses and
    counts the rest; the evidence keeps every address."""
    records = [
        record(
            f"NCT0421684{n}",
            person("Zhongming Liu", "CENTRAL_CONTACT", [], f"zhongming.liu@host{n}.edu.cn"),
        )
        for n in range(7)
    ]
    misspelled = person("Zhongmin Liu", "CENTRAL_CONTACT", [], "zhongming.liu@host0.edu.cn")
    [found] = findings(*records, record("NCT04216847", misspelled))
    message = found.message
    assert message.startswith("One person is spelled 2 ways")
    assert message.count(" reads ") == contact_name_mismatch.MAX_EMAILS_SAID == 5
    assert message.endswith("(2 more emails read as names.)")
    assert len(found.evidence["emails"]) == 7
