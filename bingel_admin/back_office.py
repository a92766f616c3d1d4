"""The publisher's back office (Django admin) behind a password *and* a second factor.

django-otp's admin site lets in only users verified by one of their OTP devices (a TOTP app or
a one-time recovery code); django-axes locks out an account, and separately an address, after
repeated failed logins. Nothing here implements cryptography or counting itself.

One rule counts failures (DEPLOY.md): a wrong password, or the right password with a second-factor
code that did not get in, is one failed login for django-axes. A code is reported to it through
Django's own ``user_login_failed`` signal, which axes already listens to for wrong passwords.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite


class BackOfficeLoginForm(OTPAdminAuthenticationForm):
    """django-otp's admin login form; a code that does not get in counts as a failed login."""

    def clean_otp(self, user) -> None:
        try:
            super().clean_otp(user)
        except ValidationError:
            # Only a code actually tried counts: the password alone is how the form asks for the code.
            if user is not None and self.cleaned_data.get("otp_token"):
                user_login_failed.send(
                    sender=__name__, credentials={"username": user.get_username()}, request=self.request
                )
            raise


class BackOfficeSite(OTPAdminSite):
    """The default admin site, named ``admin`` so that every ``admin:…`` URL name keeps working."""

    site_header = _("Bingel beheer – back office")
    site_title = _("Bingel beheer – back office")
    login_form = BackOfficeLoginForm

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
