"""Shared test fixtures. Tests that need ../shared skip without it, but fail under
AUDIT_REQUIRE_SHARED=1 (CI sets it) so that missing data can never pass as a skip."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
REALDATA = Path(__file__).resolve().parent / "realdata"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """tests/realdata (end to end on every real corpus, `nox -s realdata`) runs only when
    named on the command line, never in the default run."""
    if collection_path != REALDATA:
        return None
    here = config.invocation_params.dir
    named = ((here / arg.split("::")[0]).resolve() for arg in config.args)
    return not any(path == REALDATA or REALDATA in path.parents for path in named)


def require_path(path: Path) -> Path:
    if path.exists():
        return path
    reason = f"{path} is not here (tests read ../shared in place)"
    if os.environ.get("AUDIT_REQUIRE_SHARED") == "1":
        pytest.fail(f"AUDIT_REQUIRE_SHARED=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared() -> Path:
    return require_path(SHARED)


@pytest.fixture(scope="session")
def seeds(shared: Path) -> Path:
    return require_path(shared / "seeds")


@pytest.fixture(scope="session")
def data(shared: Path) -> Path:
    return require_path(shared / "data")


def valid_record(trial_id: str = "NCT01234567", source: str = "ctgov-api", **fields):
    """A small, clean record to change one field at a time in tests."""
    from audit.record import new_record

    base = {
        "title": f"Trial {trial_id}",
        "overall_status": "COMPLETED",
        "study_type": "INTERVENTIONAL",
        "enrollment": {"count": 40, "type": "ACTUAL"},
        "phases": ["PHASE2"],
        "start_date": {"date": "2019-01-01", "type": "ACTUAL"},
        "completion_date": {"date": "2020-06-30", "type": "ACTUAL"},
        "nct_id": trial_id if trial_id.startswith("NCT") else None,
    }
    base.update(fields)
    return new_record(trial_id=trial_id, source=source, **base)


def synthetic_records(folder: Path, trials: int, seed: int) -> Path:
    """A synthetic corpus of ``trials`` with defects injected at a rate of 0.2: in a few hundred
    trials the rules injected first take them all (stale statuses, placeholder contacts,
    contact-name mismatches), so tests of other rules' defects write their own."""
    from audit.synth import write_corpus

    write_corpus(folder, trials, seed=seed, rate=0.2)
    return folder / "records"


@pytest.fixture
def records(synthetic: Path, tmp_path: Path) -> Path:
    """A fresh, editable copy of the test module's ``synthetic`` records."""
    return Path(shutil.copytree(synthetic, tmp_path / "records"))


def edit(path: Path, change: Callable[[dict], object]) -> None:
    """Change a record file in place, as a curator's edit would: ``change`` edits the record."""
    record = json.loads(path.read_text(encoding="utf-8"))
    change(record)
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def write_records(folder: Path, records: dict[str, dict]) -> Path:
    from audit.record import dumps

    folder.mkdir(parents=True, exist_ok=True)
    for name, record in records.items():
        (folder / name).write_text(dumps(record), encoding="utf-8")
    return folder


@pytest.fixture
def expectations_dir() -> Path:
    return ROOT / "expectations"


def real_corpus_files(data: Path) -> list[Path]:
    """The real registry files every rule is run on (read in place from ../shared/data)."""
    return [
        *sorted((data / "ctgov_v2_website_exports").glob("*.json")),
        *sorted((data / "aact_spec_fixtures" / "ctgov_api_v2_json").glob("*.json")),
        data / "who_ictrp_covid19_2020" / "ictrp_covid19_export_2020-07-07_4098trials.csv",
        *sorted((data / "ctgov_legacy_xml_trec2022_sample").glob("*.xml")),
        *sorted((data / "aact_spec_fixtures" / "ctgov_legacy_xml").glob("*.xml")),
        *sorted((data / "ctgov_legacy_xml_allpublicxml_2023-02" / "NCT0046xxxx").glob("*.xml")),
        *sorted((data / "ctgov_legacy_xml_allpublicxml_2023-02" / "NCT0049xxxx").glob("*.xml")),
    ]


@pytest.fixture(scope="session")
def real_records(data: Path) -> list[tuple[str, dict]]:
    """(record file, record) for every trial in the real corpus; record files are named
    after the source file and position, so a trial found in two files stays two records."""
    from audit.sources import import_file

    records = []
    for path in real_corpus_files(data):
        for index, record in enumerate(import_file(path)):
            records.append((f"{path.name}#{index}", record))
    return records


@pytest.fixture(scope="session")
def real_tables(real_records):
    from audit.tables import build_tables

    return build_tables(real_records)


@pytest.fixture(scope="session")
def browser():
    """Debian's headless chromium driven by Playwright (never a downloaded browser)."""
    from audit.bench import CHROMIUM, CHROMIUM_ARGS

    executable = Path(CHROMIUM)
    if not executable.exists():
        reason = "browser tests need Debian's chromium (apt-get install chromium)"
        if os.environ.get("AUDIT_REQUIRE_SHARED") == "1" or os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture(scope="session")
def seed_records(seeds: Path) -> list[tuple[str, dict]]:
    """The five seed pages, normalized in memory the way `audit normalize` writes them."""
    from audit.record import record_filename
    from audit.sources import import_file

    records = []
    for path in sorted(seeds.glob("*.txt")):
        records += [(record_filename(r), r) for r in import_file(path)]
    return records


def parse_one(importer, path: Path) -> dict:
    """The one schema-valid record an importer module makes of a page."""
    from audit.record import schema_errors

    records = importer.parse(path, path.read_bytes().decode("utf-8"))
    assert len(records) == 1
    assert schema_errors(records[0]) == []
    return records[0]


def people_of(record: dict) -> list[tuple]:
    return [(p["name"], p["role"], p["degrees"], p["email"]) for p in record["people"]]
