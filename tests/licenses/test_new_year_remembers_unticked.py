"""Nieuw schooljaar remembers the proposals left unticked (issue #28 point 2), also when nothing
else was linked by that press (the cached page must show them unticked at once)."""

from __future__ import annotations

import pytest

from licenses.models import DeclinedProposal, GroupLink
from licenses.new_year import build_plan
from roster.models import Role, Staff
from tests.factories import login_as
from tests.new_year_world import build_moved_world

pytestmark = pytest.mark.django_db


def test_a_press_with_everything_unticked_links_nothing_and_keeps_them_unticked(tmp_path, client):
    moved = build_moved_world(tmp_path)
    coordinator = Staff.objects.filter(
        appointments__school=moved.school, appointments__roles__role=Role.ICT_COORDINATOR
    ).first()
    login_as(client, coordinator)
    url = f"/school/{moved.school.pk}/beheer/licenties/nieuw-schooljaar/"
    keys = sorted(build_plan(moved.school).proposals())
    before = client.get(url).content.decode()  # rendered, and kept in the page cache
    assert f'value="{keys[0]}" id="{keys[0]}" checked' in before

    after = client.post(url, {"getoond": keys}, follow=True).content.decode()  # all unticked
    assert not GroupLink.objects.filter(licence__school_year=moved.target).exists()
    assert "Wat je hebt uitgevinkt, blijft uitgevinkt." in after
    assert set(DeclinedProposal.objects.values_list("key", flat=True)) == set(keys)
    for key in keys:
        assert f'value="{key}" id="{key}">' in after, f"{key} came back ticked"

    # A key that is no proposal in the shown list refuses the whole request, as a ticked one does.
    refused = client.post(url, {"getoond": ["g-1-<script>"]}, follow=True).content.decode()
    assert "Dit voorstel bestaat niet" in refused
