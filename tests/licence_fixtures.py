"""Licences for school A of the `world` personas, shared by the licence tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from licenses.models import Licence, LicenceKind
from roster.models import Group, Pupil
from tests.factories import make_group, make_licence, make_product, make_pupil


@dataclass
class Licences:
    group_licence: Licence
    pupil_licence: Licence
    group_4a: Group
    group_4b: Group
    group_5: Group
    pupils: list[Pupil]
    other_school_group: Group
    other_school_pupil: Pupil


@pytest.fixture
def licences(world) -> Licences:
    product = make_product("reken-digi", year_levels=("4", "5"))
    plus = make_product("reken-plus", product_type="oefensoftware", year_levels=("4", "5"))
    group_4a = make_group(world.school_a, "Groep 4a", "4")
    group_4b = make_group(world.school_a, "Groep 4b", "4")
    group_5 = world.school_a.groups.get(name="Groep 5")
    pupils = [make_pupil(world.school_a, group_4a, f"Kind{i}", "Jansen") for i in range(8)]
    return Licences(
        group_licence=make_licence(world.school_a, product),
        pupil_licence=make_licence(world.school_a, plus, LicenceKind.PER_PUPIL, seats=5),
        group_4a=group_4a,
        group_4b=group_4b,
        group_5=group_5,
        pupils=pupils,
        other_school_group=world.school_c.groups.first(),
        other_school_pupil=world.school_c.pupils.first(),
    )
