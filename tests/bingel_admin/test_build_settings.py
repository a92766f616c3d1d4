"""DJANGO_ENV=build: the image build's collectstatic runs with no secret, and nothing built with it can serve."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.servers import ROOT, clean_env

PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.db import connection
from django.test import Client
try:
    connection.cursor()
    database = "usable"
except Exception as exc:
    database = type(exc).__name__
response = Client().get("/healthz", HTTP_HOST="beheer.example.nl")
print(json.dumps({
    "status": response.status_code,
    "database": database,
    "broker": settings.CELERY_BROKER_URL,
    "hosts": settings.ALLOWED_HOSTS,
    "debug": settings.DEBUG,
    "keys": settings.FIELD_ENCRYPTION_KEYS,
    "sso_secret": settings.BASISPOORT_OIDC_CLIENT_SECRET,
    "storage": settings.STORAGES["staticfiles"]["BACKEND"],
}))
"""


def probe(**env: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=clean_env(DJANGO_SETTINGS_MODULE="bingel_admin.settings", **env),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_build_settings_need_no_secret_and_serve_nothing():
    build = probe(DJANGO_ENV="build")
    assert build["status"] == 400  # no host is allowed
    assert build["database"] == "ImproperlyConfigured"  # the dummy backend
    assert build["broker"] == "memory://"
    assert (build["hosts"], build["debug"], build["keys"], build["sso_secret"]) == ([], False, [], None)
    assert build["storage"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_build_settings_ignore_secrets_and_services_given_to_them():
    build = probe(
        DJANGO_ENV="build",
        DATABASE_URL="postgres://someone:pw@db/bingel",
        REDIS_URL="redis://redis:6379/0",
        ALLOWED_HOSTS="beheer.example.nl",
        FIELD_ENCRYPTION_KEYS="ZmFrZS1rZXktZmFrZS1rZXktZmFrZS1rZXktZmFrZS0=",
    )
    assert build["status"] == 400
    assert build["database"] == "ImproperlyConfigured"
    assert (build["broker"], build["hosts"], build["keys"]) == ("memory://", [], [])


def test_build_and_production_hash_static_files_the_same_way():
    development = probe(DJANGO_ENV="development")
    assert development["storage"] != probe(DJANGO_ENV="build")["storage"]
