"""Help: open to everyone, explains each task, the nightly-import rule and the helpdesk."""

from __future__ import annotations

from django.urls import reverse


def test_anyone_can_read_help_with_every_task(client, db):
    page = client.get(reverse("help")).content.decode()
    for task in (
        "Inloggen",
        "Schoolgegevens controleren",
        "Licenties aan groepen koppelen",
        "Licenties aan leerlingen koppelen",
        "Resultaten uitwisselen met het leerlingvolgsysteem",
        "Inlogcodes van leerlingen",
    ):
        assert f">{task}</h2>" in page, task


def test_help_states_the_nightly_import_rule(client, db):
    page = client.get(reverse("help")).content.decode()
    assert "elke nacht" in page
    assert "zie je hier de volgende dag" in page


def test_helpdesk_contact_comes_from_settings(client, db, settings):
    settings.HELPDESK_PHONE = "030 - 123 45 67"
    settings.HELPDESK_EMAIL = "hulp@uitgever.example"
    page = client.get(reverse("help")).content.decode()
    assert "030 - 123 45 67" in page and 'href="tel:0301234567"' in page
    assert 'href="mailto:hulp@uitgever.example"' in page
