"""Refuse requests whose query string, path or form holds characters no page can use.

PostgreSQL cannot store or compare text with a NUL byte, and the other C0 control characters,
lone surrogates and U+FFFE/U+FFFF cannot travel in XML either: a request carrying them gets a
400 with a Dutch explanation here, before any view or query sees it.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _

from roster.feed.shape import XML_UNSAFE_RE


def _unsafe(request: HttpRequest) -> bool:
    if XML_UNSAFE_RE.search(request.path):
        return True
    sources = [request.GET]
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        sources.append(request.POST)
    return any(
        XML_UNSAFE_RE.search(key) or XML_UNSAFE_RE.search(value)
        for data in sources
        for key, values in data.lists()
        for value in values
    )


class InvalidCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _unsafe(request):
            message = _("Je invoer bevat een teken dat niet is toegestaan (zoals een stuurteken). Pas de invoer aan.")
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
