"""Every response carries the security headers; production passes Django's deploy checklist."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import login_as
from tests.servers import ROOT, production_env

pytestmark = pytest.mark.django_db


def test_headers_on_a_public_page():
    response = Client().get("/inloggen/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_a_sane_request_id_from_the_proxy_is_kept_and_a_hostile_one_replaced():
    assert Client().get("/healthz", headers={"X-Request-ID": "proxy-123"})["X-Request-ID"] == "proxy-123"
    assert Client().get("/healthz", headers={"X-Request-ID": "<script>"})["X-Request-ID"] != "<script>"


def test_no_inline_script_or_style_in_school_pages(world, client):
    login_as(client, world.coordinator_a)
    for url in (
        reverse("school_start", args=[world.school_a.pk]),
        reverse("beheer_home", args=[world.school_a.pk]),
        reverse("licences_per_pupil", args=[world.school_a.pk]),
    ):
        html = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert " style=" not in html, url


def test_production_passes_the_deploy_checklist():
    env = production_env()
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
