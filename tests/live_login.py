"""Sign a Playwright browser in the way single sign-on leaves a person: a session with a user
and their Basispoort id, made by a test client and handed over as the session cookie."""

from __future__ import annotations

from django.conf import settings
from django.test import Client

from roster.models import Staff
from tests.factories import login_as


def log_in_browser(page, live_server, basispoort_id: int) -> None:
    client = login_as(Client(), Staff.objects.get(basispoort_id=basispoort_id))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
