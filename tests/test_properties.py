"""Property-based tests (hypothesis) over every importer and the loader (issue 8).

* Arbitrary text, arbitrary bytes, mangled real pages and type-confused JSON never crash an
  importer or the loader: the only failures are ``SourceError`` and ``RecordError``.
* Whatever an importer returns survives ``write_record`` and ``parse_record`` unchanged.
* Records drawn from the record model (``audit/record.schema.json``) round-trip through
  ``dumps``, the file system and ``parse_record`` unchanged and without structure problems.

Examples are derandomized so CI is stable; the counts are kept modest for two shared cores.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.load import RecordError, parse_record, structure_problems
from audit.record import dumps, record_filename, schema, schema_errors, write_record
from audit.sources import SourceError, import_file, importers, read_text
from audit.tables import build_tables

FIXTURES = ROOT / "tests" / "fixtures"
SETTINGS = settings(
    max_examples=120,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
IMPORTERS = {module.__name__.rsplit(".", 1)[1]: module for module in importers()}
TRICKY = [
    "\n", "\r\n", "\t", ":", "|", ",", ";", '"', "'", "{", "}", "[", "]", "<", ">", "&#", "&amp;",
    "NaN", "Infinity", "-1", "0", "9" * 30, "2099-12", "1,200", "²", "٣", "\u2028", "\x0b", "\x00",
    "\ufeff", "Phase 2", "Enrollment", "Arms", "Inclusion Criteria:", "NCT01234567",
    "ChiCTR2000029308", "Status", "Locations", "Years", "\u00a0", "  •  ", "1.", "(a)",
]  # fmt: skip


@cache
def fixture_texts(*folders: str) -> list[str]:
    texts = []
    for folder in folders:
        for path in sorted((FIXTURES / folder).iterdir()):
            texts.append(path.read_bytes().decode("utf-8-sig", errors="replace"))
    return texts


@cache
def corpus() -> list[str]:
    return fixture_texts("ctgov_api", "ctgov_xml", "ictrp", "veeva", "ctgov_classic", "medpath")


@st.composite
def mangled(draw: st.DrawFn, texts: list[str] | None = None) -> str:
    """A real page or export with lines dropped, repeated, swapped or rewritten and tricky
    tokens inserted: close enough to the format to reach deep into an importer."""
    lines = draw(st.sampled_from(texts or corpus())).split("\n")
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, max(len(lines) - 1, 0)))
        action = draw(st.sampled_from(["drop", "repeat", "swap", "rewrite", "insert", "cut"]))
        if action == "drop" and lines:
            del lines[at]
        elif action == "repeat" and lines:
            lines[at:at] = lines[at : at + draw(st.integers(1, 5))]
        elif action == "swap" and lines:
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif action == "rewrite":
            lines[at:at] = [draw(st.text(max_size=40))]
        elif action == "insert" and lines:
            line = lines[at]
            cut = draw(st.integers(0, len(line)))
            token = draw(st.sampled_from(TRICKY) | st.text(max_size=5))
            lines[at] = line[:cut] + token + line[cut:]
        elif action == "cut" and lines:
            lines[at] = lines[at][: draw(st.integers(0, len(lines[at])))]
    return "\n".join(lines)


def import_cleanly(module: Any, text: str, path: Path = Path("input.txt")) -> list[dict]:
    """The importer's records, or [] after a clean SourceError naming the file."""
    assert isinstance(module.sniff(path, text[:65536]), bool)
    try:
        records = module.parse(path, text)
    except SourceError as error:
        assert error.path == str(path) and error.reason and str(error).startswith(f"{path}: ")
        return []
    assert isinstance(records, list)
    return records


def assert_round_trips(records: list[dict], folder: Path) -> None:
    """normalize -> write -> load: every record comes back from its file unchanged."""
    for record in records:
        path = write_record(record, folder)
        assert path.resolve().parent == folder.resolve()
        assert parse_record(path) == record
        assert structure_problems(record) == []


# ---- every importer: arbitrary and mangled text never crashes -------------------------------


@pytest.mark.parametrize("name", sorted(IMPORTERS))
@SETTINGS
@given(text=st.text(max_size=2000) | st.sampled_from(TRICKY))
def test_importer_survives_arbitrary_text(name: str, text: str) -> None:
    import_cleanly(IMPORTERS[name], text)


@pytest.mark.parametrize("name", sorted(IMPORTERS))
@SETTINGS
@given(data=st.data())
def test_importer_survives_mangled_pages_and_round_trips(name: str, data, tmp_path) -> None:
    """Mostly the importer's own fixtures, mangled; sometimes another format's."""
    own = fixture_texts(name) if (FIXTURES / name).is_dir() else corpus()
    text = data.draw(mangled(own) | mangled())
    assert_round_trips(import_cleanly(IMPORTERS[name], text), tmp_path)


# ---- structured inputs with confused types ------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(TRICKY),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def confused(draw: st.DrawFn, value: Any, depth: int = 0) -> Any:
    """``value`` with random subtrees replaced by arbitrary JSON (keys kept, types not)."""
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)
    if isinstance(value, dict):
        return {key: draw(confused(item, depth + 1)) for key, item in value.items()}
    if isinstance(value, list):
        return [draw(confused(item, depth + 1)) for item in value]
    return value


@SETTINGS
@given(data=st.data())
def test_api_importer_survives_type_confused_studies(data: st.DataObject, tmp_path) -> None:
    from audit.sources import ctgov_api

    study = json.loads((FIXTURES / "ctgov_api" / "single_study.json").read_text(encoding="utf-8"))
    study = data.draw(confused(study))
    wrap = data.draw(st.sampled_from(["one", "page", "array", "ndjson"]))
    text = {
        "one": lambda: json.dumps(study),
        "page": lambda: json.dumps({"studies": [study, study]}),
        "array": lambda: json.dumps([study]),
        "ndjson": lambda: json.dumps(study) + "\n" + json.dumps(study) + "\n",
    }[wrap]()
    assert_round_trips(import_cleanly(ctgov_api, text), tmp_path)


def rows(cell: st.SearchStrategy[str], width: int) -> st.SearchStrategy[list[list[str]]]:
    return st.lists(st.lists(cell, min_size=width, max_size=width), min_size=1, max_size=4)


TSV_CELL = st.text(st.characters(codec="utf-8", exclude_characters="\t\r\n"), max_size=30)


@SETTINGS
@given(cells=rows(st.text(max_size=30) | st.sampled_from(TRICKY), 40))
def test_ictrp_importer_survives_arbitrary_cells(cells: list[list[str]], tmp_path) -> None:
    import csv
    import io

    from audit.sources import ictrp

    header = (FIXTURES / "ictrp" / "export_small.csv").read_text(encoding="utf-8-sig")
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(next(csv.reader(io.StringIO(header))))
    writer.writerows(cells)
    assert_round_trips(import_cleanly(ictrp, stream.getvalue(), Path("export.csv")), tmp_path)


@SETTINGS
@given(cells=rows(TSV_CELL | st.sampled_from([c for c in TRICKY if c.strip("\t\r\n")]), 19))
def test_classic_tsv_importer_survives_arbitrary_cells(cells: list[list[str]], tmp_path) -> None:
    from audit.sources import ctgov_tsv

    header = "\t".join(ctgov_tsv.COLUMNS)
    rows = ["\t".join(["NCT01234567", *row[1:]]) for row in cells]
    text = "\n".join([header, *rows]) + "\n"
    assert_round_trips(import_cleanly(ctgov_tsv, text, Path("ctg-studies.tsv")), tmp_path)


@SETTINGS
@given(data=st.data())
def test_xml_importer_survives_arbitrary_element_text(data: st.DataObject, tmp_path) -> None:
    from xml.sax.saxutils import escape

    from audit.sources import ctgov_xml

    text = (FIXTURES / "ctgov_xml" / "older_wording.xml").read_text(encoding="utf-8")
    xml_text = st.text(
        st.characters(codec="utf-8", exclude_categories=["Cc"]), max_size=40
    ) | st.sampled_from([t for t in TRICKY if t not in ("\x00", "\x0b", "\ufeff")])

    def replace(match: re.Match[str]) -> str:
        value = data.draw(xml_text) if data.draw(st.integers(0, 3)) == 0 else match.group(2)
        return f"{match.group(1)}{escape(value)}{match.group(3)}"

    mangled_xml = re.sub(r"(<[a-z_]+(?: [^>]*)?>)([^<]*)(</[a-z_]+>)", replace, text)
    assert_round_trips(import_cleanly(ctgov_xml, mangled_xml, Path("study.xml")), tmp_path)


# ---- reading files: arbitrary bytes ------------------------------------------------------------


@SETTINGS
@given(
    data=st.binary(max_size=3000)
    | st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\x00", b"\x89PNG\r\n\x1a\n"]).flatmap(
        lambda head: st.binary(max_size=500).map(lambda tail: head + tail)
    )
    | mangled().map(lambda text: text.encode("utf-8"))
)
def test_import_file_survives_arbitrary_bytes(data: bytes, tmp_path) -> None:
    path = tmp_path / "input.txt"
    path.write_bytes(data)
    try:
        records = import_file(path)
    except SourceError as error:
        assert error.path == str(path) and error.reason
        return
    assert_round_trips(records, tmp_path / "out")
    assert read_text(path).lstrip("\ufeff")


@SETTINGS
@given(data=st.binary(max_size=3000) | json_values.map(lambda v: json.dumps(v).encode()))
def test_loader_survives_arbitrary_bytes(data: bytes, tmp_path) -> None:
    path = tmp_path / "record.json"
    path.write_bytes(data)
    try:
        record = parse_record(path)
    except RecordError as error:
        assert str(error)
        return
    assert isinstance(record, dict)
    structure_problems(record)
    build_tables([("record.json", record)])


# ---- records drawn from the record model ---------------------------------------------------------


def from_schema(node: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values valid under the subset of JSON Schema the record model uses."""
    if "enum" in node:
        return st.sampled_from(node["enum"])
    kinds = node["type"] if isinstance(node["type"], list) else [node["type"]]
    options = []
    for kind in kinds:
        if kind == "null":
            options.append(st.none())
        elif kind == "boolean":
            options.append(st.booleans())
        elif kind == "integer":
            options.append(st.integers(node.get("minimum", -(2**53)), 2**53))
        elif kind == "number":
            options.append(st.floats(allow_nan=False, allow_infinity=False))
        elif kind == "string" and "pattern" in node:
            options.append(st.from_regex(node["pattern"].replace(r"\d", "[0-9]"), fullmatch=True))
        elif kind == "string":
            options.append(st.text(min_size=node.get("minLength", 0), max_size=30))
        elif kind == "array":
            options.append(st.lists(from_schema(node["items"]), max_size=3))
        elif kind == "object" and "properties" in node:
            options.append(
                st.fixed_dictionaries({k: from_schema(v) for k, v in node["properties"].items()})
            )
        elif kind == "object":
            values = from_schema(node["additionalProperties"])
            options.append(st.dictionaries(st.text(max_size=20), values, max_size=3))
    drawn = st.one_of(options)
    if "anyOf" in node:  # people: a name, or else an email or phone
        alternatives = {"anyOf": node["anyOf"]}
        drawn = drawn.filter(lambda value: jsonschema_rs.is_valid(alternatives, value))
    return drawn


@cache
def records_strategy() -> st.SearchStrategy[dict[str, Any]]:
    return from_schema(schema())


@SETTINGS
@given(data=st.data())
def test_model_records_round_trip_unchanged(data: st.DataObject, tmp_path) -> None:
    record = data.draw(records_strategy())
    assert schema_errors(record) == []  # the strategy draws from the model
    text = dumps(record)
    assert json.loads(text) == record and text.endswith("}\n")
    path = write_record(record, tmp_path)
    assert path.name == record_filename(record) and path.resolve().parent == tmp_path.resolve()
    assert parse_record(path) == record
    assert structure_problems(record) == []
    tables = build_tables([(path.name, record)])
    assert len(tables.studies) == 1


@SETTINGS
@given(data=st.data())
def test_type_confused_records_load_or_fail_cleanly(data: st.DataObject, tmp_path) -> None:
    record = data.draw(confused(data.draw(records_strategy())))
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    try:
        loaded = parse_record(path)
    except RecordError as error:
        assert str(error)
        return
    assert loaded == record
    structure_problems(loaded)
    build_tables([("record.json", loaded)])
