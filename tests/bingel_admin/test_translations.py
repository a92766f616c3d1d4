"""Dutch by default, English as a full translation that works without a compile step."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from tests.servers import ROOT, clean_env

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


def test_every_string_in_the_code_is_in_the_catalogue(tmp_path):
    """A string added to a template or module but never extracted shows in Dutch on an English
    page ("12 van 12 beschikbaar" on Nieuw schooljaar, issue 28): extract the catalogue afresh
    from a copy of the code, as `make messages` does, and find nothing untranslated in it."""
    copy = tmp_path / "code"
    ignore = shutil.ignore_patterns(".venv", "node_modules", "test-artifacts", "var", ".git", "devidp", "*.pyc")
    shutil.copytree(ROOT, copy, ignore=ignore)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "en", "--no-obsolete", "--ignore=tests"],
        cwd=copy,
        env=clean_env(BINGEL_VAR_DIR=str(tmp_path)),
        check=True,
        capture_output=True,
    )
    catalogue = str(copy / "locale/en/LC_MESSAGES/django.po")
    # msgmerge guesses a translation for a new string from a similar old one and marks it fuzzy:
    # that guess is shown to nobody, so a fuzzy string is as untranslated as an empty one.
    missing = [
        msgid
        for which in ("--untranslated", "--only-fuzzy")
        for msgid in re.findall(
            r'^msgid "(.+)"$',
            subprocess.run(
                ["msgattrib", which, "--no-wrap", catalogue], capture_output=True, text=True, check=True
            ).stdout,
            re.MULTILINE,
        )
    ]
    assert not missing, f"not in locale/en (run `make messages` and translate): {missing}"
