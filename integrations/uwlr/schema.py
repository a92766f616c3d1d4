"""The official UWLR 2.2 schemas (see schema/SOURCE.md), compiled once per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"


@cache
def leerresultaten_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / "UWLR_Leerresultaten_v2p2.xsd")))


@cache
def autorisatie_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / "UWLR_Autorisatie_v2p2.xsd")))


def schema_errors(schema: etree.XMLSchema, element: etree._Element) -> list[str]:
    """The schema's complaints about ``element`` (empty when it is valid)."""
    if schema.validate(element):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]
