"""The school-scoped URLs, read from the URLconf, and how to build each one for a school.

The walks over every school page (access, no-store, the fuzzing of every form, ECK iDs never
shown, the query bound) share these, so a new school-scoped view is walked by all of them once
it says here where its other URL arguments come from.
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver, reverse

# The one query bound every school page stays under, also for a school of 1,200 pupils
# (tests/test_page_query_bounds.py). Beheer home is the largest: overview, warnings, result links,
# last import, new-school-year notice, the other schools for the school switch, session, access.
MAX_QUERIES = 19

# Views that take POST only (GET is 405 for everyone, before any access check) and views that
# take GET only (POST is 405): their access check is walked with the method they do accept.
POST_ONLY = {"licence_link_groups", "held_night_apply", "held_night_discard"}
GET_ONLY = {
    "school_start",
    "school_usage",
    "beheer_home",
    "beheer_gegevens",
    "beheer_groepen",
    "beheer_groep",
    "beheer_coordinatoren",
    "beheer_leerkrachten",
    "beheer_leerlingen",
    "licences_per_group",
    "licences_per_pupil",
    "audit_log",
    "held_night",
    "resultlinks",
    "resultlink_status",
    "group_login_codes",
    "group_login_codes_print",
}

# URL arguments besides school_id, taken from objects of the school being walked (see
# `school_objects`): a view with another argument must be listed here to be walked.
EXTRA_KWARGS = {
    "beheer_groep": lambda o: {"group_id": o["group"].pk},
    "school_usage": lambda o: {"fmt": "csv"},
    "licence_link_groups": lambda o: {"licence_id": o["group_licence"].pk},
    "licence_unlink_group": lambda o: {"licence_id": o["group_licence"].pk, "group_id": o["group"].pk},
    "licence_assign_seat": lambda o: {"licence_id": o["pupil_licence"].pk},
    "licence_release_seat": lambda o: {"licence_id": o["pupil_licence"].pk, "pupil_id": o["pupil"].pk},
    "held_night": lambda o: {"held_night_id": o["held_night"].pk},
    "held_night_apply": lambda o: {"held_night_id": o["held_night"].pk},
    "held_night_discard": lambda o: {"held_night_id": o["held_night"].pk},
    "resultlink_change_key": lambda o: {"link_id": o["result_link"].pk},
    "resultlink_remove": lambda o: {"link_id": o["result_link"].pk},
    "resultlink_status": lambda o: {"link_id": o["result_link"].pk},
    "group_login_codes": lambda o: {"group_id": o["group"].pk},
    "group_login_codes_print": lambda o: {"group_id": o["group"].pk},
    "group_login_method": lambda o: {"group_id": o["group"].pk},
    "pupil_login_code": lambda o: {"group_id": o["group"].pk, "pupil_id": o["pupil"].pk},
}


def school_scoped_patterns() -> list[str]:
    names = []

    def walk(patterns, inherited: bool):
        for entry in patterns:
            scoped = inherited or "school_id" in str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, scoped)
            elif isinstance(entry, URLPattern) and scoped:
                names.append(entry.name)

    walk(get_resolver().url_patterns, False)
    return names


def url_for(name: str, school, objects: dict) -> str:
    kwargs = {"school_id": school.pk}
    pattern_kwargs = EXTRA_KWARGS.get(name)
    if pattern_kwargs:
        kwargs.update(pattern_kwargs(objects))
    return reverse(name, kwargs=kwargs)
