"""Addresses in many schools' Beheer at the cost of one ``reverse`` per page.

"Mijn scholen" links to some three hundred places in forty schools' Beheer, and Django's
``reverse`` costs tens of microseconds each time (it matches the result against the URL pattern):
together more than the rest of the page's rendering. The addresses differ only in the school's
id, so each URL name is reversed once with a stand-in id, and each school's id is put in its place.
"""

from __future__ import annotations

from django.urls import reverse

# Larger than any school's id (a 32-bit serial); appears nowhere else in an address.
_STAND_IN = 2_147_483_647


class SchoolUrls:
    """``urls("beheer_home", school_id)`` is ``reverse("beheer_home", args=[school_id])``;
    further arguments (``urls("school_usage", school_id, "csv")``) follow the school's id.
    Made per request: the address includes the request's script prefix."""

    def __init__(self) -> None:
        self._patterns: dict[tuple, str] = {}

    def __call__(self, name: str, school_id: int, *args: object) -> str:
        key = (name, *args)
        pattern = self._patterns.get(key)
        if pattern is None:
            pattern = self._patterns[key] = reverse(name, args=[_STAND_IN, *args])
        return pattern.replace(str(_STAND_IN), str(school_id), 1)
