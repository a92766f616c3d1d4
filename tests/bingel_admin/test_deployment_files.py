"""The Dockerfile, .dockerignore and docker-compose.yml: what production needs, nothing more, only files that exist."""

from __future__ import annotations

import re
import shutil

import yaml
from django.test import Client

from tests import deploy
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


def dockerfile() -> list[str]:
    return (ROOT / "Dockerfile").read_text().splitlines()


def test_the_base_image_is_pinned_by_tag_and_digest_and_the_digest_is_documented():
    (base,) = [line.split()[1] for line in dockerfile() if line.startswith("FROM ")]
    assert re.fullmatch(r"python:3\.11-slim-bookworm@sha256:[0-9a-f]{64}", base), base
    assert base.split("@")[1] in (ROOT / "docs/DEPLOY.md").read_text()


def test_the_image_installs_the_runtime_lock_with_hashes_and_runs_as_a_numeric_non_root_user():
    runs = [line for line in dockerfile() if line.startswith("RUN ")]
    assert any("--require-hashes -r requirements/runtime.lock" in line for line in runs)
    assert not any("dev.lock" in line for line in dockerfile())
    assert any("DJANGO_ENV=build" in line and "collectstatic" in line for line in runs)
    assert not any("SECRET_KEY" in line or "placeholder" in line for line in dockerfile())
    (user,) = [line.split()[1] for line in dockerfile() if line.startswith("USER ")]
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) != 0 and gid.isdigit() and int(gid) != 0


def test_dockerignore_keeps_secrets_state_and_tooling_out_of_the_image(tmp_path):
    """Docker's own SDK applies the patterns to a context holding what a developer's checkout has."""
    for rel in [
        ".env",
        ".env.example",
        "bingel_admin/.env",
        "var/db.sqlite3",
        "var/devidp/private.pem",
        ".git/HEAD",
        ".venv/bin/python",
        "tests/test_x.py",
        "devidp/manage.py",
        "node_modules/axe-core/axe.min.js",
        "roster/__pycache__/models.cpython-311.pyc",
        "requirements/dev.lock",
        "requirements/runtime.lock",
        "manage.py",
        "bingel_admin/settings.py",
        "locale/en/LC_MESSAGES/django.mo",
        "static/css/app.css",
    ]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    shutil.copy(ROOT / ".dockerignore", tmp_path / ".dockerignore")
    files = set(deploy.context_files(tmp_path))
    assert files == {
        ".env.example",
        "requirements/runtime.lock",
        "manage.py",
        "bingel_admin/settings.py",
        "locale/en/LC_MESSAGES/django.mo",
        "static/css/app.css",
    }


def test_the_web_health_check_is_the_module_the_image_holds():
    web = compose()["services"]["web"]
    assert web["healthcheck"]["test"] == ["CMD", "python", "-m", "bingel_admin.healthcheck"]
    assert (ROOT / "bingel_admin/healthcheck.py").exists()
