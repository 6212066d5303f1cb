"""A fixed-seed sample of the audit's real findings, per finding id and severity, to judge.

Each corpus of ``CORPORA`` (files under ``../shared/data``) is normalized with ``audit
normalize`` (kept in a work folder, keyed by a hash of the importers' code, so that re-running
only re-audits) and audited in full with the package's suites at ``AS_OF``. Every finding
falls in a bucket, its id and severity; a bucket's sample is its first ``SIZE`` findings
ordered by a hash of the seed, the corpus and the finding's fingerprint. That order depends on
nothing a rule can tune: a finding keeps its place while other findings come and go, and a
rule that reports fewer findings cannot choose which ones are drawn. Rules were fixed on the
false positives of that sample, so its figures after the fixes are fitted to it; the next
``HOLDOUT`` findings of each bucket, judged after the fixes, measure the rules as they are;
when rules are fixed on those, the next round measures them again.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from audit.findings import Finding
from audit.record import atomic_write

SEED = "trial-audit sample 1"
SIZE = 30
#: Findings judged after the rules were fixed on the first ``SIZE``, without changing them:
#: the figures a fix cannot have been fitted to. Round ``n`` of the hold-out is the
#: ``HOLDOUT`` findings after the first ``SIZE + (n - 1) * HOLDOUT``; a new round is drawn
#: when rules were fixed on the false positives of the last one.
HOLDOUT = 10


def drawn_round(found: Iterable[tuple[str, Finding]], holdout: int = 0) -> dict[Bucket, Sample]:
    """The sample (``holdout`` 0) or one round of the hold-out."""
    if not holdout:
        return draw(found)
    return draw(found, HOLDOUT, skip=SIZE + (holdout - 1) * HOLDOUT)


AS_OF = date(2026, 11, 22)
PACKAGE = Path(__file__).resolve().parent
#: Code that decides what ``audit normalize`` writes: a change re-normalizes.
IMPORTING = ("sources", "inputs.py", "record.py", "fields.py", "vocab.py", "capabilities.py")

#: Corpus name -> files or folders under the data folder, normalized together.
CORPORA: dict[str, tuple[str, ...]] = {
    "ctgov-v2-website-exports": ("ctgov_v2_website_exports",),
    "aact-v2-json": ("aact_spec_fixtures/ctgov_api_v2_json",),
    "ictrp-and-classic-2020-07": (
        "who_ictrp_covid19_2020/ictrp_covid19_export_2020-07-07_4098trials.csv",
        "ctgov_web_export_covid19_2020/ctgov_covid19_search_export_20200709.tsv",
    ),
    "legacy-xml-allpublicxml": ("ctgov_legacy_xml_allpublicxml_2023-02",),
    "legacy-xml-trec2022": ("ctgov_legacy_xml_trec2022_sample",),
    "legacy-xml-aact": ("aact_spec_fixtures/ctgov_legacy_xml",),
    "ctrdata-multiregistry": ("ctrdata_demo_multiregistry",),
}

Bucket = tuple[str, str]  # (finding id, severity)


@dataclass(frozen=True)
class Drawn:
    """A finding drawn into the sample, with the corpus it came from."""

    corpus: str
    finding: Finding

    @property
    def key(self) -> tuple[str, str]:
        return self.corpus, self.finding.fingerprint

    @property
    def bucket(self) -> Bucket:
        return self.finding.rule, self.finding.severity


def importer_hash() -> str:
    digest = hashlib.sha256()
    for name in IMPORTING:
        path = PACKAGE / name
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(file.relative_to(PACKAGE).as_posix().encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def normalized(data: Path, corpus: str, work: Path) -> Path:
    """The corpus's records folder, normalized now unless the work folder has it already."""
    folder = work / importer_hash() / corpus
    records = folder / "records"
    if not (folder / "done").exists():
        paths = [str(data / name) for name in CORPORA[corpus]]
        command = [sys.executable, "-m", "audit", "normalize", *paths, "--out", str(records)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode not in (0, 1):
            raise RuntimeError(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr}")
        atomic_write(folder / "done", "")
    return records


@cache
def corpus_findings(data: Path, corpus: str, work: Path) -> tuple[Finding, ...]:
    """Every finding of a full audit of the corpus with the package's own suites."""
    from audit.config import PACKAGE_DEFAULTS, Config
    from audit.engine import run_audit

    records = normalized(data, corpus, work)
    config = Config(PACKAGE_DEFAULTS, "package defaults")
    result = run_audit(records, config, AS_OF)
    if result.problems:
        raise RuntimeError(f"{corpus}: the audit is incomplete: {result.problems}")
    return tuple(result.findings)


def _order(item: Drawn) -> str:
    return hashlib.sha256(f"{SEED}:{item.corpus}:{item.finding.fingerprint}".encode()).hexdigest()


@dataclass(frozen=True)
class Sample:
    """A bucket's findings in all corpora (``total``) and the ones drawn to be judged."""

    total: int
    drawn: tuple[Drawn, ...]


def draw(
    found: Iterable[tuple[str, Finding]], size: int = SIZE, skip: int = 0
) -> dict[Bucket, Sample]:
    """Each bucket's sample: ``size`` findings in the seed's order after the first ``skip``
    (the hold-out sample is the ``HOLDOUT`` findings after the first ``SIZE``)."""
    buckets: dict[Bucket, list[Drawn]] = defaultdict(list)
    for corpus, finding in found:
        buckets[finding.rule, finding.severity].append(Drawn(corpus, finding))
    return {
        bucket: Sample(len(items), tuple(sorted(items, key=_order)[skip : skip + size]))
        for bucket, items in sorted(buckets.items())
    }


def population(data: Path, work: Path) -> list[tuple[str, Finding]]:
    """Every finding of every corpus, with its corpus; waived findings included."""
    return [(name, f) for name in CORPORA for f in corpus_findings(data, name, work)]
