"""Builders and fixtures for the result exchange tests: suppliers, links, results, a reference LVS."""

from __future__ import annotations

import datetime as dt
import json
import secrets

import pytest
from django.utils import timezone

from audit.records import Actor
from bingel_admin import crypto
from demo.reference_lvs import ReferenceLvs, running
from integrations.actions import IncomingResult, store_results
from integrations.api import token_digest
from integrations.models import LvsSupplier, ResultKind, ResultLink, ServiceToken
from roster.models import Pupil, School

LVS_KEY = "Mm-ref-9f3c1b7a2d4e-Q8"
OTHER_KEY = "Mm-wrong-0000000000-ZZ"


def make_supplier(name: str = "Momento", endpoint_url: str = "http://127.0.0.1:9/uwlr") -> LvsSupplier:
    supplier, _ = LvsSupplier.objects.get_or_create(
        name=name, defaults={"endpoint_url": endpoint_url, "klantcode": "BINGEL", "klantnaam": "Bingel"}
    )
    return supplier


def make_result_link(school: School, supplier: LvsSupplier | None = None, key: str = LVS_KEY) -> ResultLink:
    """A current link, made without asking the LVS (tests of the screen go through the view)."""
    supplier = supplier or make_supplier()
    link = ResultLink.objects.current().filter(school=school, supplier=supplier).first()
    return link or ResultLink.objects.create(
        school=school,
        supplier=supplier,
        key_encrypted=crypto.encrypt(key),
        key_last4=key[-4:],
        status="actief",
        consent_by_name="Test",
        consent_at=timezone.now(),
    )


def make_service_token(name: str = "leerlingapp", schools=None) -> tuple[ServiceToken, str]:
    """A token for every school (the publisher's own app), or for the given schools only."""
    token = secrets.token_urlsafe(24)
    service = ServiceToken.objects.create(
        name=name, token_digest=token_digest(token), token_last4=token[-4:], all_schools=schools is None
    )
    if schools:
        service.schools.set(schools)
    return service, token


def results_for(
    pupils: list[Pupil], count: int, *, kind: str = ResultKind.PRACTICE, prefix: str = "r", day: dt.date | None = None
) -> list[IncomingResult]:
    day = day or timezone.localdate()
    return [
        IncomingResult(
            external_id=f"{prefix}-{i}",
            school=pupils[i % len(pupils)].school,
            pupil_id=pupils[i % len(pupils)].pk,
            kind=kind,
            toetscode=f"rekenroute-5-blok{i % 7}",
            toetsnaam=f"Rekenroute groep 5 blok {i % 7}",
            leerjaar="5",
            vakgebied="rekenen",
            afnamedatum=day,
            score=i % 11,
        )
        for i in range(count)
    ]


def store(pupils: list[Pupil], count: int, **kwargs) -> None:
    incoming = results_for(pupils, count, **kwargs)
    for start in range(0, len(incoming), 1000):
        store_results(None, incoming[start : start + 1000])


@pytest.fixture
def reference_lvs():
    """A reference LVS in a thread that accepts LVS_KEY; yields (lvs, url)."""
    lvs = ReferenceLvs({LVS_KEY}, seed=7)
    with running(lvs) as url:
        yield lvs, url


@pytest.fixture
def momento(reference_lvs, db) -> LvsSupplier:
    """The supplier "Momento", pointing at the reference LVS."""
    supplier = make_supplier("Momento", reference_lvs[1])
    make_supplier("ParnasSys", reference_lvs[1])
    return supplier


@pytest.fixture
def fast_retries(settings):
    settings.UWLR_RETRY_BASE_SECONDS = 0.001
    settings.UWLR_READ_TIMEOUT = 0.5
    settings.UWLR_CONNECT_TIMEOUT = 0.5


@pytest.fixture(autouse=True)
def _export_in_the_test_thread(settings):
    """Export threads have their own database connections, which cannot see the rows a test
    made inside its transaction; tests of the threaded path use ``transactional_db``."""
    settings.UWLR_EXPORT_THREADS = 1


def staff_actor(staff) -> Actor:
    """The audit actor a request by ``staff`` carries (``SchoolAccess.actor``), for calls without a request."""
    return Actor(label=staff.full_name)


RESULTS_URL = "/api/resultaten/"


def result_item(pupil: Pupil, result_id: str = "app-1", **changes) -> dict:
    return {
        "id": result_id,
        "school": pupil.school.basispoort_id,
        "leerling": pupil.basispoort_id,
        "soort": "oefenresultaat",
        "toetscode": "rekenroute-5-blok2-les3",
        "toetsnaam": "Rekenroute blok 2 les 3",
        "leerjaar": "5",
        "vakgebied": "rekenen",
        "afnamedatum": "2026-11-27",
        "score": 8,
        **changes,
    }


def post_results(client, body, token: str | None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(RESULTS_URL, data, content_type="application/json", **headers)


def result_ids(keys) -> list[str]:
    """The services' own result ids in ``resultaat/@key`` values (``<our number>:<their id>``), sorted."""
    return sorted(key.split(":", 1)[1] for key in keys)
