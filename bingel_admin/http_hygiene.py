"""What browsers and proxies may keep of our pages, and which requests get a session row."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control


class NoStoreMiddleware:
    """Pages with children's data must not be kept by a browser's cache or a shared proxy.

    Every school-scoped response (full page or htmx partial, any status) and every response to a
    signed-in person gets ``Cache-Control: no-store, private`` (with Django's never-cache
    headers), so "Back" after logging out and a shared computer's cache show nothing.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        school_scoped = match is not None and "school_id" in match.kwargs
        user = getattr(request, "user", None)
        if school_scoped or (user is not None and user.is_authenticated):
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        return response


class BoundedSessionMiddleware:
    """Keep sessions of people who are not logged in short-lived.

    Django writes a session row only when something is stored in it; for an anonymous visitor
    that is only the single sign-on state of a login that was started. Such a session expires
    after ``LOGIN_STATE_SESSION_SECONDS`` instead of the full working day, so login attempts that
    are never finished leave rows the nightly ``clearsessions`` removes soon. Once logged in, the
    session gets the normal ``SESSION_COOKIE_AGE`` again. Placed after the session and
    authentication middleware, so this runs before the session is saved.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is None or user is None:
            return response
        if user.is_authenticated:
            if session.get("_session_expiry") is not None:
                session.set_expiry(None)
        elif session.modified and not session.is_empty():
            session.set_expiry(settings.LOGIN_STATE_SESSION_SECONDS)
        return response


PORTAL_MARK = "via=portaal"


def from_portal(request: HttpRequest) -> bool:
    """Did a tile of the Basispoort portal send this person here (the browser names its origin)?"""
    referer = urlsplit(request.headers.get("referer", ""))
    return f"{referer.scheme}://{referer.netloc}" in settings.BASISPOORT_PORTAL_ORIGINS


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    """Django's, and a page a portal tile opened keeps that fact on its way to the login page:
    the browser drops the portal's origin on our redirect (``Referrer-Policy: same-origin``),
    and the login page continues at once for someone the portal has just signed in."""

    def handle_no_permission(self, request, view_func):
        response = super().handle_no_permission(request, view_func)
        if from_portal(request):
            response["Location"] += ("&" if "?" in response["Location"] else "?") + PORTAL_MARK
        return response
