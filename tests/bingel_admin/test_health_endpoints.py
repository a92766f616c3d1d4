"""/healthz says the process is up; /readyz checks the database, migrations and Redis.

The public gets only the status code; which component failed is told to an internal caller
(a token, or an allowed network) only.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

pytestmark = pytest.mark.django_db

TOKEN = "readyz-test-token-1234567890"


def test_the_public_gets_only_the_status(settings):
    settings.READYZ_TOKEN = TOKEN
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")


def test_the_public_learns_nothing_about_which_component_is_down(settings):
    settings.READYZ_TOKEN = TOKEN
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = Client().get("/readyz", headers={"Authorization": "Bearer wrong-token"})
    assert response.status_code == 503
    assert response.content == b"unavailable"


def test_a_caller_with_the_token_gets_every_check(settings):
    settings.READYZ_TOKEN = TOKEN
    response = Client().get("/readyz", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.json() == {"ready": True, "checks": {"database": True, "migrations": True, "redis": True}}


def test_a_caller_from_an_allowed_network_gets_the_failing_check(settings):
    settings.READYZ_ALLOWED_NETWORKS = ["10.1.0.0/16"]
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    inside = Client(REMOTE_ADDR="10.1.2.3").get("/readyz")
    assert inside.status_code == 503
    assert inside.json()["checks"] == {"database": True, "migrations": True, "redis": False}
    outside = Client(REMOTE_ADDR="10.2.2.3").get("/readyz", headers={"X-Forwarded-For": "10.1.2.3"})
    assert outside.status_code == 503 and outside.content == b"unavailable"


def test_no_token_configured_means_no_details_for_anyone(settings):
    settings.READYZ_TOKEN = ""
    assert Client().get("/readyz", headers={"Authorization": "Bearer "}).content == b"ok"


def test_health_endpoints_need_no_login():
    assert Client().get("/healthz").status_code == 200


def test_readyz_is_503_while_a_migration_is_not_applied(settings):

    leaf = MigrationRecorder(connection).migration_qs.filter(app="roster").order_by("-id").first()
    leaf.delete()  # as if the deployment had not run `migrate` yet (rolled back with the test)
    settings.READYZ_TOKEN = TOKEN
    response = Client().get("/readyz", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 503
    assert response.json() == {"ready": False, "checks": {"database": True, "migrations": False, "redis": True}}
