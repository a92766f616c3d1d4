"""docker-compose.yml parses, has what production needs, and refers only to files that exist."""

from __future__ import annotations

import yaml
from django.test import Client

from tests.servers import ROOT


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_stack_with_health_checks():
    services = compose()["services"]
    assert set(services) == {"web", "worker", "beat", "db", "redis"}
    for name, service in services.items():
        assert "healthcheck" in service, name
    assert "gunicorn" in services["web"]["command"]
    assert "celery" in services["worker"]["command"] and "worker" in services["worker"]["command"]
    assert "beat" in services["beat"]["command"]
    assert services["web"]["environment"]["DJANGO_ENV"] == "production"
    assert set(compose()["volumes"]) == {"pgdata", "redisdata"}


def test_compose_refers_only_to_existing_files():
    app = compose()["services"]["web"]
    assert app["build"] == "."
    assert (ROOT / "Dockerfile").exists()
    assert "bingel_admin/gunicorn.conf.py" in app["command"]
    assert (ROOT / "bingel_admin/gunicorn.conf.py").exists()
    assert (ROOT / ".env.example").exists()
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY ") and not line.startswith("COPY . "):
            assert (ROOT / line.split()[1]).exists(), line


def test_healthz_answers_without_login(db):
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"
