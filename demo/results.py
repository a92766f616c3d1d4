"""Demo practice and test results for the demo schools, and the LVS suppliers of the demo."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from integrations.actions import IncomingResult, IngestReport, store_results
from integrations.models import LvsSupplier, ResultKind
from roster.models import Pupil

DEMO_LVS_URL = "http://127.0.0.1:8002/uwlr"
# The key the reference LVS of `make demo` accepts; type it in "Koppeling toevoegen".
DEMO_LVS_KEY = "demo-momento-2026-7Q4K"
DEMO_SUPPLIERS = ("Momento", "ParnasSys", "ESIS")
TESTS = [
    ("rekenroute-{jg}-blok{n}", "Rekenroute groep {jg} blok {n}", "rekenen"),
    ("taalverhaal-{jg}-thema{n}", "Taalverhaal groep {jg} thema {n}", "taal"),
    ("spellingroute-{jg}-les{n}", "Spellingroute groep {jg} les {n}", "spelling"),
]


def ensure_suppliers(url: str = DEMO_LVS_URL) -> list[LvsSupplier]:
    """In the demo every LVS is the reference LVS."""
    return [
        LvsSupplier.objects.update_or_create(
            name=name, defaults={"endpoint_url": url, "klantcode": "BINGELDEMO", "klantnaam": "Bingel demo"}
        )[0]
        for name in DEMO_SUPPLIERS
    ]


def demo_results(per_pupil: int = 12, today: dt.date | None = None, seed: int = 2026) -> list[IncomingResult]:
    """Deterministic results of the last weeks: mostly practice, every fourth one a test."""
    today = today or timezone.localdate()
    rng = random.Random(seed)  # noqa: S311 - demo data
    results = []
    pupils = Pupil.objects.filter(active=True, school__active=True).select_related("school").order_by("pk")
    for pupil in pupils:
        jg = pupil.jaargroep if pupil.jaargroep.isdigit() else "5"
        for n in range(per_pupil):
            code, name, subject = TESTS[n % len(TESTS)]
            results.append(
                IncomingResult(
                    external_id=f"demo-{pupil.school.basispoort_id}-{pupil.basispoort_id}-{n}",
                    school=pupil.school,
                    pupil_id=pupil.pk,
                    kind=ResultKind.TEST if n % 4 == 3 else ResultKind.PRACTICE,
                    toetscode=code.format(jg=jg, n=n // 3 + 1),
                    toetsnaam=name.format(jg=jg, n=n // 3 + 1),
                    leerjaar=jg,
                    vakgebied=subject,
                    afnamedatum=today - dt.timedelta(days=rng.randint(0, 20)),
                    score=rng.randint(0, 10),
                )
            )
    return results


def store_demo_results(per_pupil: int = 12) -> IngestReport:
    results = demo_results(per_pupil)
    created = duplicates = 0
    for start in range(0, len(results), 1000):
        report = store_results(None, results[start : start + 1000])
        created += report.created
        duplicates += report.duplicates
    return IngestReport(created, duplicates)
