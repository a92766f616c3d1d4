"""An ECK iD is never shown: not on any page or htmx fragment of any persona, not in the back
office, not in an audit entry, not in a log line. Every pupil and staff member of the walked
world has one; every school URL (read from the URLconf) is walked as each persona, whole and as
an htmx fragment, and every back-office list and change page as publisher staff. The log of
the whole run is read by tests/conftest.py at its end; here the records of this walk are also
read for the bare hex part of the ECK iDs it handed out."""

from __future__ import annotations

import contextlib
import logging
import secrets

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from licenses import actions
from roster.models import Pupil, Staff
from tests.factories import BACK_OFFICE_PASSWORD, give_eckid, login_as, totp_now
from tests.run_log import RUN_LOG, eckid_hits
from tests.school_urls import POST_ONLY, school_scoped_patterns, url_for

pytestmark = pytest.mark.django_db
PERSONAS = ["coordinator_a", "teacher_a", "coordinator_ab", "coordinator_c"]


@pytest.fixture
def eckids(world, school_objects) -> set[str]:
    """Every pupil and staff member gets an ECK iD of the sector's form."""
    given = set()
    for person in [*Pupil.objects.all(), *Staff.objects.all()]:
        eckid = f"https://ketenid.nl/201703/{secrets.token_hex(16)}"
        give_eckid(person, eckid)
        given.add(eckid)
    return given


@pytest.fixture
def log_of_this_test():
    start = RUN_LOG.stat().st_size if RUN_LOG.exists() else 0

    def read() -> str:
        with RUN_LOG.open(encoding="utf-8") as log:
            log.seek(start)
            return log.read()

    return read


def body(response) -> str:
    """A page's text, or a download's (streamed: the licence-usage CSV and xlsx)."""
    data = b"".join(response.streaming_content) if response.streaming else response.content
    return data.decode(errors="replace")


def assert_no_eckid(text: str, eckids: set[str], where: str) -> None:
    hits = eckid_hits(text, eckids)
    assert not hits, (where, hits[:3])


def test_no_school_page_or_fragment_shows_one(world, school_objects, eckids, log_of_this_test):
    # Something to show in the audit log and on the licence pages: a coordinator's change.
    objects = school_objects["a"]
    actions.link_groups(
        school=world.school_a,
        licence_id=objects["group_licence"].pk,
        group_ids=[objects["group"].pk],
        actor=None,
    )
    walked = 0
    for persona in PERSONAS:
        client = login_as(Client(), getattr(world, persona))
        for path in ("/", "/scholen/", "/help/"):
            assert_no_eckid(body(client.get(path)), eckids, (persona, path))
        for name in school_scoped_patterns():
            if name in POST_ONLY:
                continue
            for key in ("a", "b", "c"):
                url = url_for(name, getattr(world, f"school_{key}"), school_objects[key])
                for headers in ({}, {"HX-Request": "true"}):
                    response = client.get(url, headers=headers)
                    assert_no_eckid(body(response), eckids, (persona, url, headers))
                    walked += 1
    assert walked > 100
    for event in AuditEvent.objects.all():
        assert_no_eckid(repr(event.__dict__), eckids, "audit entry")
    assert_no_eckid(log_of_this_test(), eckids, "log records of this walk")


def test_no_back_office_page_shows_one(world, school_objects, eckids, log_of_this_test):
    user = get_user_model().objects.create_superuser("uitgever", "u@example.org", BACK_OFFICE_PASSWORD)
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    staff_member = Client()
    logged_in = staff_member.post(
        "/admin/login/",
        {
            "username": "uitgever",
            "password": BACK_OFFICE_PASSWORD,
            "otp_device": device.persistent_id,
            "otp_token": totp_now(device),
        },
    )
    assert logged_in.status_code == 302
    walked = 0
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        pages = [reverse("admin:{}_{}_changelist".format(*info))]
        first = model.objects.order_by("pk").first()
        if first is not None:
            with contextlib.suppress(NoReverseMatch):
                pages.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
        for page in pages:
            response = staff_member.get(page)
            assert response.status_code in (200, 302, 403), (page, response.status_code)
            assert_no_eckid(body(response), eckids, page)
            walked += 1
    # The pupils' and staff's own pages, where the columns live.
    for model in (Pupil, Staff):
        for person in model.objects.all()[:5]:
            page = reverse(f"admin:roster_{model._meta.model_name}_change", args=[person.pk])
            response = staff_member.get(page)
            assert response.status_code == 200, page
            assert_no_eckid(body(response), eckids, page)
    assert walked > 20
    assert_no_eckid(log_of_this_test(), eckids, "log records of this walk")


def test_the_run_log_sees_every_record():
    # The file the end of the run reads gets records whatever the level of handlers or capture.
    marker = f"bingel-run-log-check-{secrets.token_hex(4)}"
    logging.getLogger("roster.importer").warning("school %s", marker)
    assert marker in RUN_LOG.read_text(encoding="utf-8")
    assert eckid_hits("x https://ketenid.nl/201703/ab12 y") and not eckid_hits("request 9f8e7d6c")
