""" "Details" of a group shows its teachers and all its pupils under the group: in place with
htmx, or as the whole groups page with the group opened when JavaScript is off."""

from __future__ import annotations

import pytest
from django.urls import reverse

from roster.models import Group
from tests.factories import login_as, make_group, make_pupil


@pytest.fixture
def group5(world) -> Group:
    group = Group.objects.get(school=world.school_a, name="Groep 5")
    make_pupil(world.school_a, group, "Lotte", "Smit")
    make_pupil(world.school_a, group, "Vertrokken", "Kind", active=False)
    other = make_group(world.school_a, "Groep 6", "6")
    make_pupil(world.school_a, other, "Anna", "Anders")
    return group


def details_url(world, group) -> str:
    return reverse("beheer_groep", kwargs={"school_id": world.school_a.pk, "group_id": group.pk})


def test_without_javascript_the_groups_page_opens_with_the_pupils_under_the_group(world, group5, client):
    login_as(client, world.coordinator_a)
    response = client.get(details_url(world, group5))
    page = response.content.decode()
    assert "<html" in page and "Groep 6" in page
    opened = page.split(f'<tbody id="groep-{group5.pk}" class="is-open">', 1)[1].split("</tbody>", 1)[0]
    assert "Visser, Emma" in opened and "Smit, Lotte" in opened
    assert "Mark Jansen" in opened
    assert "Vertrokken" not in page and "Anders, Anna" not in page
    assert "Details verbergen" in opened


def test_htmx_gets_only_that_group_rows(world, group5, client):
    login_as(client, world.coordinator_a)
    response = client.get(details_url(world, group5), headers={"HX-Request": "true"})
    page = response.content.decode()
    assert page.lstrip().startswith(f'<tbody id="groep-{group5.pk}"')
    assert "<html" not in page and "Groep 6" not in page
    assert "Visser, Emma" in page and "Smit, Lotte" in page
    assert "HX-Request" in response["Vary"]


def test_the_details_link_works_with_and_without_htmx(world, group5, client):
    login_as(client, world.coordinator_a)
    page = client.get(reverse("beheer_groepen", kwargs={"school_id": world.school_a.pk})).content.decode()
    url = details_url(world, group5)
    assert f'href="{url}#groep-{group5.pk}"' in page
    assert f'hx-get="{url}"' in page
    assert "htmx-2.min.js" in page
    assert "Visser, Emma" not in page, "closed until asked"


def test_a_subgroup_shows_its_subgroup_pupils(world, group5, client):
    plus = make_group(world.school_a, "Plusklas", "", is_subgroup=True)
    emma = group5.pupils.get(first_name="Emma")
    emma.subgroups.add(plus)
    login_as(client, world.coordinator_a)
    page = client.get(details_url(world, plus), headers={"HX-Request": "true"}).content.decode()
    assert "Visser, Emma" in page and "Smit, Lotte" not in page


def test_another_schools_group_is_404(world, client):
    other = Group.objects.get(school=world.school_b)
    login_as(client, world.coordinator_ab)
    url = reverse("beheer_groep", kwargs={"school_id": world.school_a.pk, "group_id": other.pk})
    assert client.get(url).status_code == 404
    assert client.get(url, headers={"HX-Request": "true"}).status_code == 404


def test_an_inactive_group_is_404(world, group5, client):
    group5.active = False
    group5.save()
    login_as(client, world.coordinator_a)
    assert client.get(details_url(world, group5)).status_code == 404
