"""Pages outside any school: log in, log out, choose a school, help."""

from __future__ import annotations

import hmac
import ipaddress
import logging
from urllib.parse import urlencode

import redis
import requests
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from bingel_admin.http_hygiene import PORTAL_MARK, from_portal
from integrations import entree
from integrations.sso import ID_TOKEN_SESSION_KEY, PROVIDER_ID, BasispoortOAuth2Adapter
from portal.cards import school_cards
from roster.access import (
    BASISPOORT_ID_SESSION_KEY,
    MY_SCHOOLS_MINIMUM,
    basispoort_id_of,
    coordinated_schools_for_request,
    school_for_request,
    schools_for_request,
)

logger = logging.getLogger(__name__)


def _safe_next(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


@login_not_required
@require_GET
def login_page(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and basispoort_id_of(request) is not None:
        return redirect(_safe_next(request) or "home")
    next_url = _safe_next(request)
    # Sent by a portal tile (marked on the way by http_hygiene.LoginRequiredMiddleware): the person
    # is signed in at Basispoort, so the page continues the login at once (static/js/login.js).
    portal = request.GET.get("via") == PORTAL_MARK.split("=")[1] or from_portal(request)
    context = {
        "next": next_url,
        "provider_id": PROVIDER_ID,
        "from_portal": bool(next_url) and portal,
        "entree_enabled": entree.enabled(),
    }
    return render(request, "login.html", context)


@login_not_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Send a person to their school, or let them choose, or explain why there is none."""
    if not request.user.is_authenticated:
        return redirect("login")
    if request.session.get(BASISPOORT_ID_SESSION_KEY) is None:
        return render(request, "not_in_roster.html", {"reason": "no_sso"}, status=403)
    # A sub that is not exactly a roster id names nobody: schools_for_request finds no school.
    schools = schools_for_request(request)
    if not schools:
        # The sign-in's "Je bent nu ingelogd als …" would contradict this page: mark it read
        # (so it is not kept for later) and leave it off the page.
        for _message in messages.get_messages(request):
            pass
        return render(request, "not_in_roster.html", {"reason": "unknown", "hide_messages": True}, status=403)
    if len(schools) == 1:
        return redirect(landing(schools[0]))
    return redirect("choose_school")


# The place to land after choosing a school: a coordinator's work is in Beheer (as the README
# says), a teacher's on the start page.
COORDINATOR_HOME = "beheer_home"
TEACHER_HOME = "school_start"
# School-scoped pages only a coordinator may open all live under this part of the path.
COORDINATOR_PART = "/beheer/"


def landing(school, came_from: str = "") -> str:
    """Where choosing ``school`` (annotated by ``schools_for_request``) takes this person.

    From a page of another school ("Andere school"): the same page at this school, when it is a
    page of the school as a whole (not of one group or link, which the other school does not have)
    and this person may see it there; otherwise Beheer for a coordinator, the start page for a teacher.
    """
    home = reverse(COORDINATOR_HOME if school.coordinates else TEACHER_HOME, args=[school.pk])
    if not came_from.startswith("/school/"):
        return home
    try:
        match = resolve(came_from)
    except Resolver404:
        return home
    if set(match.kwargs) != {"school_id"} or (COORDINATOR_PART in came_from and not school.coordinates):
        return home
    return reverse(match.view_name, kwargs={"school_id": school.pk})


@require_GET
def beheer_by_institution(request: HttpRequest, institution_id: int) -> HttpResponse:
    """Beheer of the school Basispoort knows as ``institution_id``: the portal's tile for a
    coordinator names the school by Basispoort's id, not ours. Only the person's own schools."""
    school = next((s for s in schools_for_request(request) if s.basispoort_id == institution_id), None)
    if school is None:
        raise Http404
    school_for_request(request, school.pk, coordinator=True)  # 404 unless they coordinate it
    return redirect("beheer_home", school_id=school.pk)


@require_GET
def choose_school(request: HttpRequest) -> HttpResponse:
    schools = schools_for_request(request)
    if not schools:
        return redirect("home")
    coordinated = coordinated_schools_for_request(request)
    # The attention count of each school where this person is coordinator, kept with its card of
    # "Mijn scholen" (portal/cards.py).
    counts = {card.school.pk: card.count for card in school_cards(coordinated)}
    came_from = request.GET.get("vanaf", "")
    rows = []
    for school in schools:
        school.landing_url = landing(school, came_from)
        rows.append((school, counts.get(school.pk)))
    return render(
        request, "choose_school.html", {"rows": rows, "has_my_schools": len(coordinated) >= MY_SCHOOLS_MINIMUM}
    )


@login_not_required
@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    id_token = request.session.get(ID_TOKEN_SESSION_KEY)
    was_signed_in = request.user.is_authenticated
    entree_logout = request.session.get(entree.LOGOUT_SESSION_KEY)
    auth_logout(request)
    if was_signed_in:
        # Kept in the new, anonymous session until the login page shows it (also after the
        # round trip through the provider's logout).
        messages.info(request, _("Je bent uitgelogd."))
    if entree_logout:
        # Logged in through Entree: end the session at the identity provider, where it offers that.
        return redirect(entree.logout_redirect(request, entree_logout) or "login")
    if id_token:
        end_session = _provider_end_session_endpoint(request)
        if end_session:
            params = {
                "id_token_hint": id_token,
                "client_id": settings.BASISPOORT_OIDC_CLIENT_ID,
                "post_logout_redirect_uri": request.build_absolute_uri(reverse("home")),
            }
            return redirect(f"{end_session}?{urlencode(params)}")
    return redirect("login")


def _provider_end_session_endpoint(request: HttpRequest) -> str | None:
    try:
        return BasispoortOAuth2Adapter(request, PROVIDER_ID).openid_config.get("end_session_endpoint")
    except (requests.RequestException, ValueError, OAuth2Error) as exc:
        # The local session is gone already; the provider being down must not block logout.
        logger.warning("Provider logout skipped: %s", type(exc).__name__)
        return None


@login_not_required
@require_GET
def help_page(request: HttpRequest) -> HttpResponse:
    # A signed-in person gets a way back to their school(s); nobody else has one.
    return render(request, "help.html", {"own_schools": schools_for_request(request)})


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is up and serving; touches nothing else (used by container health checks)."""
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    """Ready to serve: the database answers and is fully migrated, and the broker answers.

    Anyone gets only 200 or 503; which component failed is for an internal caller only
    (``READYZ_TOKEN`` or ``READYZ_ALLOWED_NETWORKS``), as it tells an attacker what is down.
    """
    checks = {"database": _database_ready(), "migrations": _migrations_applied(), "redis": _redis_ready()}
    ready = all(checks.values())
    status = 200 if ready else 503
    if _internal_caller(request):
        return JsonResponse({"ready": ready, "checks": checks}, status=status)
    return HttpResponse("ok" if ready else "unavailable", content_type="text/plain", status=status)


def _internal_caller(request: HttpRequest) -> bool:
    token = settings.READYZ_TOKEN
    sent = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(peer in ipaddress.ip_network(net, strict=False) for net in settings.READYZ_ALLOWED_NETWORKS)


def _database_ready() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        logger.warning("readyz: database not reachable")
        return False


def _migrations_applied() -> bool:
    try:
        executor = MigrationExecutor(connection)
        return not executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError:
        return False


def _redis_ready() -> bool:
    if not settings.REDIS_URL:
        return True  # the embedded default runs tasks eagerly, without a broker
    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2).ping())
    except redis.RedisError:
        logger.warning("readyz: redis not reachable")
        return False
