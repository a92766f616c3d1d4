"""Dutch by default, English as a full translation that works without a compile step."""

from __future__ import annotations

import subprocess

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from tests.servers import ROOT

PO = ROOT / "locale/en/LC_MESSAGES/django.po"


def test_compiled_catalogue_is_committed_and_current(tmp_path):
    mo = PO.with_suffix(".mo")
    assert mo.exists()
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(fresh), str(PO)], check=True)
    assert fresh.read_bytes() == mo.read_bytes(), "run `make messages` and commit the .mo"


def test_every_string_is_translated():
    untranslated = subprocess.run(
        ["msgattrib", "--untranslated", "--no-wrap", str(PO)], capture_output=True, text=True, check=True
    ).stdout
    assert "msgid" not in untranslated.replace('msgid ""\nmsgstr ""', "", 1)


@pytest.mark.django_db
def test_login_page_in_both_languages():
    dutch = Client().get("/inloggen/").content.decode()
    assert "Inloggen via Basispoort" in dutch
    english = Client(headers={"accept-language": "en"}).get("/inloggen/").content.decode()
    assert "Log in with Basispoort" in english
    assert '<html lang="en">' in english


def test_english_catalogue_is_loaded():
    with translation.override("en"):
        assert translation.gettext("Kies je school") == "Choose your school"


def test_the_server_error_page_is_translated_too():

    with translation.override("en"):
        assert "Something went wrong" in render_to_string("500.html")
    with translation.override("nl"):
        assert "Er ging iets mis" in render_to_string("500.html")
