"""What the coordinator sees of the nightly import: "Laatste synchronisatie" on Beheer home.

Warnings are stored as codes with counts and examples; they are phrased here, in the
coordinator's language, as what to fix in the school administration (the handbook's checklist).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from roster.models import School, SchoolImportResult, SchoolResultStatus
from roster.validation import ErrorCode, WarningCode


@dataclass(frozen=True)
class SyncWarning:
    text: str
    examples: list[str]


@dataclass(frozen=True)
class SyncSummary:
    when: dt.datetime
    status: str
    new_pupils: int
    moved_pupils: int
    left_pupils: int
    problem: str = ""
    warnings: list[SyncWarning] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return self.status == SchoolResultStatus.UNCHANGED

    @property
    def failed(self) -> bool:
        return self.status == SchoolResultStatus.FAILED

    @property
    def held(self) -> bool:
        return self.status == SchoolResultStatus.HELD


def _warning_text(code: str, count: int, examples: list[str]) -> str:
    if code == WarningCode.PUPIL_UNKNOWN_GROUP:
        return ngettext(
            "%(count)d leerling staat in een groep die Basispoort niet meestuurt. "
            "Zet de leerling in de schooladministratie in een bestaande groep.",
            "%(count)d leerlingen staan in een groep die Basispoort niet meestuurt. "
            "Zet ze in de schooladministratie in een bestaande groep.",
            count,
        ) % {"count": count}
    if code == WarningCode.PUPIL_WITHOUT_GROUP:
        return ngettext(
            "%(count)d leerling heeft geen groep. Plaats de leerling in de schooladministratie in de nieuwe "
            "groep en zet de status op ‘actief’.",
            "%(count)d leerlingen hebben geen groep. Plaats ze in de schooladministratie in hun nieuwe "
            "groep en zet hun status op ‘actief’.",
            count,
        ) % {"count": count}
    if code == WarningCode.STAFF_WITHOUT_EMAIL:
        return ngettext(
            "%(count)d medewerker heeft geen e-mailadres. Vul in de schooladministratie een uniek "
            "school-e-mailadres in.",
            "%(count)d medewerkers hebben geen e-mailadres. Vul in de schooladministratie voor ieder een "
            "uniek school-e-mailadres in.",
            count,
        ) % {"count": count}
    if code == WarningCode.STAFF_SHARED_EMAIL:
        return ngettext(
            "%(count)d e-mailadres wordt door meer dan één medewerker gebruikt. Geef in de "
            "schooladministratie iedere leerkracht een eigen school-e-mailadres.",
            "%(count)d e-mailadressen worden door meer dan één medewerker gebruikt. Geef in de "
            "schooladministratie iedere leerkracht een eigen school-e-mailadres.",
            count,
        ) % {"count": count}
    if code == WarningCode.GROUP_WITHOUT_TEACHER:
        return ngettext(
            "%(count)d groep heeft geen leerkracht. Koppel in de schooladministratie de leerkracht aan "
            "de (nieuwe) groep.",
            "%(count)d groepen hebben geen leerkracht. Koppel in de schooladministratie de leerkrachten "
            "aan hun (nieuwe) groepen.",
            count,
        ) % {"count": count}
    if code == WarningCode.GROUP_WITHOUT_KEY:
        return ngettext(
            "%(count)d groep mist de sleutel uit de schooladministratie en is overgeslagen. "
            "Controleer de groep in de schooladministratie.",
            "%(count)d groepen missen de sleutel uit de schooladministratie en zijn overgeslagen. "
            "Controleer deze groepen in de schooladministratie.",
            count,
        ) % {"count": count}
    if code == WarningCode.BRIN_INVALID:
        return _(
            "De BRIN-code ‘%(code)s’ klopt niet (twee cijfers en twee hoofdletters). Zet in de "
            "schooladministratie de juiste, door DUO afgegeven BRIN-code."
        ) % {"code": examples[0] if examples else ""}
    if code == WarningCode.DEPENDANCECODE_INVALID:
        return _(
            "De locatiecode (dependancecode) ‘%(code)s’ klopt niet (twee cijfers). Zet in de "
            "schooladministratie de juiste, door DUO afgegeven locatiecode."
        ) % {"code": examples[0] if examples else ""}
    if code == WarningCode.UNKNOWN_YEAR_LEVEL:
        return ngettext(
            "%(count)d keer staat er een onbekende jaargroep. De gegevens zijn overgenomen; controleer "
            "de jaargroep in de schooladministratie.",
            "%(count)d keer staat er een onbekende jaargroep. De gegevens zijn overgenomen; controleer "
            "de jaargroepen in de schooladministratie.",
            count,
        ) % {"count": count}
    if code == WarningCode.UNKNOWN_ROLE:
        return ngettext(
            "%(count)d rol van een medewerker is onbekend en overgeslagen. Controleer de rollen in de "
            "schooladministratie.",
            "%(count)d rollen van medewerkers zijn onbekend en overgeslagen. Controleer de rollen in de "
            "schooladministratie.",
            count,
        ) % {"count": count}
    if code == WarningCode.INVALID_CHARACTERS:
        return ngettext(
            "%(count)d gegeven bevatte een teken dat niet verstuurd kan worden (zoals een stuurteken); "
            "dat teken is weggelaten. Verbeter het gegeven in de schooladministratie.",
            "%(count)d gegevens bevatten een teken dat niet verstuurd kan worden (zoals een stuurteken); "
            "die tekens zijn weggelaten. Verbeter de gegevens in de schooladministratie.",
            count,
        ) % {"count": count}
    return _("Controleer de gegevens in de schooladministratie (%(code)s).") % {"code": code}


def _problem_text(code: str) -> str:
    if code == ErrorCode.DUPLICATE_ID:
        why = _("Een leerling, medewerker of groep komt twee keer voor in de schooladministratie.")
    elif code in (ErrorCode.INVALID_JSON, ErrorCode.MISSING_ID, ErrorCode.WRONG_TYPE, ErrorCode.TOO_LONG):
        why = _("Het bestand uit de schooladministratie was onvolledig of onleesbaar.")
    else:
        why = _("Basispoort kon de gegevens niet leveren, of het verwerken lukte niet.")
    return " ".join(
        [
            _("De gegevens van de laatste nacht zijn niet verwerkt."),
            why,
            _("Tot dit is opgelost, blijven de gegevens van de laatste geslaagde synchronisatie staan."),
        ]
    )


# The text of these already names the wrong code; listing it again as an example adds nothing.
_EXAMPLES_IN_TEXT = {WarningCode.BRIN_INVALID, WarningCode.DEPENDANCECODE_INVALID}


def warnings_for(stored: list[dict]) -> list[SyncWarning]:
    return [
        SyncWarning(
            _warning_text(w["code"], w.get("count", 1), w.get("examples") or []),
            [] if w["code"] in _EXAMPLES_IN_TEXT else w.get("examples") or [],
        )
        for w in stored
    ]


def latest_sync_summary(school: School) -> SyncSummary | None:
    """The last run's word on this school; warnings come from the last time its file was read in full."""
    latest = (
        SchoolImportResult.objects.filter(school=school)
        .exclude(status=SchoolResultStatus.WITHDRAWN)
        .only("finished_at", "status", "created", "deactivated", "moved_pupils", "warnings", "error_code")
        .first()
    )
    if latest is None:
        return None
    warnings = latest.warnings
    if latest.status != SchoolResultStatus.IMPORTED:
        last_read = (
            SchoolImportResult.objects.filter(school=school, status=SchoolResultStatus.IMPORTED)
            .only("warnings")
            .first()
        )
        warnings = last_read.warnings if last_read else []
    return SyncSummary(
        when=latest.finished_at,
        status=latest.status,
        new_pupils=latest.created.get("pupil", 0),
        moved_pupils=latest.moved_pupils,
        left_pupils=latest.deactivated.get("pupil", 0),
        problem=_problem_text(latest.error_code) if latest.status == SchoolResultStatus.FAILED else "",
        warnings=warnings_for(warnings),
    )
