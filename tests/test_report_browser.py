"""The HTML report in real headless Chromium: filters, trial view, no network, no data scripts."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import ROOT, valid_record, write_records

from audit.engine import run_audit, write_findings
from audit.report import write_reports

AS_OF = date(2026, 11, 22)


def second_source_of_nct04441658() -> dict:
    """The Veeva seed trial as another source would state it, disagreeing on two fields."""
    return valid_record(
        "NCT04441658",
        "ctgov-api",
        overall_status="UNKNOWN",
        masking="DOUBLE",
        enrollment={"count": 40, "type": "ACTUAL"},
        captured="2026-01-15",
        title="Efficacy and Safety of Umbilical Cord Mesenchymal Stem Cells Transplantation "
        "in Patients With Type 2 Diabetes Mellitus",
    )


@pytest.fixture
def report(tmp_path, seed_records):
    records = dict(seed_records)
    records["NCT04441658.ctgov-api.json"] = second_source_of_nct04441658()
    folder = write_records(tmp_path / "records", records)
    result = run_audit(folder, ROOT / "expectations", AS_OF)
    out = tmp_path / "reports"
    write_findings(result, out)
    write_reports(result, out)
    return out / "index.html", result


def open_report(page, path, fragment=""):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri() + fragment)
    page.wait_for_selector("body[data-ready=true]")
    return requests, errors


def test_filter_by_rule_and_expand_a_finding(page, report):
    path, result = report
    requests, errors = open_report(page, path, "#findings")
    rules = sorted({f.rule for f in result.findings})
    assert len(rules) >= 2, "the fixture should produce findings of several rules"
    chosen = rules[0]
    page.select_option("#f-rule", label=chosen)
    shown = page.locator("#findings-table tbody tr.finding")
    expected = sum(1 for f in result.findings if f.rule == chosen)
    assert shown.count() == min(expected, 100)
    assert set(shown.locator("td:nth-child(2)").all_inner_texts()) == {chosen}
    assert page.inner_text("#count").startswith(f"{expected} of {len(result.findings)}")
    shown.first.click()
    detail = page.locator("tr.expanded")
    assert detail.count() == 1
    assert "Evidence" in detail.inner_text()
    assert errors == []
    assert all(url.startswith("file://") for url in requests)


def test_trial_view_shows_sources_side_by_side(page, report):
    path, _ = report
    _, errors = open_report(page, path, "#trial/NCT04441658")
    table = page.locator("#side-by-side")
    headers = table.locator("thead th").all_inner_texts()
    assert [h.split("\n")[0] for h in headers] == ["field", "ctgov-api", "veeva"]
    enrollment = table.locator("tr", has=page.locator("th", has_text="enrollment"))
    assert enrollment.get_attribute("class") == "conflict"
    cells = enrollment.locator("td").all_inner_texts()
    assert cells[0] == "40 ACTUAL"
    assert cells[1].startswith("30 ESTIMATED")
    masking = table.locator("tr", has=page.locator("th", has_text="masking")).first
    assert "conflict" in (masking.get_attribute("class") or "")
    status = table.locator("tr", has=page.locator("th", has_text="overall status")).first
    assert "conflict" not in (status.get_attribute("class") or "")
    people = page.locator(".people-variants li")
    liu = people.filter(has_text="liu zhongmin")
    assert "Zhongming Liu" in liu.inner_text()  # the spelling another trial writes
    assert liu.get_attribute("class") == "conflict"
    wang = people.filter(has_text="wang congrong")  # written "Congrong Wang" elsewhere: no conflict
    assert wang.get_attribute("class") == ""
    assert errors == []


def test_search_finds_text_and_people_view_lists_spellings(page, report):
    path, _ = report
    open_report(page, path, "#people")
    page.fill("#p-search", "zhongmin")
    rows = page.locator("#people-table tbody tr").all_inner_texts()
    assert rows and all("zhongmin" in r.lower() for r in rows)
    page.goto(path.as_uri() + "#findings")
    page.fill("#f-trial", "NCT06751199")
    page.wait_for_function("document.querySelector('#count').textContent.length > 0")
    page.wait_for_timeout(300)
    trials = page.locator("#findings-table tbody tr.finding td:nth-child(3)").all_inner_texts()
    assert trials and all("NCT06751199" in t for t in trials)
