""" "Nieuw schooljaar" proposes next year's links from this year's, over a demo world that moved up a year."""

from __future__ import annotations

import pytest

from licenses.models import GroupYearLevels
from licenses.new_year import build_plan
from roster.models import Group, Pupil, Role, Staff
from tests.factories import login_as
from tests.new_year_world import build_moved_world, group_levels_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def moved(tmp_path):
    return build_moved_world(tmp_path)


def plan_for(world, code: str, kind: str):
    plan = build_plan(world.school)
    assert plan is not None and plan.season.target == world.target and not plan.stale
    return next(i for i in plan.licences if i.licence.product.code == code and i.licence.kind == kind)


def expected_groups(world, code: str, covers: set[str]) -> set[str]:
    """Recomputed from the raw data: new groups sharing a covered level that last year's linked groups had."""
    had = set().union(*(world.group_levels_before[key] for key in world.group_links.get(code, set())))
    return {
        Group.objects.get(pk=pk).name for pk, levels in group_levels_now(world.school).items() if levels & covers & had
    }


@pytest.mark.parametrize("code", ["rekenroute-digi", "taalkompas-digi", "wereldwijs-digi", "kleutertuin-digi"])
def test_group_proposals_follow_last_years_levels(moved, code):
    item = plan_for(moved, code, "per_groep")
    covers = set(item.licence.product.year_levels)
    assert {p.group.name for p in item.groups} == expected_groups(moved, code, covers)
    assert item.groups, "every one of these products was linked this year"


def test_combination_groups(moved):
    toddlers = {p.group.name for p in plan_for(moved, "kleutertuin-digi", "per_groep").groups}
    assert toddlers == {"Groep 1/2a", "Groep 1/2b"}
    maths = {p.group.name for p in plan_for(moved, "rekenroute-digi", "per_groep").groups}
    assert "Groep 4/5" in maths  # linked to groups 4 and 5 this year: the new 4/5 gets it


def test_a_product_does_not_reach_a_jaargroep_it_does_not_cover(moved):
    toddlers = {p.group.name for p in plan_for(moved, "kleutertuin-digi", "per_groep").groups}
    assert "Groep 3" not in toddlers  # this year's 2s are in group 3 now; the product is for 1 and 2
    remedial = plan_for(moved, "leeslicht-remedial", "per_kind")
    assert remedial.not_covered, "a pupil who went from 6 to 7 keeps no seat of a 3–6 product"
    proposed = {p.pupil.pupil_id for p in remedial.pupils}
    for line in remedial.not_covered:
        assert line.jaargroep not in remedial.licence.product.year_levels
        assert line.pupil_id not in proposed


def test_renamed_groups_are_matched_on_last_years_levels_not_their_new_name(moved):
    world = plan_for(moved, "wereldwijs-digi", "per_groep")
    # This year groups 5, 6 and 7 had it (not 8); those groups kept their keys and were renamed 6, 7, 8.
    assert world.last_year_levels == ["5", "6", "7"]
    names = {p.group.name for p in world.groups}
    assert "Groep 8" not in names and {"Groep 4/5", "Groep 6", "Groep 7"} <= names
    renamed = next(p for p in world.groups if p.group.name == "Groep 6")
    assert renamed.last_year == ["Groep 6"]  # the group that was "Groep 6" last year, now "Groep 7"

    GroupYearLevels.objects.all().delete()  # without last year's levels, the renamed groups mislead
    assert "Groep 8" in {p.group.name for p in plan_for(moved, "wereldwijs-digi", "per_groep").groups}


def test_pupils_who_left_are_not_proposed_and_who_stayed_back_are(moved):
    item = plan_for(moved, "rekenroute-plus", "per_kind")
    holders = moved.seat_holders["rekenroute-plus"]
    left = set(Pupil.objects.filter(pk__in=holders, active=False).values_list("pk", flat=True))
    assert left, "the demo's next year has a seat holder who moved away"
    listed = {p.pupil.pupil_id for p in item.pupils} | {line.pupil_id for line in item.no_room}
    assert not listed & left
    stayed = {pk for pk in holders - left if Pupil.objects.get(pk=pk).jaargroep == moved.levels_before[pk]}
    assert stayed and stayed <= listed
    moved_up = holders - left - stayed
    assert all(int(Pupil.objects.get(pk=pk).jaargroep) == int(moved.levels_before[pk]) + 1 for pk in moved_up)
    assert listed == holders - left


def test_too_few_seats_lists_the_rest_as_no_room(moved):
    item = plan_for(moved, "rekenroute-plus", "per_kind")
    assert item.licence.seats == 6
    assert len(item.pupils) == 6 == item.seats_free
    assert len(item.no_room) == len(moved.seat_holders["rekenroute-plus"]) - 6 - 1  # one moved away


def test_with_the_old_group_division_the_page_shows_the_checklist(tmp_path, client):

    world = build_moved_world(tmp_path, move=False)
    plan = build_plan(world.school)
    assert plan.stale and plan.roster_year == world.source and plan.proposal_count == 0
    coordinator = Staff.objects.filter(
        appointments__school=world.school, appointments__roles__role=Role.ICT_COORDINATOR
    ).first()
    login_as(client, coordinator)
    html = client.get(f"/school/{world.school.pk}/beheer/licenties/nieuw-schooljaar/").content.decode()
    assert "De nieuwe groepenindeling is er nog niet" in html
    assert "leerlingen zijn overgeplaatst naar de nieuwe groepen" in html
    assert "BRIN-/locatiecode" in html
    assert 'name="voorstel"' not in html
