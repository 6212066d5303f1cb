"""Where the HTML report's links point: registry pages, record files, rule docs."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.registries import (
    REGISTRY_ID_PATTERNS,
    REGISTRY_URLS,
    registry_links,
    registry_url,
)
from audit.report import records_relative
from audit.report.model import _show


@pytest.mark.parametrize(
    ("trial", "url"),
    [
        ("NCT04216849", "https://clinicaltrials.gov/study/NCT04216849"),
        ("ISRCTN83971151", "https://www.isrctn.com/ISRCTN83971151"),
        (
            "EUCTR2020-001366-11-IE",
            "https://www.clinicaltrialsregister.eu/ctr-search/search?query=2020-001366-11",
        ),
        ("ACTRN12620000445976", "https://www.anzctr.org.au/ACTRN12620000445976.aspx"),
        ("DRKS00021238", "https://drks.de/search/en/trial/DRKS00021238"),
        (
            "CTRI/2020/04/024883",
            "https://trialsearch.who.int/Trial2.aspx?TrialID=CTRI%2F2020%2F04%2F024883",
        ),
        ("not-an-id", "https://trialsearch.who.int/Trial2.aspx?TrialID=not-an-id"),
    ],
)
def test_registry_url(trial: str, url: str) -> None:
    assert registry_url(trial) == url


def test_every_template_names_a_known_registry_and_ictrp_catches_the_rest() -> None:
    assert set(REGISTRY_URLS) <= set(REGISTRY_ID_PATTERNS)
    links = registry_links()
    assert [name for name, _, _ in links[:-1]] == list(REGISTRY_ID_PATTERNS)
    assert links[-1][:2] == ("ICTRP", ".*")


def test_record_links_are_relative_to_the_report(tmp_path: Path) -> None:
    records = tmp_path / "repo" / "records"
    records.mkdir(parents=True)
    assert records_relative(records, tmp_path / "repo" / "reports") == "../records/"
    assert records_relative(records, tmp_path / "out" / "a b") == "../../repo/records/"
    assert records_relative(records, records / "report") == "../"


def test_integers_print_as_integers() -> None:
    assert _show(18.0) == "18"
    assert _show(17.5) == "17.5"
    assert _show({"count": 40.0, "type": "ACTUAL"}) == "40 ACTUAL"


def test_link_base_option_of_run(tmp_path: Path, seed_records: list) -> None:
    from conftest import write_records

    from audit.cli import main

    folder = write_records(tmp_path / "records", dict(seed_records))
    base = "https://example.org/o/r/blob/0123abc/records"
    arguments = ["run", "--records", str(folder), "--out", str(tmp_path / "out")]
    main([*arguments, "--as-of", "2026-11-22", "--link-base", base + "/"])
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert f'"records_base":"{base}/"' in page
