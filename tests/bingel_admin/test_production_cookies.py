"""In production every cookie the app sets is Secure: session, CSRF, language and messages."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.urls import reverse

from tests.factories import login_as
from tests.servers import ROOT, production_env

PRINT_COOKIE_SETTINGS = (
    "import django, json; django.setup(); from django.conf import settings; "
    "names = [n for n in dir(settings) if '_COOKIE_' in n]; "
    "print(json.dumps({n: getattr(settings, n) for n in names if isinstance(getattr(settings, n), (bool, str))}))"
)


@pytest.fixture(scope="module")
def production_cookie_settings() -> dict:
    env = production_env()
    result = subprocess.run(
        [sys.executable, "-c", PRINT_COOKIE_SETTINGS], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_every_cookie_setting_has_secure_on_in_production(production_cookie_settings):
    names = [n.removesuffix("_COOKIE_NAME") for n in production_cookie_settings if n.endswith("_COOKIE_NAME")]
    assert {"SESSION", "CSRF", "LANGUAGE"} <= set(names)
    for prefix in names:
        assert production_cookie_settings.get(f"{prefix}_COOKIE_SECURE") is True, prefix


@pytest.mark.django_db
def test_every_cookie_set_is_secure_with_the_production_values(production_cookie_settings, settings, world, client):
    for name, value in production_cookie_settings.items():
        if name.endswith("_COOKIE_SECURE"):
            setattr(settings, name, value)
    set_cookies = {}
    responses = [client.get("/inloggen/"), client.post("/taal/", {"language": "en", "next": "/help/"})]
    login_as(client, world.coordinator_a)
    set_cookies.update(client.cookies)  # the session cookie login_as stored
    group = world.school_a.groups.get(name="Groep 5")
    # A change with a flash message: the messages cookie.
    responses.append(
        client.post(reverse("group_login_method", args=[world.school_a.pk, group.pk]), {"method": "cijfers"})
    )
    responses.append(client.get(reverse("school_start", args=[world.school_a.pk])))
    written = [(name, morsel) for r in responses for name, morsel in r.cookies.items() if morsel.value]
    assert {"csrftoken", "django_language", "messages"} <= {name for name, _ in written}, written
    for name, morsel in written:
        assert morsel["secure"], name
    # The session cookie here was written by the test client's force_login; the setting says
    # what the real login writes (checked above).
    assert set_cookies["sessionid"]
