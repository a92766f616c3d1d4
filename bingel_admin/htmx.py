"""htmx partials that honour history (STYLE 17, the django-htmx docs' own pattern).

A view that answers htmx with a fragment answers htmx's history-restore request — sent when the
user goes Back and the page is not in htmx's history cache — with the full page, since htmx swaps
that answer in as the whole body; and every answer varies on ``HX-Request``, so no cache ever hands
a fragment to a plain page load or the reverse. Every htmx view uses ``fragment_or_page``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers


def wants_fragment(request: HttpRequest) -> bool:
    """htmx asks for the fragment; a history restore and a plain load get the whole page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def fragment_or_page(
    request: HttpRequest, fragment: Callable[[], HttpResponse], page: Callable[[], HttpResponse]
) -> HttpResponse:
    response = fragment() if wants_fragment(request) else page()
    patch_vary_headers(response, ("HX-Request",))
    return response
