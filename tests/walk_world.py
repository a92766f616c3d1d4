"""The school a coordinator walks through in the browser tests of the handbook walk (issue 17):
two pupils called "Bakker, Milan" in Groep 8, a kindergarten group listed first, the paper and
the digital basis of one method, a licence for groups 1–2, a refused LVS key with results
already sent, and a filled logbook (one entry dated 30 November 2026)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from integrations.models import BatchStatus, DeliveryBatch, LinkStatus, ResultLink
from licenses.models import Licence, LicenceKind, ProductType, Seat
from roster.login_codes import ensure_codes
from roster.models import Group, Pupil, Role, School, Staff
from tests.factories import (
    appoint,
    login_as,
    make_group,
    make_licence,
    make_product,
    make_pupil,
    make_school,
    make_staff,
)
from tests.lvs_helpers import make_result_link, make_supplier


@dataclass
class Walk:
    school: School
    other_school: School
    coordinator: Staff
    teacher: Staff
    group_8: Group
    milans: list[Pupil]
    seat_licence: Licence
    kleuter_licence: Licence
    link: ResultLink


@pytest.fixture
def walk(transactional_db) -> Walk:
    school = make_school("De Regenboog", "12AB", dependancecode="00")
    other = make_school("Het Kompas", "12AB", dependancecode="01")
    make_group(other, "Groep 3", "3")
    kleuters = make_group(school, "Groep 1/2a", "1")
    group_4 = make_group(school, "Groep 4", "4")
    group_8 = make_group(school, "Groep 8", "8")
    make_pupil(school, kleuters, "Saar", "Bos")
    make_pupil(school, group_4, "Emma", "Visser")
    milans = [
        make_pupil(school, group_8, "Milan", "Bakker", las_key="L10021104"),
        make_pupil(school, group_8, "Milan", "Bakker", las_key="L10021117"),
    ]
    make_pupil(school, group_8, "Noor", "Smit")
    with transaction.atomic():  # as inside the roster import
        ensure_codes(school)

    coordinator = make_staff("Sanne", "Vries", infix="de")
    appoint(coordinator, school, Role.ICT_COORDINATOR)
    appoint(coordinator, other, Role.ICT_COORDINATOR)
    teacher = make_staff("Mark", "Jansen")
    appoint(teacher, school, Role.TEACHER, groups=[group_8])

    years = [str(n) for n in range(3, 9)]
    make_licence(school, make_product("reken-digi", ProductType.BASIS_DIGITAAL, years))
    make_licence(school, make_product("reken-papier", ProductType.BASIS_PAPIER, years))
    kleuter_licence = make_licence(school, make_product("kleutertuin", ProductType.BASIS_DIGITAAL, ("1", "2")))
    seat_licence = make_licence(
        school, make_product("reken-plus", ProductType.OEFENSOFTWARE, years), LicenceKind.PER_PUPIL, seats=10
    )
    second = make_licence(
        school, make_product("lees-plus", ProductType.OEFENSOFTWARE, years), LicenceKind.PER_PUPIL, seats=5
    )
    Seat.objects.create(licence=seat_licence, pupil=milans[0], school=school)
    Seat.objects.create(licence=second, pupil=milans[1], school=school)

    link = make_result_link(school, make_supplier("Momento", "http://127.0.0.1:9/uwlr"))
    delivered = timezone.make_aware(dt.datetime(2026, 11, 30, 9, 15))
    ResultLink.objects.filter(pk=link.pk).update(
        status=LinkStatus.KEY_REFUSED,
        status_message="Client.AutorisatieOngeldig: Autorisatie is ongeldig",
        last_delivery_at=delivered,
    )
    DeliveryBatch.objects.create(
        link=link, school_year="2026-2027", size=1234, status=BatchStatus.CONFIRMED, confirmed_at=delivered
    )
    event = AuditEvent.objects.create(
        action=AuditAction.ASSIGN_SEAT, subject="Milan Bakker – reken-plus", school=school, licence=seat_licence
    )
    AuditEvent.objects.filter(pk=event.pk).update(created_at=delivered)
    # A filled Logboek, with the longest words it really shows (issue 28: it scrolled sideways
    # on a phone once it had entries).
    # Older than the entry of 30 November, which stays the first row.
    filled = AuditEvent.objects.bulk_create(
        AuditEvent(action=action, subject=subject, actor_label="Sanne de Vries (Basispoort 200001)", school=school)
        for action, subject in [
            (AuditAction.LINK_GROUP, "Groep 1/2a – kleutertuin Basis digitaal 2026-2027"),
            (AuditAction.UNLINK_GROUP, "Groep 8 – reken-papier Basis papier 2026-2027"),
            (AuditAction.RELEASE_SEAT, "Bakker, Milan (lln.nr. …1117) – lees-plus Oefensoftware"),
            (AuditAction.LOGIN_METHOD_CHANGED, "Groep 8: nieuwe inlogcodes (Cijfercode)"),
        ]
    )
    for day, older in enumerate(filled, start=20):
        AuditEvent.objects.filter(pk=older.pk).update(created_at=delivered.replace(day=day))
    link.refresh_from_db()
    return Walk(school, other, coordinator, teacher, group_8, milans, seat_licence, kleuter_licence, link)


def sign_in(page, live_server, person: Staff) -> None:
    """A session as single sign-on leaves it (the SSO flow itself is tested in test_browser_login)."""

    client = login_as(Client(), person)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
