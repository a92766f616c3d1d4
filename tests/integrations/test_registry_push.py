"""After a committed change the school's sets reach the reference registry: users, versions, 409, 400, refusals."""

from __future__ import annotations

import datetime as dt

import pytest
import trustme
from django.utils import timezone

from bingel_admin.celery import app
from integrations.models import RegistryPushState, RegistrySchool, RegistrySet
from integrations.registry import sync
from licenses import actions
from licenses.models import LicenceKind
from roster.models import Role
from roster.school_year import school_year_of
from tests.factories import appoint, give_eckid, make_group, make_licence, make_product, make_pupil, make_staff
from tests.registry_helpers import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager(monkeypatch):
    monkeypatch.setitem(app.conf, "task_always_eager", True)


@pytest.fixture
def linked(world, registry_settings, eager, django_capture_on_commit_callbacks):
    """School A's Groep 5 (Emma, and Mark as teacher) linked to a group licence, after commit."""
    school = world.school_a
    group = school.groups.get(name="Groep 5")
    give_eckid(world.teacher_a, "https://ketenid.nl/201703/teacher")
    licence = make_licence(school, make_product("reken-5"))
    with django_capture_on_commit_callbacks(execute=True):
        actions.link_groups(school=school, licence_id=licence.pk, group_ids=[group.pk], actor=None)
    return school, group, licence


def test_linking_a_group_sends_its_pupils_and_teachers_with_the_start_page_address(
    world, linked, settings, registry_pki
):
    school, _, licence = linked
    emma = school.pupils.get(first_name="Emma")
    sent = RegistrySet.objects.get(school=school, productcode="reken-5")
    assert (sent.version, sent.sent_version, sent.state, sent.users) == (1, 1, RegistryPushState.SENT, 2)
    registry = client_for(settings.LICENCE_REGISTRY_URL, registry_pki)
    listed = registry.list_sets(school.basispoort_id)
    assert listed["reken-5"].aantal == 2
    tiles = registry.lesmateriaal(world.teacher_a.basispoort_id)
    assert [t["url"] for t in tiles] == [
        f"{settings.BINGEL_PUBLIC_URL}/school/{school.pk}/#methode-{licence.product.method_id}"
    ]
    assert registry.lesmateriaal(emma.basispoort_id)[0]["productcode"] == "reken-5"
    assert registry.lesmateriaal(world.coordinator_a.basispoort_id) == []
    state = RegistrySchool.objects.get(school=school)
    assert state.dirty_since is None and state.last_success_at is not None


def test_the_body_carries_roles_and_eck_ids(world, linked, registry_settings):
    school, _, _ = linked
    entry = registry_settings.entries[(school.basispoort_id, "reken-5")]
    users = {u["id"]: (u["rol"], u["eckid"]) for u in entry.body["gebruikers"]}
    assert users[world.teacher_a.basispoort_id] == ("leerkracht", "https://ketenid.nl/201703/teacher")
    assert users[school.pupils.get(first_name="Emma").basispoort_id] == ("leerling", None)
    assert entry.body["schooljaar"] == licence_year() and entry.body["geldigTot"].endswith("-07-31")


def licence_year() -> str:

    return school_year_of(timezone.localdate())


def test_unlinking_sends_a_newer_version_without_the_group(
    world, linked, registry_settings, django_capture_on_commit_callbacks
):
    school, group, licence = linked
    with django_capture_on_commit_callbacks(execute=True):
        actions.unlink_group(school=school, licence_id=licence.pk, group_id=group.pk, actor=None)
    assert registry_settings.entries[(school.basispoort_id, "reken-5")].versie == 2
    assert registry_settings.sets()[(school.basispoort_id, "reken-5")] == set()


def test_a_seat_adds_the_pupil_and_the_teacher_of_their_group(
    world, registry_settings, eager, django_capture_on_commit_callbacks
):
    school = world.school_a
    group = school.groups.get(name="Groep 5")
    lotte = make_pupil(school, group, "Lotte", "Smit")
    licence = make_licence(school, make_product("lees-5"), LicenceKind.PER_PUPIL, seats=3)
    with django_capture_on_commit_callbacks(execute=True):
        actions.assign_seat(school=school, licence_id=licence.pk, pupil_id=lotte.pk, actor=None)
    assert registry_settings.sets()[(school.basispoort_id, "lees-5")] == {
        lotte.basispoort_id,
        world.teacher_a.basispoort_id,
    }


def test_nothing_is_sent_before_commit_or_when_the_transaction_rolls_back(
    world, registry_settings, eager, django_capture_on_commit_callbacks
):
    school = world.school_a
    licence = make_licence(school, make_product("reken-6"))
    group = make_group(school, "Groep 6", "6")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        actions.link_groups(school=school, licence_id=licence.pk, group_ids=[group.pk], actor=None)
        assert registry_settings.log == []
    assert len(callbacks) >= 1 and registry_settings.log == []


def test_a_409_drops_the_push_without_retry_and_reconciliation_repairs_past_the_registry_version(
    world, registry_settings, eager, django_capture_on_commit_callbacks, settings, registry_pki
):
    school = world.school_a
    licence = make_licence(school, make_product("reken-5"))
    stranger_set = {"versie": 50, **_body_for_someone_else()}
    client = client_for(settings.LICENCE_REGISTRY_URL, registry_pki)
    client.put_set(school.basispoort_id, "reken-5", stranger_set)
    with django_capture_on_commit_callbacks(execute=True):
        actions.link_groups(
            school=school, licence_id=licence.pk, group_ids=[school.groups.get(name="Groep 5").pk], actor=None
        )
    puts = [entry for entry in registry_settings.log if entry[0] == "PUT"]
    assert [status for _, _, status in puts] == [200, 409]  # ours was refused once, and not sent again
    assert registry_settings.sets()[(school.basispoort_id, "reken-5")] == {1}

    report = sync.reconcile([school.pk])
    assert report.sent["ok"] == 1
    assert registry_settings.entries[(school.basispoort_id, "reken-5")].versie == 51
    assert registry_settings.sets()[(school.basispoort_id, "reken-5")] == {
        school.pupils.get(first_name="Emma").basispoort_id,
        world.teacher_a.basispoort_id,
    }
    assert sync.reconcile([school.pk]).sends == 0  # now equal: nothing is sent


def _body_for_someone_else() -> dict:
    return {
        "schooljaar": licence_year(),
        "geldigTot": "2099-07-31",
        "product": {"naam": "x", "methode": "y", "productsoort": "z", "url": "https://x.example/"},
        "gebruikers": [{"id": 1, "eckid": None, "rol": "leerling"}],
    }


def test_a_400_is_recorded_as_refused_and_never_sent_again(
    world, registry_settings, eager, django_capture_on_commit_callbacks, settings
):
    settings.BINGEL_PUBLIC_URL = "ftp://beheer.example"  # a misconfiguration the registry refuses
    school = world.school_a
    licence = make_licence(school, make_product("reken-5"))
    with django_capture_on_commit_callbacks(execute=True):
        actions.link_groups(
            school=school, licence_id=licence.pk, group_ids=[school.groups.get(name="Groep 5").pk], actor=None
        )
    row = RegistrySet.objects.get(school=school, productcode="reken-5")
    assert row.state == RegistryPushState.REFUSED and "400" in row.error
    puts = [e for e in registry_settings.log if e[0] == "PUT"]
    sync.push_school(school.pk)
    assert [e for e in registry_settings.log if e[0] == "PUT"] == puts


def test_a_refused_certificate_stops_and_is_reported_on_the_school(
    world, registry_settings, eager, settings, tmp_path, django_capture_on_commit_callbacks
):
    stranger = trustme.CA().issue_cert("indringer.example")
    stranger.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "stranger.pem"))
    settings.LICENCE_REGISTRY_CLIENT_CERT = str(tmp_path / "stranger.pem")
    school = world.school_a
    licence = make_licence(school, make_product("reken-5"))
    with django_capture_on_commit_callbacks(execute=True):
        actions.link_groups(
            school=school, licence_id=licence.pk, group_ids=[school.groups.get(name="Groep 5").pk], actor=None
        )
    state = RegistrySchool.objects.get(school=school)
    assert state.certificate_refused and state.dirty_since is not None
    assert registry_settings.sets() == {}


def test_an_expired_licence_is_deleted_at_the_next_reconciliation(world, linked, registry_settings):
    school, _, licence = linked
    start = int(licence.school_year[:4]) - 1
    licence.school_year = f"{start}-{start + 1}"
    licence.save()  # the back office's change also queues a push; reconciliation alone must do it too
    RegistrySet.objects.filter(school=school).update(sent_version=0)
    report = sync.reconcile([school.pk])
    assert registry_settings.sets() == {}
    assert report.sent["delete"] == 1


def test_a_teacher_who_left_or_whose_end_date_passed_is_not_sent(
    world, registry_settings, eager, django_capture_on_commit_callbacks
):

    school = world.school_a
    group = school.groups.get(name="Groep 5")
    gone = make_staff("Bas", "Vos")
    appoint(gone, school, Role.TEACHER, groups=[group], end_date=dt.date(2020, 1, 1))
    licence = make_licence(school, make_product("reken-5"))
    with django_capture_on_commit_callbacks(execute=True):
        actions.link_groups(school=school, licence_id=licence.pk, group_ids=[group.pk], actor=None)
    users = registry_settings.sets()[(school.basispoort_id, "reken-5")]
    assert world.teacher_a.basispoort_id in users and gone.basispoort_id not in users


def test_after_a_restored_database_the_registry_version_is_adopted_so_the_next_change_is_not_stale(
    world, linked, registry_settings, django_capture_on_commit_callbacks, settings, registry_pki
):
    school, group, licence = linked
    key = (school.basispoort_id, "reken-5")
    body = {**registry_settings.entries[key].body, "versie": 9}
    client_for(settings.LICENCE_REGISTRY_URL, registry_pki).put_set(*key, body)  # a later version, same users
    RegistrySet.objects.all().delete()  # our database, restored from before any push

    assert sync.reconcile([school.pk]).sends == 0  # same users: nothing to send
    assert RegistrySet.objects.get(school=school).version == 9
    with django_capture_on_commit_callbacks(execute=True):
        actions.unlink_group(school=school, licence_id=licence.pk, group_id=group.pk, actor=None)
    assert registry_settings.entries[key].versie == 10
    assert registry_settings.sets()[key] == set()
