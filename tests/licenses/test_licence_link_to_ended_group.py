"""A licence still linked to a group that the school administration ended does not break the licence pages."""

from __future__ import annotations

import pytest

from licenses.models import GroupLink
from tests.factories import login_as

pytestmark = pytest.mark.django_db


def test_pages_skip_the_ended_group(world, licences, client):
    GroupLink.objects.create(licence=licences.group_licence, group=licences.group_4a, school=world.school_a)
    GroupLink.objects.create(licence=licences.group_licence, group=licences.group_5, school=world.school_a)
    licences.group_4a.active = False  # what the import does when a group leaves the feed
    licences.group_4a.save()
    login_as(client, world.coordinator_a)
    for url in (f"/school/{world.school_a.pk}/beheer/", f"/school/{world.school_a.pk}/beheer/licenties/groep/"):
        response = client.get(url)
        assert response.status_code == 200
    html = client.get(f"/school/{world.school_a.pk}/beheer/licenties/groep/").content.decode()
    assert "Groep 5 <a" in html and "Groep 4a <a" not in html
