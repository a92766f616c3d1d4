"""A coordinator's change renders again only the cards it touched; the other cards come from the cache.

Each licence's card is kept under its own token (``licenses.page_cache.licence_cards``), which the
change replaces in its transaction. The page cache logs which cards it had to render; each test
renders the page (so everything is cached), makes one change through the path that makes it in real
life, and checks both that the change shows and which cards were rendered for it.
"""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from audit.records import Actor
from licenses import actions
from licenses.models import GroupLink, Licence, LicenceKind, Seat
from licenses.new_year import build_plan
from roster.models import Pupil, Role, School, Staff
from tests.factories import login_as, make_licence, make_product
from tests.new_year_world import build_moved_world
from tests.roster_feed import group, import_feed, pupil, school, staff

pytestmark = pytest.mark.django_db


def page(client, name: str, school_pk: int) -> str:
    response = client.get(reverse(name, args=[school_pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def rendered(caplog):
    """The cards the page cache rendered since the last call: [(page, [licence ids])]."""
    caplog.set_level(logging.DEBUG, logger="licenses.page_cache")

    def since_last() -> list[tuple[str, list[int]]]:
        found = [
            (record.args[0], sorted(record.args[2]))
            for record in caplog.records
            if record.name == "licenses.page_cache" and record.msg.startswith("Licence cards rendered")
        ]
        caplog.clear()
        return found

    return since_last


@pytest.fixture
def coordinator(client, world, licences):
    """Anna's school has two licences of each kind, so every change leaves a card untouched."""
    make_licence(world.school_a, make_product("taal-digi", year_levels=("4",)))
    make_licence(world.school_a, make_product("taal-plus", year_levels=("4",)), LicenceKind.PER_PUPIL, seats=5)
    login_as(client, world.coordinator_a)
    for name in ("licences_per_group", "licences_per_pupil"):
        page(client, name, world.school_a.pk)
    return client


def test_linking_a_group_renders_only_that_licences_card(coordinator, world, licences, rendered):
    licence = licences.group_licence
    rendered()
    coordinator.post(
        reverse("licence_link_groups", args=[world.school_a.pk, licence.pk]), {"group": licences.group_4a.pk}
    )
    after = page(coordinator, "licences_per_group", world.school_a.pk)
    assert 'Ontkoppelen<span class="visually-hidden"> Groep 4a' in after
    assert rendered() == [("per_groep", [licence.pk])]


def test_unlinking_a_group_renders_only_that_licences_card(coordinator, world, licences, rendered):
    licence = licences.group_licence
    GroupLink.objects.create(licence=licence, group=licences.group_4a, school=world.school_a)
    assert 'Ontkoppelen<span class="visually-hidden"> Groep 4a' in page(
        coordinator, "licences_per_group", world.school_a.pk
    )
    rendered()
    coordinator.post(reverse("licence_unlink_group", args=[world.school_a.pk, licence.pk, licences.group_4a.pk]))
    after = page(coordinator, "licences_per_group", world.school_a.pk)
    assert 'Ontkoppelen<span class="visually-hidden"> Groep 4a' not in after
    assert rendered() == [("per_groep", [licence.pk])]


def test_assigning_a_seat_renders_only_that_licences_card(coordinator, world, licences, rendered):
    licence, child = licences.pupil_licence, licences.pupils[3]
    rendered()
    coordinator.post(reverse("licence_assign_seat", args=[world.school_a.pk, licence.pk]), {"pupil": child.pk})
    assert "Jansen, Kind3" in page(coordinator, "licences_per_pupil", world.school_a.pk)
    assert rendered() == [("per_kind", [licence.pk])]


def test_releasing_a_seat_renders_only_that_licences_card(coordinator, world, licences, rendered):
    licence, child = licences.pupil_licence, licences.pupils[3]
    Seat.objects.create(licence=licence, pupil=child, school=world.school_a)
    assert "Jansen, Kind3" in page(coordinator, "licences_per_pupil", world.school_a.pk)
    rendered()
    coordinator.post(reverse("licence_release_seat", args=[world.school_a.pk, licence.pk, child.pk]))
    assert "Jansen, Kind3" not in page(coordinator, "licences_per_pupil", world.school_a.pk)
    assert rendered() == [("per_kind", [licence.pk])]


def test_a_seat_leaves_licenties_per_groep_as_it_was(coordinator, world, licences, rendered):
    rendered()
    actions.assign_seat(
        school=world.school_a, licence_id=licences.pupil_licence.pk, pupil_id=licences.pupils[3].pk, actor=None
    )
    page(coordinator, "licences_per_group", world.school_a.pk)
    assert rendered() == []


@pytest.mark.parametrize("change", ["link", "unlink", "seat", "release"])
def test_a_change_by_another_process_is_never_hidden_by_a_kept_card(coordinator, world, licences, change):
    """The change is made outside this client's requests (another worker, another coordinator),
    after this process kept every card in memory."""
    group_licence, pupil_licence, child = licences.group_licence, licences.pupil_licence, licences.pupils[3]
    chip = 'Ontkoppelen<span class="visually-hidden"> Groep 4a'
    if change == "unlink":
        GroupLink.objects.create(licence=group_licence, group=licences.group_4a, school=world.school_a)
    if change == "release":
        Seat.objects.create(licence=pupil_licence, pupil=child, school=world.school_a)
    for name in ("licences_per_group", "licences_per_pupil"):
        page(coordinator, name, world.school_a.pk)
    elsewhere = {"school": world.school_a, "actor": Actor("Elders")}
    if change == "link":
        actions.link_groups(licence_id=group_licence.pk, group_ids=[licences.group_4a.pk], **elsewhere)
        assert chip in page(coordinator, "licences_per_group", world.school_a.pk)
    elif change == "unlink":
        actions.unlink_group(licence_id=group_licence.pk, group_id=licences.group_4a.pk, **elsewhere)
        assert chip not in page(coordinator, "licences_per_group", world.school_a.pk)
    elif change == "seat":
        actions.assign_seat(licence_id=pupil_licence.pk, pupil_id=child.pk, **elsewhere)
        assert "Jansen, Kind3" in page(coordinator, "licences_per_pupil", world.school_a.pk)
    else:
        actions.release_seat(licence_id=pupil_licence.pk, pupil_id=child.pk, **elsewhere)
        assert "Jansen, Kind3" not in page(coordinator, "licences_per_pupil", world.school_a.pk)


@pytest.fixture
def moved(tmp_path, client):
    moved = build_moved_world(tmp_path)
    login_as(
        client,
        Staff.objects.filter(appointments__school=moved.school, appointments__roles__role=Role.ICT_COORDINATOR).first(),
    )
    page(client, "licence_new_year", moved.school.pk)
    return moved


def test_applying_one_proposal_renders_only_that_licences_new_year_card(client, moved, rendered):
    key = sorted(build_plan(moved.school).proposals())[0]
    licence_id = int(key.split("-")[1])
    rendered()
    client.post(reverse("licence_new_year", args=[moved.school.pk]), {"voorstel": [key], "getoond": [key]})
    after = page(client, "licence_new_year", moved.school.pk)
    assert f'value="{key}"' not in after
    assert rendered() == [("nieuw_schooljaar", [licence_id])]


def test_a_link_this_year_renders_again_the_new_year_card_of_its_product(client, moved, rendered):
    """Nieuw schooljaar proposes this year's links again: a link made today changes the proposals."""
    this_year = (
        Licence.objects.filter(school=moved.school, school_year=moved.source, kind=LicenceKind.PER_GROUP)
        .exclude(product__code__in=moved.group_links)
        .first()
    )
    next_year = Licence.objects.get(
        school=moved.school, school_year=moved.target, product=this_year.product, kind=LicenceKind.PER_GROUP
    )
    group = moved.school.groups.filter(active=True, is_subgroup=False).exclude(jaargroep="").first()
    rendered()
    actions.link_groups(school=moved.school, licence_id=this_year.pk, group_ids=[group.pk], actor=None)
    page(client, "licence_new_year", moved.school.pk)
    assert rendered() == [("nieuw_schooljaar", [next_year.pk])]


def test_the_roster_import_renders_every_card_again(tmp_path, client, rendered):
    """The night's import may change any card (names, groups): it replaces the school's own tokens."""
    coordinator = staff(700_401, ["ICTCoordinator"])
    groups = [group("G5", "Groep 5"), group("G6", "Groep 6", jaargroep="6")]
    pupils = [pupil(1, "G5", "Sem", "Kok"), pupil(2, "G5", "Noor", "Bos")]
    import_feed(tmp_path, [school(500_401, groups=groups, staff=[coordinator], pupils=pupils)])
    the_school = School.objects.get(basispoort_id=500_401)
    kept = make_licence(the_school, make_product("taal-plus"), LicenceKind.PER_PUPIL, seats=3)
    moving = make_licence(the_school, make_product("lezen-plus"), LicenceKind.PER_PUPIL, seats=3)
    Seat.objects.create(licence=moving, pupil=Pupil.objects.get(basispoort_id=1), school=the_school)
    login_as(client, Staff.objects.get(basispoort_id=700_401))
    page(client, "licences_per_pupil", the_school.pk)
    rendered()

    pupils[0] = pupil(1, "G6", "Sem", "Mol")
    import_feed(tmp_path, [school(500_401, groups=groups, staff=[coordinator], pupils=pupils)])
    assert "Mol, Sem</td><td>Groep 6" in page(client, "licences_per_pupil", the_school.pk)
    assert rendered() == [("per_kind", sorted([kept.pk, moving.pk]))]


# The points for attention above the cards come from each card's own facts (its linked groups,
# its seats used) and the page's frame (the licences, groups and year levels, kept under the
# school's tokens): a change shows in them with only the touched card rendered.


def coverage_line(html: str) -> str:
    """The groups of the first coverage warning ("… maar niet gekoppeld aan: Groep 4a, …")."""
    return html.split("maar niet gekoppeld aan: ", 1)[1].split(".", 1)[0] if "niet gekoppeld aan" in html else ""


@pytest.mark.parametrize("elsewhere", [False, True], ids=["this client", "another process"])
def test_a_link_and_an_unlink_change_the_coverage_warning(coordinator, world, licences, rendered, elsewhere):
    licence, group_4a = licences.group_licence, licences.group_4a
    assert "Groep 4a" in coverage_line(page(coordinator, "licences_per_group", world.school_a.pk))
    rendered()
    if elsewhere:
        actions.link_groups(
            school=world.school_a, licence_id=licence.pk, group_ids=[group_4a.pk], actor=Actor("Elders")
        )
    else:
        coordinator.post(reverse("licence_link_groups", args=[world.school_a.pk, licence.pk]), {"group": group_4a.pk})
    linked = coverage_line(page(coordinator, "licences_per_group", world.school_a.pk))
    assert linked and "Groep 4a" not in linked
    assert rendered() == [("per_groep", [licence.pk])]

    if elsewhere:
        actions.unlink_group(school=world.school_a, licence_id=licence.pk, group_id=group_4a.pk, actor=Actor("Elders"))
    else:
        coordinator.post(reverse("licence_unlink_group", args=[world.school_a.pk, licence.pk, group_4a.pk]))
    assert "Groep 4a" in coverage_line(page(coordinator, "licences_per_group", world.school_a.pk))
    assert rendered() == [("per_groep", [licence.pk])]


@pytest.mark.parametrize("elsewhere", [False, True], ids=["this client", "another process"])
def test_the_last_seat_taken_and_released_changes_the_seat_warning(coordinator, world, licences, rendered, elsewhere):
    licence, children = licences.pupil_licence, licences.pupils
    full = f"{licence.product.name} (schooljaar {licence.school_year}): alle {licence.seats} licenties per kind"
    for child in children[: licence.seats - 1]:
        Seat.objects.create(licence=licence, pupil=child, school=world.school_a)
    assert full not in page(coordinator, "licences_per_pupil", world.school_a.pk)
    last = children[licence.seats - 1]
    rendered()
    if elsewhere:
        actions.assign_seat(school=world.school_a, licence_id=licence.pk, pupil_id=last.pk, actor=Actor("Elders"))
    else:
        coordinator.post(reverse("licence_assign_seat", args=[world.school_a.pk, licence.pk]), {"pupil": last.pk})
    assert full in page(coordinator, "licences_per_pupil", world.school_a.pk)
    assert rendered() == [("per_kind", [licence.pk])]

    if elsewhere:
        actions.release_seat(school=world.school_a, licence_id=licence.pk, pupil_id=last.pk, actor=Actor("Elders"))
    else:
        coordinator.post(reverse("licence_release_seat", args=[world.school_a.pk, licence.pk, last.pk]))
    assert full not in page(coordinator, "licences_per_pupil", world.school_a.pk)
    assert rendered() == [("per_kind", [licence.pk])]


def test_a_licence_made_or_removed_shows_though_the_frame_was_kept(coordinator, world, licences):
    """The frame (the licences in order) is kept under the school's tokens, which making or removing
    a licence replaces."""
    made = make_licence(world.school_a, make_product("lezen-plus"), LicenceKind.PER_PUPIL, seats=3)
    assert f'id="licentie-{made.pk}"' in page(coordinator, "licences_per_pupil", world.school_a.pk)
    made.delete()
    assert f'id="licentie-{made.pk}"' not in page(coordinator, "licences_per_pupil", world.school_a.pk)
