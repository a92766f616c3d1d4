"""Groups in the order a school counts them (issue 28, point 12): by year level — a combination
group without a jaargroep by the first number of its name —, numbers as numbers, subgroups last;
on the Groepen tab, the pupils' group filter and the licence pages' group choices."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from roster.models import Group
from roster.naming import group_order
from tests.factories import login_as, make_group

EXPECTED = ["Groep 1/2", "Groep 3", "Groep 4/5", "Groep 5", "Groep 8", "Groep 10", "Plusklas"]


def test_the_key_itself(world):
    shuffled = [("Groep 8", "8", False), ("Plusklas", "", True), ("Groep 4/5", "", False), ("Groep 10", "", False)]
    shuffled += [("Groep 1/2", "", False), ("Groep 5", "5", False), ("Groep 3", "3", False)]
    groups = [Group(name=n, jaargroep=j, is_subgroup=s) for n, j, s in shuffled]
    assert [g.name for g in sorted(groups, key=group_order)] == EXPECTED


def test_the_groups_tab_and_the_pupils_filter(world):
    school = world.school_a  # has Groep 5 already
    for name, level in (("Groep 8", "8"), ("Groep 4/5", ""), ("Groep 10", ""), ("Groep 1/2", ""), ("Groep 3", "3")):
        make_group(school, name, level)
    plus = make_group(school, "Plusklas", "")
    Group.objects.filter(pk=plus.pk).update(is_subgroup=True)
    client = login_as(Client(), world.coordinator_a)
    groups_tab = client.get(reverse("beheer_groepen", kwargs={"school_id": school.pk})).content.decode()
    assert re.findall(r'<th scope="row"><a [^>]*>([^<]+)</a>', groups_tab) == EXPECTED
    pupils_tab = client.get(reverse("beheer_leerlingen", kwargs={"school_id": school.pk})).content.decode()
    assert re.findall(r'<option value="\d+">([^<]+)</option>', pupils_tab) == EXPECTED
