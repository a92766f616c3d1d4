"""The publisher's back office (Django admin) behind a password *and* a second factor.

django-otp's admin site lets in only users verified by one of their OTP devices (a TOTP app or
a one-time recovery code); django-axes locks out an account, and separately an address, after
repeated wrong passwords. Nothing here implements cryptography or counting itself.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite


class BackOfficeSite(OTPAdminSite):
    """The default admin site, named ``admin`` so that every ``admin:…`` URL name keeps working."""

    site_header = _("Bingel beheer – back office")
    site_title = _("Bingel beheer – back office")

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)


def client_ip(request: HttpRequest) -> str | None:
    """The address django-axes counts failed logins against.

    Behind ``TRUSTED_PROXY_COUNT`` proxies the client is that many entries from the right of
    ``X-Forwarded-For`` (what the proxies appended themselves); anything further left is
    whatever the client claimed and is not trusted. Without proxies it is the peer address.
    """
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if count and len(forwarded) >= count:
        return forwarded[-count]
    return request.META.get("REMOTE_ADDR")
