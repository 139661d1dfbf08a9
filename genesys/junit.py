"""JUnit XML, the result format CI systems read: one test suite, one test case per checked
item (a layer, an obligation, a pair of backends), failures with their message."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Case:
    name: str
    classname: str
    failure: str | None = None  # the message when the case failed
    seconds: float = 0.0


def junit_xml(suite: str, cases: list[Case], seconds: float) -> bytes:
    """A `<testsuites>` document holding one suite of `cases`."""
    root = ET.Element("testsuites")
    failures = sum(c.failure is not None for c in cases)
    node = ET.SubElement(root, "testsuite", name=suite, tests=str(len(cases)), failures=str(failures), errors="0",
                         skipped="0", time=f"{seconds:.3f}")  # fmt: skip
    for c in cases:
        case = ET.SubElement(node, "testcase", name=c.name, classname=c.classname, time=f"{c.seconds:.3f}")
        if c.failure is not None:
            ET.SubElement(case, "failure", message=c.failure.splitlines()[0][:500]).text = c.failure
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def write_junit(path: str | Path, suite: str, cases: list[Case], seconds: float) -> None:
    from genesys.outputs import write_output

    write_output(path, junit_xml(suite, cases, seconds))
