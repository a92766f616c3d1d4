"""The Help page names every button, tab and link as it reads in the page's language (issue 28,
point 10: the English help said "Click 'Beheer'" where the button reads "Administration"), covers
Nieuw schooljaar and the Logboek, and offers a signed-in person the way back to their school."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client
from django.utils import translation

from tests.factories import login_as

QUOTED = re.compile(r"‘([^’]+)’")


def help_text(client: Client, language: str) -> str:
    return unescape(client.get("/help/", headers={"accept-language": language}).content.decode())


def ui_labels(language: str) -> set[str]:
    """Every string of the catalogue as it reads in ``language``."""
    catalogue = dict(translation.trans_real.translation("en")._catalog.items())
    if language == "en":
        return {text for key, text in catalogue.items() if isinstance(key, str)}
    return {key for key in catalogue if isinstance(key, str)}


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_quoted_name_is_a_label_in_that_language(client, language):
    names = set(QUOTED.findall(help_text(client, language)))
    assert len(names) >= 20, names
    # 'actief' is the status the school administration shows, not one of ours.
    unknown = {name for name in names - ui_labels(language) if name not in {"actief", "active"}}
    assert not unknown, f"named in the {language} help but no button, tab or link reads so: {unknown}"


@pytest.mark.django_db
def test_english_help_says_administration_not_beheer(client):
    english = help_text(client, "en")
    assert "‘Administration’" in english and "‘Beheer’" not in english
    assert "‘New school year’" in english or "New school year" in english


@pytest.mark.django_db
def test_help_covers_the_new_school_year_and_the_log(client):
    dutch = help_text(client, "nl")
    assert 'id="nieuw-schooljaar"' in dutch and 'id="logboek"' in dutch
    assert "‘Aangevinkte voorstellen koppelen’" in dutch and "‘Logboek’" in dutch


def test_a_signed_in_coordinator_finds_the_way_back(world, client):
    login_as(client, world.coordinator_a)
    page = help_text(client, "nl")
    assert f'href="/school/{world.school_a.pk}/"' in page and f"Terug naar {world.school_a.name}" in page
    assert "Terug naar" not in help_text(Client(), "nl")
