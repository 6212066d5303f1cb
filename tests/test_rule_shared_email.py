"""shared-email: one address given for clearly different people, when it spells one's name."""

from __future__ import annotations

import time
from datetime import date

import pytest
from conftest import valid_record

from audit.people import may_be_one_person
from audit.record import person, record_filename
from audit.rules import Context, shared_email
from audit.tables import Tables, build_tables

RULE = "shared-email"
AS_OF = date(2026, 11, 22)


def tables_of(*records: dict) -> Tables:
    return build_tables((record_filename(r), r) for r in records)


def findings(*records: dict) -> list:
    return list(shared_email.check(tables_of(*records), Context(AS_OF, RULE, "warning")))


def record(trial_id: str, *people: dict, source: str = "ictrp") -> dict:
    return valid_record(trial_id, source, sponsor="Acme Hospital", people=list(people))


def test_an_address_spelling_one_persons_name_given_for_another():
    """Modelled on an ICTRP pair: a CTRI trial's contact gives a colleague's address."""
    address = "priya.menon@example-hospital.com"
    [found] = findings(
        record("NCT04000001", person("Priya Menon, MBBS", "PUBLIC_CONTACT", email=address)),
        record("CTRI/2020/04/000001", person("Rakesh Verma", "PUBLIC_CONTACT", email=address)),
    )
    assert found.severity == "warning"
    assert found.message == (
        f'The address {address} is given for "Rakesh Verma" in CTRI/2020/04/000001 (ictrp), '
        'but it spells the name of "Priya Menon, MBBS" (NCT04000001 (ictrp)).'
    )
    assert found.key == address
    assert found.trial_ids == ("CTRI/2020/04/000001", "NCT04000001")
    assert found.evidence["owner"]["names"] == ["Priya Menon, MBBS"]
    assert [p["names"] for p in found.evidence["others"]] == [["Rakesh Verma"]]


def test_a_glued_address_and_two_trials_of_the_other_person():
    address = "drmeenakapoor@example.com"  # title and name glued, as webmail users write
    [found] = findings(
        record("CTRI/1", person("Dr Meena Kapoor", "PUBLIC_CONTACT", email=address)),
        record("CTRI/2", person("Dr Arvind Rao", "PUBLIC_CONTACT", email=address)),
        record("CTRI/3", person("Dr Arvind Rao", "PUBLIC_CONTACT", email=address)),
    )
    assert found.trial_ids == ("CTRI/1", "CTRI/2", "CTRI/3")
    assert '"Dr Arvind Rao" in CTRI/2 (ictrp), CTRI/3 (ictrp)' in found.message


@pytest.mark.parametrize(
    ("first", "second", "address"),
    [
        # A study or department mailbox that spells nobody's name.
        ("Fred G Freitag", "George Nissan", "research@example-headache.com"),
        ("Emma Ogburn", "Julie Allen", "principle@example.ac.uk"),
        ("Ruth Benson", "Sandip Nandhra", "vern.arterial.disease@example.com"),
        # A personal-looking address that says nothing of whose it is.
        ("Rui Pan", "Ming Chen", "55815147@example.com"),
        # One person written two ways: a shared word, a nickname, a transliteration.
        ("Josh Booth", "Joshua Booth", "joshua.booth@example.ca"),
        ("Kathryn Miller", "Katie Miller", "kathryn.miller@example.org"),
        ("Juan Carlos", "Juan Ramos", "jramos2@example.edu"),
        ("Najmeh Davoodian", "Najmeh Davoudian", "najmeh.davoudian@example.com"),
        # The address spells a word of both: nothing tells whose it is.
        ("Wei Zhang", "Zhang Boli", "zhangwei@example.cn"),
        ("Ming Chen", "Hao Chenko", "chenming@example.cn"),
        # Not two full names: a one-word name, an organization, several people.
        ("Emilio Garcia Cabrera", "Alejandro", "emilio.garcia@example.es"),
        ("Ruth Coll", "Banc de Sang i Teixits", "rucoll@example.cat"),
        ("Nooshin Dalili", "CKDRC, SBMU", "nooshindalili4@example.com"),
        ("Hongzhou Lu", "Hongzhou Lu, Xiaorong Chen", "luhongzhou@example.cn"),
    ],
)
def test_not_reported(first, second, address):
    assert (
        findings(
            record("NCT1", person(first, "PUBLIC_CONTACT", email=address)),
            record("NCT2", person(second, "SCIENTIFIC_CONTACT", email=address)),
        )
        == []
    )


def test_may_be_one_person():
    assert may_be_one_person(("josh", "booth"), ("joshua", "booth"))
    assert may_be_one_person(("tereshchenko", "galina"), ("galina", "tereshenko"))
    assert may_be_one_person(("qin", "ning"), ("ning", "qing"))
    assert not may_be_one_person(("rajesh", "saxena"), ("sangeeta", "pathak"))


def test_real_corpus_counts_and_speed(real_tables):
    start = time.perf_counter()
    found = findings_of(real_tables)
    assert time.perf_counter() - start < 20
    assert {f.key for f in found} == {
        "dinghuiguo@medmail.com.cn",
        "drbabitayadav@gmail.com",
        "drdnayak@gmail.com",
        "sangeeta.pathak@maxhealthcare.com",
        "sujeet.jha@maxhealthcare.com",
    }
    assert all(f.severity == "warning" for f in found)


def findings_of(tables: Tables) -> list:
    return list(shared_email.check(tables, Context(AS_OF, RULE, "warning")))
