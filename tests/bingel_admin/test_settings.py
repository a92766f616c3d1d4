"""Settings come from the environment through helpers that fail loudly."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from bingel_admin.env import envbool, envint, envsecret
from tests.servers import load_settings, production_settings


def test_production_refuses_default_secret_debug_and_missing_database():
    result = load_settings(DJANGO_ENV="production", DEBUG="true")
    assert result.returncode != 0
    for hint in ("SECRET_KEY", "DEBUG=false", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"):
        assert hint in result.stderr


def test_production_starts_when_everything_is_set(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("x" * 60)
    result = load_settings(**production_settings(SECRET_KEY=None, SECRET_KEY_FILE=str(secret)))
    assert result.returncode == 0, result.stderr
    assert "postgresql" in result.stdout


def test_defaults_are_sqlite(tmp_path):
    result = load_settings(BINGEL_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "sqlite3" in result.stdout


def test_unknown_environment_name_is_refused():
    assert load_settings(DJANGO_ENV="staging").returncode != 0


def test_typed_helpers_fail_loudly(monkeypatch):
    monkeypatch.setenv("X_BOOL", "ja")
    with pytest.raises(ImproperlyConfigured):
        envbool("X_BOOL", False)
    monkeypatch.setenv("X_INT", "tien")
    with pytest.raises(ImproperlyConfigured):
        envint("X_INT", 1)
    monkeypatch.setenv("X_SECRET_FILE", "/nonexistent/secret")
    with pytest.raises(ImproperlyConfigured):
        envsecret("X_SECRET")


def test_secret_from_file(monkeypatch, tmp_path):
    path = tmp_path / "s"
    path.write_text("geheim\n")
    monkeypatch.setenv("X_SECRET_FILE", str(path))
    assert envsecret("X_SECRET") == "geheim"


def test_test_settings_use_postgresql_and_redis(settings):
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    assert settings.LANGUAGE_CODE == "nl"
    assert settings.TIME_ZONE == "Europe/Amsterdam"
