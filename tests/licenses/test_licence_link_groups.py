"""Licenties per groep: link one or several groups, unlink with confirmation, every change audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditAction, AuditEvent
from licenses import actions
from licenses.models import GroupLink, Seat
from tests.factories import login_as, make_licence, make_product

pytestmark = pytest.mark.django_db


def link_url(world, licence):
    return reverse("licence_link_groups", args=[world.school_a.pk, licence.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_page_lists_licences_with_linked_groups_and_choices(world, licences, client):
    GroupLink.objects.create(licence=licences.group_licence, group=licences.group_4a, school=world.school_a)
    login_as(client, world.coordinator_a)
    page = client.get(reverse("licences_per_group", args=[world.school_a.pk])).content.decode()
    assert "Licenties per groep" in page and "Licenties per kind" in page
    assert "reken-digi" in page and "Basis digitaal" in page
    assert "Groep 4a" in page and "Ontkoppelen" in page
    choices = page.split('name="group"')[1].split("</select>")[0]
    assert "Groep 4b" in choices and "Groep 4a" not in choices, "only groups not yet linked"
    assert choices.index("Groep 4b") < choices.index("Groep 5"), "ordered by year level"
    assert "lopende lesweek" in page


def test_coordinator_links_a_group_and_it_is_audited(world, licences, client):
    login_as(client, world.coordinator_a)
    response = client.post(link_url(world, licences.group_licence), {"group": licences.group_4b.pk}, follow=True)
    assert GroupLink.objects.filter(licence=licences.group_licence, group=licences.group_4b).exists()
    shown = messages_of(response)
    assert any("is gekoppeld aan Groep 4b" in m for m in shown)
    assert not any("lopende lesweek" in m for m in shown), "the page already says it; the message does not repeat it"
    event = AuditEvent.objects.get()
    assert event.action == AuditAction.LINK_GROUP and event.school == world.school_a
    assert event.licence == licences.group_licence and event.actor.username == f"bp{world.coordinator_a.basispoort_id}"
    assert event.after["group_name"] == "Groep 4b"


def test_linking_twice_is_harmless_and_says_how_things_stand(world, licences, client):
    """The second of two quick clicks changes nothing and says what is true: the group is linked
    (not "er is niets veranderd", the only message the browser would show after a double click)."""
    login_as(client, world.coordinator_a)
    client.post(link_url(world, licences.group_licence), {"group": licences.group_4b.pk})
    response = client.post(link_url(world, licences.group_licence), {"group": licences.group_4b.pk}, follow=True)
    assert GroupLink.objects.count() == 1 and AuditEvent.objects.count() == 1
    shown = messages_of(response)
    assert any("is gekoppeld aan Groep 4b" in m for m in shown)
    assert not any("niets veranderd" in m for m in shown)


def test_all_groups_of_a_year_level_in_one_go(world, licences, client):
    login_as(client, world.coordinator_a)
    client.post(link_url(world, licences.group_licence), {"jaargroep": "4"})
    linked = set(GroupLink.objects.values_list("group__name", flat=True))
    assert linked == {"Groep 4a", "Groep 4b"}
    assert AuditEvent.objects.filter(action=AuditAction.LINK_GROUP).count() == 2


def test_all_groups_of_a_year_level_twice_says_they_are_linked_and_a_level_without_groups_is_refused(
    world, licences, client
):
    login_as(client, world.coordinator_a)
    client.post(link_url(world, licences.group_licence), {"jaargroep": "4"})
    again = messages_of(client.post(link_url(world, licences.group_licence), {"jaargroep": "4"}, follow=True))
    assert any("Alle groepen van jaargroep 4 zijn gekoppeld aan" in m for m in again)
    none = messages_of(client.post(link_url(world, licences.group_licence), {"jaargroep": "99"}, follow=True))
    assert any("geen groep in jaargroep 99" in m for m in none) and not any("gekoppeld aan" in m for m in none)
    assert GroupLink.objects.count() == 2


def test_group_of_another_school_is_refused_and_nothing_changes(world, licences, client):
    login_as(client, world.coordinator_a)
    response = client.post(
        link_url(world, licences.group_licence),
        {"group": [licences.group_4b.pk, licences.other_school_group.pk]},
        follow=True,
    )
    assert not GroupLink.objects.exists() and not AuditEvent.objects.exists()
    assert any("Kies een groep van deze school" in m for m in messages_of(response))


def test_licence_of_another_school_is_404(world, licences, client):
    login_as(client, world.coordinator_ab)
    other = make_licence(world.school_c, make_product("other"))
    url = reverse("licence_link_groups", args=[world.school_a.pk, other.pk])
    assert client.post(url, {"group": licences.group_4a.pk}).status_code == 404
    assert not GroupLink.objects.exists()


def test_expired_licence_cannot_be_linked(world, licences, client):
    old = make_licence(world.school_a, make_product("oud"), school_year="2019-2020")
    login_as(client, world.coordinator_a)
    response = client.post(link_url(world, old), {"group": licences.group_4a.pk}, follow=True)
    assert not GroupLink.objects.exists()
    assert any("verlopen" in m for m in messages_of(response))


def test_inactive_group_cannot_be_linked(world, licences):
    licences.group_4b.active = False
    licences.group_4b.save()
    with pytest.raises(actions.LinkRefused):
        actions.link_groups(
            school=world.school_a, licence_id=licences.group_licence.pk, group_ids=[licences.group_4b.pk], actor=None
        )
    assert not GroupLink.objects.exists()


def test_garbage_input_gets_a_message_not_an_error(world, licences, client):
    login_as(client, world.coordinator_a)
    for data in ({}, {"group": "abc"}, {"group": "99999999"}, {"jaargroep": "Z"}):
        response = client.post(link_url(world, licences.group_licence), data, follow=True)
        assert response.status_code == 200
        assert messages_of(response)
    assert not GroupLink.objects.exists()


def test_unlink_asks_for_confirmation_then_unlinks_and_audits(world, licences, client):
    GroupLink.objects.create(licence=licences.group_licence, group=licences.group_4a, school=world.school_a)
    login_as(client, world.coordinator_a)
    url = reverse("licence_unlink_group", args=[world.school_a.pk, licences.group_licence.pk, licences.group_4a.pk])
    confirm = client.get(url)
    assert "Weet je zeker" in confirm.content.decode()
    assert GroupLink.objects.exists(), "GET changes nothing"
    client.post(url)
    assert not GroupLink.objects.exists()
    assert AuditEvent.objects.get().action == AuditAction.UNLINK_GROUP


def test_unlinking_a_group_that_is_no_longer_linked_says_so(world, licences, client):
    login_as(client, world.coordinator_a)
    url = reverse("licence_unlink_group", args=[world.school_a.pk, licences.group_licence.pk, licences.group_4a.pk])
    response = client.post(url, follow=True)
    assert response.status_code == 200
    assert any("niet (meer) gekoppeld" in m for m in messages_of(response))
    assert client.get(url).status_code == 302
    other = reverse(
        "licence_unlink_group", args=[world.school_a.pk, licences.group_licence.pk, licences.other_school_group.pk]
    )
    assert client.post(other).status_code == 404


def test_beheer_home_warns_about_full_and_missing_licences(world, licences, client):

    for pupil in licences.pupils[:5]:
        Seat.objects.create(licence=licences.pupil_licence, pupil=pupil, school=world.school_a)
    login_as(client, world.coordinator_a)
    page = client.get(reverse("beheer_home", args=[world.school_a.pk])).content.decode()
    assert "aandachtspunten" in page
    assert "alle 5 licenties per kind zijn in gebruik" in page
    assert "bedoeld voor jaargroep 4, 5, maar niet gekoppeld aan: Groep 4a, Groep 4b, Groep 5" in page
