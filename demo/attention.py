"""Something for Sanne de Vries to see on every rule of "Mijn scholen" (portal/attention.py).

De Regenboog keeps what the demo licences already give it (groups without their licence, next
year's licences unlinked). Het Kompas gets the rest: a night of the roster import that failed
after the demo's own import, a per-pupil licence with every seat taken, a result link whose key
the LVS refused, and a licence registry that could not be reached (shown only when the demo runs
with a registry). Licences ending within 30 days show from 1 July, when this school year's do.
A second run adds no seat, link or registry row; it records the failed night again only when
the demo's own import has just recorded a newer, successful one, so the failed night stays last.
"""

from __future__ import annotations

import copy

from django.db import transaction
from django.utils import timezone

from bingel_admin import crypto
from demo.results import DEMO_LVS_URL
from demo.world import demo_schools
from integrations.models import LinkStatus, LvsSupplier, RegistrySchool, ResultLink
from licenses.models import Licence, LicenceKind, Seat
from roster import holds
from roster.feed import SchoolDocument
from roster.feed.problems import ErrorCode
from roster.importer import read_existing
from roster.models import (
    HeldNight,
    HoldDecision,
    ImportRun,
    ImportRunStatus,
    Pupil,
    School,
    SchoolImportResult,
    SchoolResultStatus,
)
from roster.school_year import school_year_of

FULL_PRODUCT = "leeslicht-remedial"
# One of the demo's suppliers (demo/results.py), made only if missing: an LVS another caller has
# already pointed elsewhere (the tests' reference LVS) is left as it is.
REFUSED_SUPPLIER = "ESIS"


@transaction.atomic
def ensure_attention_examples(school: School) -> None:
    _failed_night(school)
    _held_night(school)
    _full_licence(school)
    _refused_result_link(school)
    RegistrySchool.objects.get_or_create(
        school=school,
        defaults={"dirty_since": timezone.now(), "attempts": 2, "last_error": "demo: Basispoort gaf geen antwoord"},
    )


def _failed_night(school: School) -> None:
    last = SchoolImportResult.objects.filter(school=school).order_by("-finished_at", "-pk").first()
    if last is not None and last.status == SchoolResultStatus.FAILED:
        return
    now = timezone.now()
    run = ImportRun.objects.create(
        trigger="demo", source="demo", status=ImportRunStatus.FAILED, finished_at=now, schools_total=1, schools_failed=1
    )
    SchoolImportResult.objects.create(
        run=run,
        school=school,
        basispoort_id=school.basispoort_id,
        status=SchoolResultStatus.FAILED,
        error_code=ErrorCode.INVALID_JSON,
        error="demo: het bestand van de school was onleesbaar",
    )


def _held_night(school: School) -> None:
    """A partial export from the school administration (three groups and every second pupil
    missing), screened and kept by the import's own hold check: "Toch verwerken" or "Negeren".

    Running the demo again imports the complete document, which ends the hold ("resolved"); the
    demo's own held night is then opened again as it was, so a second run changes nothing."""
    doc = next(d for d in demo_schools() if d.basispoort_id == school.basispoort_id)
    roster = copy.deepcopy(doc.roster)
    gone = {g["lasKey"] for g in roster["groepen"][:3]}
    roster["groepen"] = roster["groepen"][3:]
    roster["leerlingen"] = [p for n, p in enumerate(roster["leerlingen"]) if n % 2 == 0 and p["groep"] not in gone]
    partial = SchoolDocument(doc.basispoort_id, copy.deepcopy(doc.details), roster)
    kept = HeldNight.objects.filter(school=school, run=None).order_by("-pk").first()
    if kept is not None:
        if kept.decision == HoldDecision.RESOLVED:
            kept.document = {"details": partial.details, "roster": partial.roster}
            kept.decided_at, kept.decision = None, ""
            kept.save(update_fields=["document", "decided_at", "decision"])
        return
    now = timezone.now()
    with transaction.atomic():
        held = holds.screen([partial], read_existing([partial]).today(), now)
        if held:
            holds.keep(None, held, {partial.basispoort_id: partial}, now)


def _full_licence(school: School) -> None:
    licence = Licence.objects.filter(
        school=school,
        product__code=FULL_PRODUCT,
        kind=LicenceKind.PER_PUPIL,
        school_year=school_year_of(timezone.localdate()),
    ).first()
    if licence is None:
        return
    free = (licence.seats or 0) - licence.seats_taken.count()
    if free <= 0:
        return
    pupils = (
        Pupil.objects.filter(school=school, active=True, jaargroep__in=licence.product.year_levels)
        .exclude(seats__licence=licence)
        .order_by("basispoort_id")[:free]
    )
    Seat.objects.bulk_create([Seat(licence=licence, pupil=pupil, school=school) for pupil in pupils])


def _refused_result_link(school: School) -> None:
    supplier, _created = LvsSupplier.objects.get_or_create(
        name=REFUSED_SUPPLIER,
        defaults={"endpoint_url": DEMO_LVS_URL, "klantcode": "BINGELDEMO", "klantnaam": "Bingel demo"},
    )
    if ResultLink.objects.current().filter(school=school, supplier=supplier).exists():
        return
    key = "demo-geweigerd-0000"
    ResultLink.objects.create(
        school=school,
        supplier=supplier,
        key_encrypted=crypto.encrypt(key),
        key_last4=key[-4:],
        status=LinkStatus.KEY_REFUSED,
        consent_by_name="Sanne de Vries",
        consent_at=timezone.now(),
    )
