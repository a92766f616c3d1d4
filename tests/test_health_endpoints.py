"""/healthz says the process is up; /readyz checks the database, migrations and Redis."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_readyz_reports_every_check(settings):
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"ready": True, "checks": {"database": True, "migrations": True, "redis": True}}


def test_readyz_is_503_when_redis_is_unreachable(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] is False


def test_health_endpoints_need_no_login():
    assert Client().get("/healthz").status_code == 200


def test_readyz_is_503_while_a_migration_is_not_applied():
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder

    leaf = MigrationRecorder(connection).migration_qs.filter(app="roster").order_by("-id").first()
    leaf.delete()  # as if the deployment had not run `migrate` yet (rolled back with the test)
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"ready": False, "checks": {"database": True, "migrations": False, "redis": True}}
