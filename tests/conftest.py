"""Shared test fixtures. Tests that need ../shared skip without it, but fail under
AUDIT_REQUIRE_SHARED=1 (CI sets it) so that missing data can never pass as a skip."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


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
