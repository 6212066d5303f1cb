"""Where an audit's configuration comes from: the ``expectations/`` folder (GX suites,
``rules.yaml``, ``waivers.yaml``), found the way linters find theirs.

``--expectations DIR`` wins. Otherwise the search walks up from the records folder, then from
the working directory, to the first folder that holds an ``expectations/`` folder or a
``pyproject.toml`` with a ``[tool.trial-audit]`` table (whose optional ``expectations`` key
names the folder, relative to it). With none, the suites shipped in the package are used.
Whatever is chosen is named, with a content hash, on the console and in ``findings.json``,
so the same records never give different findings silently depending on where the command
was started.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# In the repository this is a link to its expectations/; built packages hold a copy.
PACKAGE_DEFAULTS = Path(__file__).resolve().parent / "expectations"
CONFIG_TABLE = "trial-audit"
POLICY_FILE, WAIVERS_FILE = "rules.yaml", "waivers.yaml"


class ConfigError(ValueError):
    """A configuration that cannot be used; the message names the file."""


@dataclass(frozen=True)
class Config:
    expectations: Path
    origin: str  # how it was found, for people: "--expectations", "found beside …", …

    @property
    def policy(self) -> Path:
        return self.expectations / POLICY_FILE

    @property
    def waivers(self) -> Path:
        return self.expectations / WAIVERS_FILE

    def files(self) -> list[Path]:
        """The files an audit reads from the folder, sorted."""
        if not self.expectations.is_dir():
            return []
        return sorted(
            p
            for p in self.expectations.iterdir()
            if p.is_file() and (p.suffix == ".json" or p.name in (POLICY_FILE, WAIVERS_FILE))
        )

    def digest(self) -> str:
        """sha256 over the names and bytes of every file the audit reads from the folder."""
        hasher = hashlib.sha256()
        for path in self.files():
            data = path.read_bytes()
            hasher.update(f"{path.name}\0{len(data)}\0".encode())
            hasher.update(data)
        return hasher.hexdigest()

    def to_json(self) -> dict[str, Any]:
        return {
            "expectations": _shown(self.expectations),
            "origin": self.origin,
            "files": [p.name for p in self.files()],
            "sha256": self.digest(),
        }

    def describe(self) -> str:
        return f"config: {_shown(self.expectations)} ({self.origin}; sha256 {self.digest()[:12]})"


def _shown(path: Path) -> str:
    """A path as people read it: relative to the working directory when under it."""
    if path == PACKAGE_DEFAULTS:
        return "package defaults"
    try:
        return Path(os.path.relpath(path.resolve(), Path.cwd())).as_posix()
    except ValueError:  # another drive
        return path.resolve().as_posix()


def _declared(folder: Path) -> Path | None:
    """The expectations folder a ``pyproject.toml`` in ``folder`` names, if it has our table."""
    pyproject = folder / "pyproject.toml"
    if not pyproject.is_file():
        return None
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{pyproject}: cannot read ({error})") from error
    table = data.get("tool", {}).get(CONFIG_TABLE)
    if table is None:
        return None
    if not isinstance(table, dict) or not isinstance(table.get("expectations", ""), str):
        raise ConfigError(f"{pyproject}: [tool.{CONFIG_TABLE}] expectations must be a path")
    target = folder / table.get("expectations", "expectations")
    if not target.is_dir():
        raise ConfigError(f"{pyproject}: [tool.{CONFIG_TABLE}] names {target}, not a folder")
    return target


def _walk_up(start: Path) -> Path | None:
    """The expectations folder of the first project folder at or above ``start``."""
    for folder in (start, *start.parents):
        declared = _declared(folder)
        if declared is not None:
            return declared
        if (folder / "expectations").is_dir():
            return folder / "expectations"
    return None


def find_config(records: Path, explicit: Path | None = None, cwd: Path | None = None) -> Config:
    if explicit is not None:
        if not explicit.is_dir():
            raise ConfigError(f"--expectations {explicit}: not a folder")
        return Config(explicit, "--expectations")
    for start, what in (
        (records, "the records folder"),
        (cwd or Path.cwd(), "the working directory"),
    ):
        found = _walk_up(start.resolve())
        if found is not None:
            return Config(found, f"found walking up from {what}")
    return Config(
        PACKAGE_DEFAULTS, "no expectations/ above the records folder or the working directory"
    )
