"""The HTML report in real headless Chromium: filters, trial view, no network, no data scripts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import ROOT, valid_record, write_records

from audit.engine import run_audit, write_findings
from audit.findings import SEVERITIES
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


# ---- issue 15: acting on a finding from the report --------------------------------------


def three_sources_of(trial: str) -> dict[str, dict]:
    """One trial stated by three sources, with long unbroken values and a float age."""
    long_title = "Umbilical-Cord-Mesenchymal-Stem-Cells-" * 12
    common = {"eligibility": {"sex": "ALL", "min_age_years": 18.0, "max_age_years": 70.0}}
    return {
        f"{trial}.ctgov-api.json": valid_record(
            trial, "ctgov-api", captured="2026-03-01", title=long_title, **common
        ),
        f"{trial}.veeva.json": valid_record(
            trial,
            "veeva",
            captured="2026-06-01",
            enrollment={"count": 60, "type": "ESTIMATED"},
            title=long_title + "X",
            **common,
        ),
        f"{trial}.medpath.json": valid_record(
            trial, "medpath", captured="2025-12-01", title="Short title", **common
        ),
    }


def build_report(folder, records, out, **options):
    result = run_audit(write_records(folder, records), ROOT / "expectations", AS_OF)
    out.mkdir(parents=True, exist_ok=True)
    write_findings(result, out)
    write_reports(result, out, **options)
    return out / "index.html", result


@pytest.fixture
def report3(tmp_path, seed_records):
    records = {**dict(seed_records), **three_sources_of("NCT09999991")}
    return build_report(tmp_path / "records", records, tmp_path / "reports")


def current_hash(page) -> str:
    return page.evaluate("location.hash")


def wait_hash(page, has: str, present: bool = True) -> None:
    """Wait for the URL's fragment to (not) contain ``has`` (the page's CSP forbids the
    string evaluation wait_for_function polls with)."""
    for _ in range(50):
        if (has in current_hash(page)) == present:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"{has!r} {'not ' if present else ''}in {current_hash(page)!r}")


def test_url_state_survives_reload_and_history(page, report):
    path, result = report
    open_report(page, path, "#findings")
    rule = sorted({f.rule for f in result.findings})[0]
    page.select_option("#f-rule", label=rule)
    page.click("#findings-table button[data-sort=trials]")
    page.click("#findings-table button[data-sort=trials]")
    page.fill("#f-text", "NCT")
    wait_hash(page, "q=NCT")
    state = current_hash(page)
    assert f"rule={rule}" in state and "sort=-trials" in state
    count = page.inner_text("#count")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert current_hash(page) == state
    assert page.input_value("#f-rule") == rule and page.input_value("#f-text") == "NCT"
    assert page.inner_text("#count") == count
    header = page.locator("#findings-table thead th", has=page.locator("[data-sort=trials]"))
    assert header.get_attribute("aria-sort") == "descending"
    page.go_back()  # the second sort click
    wait_hash(page, "sort=-trials", present=False)
    assert header.get_attribute("aria-sort") == "ascending"
    page.go_back()
    page.go_back()
    wait_hash(page, "rule=", present=False)
    assert page.input_value("#f-rule") == ""
    assert page.inner_text("#count").startswith(f"{len(result.findings)} of ")


def test_finding_link_opens_it_expanded_with_what_to_do(page, report):
    path, result = report
    item = result.findings[-1]
    _, errors = open_report(page, path, f"#finding/{item.fingerprint}")
    detail = page.locator("tr.expanded")
    assert detail.count() == 1
    sections = detail.locator("section h5").all_inner_texts()
    assert [s.lower() for s in sections[:4]] == [
        "what is wrong",
        "what to do",
        "evidence",
        "record files",
    ]
    assert item.message in detail.locator("section.what").inner_text()
    fix = result.catalogue[item.rule].section("fix")
    assert fix and fix[:40] in detail.locator("section.fix").inner_text()
    copy = detail.locator("button.copy", has_text="copy link").get_attribute("data-copy")
    assert copy == path.as_uri() + f"#finding/{item.fingerprint}"
    assert errors == []


def test_every_expanded_finding_says_what_to_do(page, report):
    path, result = report
    open_report(page, path, "#findings")
    rows = page.locator("#findings-table tbody tr.finding")
    for n in range(rows.count()):
        rows.nth(n).click()
    fixes = page.locator("tr.expanded section.fix").all_inner_texts()
    assert len(fixes) == len(result.findings)
    assert all(len(text.split("\n", 1)[-1].strip()) > 20 for text in fixes)


def test_evidence_table_waiver_and_registry_link(page, report):
    import yaml

    from audit.registries import registry_url

    path, result = report
    item = next(f for f in result.findings if f.evidence and f.trial_ids)
    open_report(page, path, f"#finding/{item.fingerprint}")
    detail = page.locator("tr.expanded")
    keys = detail.locator("table.kv th").all_inner_texts()
    assert keys and set(keys) <= {k for k in _flat_keys(item.evidence)}
    assert "{" not in detail.locator("section.evidence").inner_text()  # no raw JSON
    waiver = yaml.safe_load(detail.locator("section.waiver pre").inner_text())[0]
    assert waiver["fingerprint"] == item.fingerprint and waiver["rule"] == item.rule
    assert waiver["trial"] == item.trial_ids[0]
    assert {"reason", "approved_by", "expires"} <= set(waiver)
    href = detail.locator("a.registry").first.get_attribute("href")
    assert href == registry_url(item.trial_ids[0])


def _flat_keys(value, prefix=""):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _flat_keys(inner, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        for n, inner in enumerate(value):
            yield from _flat_keys(inner, f"{prefix}[{n}]")
    else:
        yield prefix or "value"


def test_csv_download_is_the_filtered_view(page, report):
    import csv

    path, result = report
    rule = sorted({f.rule for f in result.findings})[-1]
    open_report(page, path, f"#findings?rule={rule}")
    with page.expect_download() as download:
        page.click("#csv")
    with open(download.value.path(), encoding="utf-8-sig") as text:
        rows = list(csv.DictReader(text))
    assert len(rows) == sum(1 for f in result.findings if f.rule == rule)
    assert {r["rule"] for r in rows} == {rule}


def _link_targets(page) -> list[str]:
    return page.eval_on_selector_all("a.file", "links => links.map(a => a.href)")


def _assert_links_exist(hrefs: list[str]) -> None:
    from urllib.parse import urlparse
    from urllib.request import url2pathname

    assert hrefs
    for href in hrefs:
        url = urlparse(href)
        assert url.scheme == "file"
        assert Path(url2pathname(url.path)).is_file(), href


@pytest.mark.parametrize("where", ["sibling", "outside"])
def test_record_links_resolve(page, tmp_path, seed_records, where):
    outside = tmp_path / "elsewhere" / "deeper" / "site"
    out = tmp_path / "repo" / "reports" if where == "sibling" else outside
    path, _ = build_report(tmp_path / "repo" / "records", dict(seed_records), out)
    open_report(page, path, "#findings")
    for row in page.locator("#findings-table tbody tr.finding").all():
        row.click()
    _assert_links_exist(_link_targets(page))
    page.goto(path.as_uri() + "#trial/NCT04441658")
    _assert_links_exist(_link_targets(page))


def test_link_base_points_at_the_field_line(page, tmp_path, seed_records):
    from audit.report.sarif import line_of, record_lines

    base = "https://example.org/org/repo/blob/abc123/records"
    path, result = build_report(
        tmp_path / "records", dict(seed_records), tmp_path / "out", link_base=base
    )
    item = next(f for f in result.findings if f.field and f.record_files)
    open_report(page, path, f"#finding/{item.fingerprint}")
    href = page.locator("tr.expanded a.file").first.get_attribute("href")
    line = line_of(item, item.record_files[0], record_lines(result))
    assert href == f"{base}/{item.record_files[0]}#L{line}"


@pytest.mark.parametrize("width", [1024, 1440])
def test_trial_with_three_sources_fits_the_window(browser, report3, width):
    path, _ = report3
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    open_report(page, path, "#trial/NCT09999991")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    table = page.locator("#side-by-side")
    headers = table.locator("thead th").all_inner_texts()
    assert [h.split("\n")[0] for h in headers] == ["field", "veeva", "ctgov-api", "medpath"]
    assert "captured 2026-06-01" in headers[1]
    ages = table.locator("tr", has=page.locator("th", has_text="min age")).first
    assert ages.locator("td").all_inner_texts() == ["18", "18", "18"]
    assert page.evaluate("document.querySelector('.scroll').scrollWidth") <= page.evaluate(
        "document.querySelector('.scroll').clientWidth"
    )
    context.close()


def test_trial_view_marks_fields_with_findings_and_lists_them_first(page, report3):
    path, result = report3
    open_report(page, path, "#trial/NCT09999991")
    headings = page.locator("#trial-detail h3").all_inner_texts()
    assert headings[0] == "Findings"
    about = {f.field for f in result.findings if "NCT09999991" in f.trial_ids}
    assert about, "the three sources should disagree somewhere"
    flagged = page.locator("#side-by-side tr.flagged th").all_inner_texts()
    assert flagged and all("⚑" in text for text in flagged)
    # Rows no finding is about carry no list in the page's data, and show no flag.
    plain = page.locator("#side-by-side tbody tr:not(.flagged) th").all_inner_texts()
    assert "study type" in plain and not any("⚑" in text for text in plain)


def test_more_sources_than_fit_scroll_inside_the_table(browser, tmp_path, seed_records):
    records = {**dict(seed_records), **three_sources_of("NCT09999991")}
    for source in ("ctgov-classic", "ctgov-xml"):
        records[f"NCT09999991.{source}.json"] = valid_record("NCT09999991", source)
    path, _ = build_report(tmp_path / "records", records, tmp_path / "reports")
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    open_report(page, path, "#trial/NCT09999991")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    assert page.evaluate("document.querySelector('.scroll').scrollWidth") > page.evaluate(
        "document.querySelector('.scroll').clientWidth"
    )
    context.close()


def test_keyboard_expands_a_row_and_sorts(page, report):
    path, _ = report
    open_report(page, path, "#findings")
    assert page.locator("#f-severity").is_visible()
    assert page.locator("#status-filter").is_hidden()  # no gate, nothing waived
    first = page.locator("#findings-table tbody tr.finding").first
    assert first.get_attribute("tabindex") == "0"
    assert first.get_attribute("aria-expanded") == "false"
    first.focus()
    page.keyboard.press("Enter")
    first = page.locator("#findings-table tbody tr.finding").first
    assert first.get_attribute("aria-expanded") == "true"
    assert page.locator("tr.expanded").count() == 1
    assert page.evaluate("document.activeElement.classList.contains('finding')")
    page.keyboard.press(" ")
    assert page.locator("tr.expanded").count() == 0
    page.locator("#findings-table button[data-sort=rule]").focus()
    page.keyboard.press("Enter")
    header = page.locator("#findings-table thead th", has=page.locator("[data-sort=rule]"))
    assert header.get_attribute("aria-sort") == "ascending"
    assert "▲" in header.inner_text()


def test_overview_counts_open_the_filtered_table(page, report):
    path, result = report
    open_report(page, path)
    rule, severity = result.findings[0].rule, result.findings[0].severity
    cell = page.locator(f"#rule-grid a[href='#findings?rule={rule}&severity={severity}']")
    assert cell.count() == 2  # the count and its bar
    cell.first.click()
    page.wait_for_selector("#view-findings:not([hidden])")
    expected = sum(1 for f in result.findings if (f.rule, f.severity) == (rule, severity))
    assert page.inner_text("#count").startswith(f"{expected} of ")
    page.go_back()
    page.click(f".card.sev-{severity}")
    expected = sum(1 for f in result.findings if f.severity == severity)
    assert page.inner_text("#count").startswith(f"{expected} of ")


def test_trial_list_orders_by_findings_and_says_what_it_shows(page, report):
    path, result = report
    open_report(page, path, "#trials")
    worst = min(SEVERITIES.index(f.severity) for f in result.findings)
    gravest = {
        t for f in result.findings if SEVERITIES.index(f.severity) == worst for t in f.trial_ids
    }
    first = page.locator("#trial-list li a.trial").first.inner_text()
    assert first in gravest
    trials = result.tables.studies["trial_id"].nunique()
    assert page.inner_text("#trial-count") == f"{trials} trials"
    assert page.locator("#trial-list li .title").first.inner_text()
    listed = page.inner_text("#trial-list")
    assert "1 error" in listed or "1 warning" in listed
    assert not any(f"1 {word}s" in listed for word in ("error", "warning", "info"))


def test_gate_banner_lists_blocking_findings_first(page, tmp_path, seed_records):
    import json

    from audit.cli import main

    folder = write_records(tmp_path / "records", dict(seed_records))
    _, result = build_report(folder, {}, tmp_path / "run")
    blocking = next(f for f in result.findings if f.severity == "warning")
    base = json.loads((tmp_path / "run" / "findings.json").read_text())
    base["findings"] = [f for f in base["findings"] if f["fingerprint"] != blocking.fingerprint]
    (tmp_path / "base.json").write_text(json.dumps(base))
    out = tmp_path / "gate"
    arguments = ["gate", "--baseline", str(tmp_path / "base.json"), "--records", str(folder)]
    arguments += ["--fail-on", "warning"]  # the seeds have no error finding
    assert main([*arguments, "--out", str(out), "--as-of", AS_OF.isoformat()]) == 1
    open_report(page, out / "index.html")
    links = page.locator("#verdict .blocking a")
    assert links.count() == 1
    assert links.first.get_attribute("href") == f"#finding/{blocking.fingerprint}"
    assert "1 new" in page.inner_text("#verdict")
    links.first.click()
    assert page.locator("tr.expanded").count() == 1
    assert page.locator("#status-filter").is_visible()
