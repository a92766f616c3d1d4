"""A mover's login code is checked against the new classmates' by keyed fingerprint, never by
decrypting: the import keeps a code that does not clash and replaces one that does."""

from __future__ import annotations

import pytest

from bingel_admin import crypto
from roster import login_codes
from roster.importer import apply_school_document
from roster.models import Pupil, PupilLoginCode
from tests.roster_feed import group, pupil, school

pytestmark = pytest.mark.django_db

BP = 778_001


def doc(placement: dict[int, str]):
    return school(
        BP,
        groups=[group("G4", "Groep 4", "4"), group("G5", "Groep 5", "5")],
        pupils=[pupil(pid, key, first=f"K{pid}", last="Bos") for pid, key in placement.items()],
    )


def code_of(bp_id: int) -> str:
    return crypto.decrypt(PupilLoginCode.objects.get(pupil__basispoort_id=bp_id).code_encrypted)


def test_movers_codes_are_checked_by_fingerprint_without_decrypting(monkeypatch):
    # Mees first: the import checks movers in the order they were stored, so his code is taken
    # in groep 5 before Daan's replacement is drawn, which can then never be Mees's.
    apply_school_document(doc({3: "G4", 1: "G4", 2: "G5"}))
    by_id = {p.basispoort_id: p for p in Pupil.objects.all()}
    # Daan (1) in groep 4 and Sanne (2) in groep 5 happen to have the same code; Mees (3) another.
    login_codes.set_pupil_code(pupil=by_id[1], raw_code="appel-bal-boom", actor=None)
    login_codes.set_pupil_code(pupil=by_id[2], raw_code="appel-bal-boom", actor=None)
    login_codes.set_pupil_code(pupil=by_id[3], raw_code="kat-vis-zon", actor=None)
    decrypted = []
    monkeypatch.setattr(crypto, "decrypt", lambda token: decrypted.append(token) or "")

    # Daan and Mees both move to groep 5, where Sanne already has Daan's code.
    result = apply_school_document(doc({3: "G5", 1: "G5", 2: "G5"}))

    assert decrypted == []
    monkeypatch.undo()
    assert result.moved_pupils == 2 and result.created["login_code"] == 1
    assert code_of(2) == "appel-bal-boom", "the classmate who was there keeps her code"
    assert code_of(3) == "kat-vis-zon", "a mover whose code does not clash keeps it"
    assert code_of(1) not in {"appel-bal-boom", "kat-vis-zon"}, "the clashing mover gets a fresh code"
    for row in PupilLoginCode.objects.all():
        assert row.code_fingerprint == crypto.fingerprint(crypto.decrypt(row.code_encrypted))


def test_the_fingerprint_is_keyed_and_reveals_nothing_of_the_code(settings):
    first = crypto.fingerprint("1234")
    assert first == crypto.fingerprint("1234") and len(first) == 32 and "1234" not in first
    assert first != crypto.fingerprint("1235")
    settings.FIELD_FINGERPRINT_KEY = "another-fingerprint-key-for-this-test-only-0123"
    assert crypto.fingerprint("1234") != first


def test_a_coordinators_code_is_refused_by_fingerprint_when_a_classmate_has_it(monkeypatch):
    apply_school_document(doc({1: "G4", 2: "G4"}))
    first, second = Pupil.objects.order_by("basispoort_id")
    login_codes.set_pupil_code(pupil=first, raw_code="maan-ster-zon", actor=None)
    monkeypatch.setattr(crypto, "decrypt", lambda token: pytest.fail("decrypted a classmate's code"))
    with pytest.raises(login_codes.CodeRefused):
        login_codes.set_pupil_code(pupil=second, raw_code="maan-ster-zon", actor=None)
