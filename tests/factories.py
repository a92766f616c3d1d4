"""Tiny builders for test data. Each makes exactly what a test names, nothing more."""

from __future__ import annotations

import itertools

from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from licenses.models import Licence, LicenceKind, Method, Product, ProductType
from roster.access import BASISPOORT_ID_SESSION_KEY, SSO_PROVIDER_ID
from roster.eckid import seal
from roster.models import Appointment, AppointmentRole, Group, Pupil, School, Staff
from roster.school_year import school_year_of

_ids = itertools.count(1)


def next_id() -> int:
    return 900_000 + next(_ids)


def make_school(name: str = "Testschool", brin: str = "99ZZ", **kwargs) -> School:
    return School.objects.create(basispoort_id=kwargs.pop("basispoort_id", next_id()), name=name, brin=brin, **kwargs)


def make_group(school: School, name: str = "Groep 5", jaargroep: str = "5", **kwargs) -> Group:
    return Group.objects.create(
        school=school, las_key=kwargs.pop("las_key", f"G{next_id()}"), name=name, jaargroep=jaargroep, **kwargs
    )


def make_staff(first_name: str, last_name: str, infix: str = "") -> Staff:
    return Staff.objects.create(basispoort_id=next_id(), first_name=first_name, infix=infix, last_name=last_name)


def appoint(staff: Staff, school: School, *roles: str, groups=(), **kwargs) -> Appointment:
    appointment = Appointment.objects.create(staff=staff, school=school, **kwargs)
    AppointmentRole.objects.bulk_create([AppointmentRole(appointment=appointment, role=r) for r in roles])
    appointment.groups.set(groups)
    return appointment


def make_pupil(
    school: School, group: Group | None = None, first_name: str = "Daan", last_name: str = "Bos", **kwargs
) -> Pupil:
    return Pupil.objects.create(
        school=school,
        basispoort_id=kwargs.pop("basispoort_id", next_id()),
        group=group,
        first_name=first_name,
        last_name=last_name,
        jaargroep=kwargs.pop("jaargroep", group.jaargroep if group else ""),
        **kwargs,
    )


def make_product(
    code: str = "reken-digi", product_type: str = ProductType.BASIS_DIGITAAL, year_levels=("3", "4", "5", "6", "7", "8")
) -> Product:
    method, _ = Method.objects.get_or_create(code="rekenen", defaults={"name": "Rekenroute"})
    return Product.objects.create(
        method=method, code=code, name=code, product_type=product_type, year_levels=list(year_levels)
    )


def make_licence(
    school: School,
    product: Product,
    kind: str = LicenceKind.PER_GROUP,
    seats: int | None = None,
    school_year: str | None = None,
) -> Licence:
    return Licence.objects.create(
        school=school,
        product=product,
        kind=kind,
        seats=seats,
        school_year=school_year or school_year_of(timezone.localdate()),
    )


def login_as(client: Client, staff: Staff | None, *, basispoort_id: int | None = None) -> Client:
    """Log a test client in the way single sign-on does: a user plus the Basispoort id in the session."""
    bp_id = staff.basispoort_id if staff else basispoort_id
    user, _ = get_user_model().objects.get_or_create(username=f"bp{bp_id}")
    SocialAccount.objects.get_or_create(provider=SSO_PROVIDER_ID, uid=str(bp_id), defaults={"user": user})
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[BASISPOORT_ID_SESSION_KEY] = str(bp_id)
    session.save()
    return client


BACK_OFFICE_PASSWORD = "sterk-wachtwoord-456"


def totp_now(device) -> str:
    """The code the device's authenticator app shows now (django-otp's own TOTP helper)."""

    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def back_office_login(client: Client, username: str = "backoffice"):
    """Log a publisher staff member in to /admin/ the real way: password and a TOTP code."""

    user = get_user_model().objects.create_superuser(username, f"{username}@example.org", BACK_OFFICE_PASSWORD)
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    response = client.post(
        reverse("admin:login"),
        {
            "username": username,
            "password": BACK_OFFICE_PASSWORD,
            "otp_device": device.persistent_id,
            "otp_token": totp_now(device),
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    return user


def make_school_in_bulk(name: str, groups: int, pupils: int) -> tuple[School, list[Group], list[Pupil]]:
    """A school of ``groups`` groups (year levels 1–8 in turn) and ``pupils`` pupils spread over them,
    written with one INSERT per table: the small and the largest school of the query-count tests."""
    school = make_school(name, "12AB")
    group_rows = Group.objects.bulk_create(
        [
            Group(school=school, las_key=f"G{n}", name=f"Groep {1 + n % 8}-{n // 8 + 1}", jaargroep=str(1 + n % 8))
            for n in range(groups)
        ]
    )
    pupil_rows = Pupil.objects.bulk_create(
        [
            Pupil(
                school=school,
                basispoort_id=next_id(),
                first_name=f"Kind{n}",
                last_name=f"Achternaam{n}",
                group=group_rows[n % groups],
                jaargroep=group_rows[n % groups].jaargroep,
            )
            for n in range(pupils)
        ]
    )
    return school, group_rows, pupil_rows


def give_eckid(person, eckid: str) -> None:
    """Store ``eckid`` for a Pupil or Staff as the import does: sealed, with its fingerprint."""
    person.eckid_encrypted, person.eckid_fingerprint = seal(eckid)
    person.save(update_fields=["eckid_encrypted", "eckid_fingerprint"])
