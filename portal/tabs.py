"""The one table of the Beheer tabs and the licence sub-tabs.

A tab is current when the page's URL name matches one of its patterns (``fnmatch``), so a page
need not say which tab it belongs to; a sub-tab is current when the page's ``subtab`` says so.
The tabs are rendered by ``{% beheer_tabs %}`` and ``{% licence_subtabs %}`` (portal/templatetags/tabs.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Tab:
    url_name: str
    label: str
    current_for: tuple[str, ...]

    def is_current(self, url_name: str | None) -> bool:
        return bool(url_name) and any(fnmatchcase(url_name, pattern) for pattern in self.current_for)


@dataclass(frozen=True)
class SubTab:
    url_name: str
    label: str
    key: str


TABS = (
    Tab("beheer_home", _("Overzicht"), ("beheer_home",)),
    Tab("beheer_gegevens", _("Gegevens"), ("beheer_gegevens",)),
    Tab("beheer_groepen", _("Groepen"), ("beheer_groepen", "beheer_groep", "group_login*", "pupil_login_code")),
    Tab("beheer_coordinatoren", _("Ict-coördinatoren"), ("beheer_coordinatoren",)),
    Tab("beheer_leerkrachten", _("Leerkrachten"), ("beheer_leerkrachten",)),
    Tab("beheer_leerlingen", _("Leerlingen"), ("beheer_leerlingen",)),
    Tab("licences_per_group", _("Licenties"), ("licence*", "audit_log")),
    Tab("resultlinks", _("Resultaatkoppelingen"), ("resultlink*",)),
)

LICENCE_SUBTABS = (
    SubTab("licences_per_group", _("Licenties per groep"), "per_groep"),
    SubTab("licences_per_pupil", _("Licenties per kind"), "per_kind"),
    SubTab("licence_new_year", _("Nieuw schooljaar"), "nieuw_schooljaar"),
    SubTab("audit_log", _("Logboek"), "logboek"),
)
