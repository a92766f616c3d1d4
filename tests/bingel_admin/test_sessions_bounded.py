"""Sessions are bounded: anonymous visits write no session rows, a login that was started but
never finished leaves a short-lived one, and a nightly beat task deletes expired rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from bingel_admin.celery import app as celery_app
from demo.world import DEMO_TEACHER
from tests.factories import BACK_OFFICE_PASSWORD


@pytest.mark.django_db
def test_anonymous_visits_write_no_session_rows(world):
    get_user_model().objects.create_superuser("uitgever", "u@example.org", BACK_OFFICE_PASSWORD)
    client = Client()
    school_url = f"/school/{world.school_a.pk}/beheer/leerlingen/"
    for url in ("/", "/inloggen/", "/inloggen/?next=/scholen/", "/help/", "/healthz", "/readyz", "/admin/", school_url):
        assert client.get(url).status_code in (200, 302), url
    client.get("/admin/login/")
    client.post("/admin/login/", {"username": "uitgever", "password": "fout", "otp_token": "123456"})
    client.post("/admin/login/", {"username": "uitgever", "password": BACK_OFFICE_PASSWORD})
    client.post("/taal/", {"language": "en", "next": "/help/"})
    client.post("/uitloggen/")
    client.post("/accounts/oidc/onbekend/login/")
    assert Session.objects.count() == 0


def expires_in(session_key: str) -> dt.timedelta:
    return Session.objects.get(session_key=session_key).expire_date - timezone.now()


def test_a_started_login_lives_briefly_and_a_finished_one_a_working_day(sso):
    redirect = sso.start_login()
    started = sso.session.cookies["sessionid"]
    assert Session.objects.count() == 1
    assert expires_in(started) <= dt.timedelta(seconds=django_settings.LOGIN_STATE_SESSION_SECONDS)
    back = sso.authorize(redirect.headers["Location"], DEMO_TEACHER.basispoort_id)
    landing = sso.follow(sso.get(back.headers["Location"]))
    assert landing.status_code == 200
    logged_in = sso.session.cookies["sessionid"]
    assert logged_in != started
    assert expires_in(logged_in) > dt.timedelta(seconds=django_settings.SESSION_COOKIE_AGE - 300)
    assert not Session.objects.filter(session_key=started).exists()


@pytest.mark.django_db
def test_the_nightly_task_deletes_expired_sessions_only():
    expired, current = SessionStore(), SessionStore()
    expired["x"] = current["x"] = 1
    expired.save()
    current.save()
    Session.objects.filter(session_key=expired.session_key).update(expire_date=timezone.now() - dt.timedelta(days=1))
    celery_app.loader.import_default_modules()
    celery_app.tasks["bingel_admin.tasks.clear_expired_sessions"].apply().get()
    assert list(Session.objects.values_list("session_key", flat=True)) == [current.session_key]


def test_the_task_is_on_the_nightly_beat_schedule():
    celery_app.loader.import_default_modules()
    entries = [e for e in django_settings.CELERY_BEAT_SCHEDULE.values() if e["task"].endswith("clear_expired_sessions")]
    assert len(entries) == 1
    assert entries[0]["task"] in celery_app.tasks
    schedule = entries[0]["schedule"]
    assert schedule.hour == {3} and schedule.minute == {0}
