"""ClinicalTrials.gov's legacy XML as ctrdata stores it: the ``<clinical_study>`` model in JSON
(``ctrname`` CTGOV: ``id_info``, ``overall_status``, ``arm_group``, ``clinical_results`` ...).

It is the data model of ``ctgov_xml``, so the record is the same: the JSON is turned back into
an element tree and mapped by ``ctgov_xml.study_record``, and the source is ``ctgov-xml``.
ctrdata's converters wrote the JSON in two ways, and both are read:

* one element is an object or a string and several are a list; an empty element is ``{}``;
* attributes are an ``"@attributes"`` object (older exports) or plain members next to the
  children (newer ones: ``{"group_id": "P1", "count": "477"}``), with the element's own text,
  when it has attributes, in ``"_"``. A plain member cannot be told from a child element, so
  each scalar member is both: ``group.get("group_id")`` and ``group.findtext("title")`` read it;
* older exports keep XML character references in the text (``&apos;``, ``&#xD;``); they are
  decoded.

The exports seen drop the ``type`` attribute of dates and enrollment, so those types are null.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from audit.sources import SourceError, ctgov_xml, ctrdata

NAME = ctgov_xml.NAME

# ctrdata's converter drops the ACTUAL/ESTIMATED types of dates and enrollment.
CANNOT_CARRY = ctgov_xml.CANNOT_CARRY | {
    "enrollment.type",
    "start_date.type",
    "primary_completion_date.type",
    "completion_date.type",
}
CTRNAME = "CTGOV"

_ATTRIBUTES = "@attributes"
_TEXT = ("_", "#text")


def sniff(path: Path, head: str) -> bool:
    return ctrdata.sniff(head, CTRNAME)


def parse(path: Path, text: str) -> list[dict]:
    return ctrdata.parse(path, text, NAME)


def record(path: Path, value: dict, where: str) -> dict:
    try:
        root = element("clinical_study", value)
    except RecursionError:
        raise SourceError(path, f"{where}: nested too deeply") from None
    return ctgov_xml.study_record(path, root, where)


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return html.unescape(str(value))


def element(tag: str, value: Any) -> Element:
    """The element ``tag`` of one JSON value (object, string or number)."""
    node = Element(tag)
    if not isinstance(value, dict):
        node.text = _scalar(value)
        return node
    for key, member in value.items():
        if key == _ATTRIBUTES:
            attributes = member.items() if isinstance(member, dict) else ()
            node.attrib.update({name: text for name, item in attributes if (text := _scalar(item))})
        elif key in _TEXT:
            node.text = _scalar(member)
        else:
            _add_children(node, key, member)
    return node


def _add_children(node: Element, key: str, member: Any) -> None:
    """One child per item of a list (nested lists flattened); a scalar member is also an
    attribute, since newer exports write attributes as plain members."""
    for item in _flat(member):
        node.append(element(key, item))
    text = _scalar(member)
    if text is not None:
        node.set(key, text)


def _flat(value: Any) -> list[Any]:
    if not isinstance(value, list):
        return [value]
    return [item for part in value for item in _flat(part)]
