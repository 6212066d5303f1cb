"""`nox -s realdata`: the table of every corpus's figures at the end of the run."""

from __future__ import annotations

import pytest

from realdata.corpora import Outcome, audit_command, table

OUTCOMES = pytest.StashKey[list[Outcome]]()


@pytest.fixture(scope="session")
def outcomes(request: pytest.FixtureRequest) -> list[Outcome]:
    return request.config.stash.setdefault(OUTCOMES, [])


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    done = terminalreporter.config.stash.get(OUTCOMES, [])
    if not done:
        return
    terminalreporter.section("real corpora")
    terminalreporter.write_line(f"command: {' '.join(audit_command())}")
    for line in table(done):
        terminalreporter.write_line(line)
