""" "Nieuw schooljaar" builds its cards in Python (``licenses.fragments.new_year_cards``): every
name from the roster and the catalogue is escaped, in every list of the card."""

from __future__ import annotations

import pytest
from django.urls import reverse

from licenses.models import Product
from licenses.new_year import build_plan
from roster.models import Group, Pupil, Role, Staff
from tests.factories import login_as
from tests.new_year_world import build_moved_world

pytestmark = pytest.mark.django_db

HOSTILE = '<img src=x onerror="alert(1)">&\'"'


def test_names_in_every_list_of_the_card_are_escaped(tmp_path, client):
    moved = build_moved_world(tmp_path)
    plan = build_plan(moved.school)
    pupil_card = next(item for item in plan.licences if item.pupils and (item.not_covered or item.no_room))
    group_card = next(item for item in plan.licences if item.groups)
    proposed = pupil_card.pupils[0].pupil.pupil_id
    listed = (pupil_card.not_covered or pupil_card.no_room)[0].pupil_id
    Pupil.objects.filter(pk__in=[proposed, listed]).update(last_name=HOSTILE)
    Group.objects.filter(pk=group_card.groups[0].group.pk).update(name=HOSTILE)
    Product.objects.filter(pk=group_card.licence.product_id).update(name=HOSTILE)
    moved.school.save()  # a roster change: every card is built again
    login_as(
        client,
        Staff.objects.filter(appointments__school=moved.school, appointments__roles__role=Role.ICT_COORDINATOR).first(),
    )

    html = client.get(reverse("licence_new_year", args=[moved.school.pk])).content.decode()

    assert "<img" not in html
    escaped = "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#x27;&quot;"
    # The product's heading, the proposed group, the proposed pupil and the listed one.
    assert html.count(escaped) >= 4, html.count(escaped)
