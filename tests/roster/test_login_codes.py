"""Leerlingen en inlogcodes: switch a group's method, change one code, unique per group,
encrypted at rest, only for the group's coordinators and own teachers."""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.urls import reverse

from audit.models import AuditAction, AuditEvent
from roster import login_codes
from roster.feed import SchoolDocument
from roster.importer import apply_school_document
from roster.models import LoginMethod, Pupil, PupilLoginCode
from tests.factories import appoint, login_as, make_pupil, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(world):
    group = world.school_a.groups.get(name="Groep 5")
    for n in range(5):
        make_pupil(world.school_a, group, f"Kind{n}", "Visser")
    return group


def codes_url(world, group, name="group_login_codes", **extra):
    return reverse(name, args=[world.school_a.pk, group.pk, *extra.values()])


def stored_codes(group) -> dict[int, str]:
    return {shown.pupil.pk: shown.code for shown in login_codes.codes_for_group(group)}


def test_switching_the_method_asks_first_then_gives_everyone_a_new_unique_code(world, group, client):
    login_as(client, world.coordinator_a)
    confirm = client.get(codes_url(world, group, "group_login_method")).content.decode()
    assert "nieuwe code" in confirm and not PupilLoginCode.objects.exists()
    client.post(codes_url(world, group, "group_login_method"), {"method": LoginMethod.NUMBERS})
    codes = stored_codes(group)
    assert len(codes) == 6 and all(c.isdigit() and len(c) == 4 for c in codes.values())
    assert len(set(codes.values())) == 6
    client.post(codes_url(world, group, "group_login_method"), {"method": LoginMethod.PICTURES})
    pictures = stored_codes(group)
    assert all(len(c.split("-")) == 3 and set(c.split("-")) <= set(login_codes.PICTURES) for c in pictures.values())
    event = AuditEvent.objects.filter(action=AuditAction.LOGIN_METHOD_CHANGED).first()
    assert event.school == world.school_a and event.after["method"] == LoginMethod.PICTURES
    page = client.get(codes_url(world, group)).content.decode()
    assert 'alt="' in page and "pupil-pictures/" in page


def test_codes_are_encrypted_at_rest_and_never_in_audit_or_logs(world, group, client, caplog):
    login_as(client, world.coordinator_a)
    with caplog.at_level(logging.DEBUG):
        client.post(codes_url(world, group, "group_login_method"), {"method": LoginMethod.NUMBERS})
        pupil = group.pupils.first()
        client.post(codes_url(world, group, "pupil_login_code", pupil=pupil.pk), {"code": "8642"})
    assert stored_codes(group)[pupil.pk] == "8642"
    raw = PupilLoginCode.objects.get(pupil=pupil).code_encrypted
    assert "8642" not in raw
    audit = " ".join(f"{e.subject} {e.before} {e.after}" for e in AuditEvent.objects.all())
    assert "8642" not in audit
    assert "8642" not in caplog.text


def test_change_one_code_with_the_suggestion_or_a_chosen_code(world, group, client):
    login_as(client, world.coordinator_a)
    client.post(codes_url(world, group, "group_login_method"), {"method": LoginMethod.PICTURES})
    pupil = group.pupils.first()
    form = client.get(codes_url(world, group, "pupil_login_code", pupil=pupil.pk))
    suggestion = form.context["suggestion"]
    assert suggestion not in stored_codes(group).values()
    client.post(codes_url(world, group, "pupil_login_code", pupil=pupil.pk), {"code": suggestion})
    assert stored_codes(group)[pupil.pk] == suggestion
    client.post(
        codes_url(world, group, "pupil_login_code", pupil=pupil.pk),
        {"plaatje1": "zon", "plaatje2": "maan", "plaatje3": "ster"},
    )
    assert stored_codes(group)[pupil.pk] == "zon-maan-ster"
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_CODE_CHANGED).count() == 2


def test_a_code_shared_with_a_classmate_is_refused(world, group, client):
    login_as(client, world.coordinator_a)
    client.post(codes_url(world, group, "group_login_method"), {"method": LoginMethod.NUMBERS})
    first, second = list(login_codes.group_pupils(group))[:2]
    taken = stored_codes(group)[first.pk]
    response = client.post(codes_url(world, group, "pupil_login_code", pupil=second.pk), {"code": taken})
    assert response.status_code == 400
    assert "heeft deze code al" in response.content.decode()
    assert stored_codes(group)[second.pk] != taken


@pytest.mark.parametrize("bad", ["12", "1234567", "12a4", "٣٣٣٣", "", "zon-zon-maan", "zon-maan", "kat-hond-vis"])
def test_bad_codes_get_a_clear_message(world, group, client, bad):
    login_as(client, world.coordinator_a)
    client.post(codes_url(world, group, "group_login_method"), {"method": LoginMethod.NUMBERS})
    pupil = group.pupils.first()
    before = stored_codes(group)[pupil.pk]
    response = client.post(codes_url(world, group, "pupil_login_code", pupil=pupil.pk), {"code": bad})
    assert response.status_code == 400
    assert stored_codes(group)[pupil.pk] == before


def test_the_groups_own_teacher_may_and_another_teacher_may_not(world, group, client):
    login_as(client, world.teacher_a)
    assert client.get(codes_url(world, group)).status_code == 200
    other_group = world.school_a.groups.create(las_key="G-other", name="Groep 6", jaargroep="6")
    assert client.get(reverse("group_login_codes", args=[world.school_a.pk, other_group.pk])).status_code == 404
    assert (
        client.post(
            reverse("group_login_method", args=[world.school_a.pk, other_group.pk]), {"method": "cijfers"}
        ).status_code
        == 404
    )
    colleague = make_staff("Joke", "Smit")
    appoint(colleague, world.school_a, "Leerkracht", groups=[other_group])
    login_as(client, colleague)
    assert client.get(codes_url(world, group)).status_code == 404


def test_outsider_gets_404_and_changes_nothing(world, group, client):
    login_as(client, world.coordinator_c)
    pupil = group.pupils.first()
    for name, extra in (
        ("group_login_codes", {}),
        ("group_login_codes_print", {}),
        ("group_login_method", {}),
        ("pupil_login_code", {"pupil": pupil.pk}),
    ):
        assert client.get(codes_url(world, group, name, **extra)).status_code == 404
        assert client.post(
            codes_url(world, group, name, **extra), {"method": "cijfers", "code": "1234"}
        ).status_code in (404, 405)
    assert not PupilLoginCode.objects.exists()


def test_new_pupils_get_a_code_in_their_groups_method(world, group, client):
    login_as(client, world.coordinator_a)
    client.post(codes_url(world, group, "group_login_method"), {"method": LoginMethod.NUMBERS})
    newcomer = make_pupil(world.school_a, group, "Nieuw", "Kind")
    assert login_codes.ensure_codes(world.school_a) == 1
    assert not Pupil.objects.filter(
        school=world.school_a, login_code__isnull=True, active=True, group__isnull=False
    ).exists()
    code = stored_codes(group)[newcomer.pk]
    assert code.isdigit() and code not in {c for pk, c in stored_codes(group).items() if pk != newcomer.pk}


def test_key_rotation_re_encrypts_pupil_codes_too(world, group, client, settings):

    login_as(client, world.coordinator_a)
    client.post(codes_url(world, group, "group_login_method"), {"method": LoginMethod.NUMBERS})
    before = stored_codes(group)
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *settings.FIELD_ENCRYPTION_KEYS]
    call_command("rotate_field_keys")
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert stored_codes(group) == before


def test_pupils_new_from_the_import_get_a_code_and_movers_keep_theirs(tmp_path):

    def doc(pupils):
        return SchoolDocument(
            777_001,
            {"naam": "Importschool", "brincode": "77AA", "dependancecode": "00"},
            {
                "groepen": [
                    {"lasKey": "G4", "naam": "Groep 4", "jaargroep": "4"},
                    {"lasKey": "G5", "naam": "Groep 5", "jaargroep": "5"},
                ],
                "leerlingen": [
                    {
                        "id": pid,
                        "persoonsgegevens": {"voornaam": f"K{pid}", "achternaam": "Bos"},
                        "jaargroep": g[1:],
                        "groep": g,
                    }
                    for pid, g in pupils
                ],
                "medewerkers": [],
            },
        )

    apply_school_document(doc([(1, "G4"), (2, "G4")]))
    first = {p.basispoort_id: login_codes.codes_for_group(p.group) for p in Pupil.objects.all()}
    code_of_1 = next(s.code for s in first[1] if s.pupil.basispoort_id == 1)
    assert all(s.code for shown in first.values() for s in shown)
    apply_school_document(doc([(1, "G5"), (2, "G4"), (3, "G4")]))
    newcomer = Pupil.objects.get(basispoort_id=3)
    assert stored_codes(newcomer.group)[newcomer.pk]
    mover = Pupil.objects.get(basispoort_id=1)
    assert stored_codes(mover.group)[mover.pk] == code_of_1, "a mover keeps a code that does not clash"


@pytest.mark.parametrize("pupils", [5, 300])
def test_giving_codes_takes_the_same_few_queries_for_any_school_size(world, pupils, django_assert_max_num_queries):
    groups = [
        world.school_c.groups.create(las_key=f"Q{n}", name=f"Groep {n}", jaargroep=str(1 + n % 8)) for n in range(10)
    ]
    Pupil.objects.bulk_create(
        [
            Pupil(school=world.school_c, basispoort_id=800_000 + n, group=groups[n % 10], first_name=f"K{n}")
            for n in range(pupils)
        ]
    )
    with django_assert_max_num_queries(7):
        given = login_codes.ensure_codes(world.school_c)
    assert given == pupils + 1  # and the world's own pupil of school C
    codes = [s.code for g in groups for s in login_codes.codes_for_group(g)]
    assert len(codes) == pupils and all(codes)
