"""The BrengLeerresultaten message validates against the official UWLR 2.2 XSD, element by element."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from integrations.uwlr.message import (
    AUTORISATIE_NS,
    LEERRESULTATEN_NS,
    SOAP_ENV_NS,
    Autorisatie,
    MessageError,
    Resultaat,
    SchoolIdentity,
    build_envelope,
    build_verzoek,
)
from integrations.uwlr.schema import autorisatie_schema, leerresultaten_schema, schema_errors

NOW = dt.datetime(2026, 11, 29, 14, 0, tzinfo=dt.UTC)
LR = f"{{{LEERRESULTATEN_NS}}}"
BRIN_SCHOOL = SchoolIdentity("2026-2027", brincode="12AB", dependancecode="01")


def resultaat(key: str, leerlingid: str = "L1", toetscode: str = "rr-5-1", score: int = 7, **extra) -> Resultaat:
    return Resultaat(key, leerlingid, dt.date(2026, 11, 27), toetscode, score, **extra)


def names(element) -> list[str]:
    return [etree.QName(child).localname for child in element]


def test_a_full_message_is_valid_against_the_official_schemas():
    verzoek = build_verzoek(
        BRIN_SCHOOL,
        [
            resultaat(
                "k1", eckid="https://ketenid.nl/201703/abc", toetsnaam="Blok 1", leerjaar="5", vakgebied="rekenen"
            ),
            resultaat("k2", "L2", "rr-5-2"),
            resultaat("k3", score=0),
        ],
        NOW,
        "Bingel",
    )
    assert schema_errors(leerresultaten_schema(), verzoek) == []
    envelope = etree.fromstring(build_envelope(Autorisatie("sleutel-1234", "BINGEL", "Bingel"), verzoek))
    header_auth = envelope.find(f"{{{SOAP_ENV_NS}}}Header/{{{AUTORISATIE_NS}}}autorisatie")
    assert schema_errors(autorisatie_schema(), header_auth) == []
    assert names(header_auth) == ["autorisatiesleutel", "klantcode", "klantnaam"]
    body = envelope.find(f"{{{SOAP_ENV_NS}}}Body")
    assert [etree.QName(c).text for c in body] == [f"{LR}leerresultaten_verzoek"]


def test_namespaces_and_element_order():
    verzoek = build_verzoek(BRIN_SCHOOL, [resultaat("k1", toetsnaam="Blok 1", leerjaar="5", vakgebied="rekenen")], NOW)
    assert all(etree.QName(e).namespace == LEERRESULTATEN_NS for e in verzoek.iter())
    assert names(verzoek) == ["school", "toetsafnames", "toetsen"]
    assert names(verzoek.find(f"{LR}school")) == [
        "schooljaar",
        "brincode",
        "dependancecode",
        "aanmaakdatum",
        "xsdversie",
    ]
    afname = verzoek.find(f"{LR}toetsafnames/{LR}toetsafname")
    assert names(afname) == ["leerlingid", "resultaten"]
    assert names(afname.find(f"{LR}resultaten/{LR}resultaat")) == ["afnamedatum", "toetscode", "score"]
    assert names(verzoek.find(f"{LR}toetsen/{LR}toets")) == ["toetscode", "toetsnaam", "leerjaar", "vakgebied"]
    assert verzoek.findtext(f"{LR}school/{LR}xsdversie") == "2.2"
    assert verzoek.findtext(f"{LR}school/{LR}aanmaakdatum") == "2026-11-29T14:00:00+00:00"


def test_the_schema_really_checks_order():
    """Guards the guard: the official schema refuses a message with two elements swapped."""
    verzoek = build_verzoek(BRIN_SCHOOL, [resultaat("k1")], NOW)
    item = verzoek.find(f"{LR}toetsafnames/{LR}toetsafname/{LR}resultaten/{LR}resultaat")
    item.insert(0, item.find(f"{LR}toetscode"))
    assert schema_errors(leerresultaten_schema(), verzoek)


def test_brincode_with_or_without_dependancecode_or_else_schoolkey():
    only_brin = build_verzoek(SchoolIdentity("2026-2027", brincode="12AB"), [resultaat("k1")], NOW)
    assert names(only_brin.find(f"{LR}school"))[1:3] == ["brincode", "aanmaakdatum"]
    assert schema_errors(leerresultaten_schema(), only_brin) == []

    keyed = build_verzoek(SchoolIdentity("2026-2027", schoolkey="bp-instelling-4711"), [resultaat("k1")], NOW)
    assert names(keyed.find(f"{LR}school"))[1] == "schoolkey"
    assert schema_errors(leerresultaten_schema(), keyed) == []

    both = build_verzoek(SchoolIdentity("2026-2027", brincode="12AB", schoolkey="x"), [resultaat("k1")], NOW)
    assert "schoolkey" not in names(both.find(f"{LR}school"))

    with pytest.raises(MessageError):
        build_verzoek(SchoolIdentity("2026-2027"), [resultaat("k1")], NOW)


def test_results_of_one_pupil_share_one_toetsafname():
    verzoek = build_verzoek(BRIN_SCHOOL, [resultaat("k1", "L1"), resultaat("k2", "L2"), resultaat("k3", "L1")], NOW)
    afnames = verzoek.findall(f"{LR}toetsafnames/{LR}toetsafname")
    assert [a.findtext(f"{LR}leerlingid") for a in afnames] == ["L1", "L2"]
    assert [r.get("key") for r in afnames[0].iterfind(f"{LR}resultaten/{LR}resultaat")] == ["k1", "k3"]


def test_result_keys_are_unique():
    with pytest.raises(MessageError, match="twice"):
        build_verzoek(BRIN_SCHOOL, [resultaat("k1"), resultaat("k1", "L2")], NOW)
    # And the schema's own key constraint refuses a duplicate that slipped through.
    verzoek = build_verzoek(BRIN_SCHOOL, [resultaat("k1"), resultaat("k2")], NOW)
    verzoek.findall(f".//{LR}resultaat")[1].set("key", "k1")
    assert any("kResultaat" in e for e in schema_errors(leerresultaten_schema(), verzoek))


def test_every_toetscode_refers_to_exactly_one_toets():
    verzoek = build_verzoek(
        BRIN_SCHOOL,
        [resultaat("k1", toetscode="a"), resultaat("k2", toetscode="b"), resultaat("k3", toetscode="a")],
        NOW,
    )
    toetscodes = [t.findtext(f"{LR}toetscode") for t in verzoek.iterfind(f"{LR}toetsen/{LR}toets")]
    assert toetscodes == ["a", "b"]
    used = {r.findtext(f"{LR}toetscode") for r in verzoek.iter(f"{LR}resultaat")}
    assert used == set(toetscodes)
    # Remove a toets: the schema's keyref krAfnameToets must refuse the message.
    toetsen = verzoek.find(f"{LR}toetsen")
    toetsen.remove(toetsen[1])
    assert any("krAfnameToets" in e for e in schema_errors(leerresultaten_schema(), verzoek))


def test_empty_or_negative_results_cannot_make_a_message():
    with pytest.raises(MessageError):
        build_verzoek(BRIN_SCHOOL, [], NOW)
    with pytest.raises(MessageError):
        build_verzoek(BRIN_SCHOOL, [resultaat("k1", score=-1)], NOW)


def test_the_key_is_not_in_the_repr_of_the_autorisatie():
    assert "geheim-1234" not in repr(Autorisatie("geheim-1234", "BINGEL", "Bingel"))


def test_text_with_markup_characters_arrives_exactly_as_it_was():
    odd = "a&b<c>d\"e'f\r\ng\th]]>"
    verzoek = build_verzoek(BRIN_SCHOOL, [resultaat(f"k{odd}", f"L{odd}", f"t{odd}", toetsnaam=odd)], NOW)
    assert verzoek.find(f".//{LR}resultaat").get("key") == f"k{odd}"
    assert verzoek.findtext(f".//{LR}leerlingid") == f"L{odd}"
    assert [t.text for t in verzoek.iter(f"{LR}toetscode")] == [f"t{odd}", f"t{odd}"]
    assert verzoek.findtext(f".//{LR}toetsnaam") == odd


def test_text_that_xml_cannot_carry_makes_no_message():
    with pytest.raises(MessageError, match="cannot carry"):
        build_verzoek(BRIN_SCHOOL, [resultaat("k1", "L\x01")], NOW)
