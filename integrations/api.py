"""``POST /api/resultaten/``: the pupil application reports results here.

Authenticated by a per-service bearer token (``ServiceToken``), not by a login session, so the
view is exempt from the login requirement and from CSRF (there is no cookie to forge).
Idempotent on each result's own ``id``: posting a result again changes nothing. One bad item
rejects the whole request with a 400 that names every problem, so nothing is half-stored.

Body: ``{"resultaten": [{"id", "school", "leerling", "soort", "toetscode", "toetsnaam",
"leerjaar", "vakgebied", "afnamedatum", "score"}, …]}`` — ``school`` and ``leerling`` are
Basispoort ids, ``soort`` is ``oefenresultaat`` or ``toetsresultaat``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations.actions import IncomingResult, store_results
from integrations.models import ResultKind, ServiceToken
from roster.models import Pupil, School

MAX_RESULTS_PER_REQUEST = 1000


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
    try:
        parsed["afnamedatum"] = dt.date.fromisoformat(_text(item, "afnamedatum", 10, required=True))
    except ValueError:
        raise ValueError(_("‘afnamedatum’ is een datum als 2026-11-29.")) from None
    return parsed


@csrf_exempt
@login_not_required
@require_POST
def results_in(request: HttpRequest) -> JsonResponse:
    service = service_for(request)
    if service is None:
        response = _error(401, _("Geen of een ongeldig diensttoken."))
        response["WWW-Authenticate"] = "Bearer"
        return response
    try:
        payload = json.loads(request.body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _error(400, _("De inhoud is geen geldige JSON."))
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
    schools = {s.basispoort_id: s for s in School.objects.filter(basispoort_id__in={p["school"] for _i, p in parsed})}
    rows = Pupil.objects.filter(
        school__basispoort_id__in=schools, basispoort_id__in={p["leerling"] for _i, p in parsed}
    ).values_list("school__basispoort_id", "basispoort_id", "pk")
    pupils = {(school_bp, pupil_bp): pk for school_bp, pupil_bp, pk in rows}
    incoming = []
    for index, p in parsed:
        school = schools.get(p["school"])
        pupil_id = pupils.get((p["school"], p["leerling"]))
        if school is None:
            errors.append({"index": index, "fout": _("School %(id)s is onbekend.") % {"id": p["school"]}})
            continue
        if pupil_id is None:
            errors.append(
                {"index": index, "fout": _("Leerling %(id)s staat niet bij deze school.") % {"id": p["leerling"]}}
            )
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
