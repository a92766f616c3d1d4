"""Login via Entree Federatie (SAML 2.0), linked once to the person's Basispoort account.

django-allauth's SAML provider (``allauth.socialaccount.providers.saml``, python3-saml on xmlsec)
carries the protocol; this module adds what Entree and children's data ask for, as
``integrations/sso.py`` does for OpenID Connect:

- Every AuthnRequest is signed; an assertion must be signed with SHA-256 or stronger (SHA-1 is
  refused), and the response must name our ACS URL as its Destination and Recipient, our entity
  id as its audience, and a request we sent in this browser session as InResponseTo (each
  request answers once). Responses nobody asked for (IdP-initiated login) are refused.
- Validity windows are checked with ``ENTREE_CLOCK_SKEW_SECONDS`` (60 s by default) of skew.
- An assertion id is accepted once: it is kept in Redis until the assertion expires.
- Rights never come from Entree. An Entree ``uid`` is only a handle that points at an account keyed
  on its Basispoort ``sub`` (an allauth ``SocialAccount`` with provider ``entree``); the first time
  a ``uid`` arrives the person logs in with Basispoort once, and the link is made when the Entree
  school is one where that person has an appointment today.

Any refusal shows "Inloggen via Entree is niet gelukt" (400) and changes nothing.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import redis
from allauth.core.internal import httpkit
from allauth.socialaccount.models import SocialAccount
from allauth.socialaccount.providers.saml.provider import SAMLProvider
from allauth.socialaccount.providers.saml.utils import fetch_metadata_url_config
from allauth.socialaccount.providers.saml.utils import prepare_django_request as prepare_django_request_base
from allauth.socialaccount.sessions import LoginSession
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings

from integrations import actions
from integrations.sso import PERSON_NAME_SESSION_KEY
from roster.access import (
    BASISPOORT_ID_SESSION_KEY,
    SSO_PROVIDER_ID,
    canonical_basispoort_id,
    current_appointments,
    entree_schools,
)
from roster.models import School, Staff

logger = logging.getLogger(__name__)

PROVIDER_ID = actions.ENTREE_PROVIDER  # SocialAccount.provider of a linked Entree identity
APP_SLUG = "entree"  # the SAML app's client id, part of our SAML URLs
# AuthnRequests sent from this browser session and not yet answered: {request id: next URL}.
REQUESTS_SESSION_KEY = "entree_requests"
MAX_OPEN_REQUESTS = 5
# The Entree identity that waits for a Basispoort login to be linked (uid, school ids, deadline).
PENDING_SESSION_KEY = "entree_pending"
PENDING_SECONDS = 15 * 60
# What single logout at the identity provider needs, kept from the login.
LOGOUT_SESSION_KEY = "entree_logout"
# Entree's attribute names (released by name, not by OID).
UID = "uid"
AFFILIATION = "eduPersonAffiliation"
BRIN = "nlEduPersonHomeOrganizationId"
BRANCH = "nlEduPersonHomeOrganizationBranchId"
MAX_UID_LENGTH = 191  # allauth's SocialAccount.uid column
REPLAY_KEY_PREFIX = "entree:assertion:"
# python3-saml allows 300 s of drift on the Conditions window; ours is the documented setting.
OneLogin_Saml2_Constants.ALLOWED_CLOCK_DRIFT = settings.ENTREE_CLOCK_SKEW_SECONDS
# Signature and digest algorithms we accept: SHA-256 and stronger.
STRONG_SIGNATURES = {
    OneLogin_Saml2_Constants.RSA_SHA256,
    OneLogin_Saml2_Constants.RSA_SHA384,
    OneLogin_Saml2_Constants.RSA_SHA512,
}


class Refused(Exception):
    """The identity provider's answer is not one we accept; the reason goes to the log only."""


class EntreeProvider(SAMLProvider):
    """allauth's SAML provider under the name the linked accounts carry; no e-mail, ever."""

    # allauth builds URL patterns from the provider's package; ours are in bingel_admin.urls.
    package = "allauth.socialaccount.providers.saml"

    def extract_common_fields(self, data):
        return {}

    def extract_email_addresses(self, data):
        return []


# --- Configuration ------------------------------------------------------------------------------


def enabled() -> bool:
    return bool(settings.ENTREE_ENABLED)


def _app_settings() -> dict:
    return settings.SOCIALACCOUNT_PROVIDERS["saml"]["APPS"][0]["settings"]


def idp_config() -> dict:
    """The identity provider's part of python3-saml's settings, from the federation's metadata."""
    idp = _app_settings()["idp"]
    if idp.get("metadata_file"):
        key = f"entree:metadata-file:{idp['metadata_file']}:{idp['entity_id']}"
        parsed = cache.get(key)
        if parsed is None:
            xml = Path(idp["metadata_file"]).read_text(encoding="utf-8")
            parsed = OneLogin_Saml2_IdPMetadataParser.parse(xml, entity_id=idp["entity_id"])
            cache.set(key, parsed, idp.get("metadata_cache_timeout", 3600))
    else:
        parsed = fetch_metadata_url_config(idp)
    config = parsed.get("idp") or {}
    if config.get("entityId") != idp["entity_id"] or not config.get("singleSignOnService", {}).get("url"):
        raise Refused("The federation metadata does not describe the configured identity provider.")
    return config


def saml_settings(request: HttpRequest, *, sp_only: bool = False) -> OneLogin_Saml2_Settings:
    app = _app_settings()
    advanced = app["advanced"]
    sp = {
        "entityId": app["sp"]["entity_id"],
        "assertionConsumerService": {
            "url": request.build_absolute_uri(reverse("entree_acs")),
            "binding": OneLogin_Saml2_Constants.BINDING_HTTP_POST,
        },
        "singleLogoutService": {
            "url": request.build_absolute_uri(reverse("entree_sls")),
            "binding": OneLogin_Saml2_Constants.BINDING_HTTP_REDIRECT,
        },
        "NameIDFormat": OneLogin_Saml2_Constants.NAMEID_TRANSIENT,
        "x509cert": advanced["x509cert"],
        "privateKey": advanced["private_key"],
    }
    if advanced.get("x509cert_new"):
        sp["x509certNew"] = advanced["x509cert_new"]
    config = {
        "strict": True,
        "debug": False,
        "sp": sp,
        "security": {
            "authnRequestsSigned": True,
            "logoutRequestSigned": True,
            "logoutResponseSigned": True,
            "wantAssertionsSigned": True,
            "wantMessagesSigned": False,  # Entree signs the assertion; a signed response is welcome
            "wantAssertionsEncrypted": False,
            "wantNameId": False,
            "wantAttributeStatement": True,
            "requestedAuthnContext": False,
            "rejectDeprecatedAlgorithm": True,  # SHA-1 signatures and digests are refused
            "signatureAlgorithm": OneLogin_Saml2_Constants.RSA_SHA256,
            "digestAlgorithm": OneLogin_Saml2_Constants.SHA256,
            "allowRepeatAttributeName": True,
            # Our own URLs, from our own host names (ALLOWED_HOSTS); "localhost" in development.
            "allowSingleLabelDomains": True,
        },
    }
    if not sp_only:
        config["idp"] = idp_config()
    return OneLogin_Saml2_Settings(config, sp_validation_only=sp_only)


def idp_origins() -> list[str]:
    """Origins of the identity provider's login and logout pages (for CSP form-action)."""
    try:
        config = idp_config()
    except Exception:
        return []
    urls = [config.get("singleSignOnService", {}).get("url"), config.get("singleLogoutService", {}).get("url")]
    return sorted({"{0.scheme}://{0.netloc}".format(urlsplit(url)) for url in urls if url})


# --- Checks the library leaves to us -------------------------------------------------------------


def request_data(request: HttpRequest) -> dict:
    """allauth's view of the request for python3-saml, with the host Django validated."""
    data = prepare_django_request_base(request) if "HTTP_HOST" in request.META else None
    if data is None:
        data = {
            "https": "on" if request.is_secure() else "off",
            "script_name": request.META.get("SCRIPT_NAME"),
            "path_info": request.META["PATH_INFO"],
            "get_data": request.GET.copy(),
            "post_data": request.POST.copy(),
        }
    data["http_host"] = request.get_host()
    return data


def _checked_algorithms(response: OneLogin_Saml2_Response) -> None:
    for method in response.document.iter("{http://www.w3.org/2000/09/xmldsig#}SignatureMethod"):
        if method.get("Algorithm") not in STRONG_SIGNATURES:
            raise Refused(f"Signature algorithm {method.get('Algorithm')!r} is not accepted.")


def _checked_addressing(response: OneLogin_Saml2_Response, acs_url: str, sp_entity_id: str) -> None:
    """Destination, Recipient and audience must be present and exactly ours (the library lets
    a missing one pass and compares the Destination by prefix)."""
    if response.document.get("Destination") != acs_url:
        raise Refused("The response names another Destination.")
    if response.get_audiences() != [sp_entity_id]:
        raise Refused("The assertion is meant for another audience.")
    confirmations = response._query_assertion("/saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData")
    if not confirmations or any(node.get("Recipient") != acs_url for node in confirmations):
        raise Refused("The assertion names another Recipient.")


def _replay_store():
    return redis.Redis.from_url(settings.REDIS_URL) if settings.REDIS_URL else None


def accept_once(assertion_id: str, not_on_or_after: float) -> bool:
    """True the first time an assertion id is seen; kept until the assertion has expired."""
    ttl = max(1, int(not_on_or_after - time.time()) + settings.ENTREE_CLOCK_SKEW_SECONDS + 1)
    key = REPLAY_KEY_PREFIX + hashlib.sha256(assertion_id.encode()).hexdigest()
    store = _replay_store()
    if store is None:  # the local demo without Redis: one process, its own memory
        return cache.add(key, 1, ttl)
    return bool(store.set(key, 1, nx=True, ex=ttl))


@dataclass(frozen=True)
class EntreeIdentity:
    uid: str
    affiliations: frozenset[str]
    brin: str
    branch: str
    name_id: str | None
    name_id_format: str | None
    session_index: str | None


def _single(attributes: dict, name: str) -> str:
    values = attributes.get(name) or []
    return values[0].strip() if len(values) == 1 and isinstance(values[0], str) else ""


def verified_identity(request: HttpRequest, posted: dict[str, str]) -> tuple[EntreeIdentity, str]:
    """The Entree identity of a posted SAMLResponse, and the next URL of the request it answers."""
    saml_response = posted.get("SAMLResponse") or ""
    if not saml_response:
        raise Refused("No SAMLResponse was posted.")
    config = saml_settings(request)
    try:
        response = OneLogin_Saml2_Response(config, saml_response)
    except Exception as exc:  # not base64, not XML, not a Response: whatever the library raises
        raise Refused(f"The response cannot be read ({type(exc).__name__}).") from exc
    in_response_to = response.document.get("InResponseTo")
    open_requests = request.session.get(REQUESTS_SESSION_KEY) or {}
    if not in_response_to:
        raise Refused("Unsolicited response (IdP-initiated login) refused.")
    if in_response_to not in open_requests:
        raise Refused("The response answers a request this session did not send (or answered already).")
    next_url = open_requests.pop(in_response_to)
    request.session[REQUESTS_SESSION_KEY] = open_requests  # each request is answered once
    acs_url = config.get_sp_data()["assertionConsumerService"]["url"]
    data = request_data(request)
    data["path_info"] = reverse("entree_acs")
    try:
        response.is_valid(data, request_id=in_response_to, raise_exceptions=True)
    except Exception as exc:  # is_valid re-raises whatever went wrong inside (xmlsec, lxml): never a 500
        raise Refused(f"The response is not valid: {exc}") from exc
    _checked_algorithms(response)
    _checked_addressing(response, acs_url, config.get_sp_data()["entityId"])
    assertion_id = response.get_assertion_id()
    expires = response.get_assertion_not_on_or_after()
    if not assertion_id or not expires:
        raise Refused("The assertion has no id or no end of validity.")
    if not accept_once(assertion_id, expires):
        raise Refused("This assertion was used before (replay).")
    attributes = response.get_attributes()
    uid = _single(attributes, UID)
    if not uid or len(uid) > MAX_UID_LENGTH:
        raise Refused("The assertion carries no usable uid.")
    identity = EntreeIdentity(
        uid=uid,
        affiliations=frozenset(v.strip().lower() for v in attributes.get(AFFILIATION) or [] if isinstance(v, str)),
        brin=_single(attributes, BRIN).upper(),
        branch=_single(attributes, BRANCH).upper(),
        name_id=response.get_nameid() if response.get_nameid_data() else None,
        name_id_format=response.get_nameid_format() if response.get_nameid_data() else None,
        session_index=response.get_session_index(),
    )
    return identity, next_url


# --- Who the identity is --------------------------------------------------------------------------


def _basispoort_sub(user) -> str | None:
    return (
        SocialAccount.objects.filter(user=user, provider=SSO_PROVIDER_ID).order_by("pk").values_list("uid", flat=True)
    ).first()


def _schools_with_appointment(sub: str | None, identity_schools: list[School]) -> list[School]:
    bp_id = canonical_basispoort_id(sub)
    if bp_id is None or not identity_schools:
        return []
    at = set(current_appointments(bp_id).filter(school__in=identity_schools).values_list("school_id", flat=True))
    return [school for school in identity_schools if school.pk in at]


def _explain(request: HttpRequest, reason: str, status: int = 403) -> HttpResponse:
    request.session.pop(PENDING_SESSION_KEY, None)
    return render(request, "socialaccount/entree_explained.html", {"reason": reason}, status=status)


def _refused(request: HttpRequest) -> HttpResponse:
    return render(request, "socialaccount/entree_error.html", status=400)


def _log_in(request: HttpRequest, user, sub: str, identity: EntreeIdentity | None) -> None:
    auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[BASISPOORT_ID_SESSION_KEY] = sub
    bp_id = canonical_basispoort_id(sub)
    staff = Staff.objects.filter(basispoort_id=bp_id).first() if bp_id is not None else None
    request.session[PERSON_NAME_SESSION_KEY] = staff.full_name if staff else ""
    if identity is not None and identity.name_id:
        request.session[LOGOUT_SESSION_KEY] = {
            "name_id": identity.name_id,
            "name_id_format": identity.name_id_format,
            "session_index": identity.session_index,
        }


# --- Views ----------------------------------------------------------------------------------------


def _require_enabled() -> None:
    if not enabled():
        raise Http404


def _safe_next(request: HttpRequest, candidate: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


@login_not_required
@require_POST
def login(request: HttpRequest) -> HttpResponse:
    """Start an Entree login: a signed AuthnRequest, remembered in this session. POST only."""
    _require_enabled()
    try:
        config = saml_settings(request)
        auth = OneLogin_Saml2_Auth(request_data(request), old_settings=config)
        url = auth.login(return_to="")
    except Exception as exc:
        logger.warning(
            "Entree login not started: identity provider unreachable or misconfigured (%s)", type(exc).__name__
        )
        return render(request, "socialaccount/entree_error.html", {"reason": "unreachable"}, status=503)
    open_requests = dict(request.session.get(REQUESTS_SESSION_KEY) or {})
    open_requests[auth.get_last_request_id()] = _safe_next(request, request.POST.get("next", ""))
    request.session[REQUESTS_SESSION_KEY] = dict(list(open_requests.items())[-MAX_OPEN_REQUESTS:])
    return redirect(url)


@csrf_exempt
@login_not_required
@require_POST
def acs(request: HttpRequest) -> HttpResponse:
    """The identity provider posts here from its own site, so our Lax session cookie is absent:
    keep the post in allauth's short-lived login session and continue on our own site."""
    _require_enabled()
    response = redirect("entree_finish")
    acs_session = LoginSession(request, "entree_acs_session", "entree-acs-session")
    acs_session.store.update({"request": httpkit.serialize_request(request)})
    acs_session.save(response)
    return response


@login_not_required
@require_GET
def finish(request: HttpRequest) -> HttpResponse:
    _require_enabled()
    acs_session = LoginSession(request, "entree_acs_session", "entree-acs-session")
    serialized = acs_session.store.get("request")
    acs_session.delete()
    if not serialized:
        logger.warning("Entree login refused: no posted response to finish")
        return _refused(request)
    posted = httpkit.deserialize_request(serialized, HttpRequest()).POST
    try:
        identity, next_url = verified_identity(request, {"SAMLResponse": posted.get("SAMLResponse", "")})
    except Refused as exc:
        logger.warning("Entree login refused: %s", exc)
        return _refused(request)
    if "student" in identity.affiliations:
        return _explain(request, "pupil")
    schools = entree_schools(branch=identity.branch, brin=identity.brin)
    if not schools:
        return _explain(request, "not_served")
    linked = SocialAccount.objects.filter(provider=PROVIDER_ID, uid=identity.uid).select_related("user").first()
    if linked is None:
        request.session[PENDING_SESSION_KEY] = {
            "uid": identity.uid,
            "schools": [school.pk for school in schools],
            "until": time.time() + PENDING_SECONDS,
            "logout": [identity.name_id, identity.name_id_format, identity.session_index],
        }
        return render(request, "socialaccount/entree_link.html", {"school": schools[0]})
    sub = _basispoort_sub(linked.user)
    if not linked.user.is_active or not _schools_with_appointment(sub, schools):
        return _explain(request, "no_appointment")
    _log_in(request, linked.user, sub, identity)
    SocialAccount.objects.filter(pk=linked.pk).update(last_login=timezone.now())
    return redirect(next_url or "home")


@require_GET
def complete_link(request: HttpRequest) -> HttpResponse:
    """Where the Basispoort login of the linking step lands: link when both logins agree."""
    _require_enabled()
    pending = request.session.pop(PENDING_SESSION_KEY, None)
    if not pending or pending.get("until", 0) < time.time():
        return redirect("home")
    sub = request.session.get(BASISPOORT_ID_SESSION_KEY)
    schools = list(School.objects.filter(pk__in=pending["schools"], active=True).order_by("name"))
    matching = _schools_with_appointment(sub, schools)
    if not matching:
        return _explain(request, "no_appointment")
    outcome = actions.link_entree_identity(user=request.user, uid=pending["uid"], school=matching[0])
    if outcome == actions.EntreeLinkOutcome.TAKEN:
        return _explain(request, "taken")
    name_id, name_id_format, session_index = pending.get("logout") or [None, None, None]
    if name_id:
        request.session[LOGOUT_SESSION_KEY] = {
            "name_id": name_id,
            "name_id_format": name_id_format,
            "session_index": session_index,
        }
    messages.success(request, _("Je Entree-account is gekoppeld. Voortaan kun je ook inloggen via Entree."))
    return redirect("home")


@require_http_methods(["GET", "POST"])
def links_page(request: HttpRequest) -> HttpResponse:
    """The person's own Entree links: see them, and remove one."""
    links = SocialAccount.objects.filter(user=request.user, provider=PROVIDER_ID).order_by("date_joined")
    if request.method == "POST":
        try:
            link_id = int(request.POST.get("link", ""))
        except ValueError:
            link_id = 0
        if actions.unlink_entree_identity(user=request.user, link_id=link_id):
            messages.success(request, _("De koppeling met Entree is verwijderd."))
        else:
            messages.info(request, _("Deze koppeling bestond al niet meer."))
        return redirect("entree_links")
    rows = [
        {"pk": link.pk, "since": link.date_joined, "school": (link.extra_data or {}).get("school_name", "")}
        for link in links
    ]
    return render(request, "socialaccount/entree_links.html", {"links": rows})


@login_not_required
@require_GET
def metadata(request: HttpRequest) -> HttpResponse:
    """Our SP metadata, for the federation's registration of this service."""
    _require_enabled()
    config = saml_settings(request, sp_only=True)
    xml = config.get_sp_metadata()
    errors = config.validate_metadata(xml)
    if errors:
        logger.error("Entree SP metadata invalid: %s", ", ".join(errors))
        return HttpResponse(status=500)
    return HttpResponse(xml, content_type="application/samlmetadata+xml")


def logout_redirect(request: HttpRequest, logout_data: dict | None) -> str | None:
    """The identity provider's single-logout URL for this (already ended) Entree session, if any."""
    if not enabled() or not logout_data:
        return None
    try:
        config = saml_settings(request)
        if not config.get_idp_slo_url():
            return None
        auth = OneLogin_Saml2_Auth(request_data(request), old_settings=config)
        return auth.logout(
            return_to=request.build_absolute_uri(reverse("login")),
            name_id=logout_data.get("name_id"),
            name_id_format=logout_data.get("name_id_format"),
            session_index=logout_data.get("session_index"),
        )
    except Exception as exc:
        logger.warning("Entree single logout skipped: %s", type(exc).__name__)
        return None


@csrf_exempt
@login_not_required
@require_GET
def sls(request: HttpRequest) -> HttpResponse:
    """Single logout: the identity provider's answer to ours, or its request to end our session."""
    _require_enabled()
    if "SAMLResponse" not in request.GET and "SAMLRequest" not in request.GET:
        return _refused(request)
    try:
        auth = OneLogin_Saml2_Auth(request_data(request), old_settings=saml_settings(request))
        # Validates the signed message (strict settings); for Entree's LogoutRequest it ends our
        # session and answers with a signed LogoutResponse.
        url = auth.process_slo(delete_session_cb=lambda: auth_logout(request))
        if auth.get_errors():
            raise Refused(f"Single logout message not valid: {auth.get_last_error_reason()}")
        return redirect(url or "login")
    except Exception as exc:
        logger.warning("Entree single logout refused: %s", exc)
    return _refused(request)


class EntreeFormActionMiddleware:
    """Let the login page and, in an Entree session, every page's logout form go to the identity
    provider: CSP form-action also covers the redirect that follows a form's POST."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not enabled() or "text/html" not in response.get("Content-Type", ""):
            return response
        match = getattr(request, "resolver_match", None)
        on_login_page = match is not None and match.url_name == "login"
        in_entree_session = hasattr(request, "session") and LOGOUT_SESSION_KEY in request.session
        if on_login_page or in_entree_session:
            origins = idp_origins()
            if origins:
                response._csp_update = {"form-action": origins}
        return response
