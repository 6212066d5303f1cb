"""Incremental checks (``audit run --cache``): a warm run re-checks only what its changes can
affect, and its findings equal a cold run's, byte for byte."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, edit, synthetic_records

from audit.engine import AuditResult, findings_json, run_audit
from audit.kept import read_frame, write_frame
from audit.names import email_name_key, name_key

AS_OF = date(2026, 11, 22)
EXPECTATIONS = ROOT / "expectations"


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    return synthetic_records(tmp_path_factory.mktemp("synth"), 400, seed=7)


def audit(records: Path, cache: Path | None, as_of: date = AS_OF) -> AuditResult:
    return run_audit(records, EXPECTATIONS, as_of, cache)


def rename(path: Path, name: str) -> None:
    edit(path, lambda r: r["people"][0].update(name=name))


def with_people(records: Path) -> list[Path]:
    return [p for p in sorted(records.glob("*.json")) if json.loads(p.read_text())["people"]]


def test_cold_run_with_a_cache_checks_everything(records, tmp_path):
    result = audit(records, tmp_path / "cache")
    assert result.rechecked and all(count is None for count in result.rechecked.values())
    assert findings_json(result) == findings_json(audit(records, None))


def test_warm_run_rechecks_only_changed_records_and_equals_a_cold_run(records, tmp_path):
    cache = tmp_path / "cache"
    audit(records, cache)
    files = sorted(records.glob("*.json"))
    edit(files[3], lambda r: r.update(title=r["title"] + " (edited)"))
    edit(files[10], lambda r: r["enrollment"].update(count=-5))  # a new schema finding
    edit(files[20], lambda r: r.update(overall_status="UNKNOWN", status_verified="2015-01"))
    files[30].unlink()
    shutil.copy(files[40], records / "NCT99999999.ctgov-api.json")
    edit(records / "NCT99999999.ctgov-api.json", lambda r: r.update(trial_id="NCT99999999"))

    warm = audit(records, cache)
    cold = audit(records, None)
    assert findings_json(warm) == findings_json(cold)
    changed = 5  # three edited, one removed, one added
    assert warm.rechecked["pandera"] == changed
    assert warm.rechecked["rule:stale-unknown-status"] == changed
    assert changed <= warm.rechecked["rule:source-conflict"] < len(files) // 4
    # The clusters of the changed trials, followed through links (test_incremental_duplicates).
    assert warm.rechecked["rule:duplicate-registration"] < len(files) // 4
    assert any(
        f.rule == "schema-range" and f.record_files == (files[10].name,) for f in warm.findings
    )
    assert any(
        f.rule == "stale-unknown-status" and f.record_files == (files[20].name,)
        for f in warm.findings
    )


def test_a_misspelling_links_records_through_a_person(records, tmp_path):
    """Renaming a person to a one-letter variant of someone in another record must bring a
    contact-name-mismatch that involves the other, unchanged record."""
    cache = tmp_path / "cache"
    audit(records, cache)
    first, second = with_people(records)[:2]
    person = json.loads(first.read_text())["people"][0]

    last = "e" if person["name"].endswith("a") else "a"

    def copy_person(record):
        record["people"].append(dict(person, name=person["name"][:-1] + last))

    edit(second, copy_person)
    warm = audit(records, cache)
    cold = audit(records, None)
    assert findings_json(warm) == findings_json(cold)
    mismatches = [f for f in warm.findings if f.rule == "contact-name-mismatch"]
    assert any({first.name, second.name} <= set(f.record_files) for f in mismatches)
    assert 2 <= warm.rechecked["rule:contact-name-mismatch"] < len(list(records.glob("*.json")))


def test_people_edits_keep_warm_findings_equal_to_cold(records, tmp_path):
    """Edits that merge, split, rename and remove persons: every contact-name-mismatch
    finding of a person touched is recomputed, the others are kept."""
    cache = tmp_path / "cache"
    audit(records, cache)
    cold = audit(records, None)
    named = [
        f for f in cold.findings if f.rule == "contact-name-mismatch" and len(f.record_files) > 1
    ]
    assert named, "the synthetic corpus should have misspelled people across records"
    files = {f.record_files[0] for f in named[:3]}
    for name in sorted(files)[:2]:  # drop the email and affiliation: may split the person
        edit(
            records / name,
            lambda r: [p.update(email=None, affiliation="Nowhere Else") for p in r["people"]],
        )
    people = with_people(records)
    edit(people[-1], lambda r: r["people"][0].update(name=r["people"][0]["name"] + "x"))
    moved = json.loads(people[-2].read_text())["people"][0]
    edit(people[-3], lambda r: r["people"].append(moved))  # may merge two persons
    people[-4].unlink()
    warm = audit(records, cache)
    assert findings_json(warm) == findings_json(audit(records, None))
    assert warm.rechecked["rule:contact-name-mismatch"] < len(list(records.glob("*.json"))) // 2


def _liu(n: int, city: str, email: str | None = None) -> dict:
    from conftest import valid_record

    from audit.record import person

    email = email or f"liu{n}@{city.lower()}-med.cn"
    return valid_record(
        f"NCT0000000{n}",
        people=[
            person(
                "Zhongming Liu",
                "PRINCIPAL_INVESTIGATOR",
                [],
                email,
                None,
                f"{city} Medical University Cancer Hospital",
            )
        ],
    )


CITIES = ("Harbin", "Lanzhou", "Kunming", "Urumqi", "Hohhot", "Xining", "Nanning", "Guiyang")


def test_a_common_name_does_not_chain_the_corpus(tmp_path):
    """Eight trials name a Zhongming Liu, each at another institution: eight people. A change to
    one re-checks that one record, not the eight that share the name."""
    from conftest import write_records

    records = write_records(
        tmp_path / "records",
        {f"NCT0000000{n}.ctgov-api.json": _liu(n, city) for n, city in enumerate(CITIES)},
    )
    cache = tmp_path / "cache"
    audit(records, cache)
    edit(
        records / "NCT00000003.ctgov-api.json", lambda r: r["people"][0].update(name="Zhongmin Liu")
    )
    warm = audit(records, cache)
    assert not warm.problems
    assert warm.rechecked["rule:contact-name-mismatch"] == 1
    assert warm.rechecked["pandera"] == 1
    assert findings_json(warm) == findings_json(audit(records, None))
    assert not [f for f in warm.findings if f.rule == "contact-name-mismatch"]


def test_a_change_rechecks_the_whole_person_and_nobody_else(tmp_path):
    """Three trials name the Harbin Zhongming Liu, five others elsewhere: misspelling one
    Harbin entry re-checks the three Harbin records and finds the misspelling."""
    from conftest import write_records

    cities = ("Harbin", "Harbin", "Harbin", *CITIES[1:6])
    records = write_records(
        tmp_path / "records",
        {
            f"NCT0000000{n}.ctgov-api.json": _liu(
                n, city, "zm.liu@harbin-med.cn" if city == "Harbin" else None
            )
            for n, city in enumerate(cities)
        },
    )
    cache = tmp_path / "cache"
    audit(records, cache)
    edit(
        records / "NCT00000001.ctgov-api.json", lambda r: r["people"][0].update(name="Zhongmin Liu")
    )
    warm = audit(records, cache)
    assert warm.rechecked["rule:contact-name-mismatch"] == 3
    assert findings_json(warm) == findings_json(audit(records, None))
    [mismatch] = [f for f in warm.findings if f.rule == "contact-name-mismatch"]
    assert set(mismatch.record_files) == {f"NCT0000000{n}.ctgov-api.json" for n in range(3)}
    # Undoing it re-checks the same three and drops the finding.
    edit(
        records / "NCT00000001.ctgov-api.json",
        lambda r: r["people"][0].update(name="Zhongming Liu"),
    )
    warm = audit(records, cache)
    assert warm.rechecked["rule:contact-name-mismatch"] == 3
    assert not [f for f in warm.findings if f.rule == "contact-name-mismatch"]
    assert findings_json(warm) == findings_json(audit(records, None))


def test_an_address_linking_two_people_merges_them_in_a_warm_run(tmp_path):
    """A new record gives the Lanzhou Zhongmin Liu the Harbin Zhongming Liu's address: one person of
    two spellings, across three records, two of them unchanged."""
    from conftest import write_records

    records = write_records(
        tmp_path / "records",
        {f"NCT0000000{n}.ctgov-api.json": _liu(n, city) for n, city in enumerate(CITIES)},
    )
    edit(
        records / "NCT00000001.ctgov-api.json", lambda r: r["people"][0].update(name="Zhongmin Liu")
    )
    cache = tmp_path / "cache"
    audit(records, cache)
    new = _liu(9, "Lanzhou", email="liu0@harbin-med.cn")
    new["people"][0]["name"] = "Zhongmin Liu"
    write_records(records, {"NCT00000009.ctgov-api.json": new})
    warm = audit(records, cache)
    assert findings_json(warm) == findings_json(audit(records, None))
    [mismatch] = [f for f in warm.findings if f.rule == "contact-name-mismatch"]
    assert set(mismatch.record_files) == {
        "NCT00000000.ctgov-api.json",
        "NCT00000001.ctgov-api.json",
        "NCT00000009.ctgov-api.json",
    }
    assert warm.rechecked["rule:contact-name-mismatch"] == 3


def test_changing_trial_id_moves_findings_between_trials(records, tmp_path):
    cache = tmp_path / "cache"
    audit(records, cache)
    target = next(p for p in sorted(records.glob("*.ictrp.json")))
    edit(target, lambda r: r.update(trial_id="NCT99999998", nct_id="NCT99999998"))
    assert findings_json(audit(records, cache)) == findings_json(audit(records, None))


def test_no_change_reuses_every_finding(records, tmp_path):
    cache = tmp_path / "cache"
    cold = audit(records, cache)
    warm = audit(records, cache)
    assert findings_json(warm) == findings_json(cold)
    assert set(warm.rechecked.values()) == {0}  # GX and rules without blocks included


def test_another_as_of_date_reruns_the_rules_in_full(records, tmp_path):
    cache = tmp_path / "cache"
    audit(records, cache)
    later = date(2027, 6, 1)
    warm = audit(records, cache, later)
    assert warm.rechecked["rule:stale-unknown-status"] is None
    assert warm.rechecked["pandera"] == 0  # the schemas do not depend on the date
    assert findings_json(warm) == findings_json(audit(records, None, later))


def test_a_damaged_findings_cache_is_ignored(records, tmp_path):
    cache = tmp_path / "cache"
    audit(records, cache)
    (cache / "checks.json").write_text("{not json")
    edit(sorted(records.glob("*.json"))[5], lambda r: r.update(title="Something else"))
    warm = audit(records, cache)
    assert warm.rechecked["pandera"] is None
    assert findings_json(warm) == findings_json(audit(records, None))


@pytest.mark.parametrize("damage", [b"not an Arrow file", None])
def test_damaged_person_keys_are_ignored(records, tmp_path, damage):
    cache = tmp_path / "cache"
    audit(records, cache)
    [kept] = cache.glob("person-keys-*.arrow")
    if damage is None:  # an Arrow file, but not the keys
        write_frame(kept, pd.DataFrame({"other": ["column"]}))
    else:
        kept.write_bytes(damage)
    rename(with_people(records)[0], "Zhongming Liu-Fortan")
    assert findings_json(audit(records, cache)) == findings_json(audit(records, None))


def test_a_person_in_most_records_runs_the_rule_in_full(tmp_path):
    """Six trials name one investigator (one address): a change to one reaches them all
    through the person, so contact-name-mismatch runs over everything instead of a subset as
    large."""
    from conftest import valid_record, write_records

    from audit.record import person

    records = write_records(
        tmp_path / "records",
        {
            f"NCT0000000{n}.ctgov-api.json": valid_record(
                f"NCT0000000{n}", people=[person("Wei Wang", "CENTRAL_CONTACT", [], "w@x.org")]
            )
            for n in range(6)
        },
    )
    cache = tmp_path / "cache"
    audit(records, cache)
    rename(records / "NCT00000003.ctgov-api.json", "Wei Whang")
    warm = audit(records, cache)
    assert warm.rechecked["rule:contact-name-mismatch"] is None
    assert warm.rechecked["pandera"] == 1
    assert findings_json(warm) == findings_json(audit(records, None))


def _kept_person_keys(cache: Path) -> pd.DataFrame:
    [kept] = cache.glob("person-keys-*.arrow")
    return read_frame(kept)


def test_the_cache_keeps_the_key_of_every_name_and_address_now_in_the_records(records, tmp_path):
    cache = tmp_path / "cache"
    audit(records, cache)
    rename(with_people(records)[0], "Zhongming Liu-Fortan")  # one name gone, one new
    people = audit(records, cache).tables.people
    known = _kept_person_keys(cache)
    names, emails = known[known["kind"] == "name"], known[known["kind"] == "email"]
    assert set(names["text"]) == set(people["name"].dropna())
    assert "Zhongming Liu-Fortan" in set(names["text"])
    assert names["key"].tolist() == [name_key(text) for text in names["text"]]
    assert set(emails["text"]) == set(people["email"].dropna())
    assert emails["key"].tolist() == [email_name_key(text) for text in emails["text"]]
    addresses = [a if isinstance(a, str) else None for a in emails["address"]]
    assert addresses == [text.strip().lower() or None for text in emails["text"]]
