"""A person without a name: a contact known only by an email or phone. The record model, the
JSON Schema and pandera accept one that can be reached; the rules and the report's views
neither crash on one nor report it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from conftest import ROOT, valid_record, write_records

from audit.engine import run_audit
from audit.record import contact, person, schema_errors
from audit.report.html import render_html
from audit.report.model import record_views, trial_views
from audit.report.persons import resolve
from audit.tables import build_tables
from audit.validate.schemas import validate_tables

AS_OF = date(2026, 11, 22)


def test_contact_keeps_an_entry_only_with_a_name_email_or_phone() -> None:
    assert contact(None, "SITE_CONTACT", email="desk@x.org")["name"] is None
    assert contact(None, "SITE_CONTACT", phone="555-0100") is not None
    assert contact(None, "SITE_CONTACT", affiliation="Example Hospital") is None
    assert contact("", "OVERALL_OFFICIAL", ["MD"])["name"] == ""  # written: judged by rules


def test_json_schema_and_pandera_accept_a_nameless_person_who_can_be_reached() -> None:
    reachable = valid_record(people=[person(None, "SITE_CONTACT", email="desk@x.org")])
    unreachable = valid_record(
        "NCT07654321", people=[person(None, "SITE_CONTACT", affiliation="Example Hospital")]
    )
    assert schema_errors(reachable) == []
    [error] = schema_errors(unreachable)
    assert error.startswith("people.0: ") and "anyOf" in error
    found = validate_tables(build_tables([("a.json", reachable), ("b.json", unreachable)]))
    assert [(f.rule, f.field, f.record_files, f.message) for f in found] == [
        (
            "schema-required",
            "people[0].name",
            ("b.json",),
            "b.json: people[0].name is required when there is no email or phone",
        )
    ]


def _records() -> dict[str, dict]:
    """One trial from two sources and another trial, with nameless contacts sharing the
    addresses and phones of named people, beside a real spelling mismatch."""
    named = person("Wei Zhang", "OVERALL_OFFICIAL", email="wzhang@example.org")
    desk = person(None, "CENTRAL_CONTACT", email="wzhang@example.org", phone="555-0100")
    return {
        "a.json": valid_record(people=[named, desk]),
        "b.json": valid_record(
            source="ictrp",
            people=[
                person("Wei Zhang", "PUBLIC_CONTACT", email="wzhang@example.org"),
                person(None, "PUBLIC_CONTACT", phone="555-0100"),
            ],
        ),
        "c.json": valid_record(
            "NCT07654321",
            people=[
                person(None, "SITE_CONTACT", email="wzhang@example.org"),
                person("Zhang Weii", "OVERALL_OFFICIAL", email="wzhang@example.org"),
            ],
        ),
    }


def test_rules_and_report_views_pass_over_nameless_people(tmp_path: Path) -> None:
    result = run_audit(write_records(tmp_path, _records()), ROOT / "expectations", AS_OF)
    assert result.complete, result.problems
    about_people = [f for f in result.findings if (f.field or "").startswith("people")]
    # Only the misspelling of a named person, which the nameless entries do not change
    assert [(f.rule, f.evidence["emails"]) for f in about_people] == [
        ("contact-name-mismatch", ["wzhang@example.org"])
    ]
    assert {s["name"] for s in about_people[0].evidence["spellings"]} == {
        "Wei Zhang",
        "Zhang Weii",
    }
    persons = resolve(result, {"NCT01234567"}, None)
    [person_row] = persons.view()  # the phone-only contact is nobody to show
    assert person_row["spellings"] == ["Wei Zhang", "Zhang Weii"]
    assert "SITE_CONTACT" in person_row["roles"]  # the nameless entry joined by its email
    [trial] = trial_views(result, record_views(result, {"NCT01234567"}, {}), persons)
    assert [p["spellings"] for p in trial["people"]] == [["Wei Zhang", "Zhang Weii"]]
    assert b"wzhang@example.org" in render_html(result)
