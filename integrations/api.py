"""``POST /api/resultaten/``: the pupil application reports results here.

Authenticated by a per-service bearer token (``ServiceToken``), not by a login session, so the
view is exempt from the login requirement and from CSRF (there is no cookie to forge).
Idempotent on each result's own ``id`` (unique per service): posting a result again changes
nothing. One bad item rejects the whole request with a 400 that names every problem, so nothing
is half-stored. Every answer is JSON: ``{"fout": …}`` and, for item problems, ``"fouten": [{"index",
"fout"}]``. A token writes only for the schools it is bound to (or every school, for the
publisher's own app), and only for active pupils; a refusal reads the same whether the school or
pupil does not exist or is not this token's, so it reveals nothing about other schools.

Bounds: body at most ``MAX_BODY_BYTES``, JSON nesting at most ``MAX_DEPTH``, at most
``MAX_RESULTS_PER_REQUEST`` results, score 0..``MAX_SCORE``, afnamedatum from ``FIRST_DATE`` to
tomorrow, texts within their column and free of characters XML 1.0 cannot carry.

Body: ``{"resultaten": [{"id", "school", "leerling", "soort", "toetscode", "toetsnaam",
"leerjaar", "vakgebied", "afnamedatum", "score"}, …]}`` — ``school`` and ``leerling`` are
Basispoort ids, ``soort`` is ``oefenresultaat`` or ``toetsresultaat``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import orjson
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from integrations.actions import IncomingResult, store_results
from integrations.models import ResultKind, ServiceToken
from roster.feed.shape import XML_UNSAFE_RE
from roster.models import Pupil, School

MAX_RESULTS_PER_REQUEST = 1000
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 4  # {"resultaten": [{…}]} is three deep
MAX_SCORE = 1_000_000
FIRST_DATE = dt.date(2000, 1, 1)
MAX_ID = 2**63 - 1  # Basispoort ids are PostgreSQL bigints
ISO_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
# The OpenAPI 3.1 description of this API, kept beside the code and served as it is.
OPENAPI_DOCUMENT = Path(__file__).parent / "openapi" / "resultaten.yaml"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def service_for(request: HttpRequest) -> ServiceToken | None:
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    # Looked up by digest: equal digests only for equal tokens, and no timing leak on the token itself.
    return ServiceToken.objects.filter(token_digest=token_digest(token.strip()), active=True).first()


def _error(status: int, message: str, errors: list | None = None) -> JsonResponse:
    body = {"fout": message}
    if errors:
        body["fouten"] = errors
    return JsonResponse(body, status=status)


def _text(item: dict, name: str, max_length: int, *, required: bool) -> str:
    value = item.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValueError(_("‘%(name)s’ moet tekst zijn.") % {"name": name})
    if XML_UNSAFE_RE.search(value):
        raise ValueError(
            _("‘%(name)s’ bevat een teken dat niet verstuurd kan worden (zoals een stuurteken).") % {"name": name}
        )
    value = value.strip()
    if required and not value:
        raise ValueError(_("‘%(name)s’ ontbreekt.") % {"name": name})
    if len(value) > max_length:
        raise ValueError(_("‘%(name)s’ is langer dan %(max)s tekens.") % {"name": name, "max": max_length})
    return value


def _whole(item: dict, name: str) -> int:
    value = item.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(_("‘%(name)s’ moet een geheel getal zijn.") % {"name": name})
    if abs(value) > MAX_ID:
        raise ValueError(_("‘%(name)s’ is te groot.") % {"name": name})
    return value


def _parse(item) -> dict:
    if not isinstance(item, dict):
        raise ValueError(_("Elk resultaat is een object."))
    parsed = {
        "id": _text(item, "id", 200, required=True),
        "school": _whole(item, "school"),
        "leerling": _whole(item, "leerling"),
        "soort": _text(item, "soort", 20, required=True),
        "toetscode": _text(item, "toetscode", 256, required=True),
        "toetsnaam": _text(item, "toetsnaam", 128, required=False),
        "leerjaar": _text(item, "leerjaar", 16, required=False),
        "vakgebied": _text(item, "vakgebied", 100, required=False),
        "score": _whole(item, "score"),
    }
    if parsed["soort"] not in ResultKind.values:
        raise ValueError(_("‘soort’ is ‘oefenresultaat’ of ‘toetsresultaat’."))
    if parsed["score"] < 0:
        raise ValueError(_("‘score’ kan niet negatief zijn."))
    if parsed["score"] > MAX_SCORE:
        raise ValueError(_("‘score’ is hoogstens %(max)s.") % {"max": MAX_SCORE})
    try:
        day = _text(item, "afnamedatum", 10, required=True)
        if not ISO_DATE_RE.match(day):  # date.fromisoformat alone also takes 20261129
            raise ValueError(day)
        parsed["afnamedatum"] = dt.date.fromisoformat(day)
    except ValueError:
        raise ValueError(_("‘afnamedatum’ is een datum als 2026-11-29.")) from None
    latest = timezone.localdate() + dt.timedelta(days=1)
    if not FIRST_DATE <= parsed["afnamedatum"] <= latest:
        raise ValueError(
            _("‘afnamedatum’ ligt tussen %(first)s en %(last)s.")
            % {"first": FIRST_DATE.isoformat(), "last": latest.isoformat()}
        )
    return parsed


def _depth(value, limit: int) -> int:
    """How deep ``value`` nests, counting no further than ``limit + 1``."""
    if limit < 0 or not isinstance(value, dict | list):
        return 0
    children = value.values() if isinstance(value, dict) else value
    return 1 + max((_depth(child, limit - 1) for child in children), default=0)


def _refused(index: int) -> dict:
    # The same words whether the school or pupil is unknown, not this token's, or no longer active.
    return {"index": index, "fout": _("Deze leerling en school zijn onbekend voor deze dienst.")}


@csrf_exempt
@login_not_required
@require_POST
def results_in(request: HttpRequest) -> JsonResponse:
    service = service_for(request)
    if service is None:
        response = _error(401, _("Geen of een ongeldig diensttoken."))
        response["WWW-Authenticate"] = "Bearer"
        return response
    too_big = _error(413, _("Het verzoek is groter dan %(max)s bytes.") % {"max": MAX_BODY_BYTES})
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return _error(400, _("De inhoud is geen geldige JSON."))
    if length > MAX_BODY_BYTES:
        return too_big
    try:
        body = request.body
    except RequestDataTooBig:
        return too_big
    if len(body) > MAX_BODY_BYTES:
        return too_big
    try:
        # orjson refuses invalid UTF-8, lone surrogates and nesting beyond 1024 levels.
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return _error(400, _("De inhoud is geen geldige JSON."))
    if _depth(payload, MAX_DEPTH) > MAX_DEPTH:
        return _error(400, _("De inhoud is dieper genest dan een lijst ‘resultaten’ met objecten."))
    items = payload.get("resultaten") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not items:
        return _error(400, _("Stuur een object met een niet-lege lijst ‘resultaten’."))
    if len(items) > MAX_RESULTS_PER_REQUEST:
        return _error(400, _("Stuur hoogstens %(max)s resultaten per verzoek.") % {"max": MAX_RESULTS_PER_REQUEST})

    errors, parsed = [], []
    for index, item in enumerate(items):
        try:
            parsed.append((index, _parse(item)))
        except ValueError as exc:
            errors.append({"index": index, "fout": str(exc)})
    allowed = School.objects.filter(basispoort_id__in={p["school"] for _i, p in parsed})
    if not service.all_schools:
        allowed = allowed.filter(pk__in=service.schools.values("pk"))
    schools = {s.basispoort_id: s for s in allowed}
    rows = Pupil.objects.filter(
        school__in=list(schools.values()), active=True, basispoort_id__in={p["leerling"] for _i, p in parsed}
    ).values_list("school__basispoort_id", "basispoort_id", "pk")
    pupils = {(school_bp, pupil_bp): pk for school_bp, pupil_bp, pk in rows}
    incoming = []
    for index, p in parsed:
        school = schools.get(p["school"])
        pupil_id = pupils.get((p["school"], p["leerling"]))
        if school is None or pupil_id is None:
            errors.append(_refused(index))
            continue
        incoming.append(
            IncomingResult(
                external_id=p["id"],
                school=school,
                pupil_id=pupil_id,
                kind=p["soort"],
                toetscode=p["toetscode"],
                toetsnaam=p["toetsnaam"],
                leerjaar=p["leerjaar"],
                vakgebied=p["vakgebied"],
                afnamedatum=p["afnamedatum"],
                score=p["score"],
            )
        )
    if errors:
        errors.sort(key=lambda e: e["index"])
        return _error(400, _("Er is niets opgeslagen: verbeter de genoemde resultaten."), errors)
    report = store_results(service, incoming)
    return JsonResponse({"opgeslagen": report.created, "al_ontvangen": report.duplicates})


@login_not_required
@require_GET
def openapi_document(request: HttpRequest) -> HttpResponse:
    """``GET /api/openapi.yaml``: the OpenAPI description of the results API, for partners."""
    return HttpResponse(OPENAPI_DOCUMENT.read_bytes(), content_type="application/yaml; charset=utf-8")
