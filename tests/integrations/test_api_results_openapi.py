"""The results API is described by an OpenAPI 3.1 document (integrations/openapi/resultaten.yaml,
served at /api/openapi.yaml), and a tool we did not write attacks the live server from that
document alone: schemathesis, with positive and negative data, a real token bound to one school,
and every check it has. Zero failures: no 500, every answer of a documented status and shape."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from openapi_spec_validator import validate

from integrations import api
from integrations.models import LearningResult
from tests.factories import make_group, make_pupil, make_school
from tests.lvs_helpers import make_service_token

DOCUMENT = Path(api.__file__).parent / "openapi" / "resultaten.yaml"
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


def spec() -> dict:
    return yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))


def machine_paths(patterns=None, prefix: str = "") -> set[str]:
    """Every URL of the URLconf under /api/: what partners' machines call."""
    found = set()
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found |= machine_paths(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and route.startswith("api/"):
            found.add("/" + route)
    return found


def test_the_document_is_valid_openapi_3_1():
    document = spec()
    assert document["openapi"].startswith("3.1.")
    validate(document)  # openapi-spec-validator: raises on anything the specification forbids


def test_it_is_served_at_a_stable_address_without_a_login():
    response = Client().get("/api/openapi.yaml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/yaml")
    assert response.content == DOCUMENT.read_bytes()


def test_every_machine_interface_is_in_the_document_and_nothing_else():
    documented = set(spec()["paths"])
    assert machine_paths() - {"/api/openapi.yaml"} == documented


def test_the_documents_bounds_are_the_codes():
    schemas = spec()["components"]["schemas"]
    resultaten = schemas["Aanlevering"]["properties"]["resultaten"]
    assert resultaten["maxItems"] == api.MAX_RESULTS_PER_REQUEST
    assert schemas["Resultaat"]["properties"]["score"]["maximum"] == api.MAX_SCORE
    assert schemas["BasispoortId"]["maximum"] == api.MAX_ID
    assert str(api.MAX_BODY_BYTES) in spec()["paths"]["/api/resultaten/"]["post"]["responses"]["413"]["description"]
    kinds = schemas["Resultaat"]["properties"]["soort"]["enum"]
    assert sorted(kinds) == sorted(api.ResultKind.values)


@pytest.fixture
def example_pupil(transactional_db):
    """The school and pupil of the document's own example, with a token bound to that school only."""
    example = spec()["paths"]["/api/resultaten/"]["post"]["requestBody"]["content"]["application/json"]["example"]
    item = example["resultaten"][0]
    school = make_school("De Regenboog", "12AB", basispoort_id=item["school"])
    make_school("De Klimop", "34CD", basispoort_id=item["school"] + 1)  # another school: not the token's
    make_pupil(school, make_group(school), "Milan", "Bakker", basispoort_id=item["leerling"])
    _, token = make_service_token("leerlingapp", schools=[school])
    return item, token


@pytest.mark.live
def test_schemathesis_finds_nothing_against_the_live_server(live_server, example_pupil, tmp_path):
    item, token = example_pupil
    run = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            str(DOCUMENT),
            "--url",
            live_server.url,
            "--header",
            f"Authorization: Bearer {token}",
            "--mode",
            "all",
            "--checks",
            "all",
            # Schema-valid data may still be refused (400) for what no schema can say: a pupil
            # that is not this token's, a date after tomorrow. The example below must be stored.
            "--exclude-checks",
            "positive_data_acceptance",
            "--max-examples",
            "60",
            "--seed",
            "2027",
            "--workers",
            "1",
            "--request-timeout",
            "20",
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,  # its cache (.schemathesis/) stays out of the checkout
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    # The documented example went in as a real result: the run reached the storing code too.
    assert LearningResult.objects.filter(external_id=item["id"], pupil__basispoort_id=item["leerling"]).exists()
