"""A change sent after the session ended (logged out in another tab, the working day over).

Django's ``LoginRequiredMiddleware`` sends every request without a login to the login page with
the request's own address as ``next``. For a form's POST that address is the action, which
answers a GET with 405 after logging in again, and nobody is told the change was not made.
Here such a request gets a message on the login page saying so, and ``next`` is the page the
form was on, so after logging in the coordinator is back where they were and can do it again.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from bingel_admin.http_hygiene import LoginRequiredMiddleware

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class LoginRequiredUnlessLostMiddleware(LoginRequiredMiddleware):
    def handle_no_permission(self, request: HttpRequest, view_func) -> HttpResponse:
        if request.method in SAFE_METHODS:
            return super().handle_no_permission(request, view_func)
        messages.warning(
            request,
            _(
                "Je was uitgelogd. Wat je net deed, is daarom niet uitgevoerd: er is niets veranderd. "
                "Log opnieuw in en doe het nog een keer."
            ),
        )
        return redirect_to_login(
            page_of_action(request),
            self.get_login_url(view_func),
            self.get_redirect_field_name(view_func),
        )


def page_of_action(request: HttpRequest) -> str:
    """The page a form was sent from: the ``Referer`` when it is one of our pages (the policy is
    ``same-origin``), else the nearest address above the action that is a page."""
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        if _is_page(parts.path):
            return parts.path + (f"?{parts.query}" if parts.query else "")
    path = request.path
    while path.count("/") > 1:
        path = path.rstrip("/").rsplit("/", 1)[0] + "/"
        if _is_page(path):
            return path
    return "/"


def _is_page(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True
