"""Build the UWLR 2.2 ``BrengLeerresultaten`` SOAP 1.1 message.

The element names, their order and the namespaces follow ``UWLR_Leerresultaten_v2p2.xsd`` and
``UWLR_Autorisatie_v2p2.xsd`` exactly; ``tests/integrations/test_lvs_message_schema.py`` validates what this
module builds against those files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

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


class MessageError(ValueError):
    """The data cannot make a valid message (the text names what is wrong, never a key)."""


@dataclass(frozen=True)
class SchoolIdentity:
    schooljaar: str
    brincode: str = ""
    dependancecode: str = ""
    schoolkey: str = ""


@dataclass(frozen=True)
class Resultaat:
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


def build_verzoek(
    school: SchoolIdentity, resultaten: Iterable[Resultaat], aanmaakdatum: dt.datetime, auteur: str = ""
) -> etree._Element:
    """``leerresultaten_verzoek``: school, then the results per pupil, then every test they refer to."""
    verzoek = etree.Element(_LR + "leerresultaten_verzoek", nsmap={None: LEERRESULTATEN_NS})
    school_el = etree.SubElement(verzoek, _LR + "school")
    _text(school_el, _LR + "schooljaar", school.schooljaar)
    # The schema's choice gSchoolIdentificatie: brincode (+ dependancecode) or schoolkey, never both.
    if school.brincode:
        _text(school_el, _LR + "brincode", school.brincode)
        if school.dependancecode:
            _text(school_el, _LR + "dependancecode", school.dependancecode)
    elif school.schoolkey:
        _text(school_el, _LR + "schoolkey", school.schoolkey)
    else:
        raise MessageError("the school has neither a BRIN code nor a schoolkey")
    if aanmaakdatum.tzinfo is None:
        raise MessageError("aanmaakdatum must carry a time zone")
    _text(school_el, _LR + "aanmaakdatum", aanmaakdatum.isoformat(timespec="seconds"))
    if auteur:
        _text(school_el, _LR + "auteur", auteur[:128])
    _text(school_el, _LR + "xsdversie", XSD_VERSIE)

    afnames: dict[tuple[str, str], etree._Element] = {}
    toetsen: dict[str, Resultaat] = {}
    keys: set[str] = set()
    afnames_el = etree.SubElement(verzoek, _LR + "toetsafnames")
    for resultaat in resultaten:
        if resultaat.key in keys:
            raise MessageError(f"resultaat key {resultaat.key!r} occurs twice")
        keys.add(resultaat.key)
        if resultaat.score < 0:
            raise MessageError(f"resultaat {resultaat.key!r} has a negative score")
        pupil = (resultaat.leerlingid, resultaat.eckid)
        resultaten_el = afnames.get(pupil)
        if resultaten_el is None:
            afname = etree.SubElement(afnames_el, _LR + "toetsafname")
            _text(afname, _LR + "leerlingid", resultaat.leerlingid)
            if resultaat.eckid:
                _text(afname, _LR + "eckid", resultaat.eckid)
            resultaten_el = afnames[pupil] = etree.SubElement(afname, _LR + "resultaten")
        item = etree.SubElement(resultaten_el, _LR + "resultaat", key=resultaat.key)
        _text(item, _LR + "afnamedatum", resultaat.afnamedatum.isoformat())
        _text(item, _LR + "toetscode", resultaat.toetscode)
        _text(item, _LR + "score", str(resultaat.score))
        toetsen.setdefault(resultaat.toetscode, resultaat)
    if not keys:
        raise MessageError("a message needs at least one resultaat")

    toetsen_el = etree.SubElement(verzoek, _LR + "toetsen")
    for toetscode, first in toetsen.items():
        toets = etree.SubElement(toetsen_el, _LR + "toets")
        _text(toets, _LR + "toetscode", toetscode)
        if first.toetsnaam:
            _text(toets, _LR + "toetsnaam", first.toetsnaam[:128])
        if first.leerjaar:
            _text(toets, _LR + "leerjaar", first.leerjaar)
        if first.vakgebied:
            _text(toets, _LR + "vakgebied", first.vakgebied)
    return verzoek


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
