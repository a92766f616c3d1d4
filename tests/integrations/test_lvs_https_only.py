"""In production an LVS address must be https: the school's key travels with every message.

Checked where the address is entered (the back office's supplier form, through Django's own
model validation) and again where a message would leave (nothing is sent to a plain-http address).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.urls import reverse

from integrations import export
from integrations.models import LinkStatus, LvsSupplier
from tests.factories import back_office_login
from tests.lvs_helpers import make_result_link
from tests.servers import ROOT, production_env

pytestmark = pytest.mark.django_db


def supplier_form(url: str) -> dict:
    return {"name": "Momento", "endpoint_url": url, "klantcode": "BINGEL", "klantnaam": "Bingel", "active": "on"}


@pytest.mark.parametrize("url", ["http://lvs.example.nl/uwlr", "HTTP://lvs.example.nl/uwlr", "ftp://lvs.example.nl/"])
def test_the_back_office_refuses_an_address_without_https(client, settings, url):
    settings.LVS_REQUIRE_HTTPS = True
    back_office_login(client)
    response = client.post(reverse("admin:integrations_lvssupplier_add"), supplier_form(url))
    assert response.status_code == 200
    assert "moet met https:// beginnen" in response.content.decode()
    assert not LvsSupplier.objects.exists()


def test_the_back_office_accepts_https(client, settings):
    settings.LVS_REQUIRE_HTTPS = True
    back_office_login(client)
    response = client.post(reverse("admin:integrations_lvssupplier_add"), supplier_form("https://lvs.example.nl/uwlr"))
    assert response.status_code == 302
    assert LvsSupplier.objects.get().endpoint_url == "https://lvs.example.nl/uwlr"


def test_the_demo_may_use_its_local_http_reference_lvs(client, settings):
    settings.LVS_REQUIRE_HTTPS = False
    back_office_login(client)
    response = client.post(reverse("admin:integrations_lvssupplier_add"), supplier_form("http://127.0.0.1:8002/uwlr"))
    assert response.status_code == 302


def test_nothing_is_sent_to_an_http_address_saved_before_the_rule(world, reference_lvs, settings):
    lvs, url = reference_lvs
    settings.LVS_REQUIRE_HTTPS = True
    supplier = LvsSupplier.objects.create(name="Oud", endpoint_url=url, klantcode="B", klantnaam="B")
    link = make_result_link(world.school_a, supplier)
    assert export.check_key(link) == LinkStatus.UNREACHABLE
    assert lvs.requests == 0
    settings.LVS_REQUIRE_HTTPS = False  # the same link, as the demo runs it: the key is sent
    assert export.check_key(link) == LinkStatus.ACTIVE
    assert lvs.requests == 1


def test_production_requires_https_by_default():
    env = production_env()
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.LVS_REQUIRE_HTTPS))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) is True
