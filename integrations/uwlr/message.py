"""Build the UWLR 2.2 ``BrengLeerresultaten`` SOAP 1.1 message.

The element names, their order and the namespaces follow ``UWLR_Leerresultaten_v2p2.xsd`` and
``UWLR_Autorisatie_v2p2.xsd`` exactly; ``tests/integrations/test_lvs_message_schema.py`` validates what this
module builds against those files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from django.views.decorators.debug import sensitive_variables
from lxml import etree

SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
AUTORISATIE_NS = "http://www.edustandaard.nl/leerresultaten/2/autorisatie"
LEERRESULTATEN_NS = "http://www.edustandaard.nl/leerresultaten/2/leerresultaten"
SOAP_ACTION = "BrengLeerresultaten"
XSD_VERSIE = "2.2"

_ENV = f"{{{SOAP_ENV_NS}}}"
_AUT = f"{{{AUTORISATIE_NS}}}"
_LR = f"{{{LEERRESULTATEN_NS}}}"
_NSMAP = {"soapenv": SOAP_ENV_NS, "aut": AUTORISATIE_NS, "lr": LEERRESULTATEN_NS}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


class MessageError(ValueError):
    """The data cannot make a valid message (the text names what is wrong, never a key)."""


@dataclass(frozen=True)
class SchoolIdentity:
    schooljaar: str
    brincode: str = ""
    dependancecode: str = ""
    schoolkey: str = ""


class Resultaat(NamedTuple):
    """One result in a message (a tuple: a batch makes a thousand of them)."""

    key: str
    leerlingid: str
    afnamedatum: dt.date
    toetscode: str
    score: int
    eckid: str = ""
    toetsnaam: str = ""
    leerjaar: str = ""
    vakgebied: str = ""


@dataclass(frozen=True)
class Autorisatie:
    autorisatiesleutel: str
    klantcode: str
    klantnaam: str

    def __repr__(self) -> str:
        # Keeps the key out of tracebacks, debug pages and log lines that format this object.
        return f"Autorisatie(klantcode={self.klantcode!r}, klantnaam={self.klantnaam!r})"


def _text(parent: etree._Element, tag: str, value: str) -> etree._Element:
    element = etree.SubElement(parent, tag)
    element.text = value
    return element


def _escaped(value: str) -> str:
    # A carriage return stays one (the parser would read a bare one as a newline).
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _attribute(value: str) -> str:
    # Also the white space that the parser would turn into spaces in an attribute.
    return _escaped(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def _element(tag: str, value: str) -> str:
    return f"<{tag}>{_escaped(value)}</{tag}>"


def build_verzoek(
    school: SchoolIdentity, resultaten: Iterable[Resultaat], aanmaakdatum: dt.datetime, auteur: str = ""
) -> etree._Element:
    """``leerresultaten_verzoek``: school, then the results per pupil, then every test they refer to.

    Written as text, every value escaped, and parsed once: for a batch of 1,000 results that is
    about four times less work than building the tree element by element. The parse refuses
    text that XML 1.0 cannot carry just as element building does, so such a batch still fails
    here, before anything is sent.
    """
    # The schema's choice gSchoolIdentificatie: brincode (+ dependancecode) or schoolkey, never both.
    if school.brincode:
        identification = _element("brincode", school.brincode)
        if school.dependancecode:
            identification += _element("dependancecode", school.dependancecode)
    elif school.schoolkey:
        identification = _element("schoolkey", school.schoolkey)
    else:
        raise MessageError("the school has neither a BRIN code nor a schoolkey")
    if aanmaakdatum.tzinfo is None:
        raise MessageError("aanmaakdatum must carry a time zone")

    afnames: dict[tuple[str, str], list[str]] = {}
    toetsen: dict[str, Resultaat] = {}
    keys: set[str] = set()
    for resultaat in resultaten:
        if resultaat.key in keys:
            raise MessageError(f"resultaat key {resultaat.key!r} occurs twice")
        keys.add(resultaat.key)
        if resultaat.score < 0:
            raise MessageError(f"resultaat {resultaat.key!r} has a negative score")
        afnames.setdefault((resultaat.leerlingid, resultaat.eckid), []).append(
            f'<resultaat key="{_attribute(resultaat.key)}">'
            f"<afnamedatum>{resultaat.afnamedatum.isoformat()}</afnamedatum>"
            f"{_element('toetscode', resultaat.toetscode)}<score>{int(resultaat.score)}</score></resultaat>"
        )
        toetsen.setdefault(resultaat.toetscode, resultaat)
    if not keys:
        raise MessageError("a message needs at least one resultaat")

    parts = [
        f'<leerresultaten_verzoek xmlns="{LEERRESULTATEN_NS}"><school>',
        _element("schooljaar", school.schooljaar),
        identification,
        _element("aanmaakdatum", aanmaakdatum.isoformat(timespec="seconds")),
        _element("auteur", auteur[:128]) if auteur else "",
        _element("xsdversie", XSD_VERSIE),
        "</school><toetsafnames>",
    ]
    for (leerlingid, eckid), items in afnames.items():
        parts += ["<toetsafname>", _element("leerlingid", leerlingid), _element("eckid", eckid) if eckid else ""]
        parts += ["<resultaten>", *items, "</resultaten></toetsafname>"]
    parts.append("</toetsafnames><toetsen>")
    for toetscode, first in toetsen.items():
        parts += [
            "<toets>",
            _element("toetscode", toetscode),
            _element("toetsnaam", first.toetsnaam[:128]) if first.toetsnaam else "",
            _element("leerjaar", first.leerjaar) if first.leerjaar else "",
            _element("vakgebied", first.vakgebied) if first.vakgebied else "",
            "</toets>",
        ]
    parts.append("</toetsen></leerresultaten_verzoek>")
    try:
        return etree.fromstring("".join(parts), _PARSER)
    except etree.XMLSyntaxError:
        # The parser's message quotes the offending line, which may hold a pupil's ECK iD.
        raise MessageError("a value holds a character that XML 1.0 cannot carry") from None


# The envelope carries the key: error reports show none of this function's variables.
@sensitive_variables()
def build_envelope(autorisatie: Autorisatie, body: etree._Element) -> bytes:
    """The SOAP 1.1 envelope: the ``autorisatie`` header, then ``body`` (document/literal)."""
    envelope = etree.Element(_ENV + "Envelope", nsmap=_NSMAP)
    header = etree.SubElement(envelope, _ENV + "Header")
    auth = etree.SubElement(header, _AUT + "autorisatie")
    _text(auth, _AUT + "autorisatiesleutel", autorisatie.autorisatiesleutel)
    _text(auth, _AUT + "klantcode", autorisatie.klantcode)
    _text(auth, _AUT + "klantnaam", autorisatie.klantnaam)
    etree.SubElement(envelope, _ENV + "Body").append(body)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def build_probe(school: SchoolIdentity, aanmaakdatum: dt.datetime) -> etree._Element:
    """A request that carries no results, to learn whether the LVS accepts the key.

    UWLR has no operation for only checking a key, and every valid ``leerresultaten_verzoek``
    carries at least one result, which the LVS would store. Services check the ``autorisatie``
    header before they look at the body, so a body with only the ``school`` part gets a key
    fault when the key is wrong and an "invalid message" fault when it is right.
    """
    verzoek = etree.Element(_LR + "leerresultaten_verzoek", nsmap={None: LEERRESULTATEN_NS})
    school_el = etree.SubElement(verzoek, _LR + "school")
    _text(school_el, _LR + "schooljaar", school.schooljaar)
    if school.brincode:
        _text(school_el, _LR + "brincode", school.brincode)
    elif school.schoolkey:
        _text(school_el, _LR + "schoolkey", school.schoolkey)
    _text(school_el, _LR + "aanmaakdatum", aanmaakdatum.isoformat(timespec="seconds"))
    _text(school_el, _LR + "xsdversie", XSD_VERSIE)
    return verzoek
