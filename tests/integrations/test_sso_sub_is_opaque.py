"""``sub`` is an opaque string: it names a roster person only when it is exactly the canonical
form of that person's Basispoort id; anything else is "not in the roster"."""

from __future__ import annotations

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from roster.access import canonical_basispoort_id
from tests.factories import login_as

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("sub", ["200001", "1", "9223372036854775807"])
def test_the_canonical_form_names_the_id(sub):
    assert canonical_basispoort_id(sub) == int(sub)


@pytest.mark.parametrize(
    "sub",
    [
        "0200001",
        "00",
        "0",
        " 200001",
        "200001 ",
        "+200001",
        "-200001",
        "200001.0",
        "2e5",
        "２００００１",
        "٢٠٠٠٠١",
        "200_001",
        "",
        "9223372036854775808",
        "0x30d41",
    ],
)
def test_anything_else_names_nobody(sub):
    assert canonical_basispoort_id(sub) is None


@given(st.text(max_size=30))
def test_only_the_exact_decimal_form_round_trips(sub):
    value = canonical_basispoort_id(sub)
    if value is not None:
        assert str(value) == sub


@given(st.integers(min_value=1, max_value=2**63 - 1))
def test_every_roster_id_round_trips(value):
    assert canonical_basispoort_id(str(value)) == value


def test_a_padded_sub_in_the_session_gets_no_rights(world):
    coordinator = world.coordinator_a
    client = login_as(Client(), None, basispoort_id=f"0{coordinator.basispoort_id}")
    assert client.get(f"/school/{world.school_a.pk}/beheer/").status_code == 404
    home = client.get("/")
    assert home.status_code == 403 and "schooladministratie" in home.content.decode()
