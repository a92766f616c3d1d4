from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from integrations.registry import sync
from roster.models import School


class Command(BaseCommand):
    help = (
        "Compare every school (or one) with the licence registry by digest and send only the sets that differ: "
        "the nightly reconciliation by hand."
    )

    def add_arguments(self, parser):
        parser.add_argument("--school", type=int, help="Basispoort id of one school")

    def handle(self, *args, school=None, **options):
        if not settings.LICENCE_REGISTRY_URL:
            raise CommandError("No licence registry is configured: set LICENCE_REGISTRY_URL.")
        ids = None
        if school is not None:
            found = School.objects.filter(basispoort_id=school).values_list("pk", flat=True).first()
            if found is None:
                raise CommandError(f"No school with Basispoort id {school}.")
            ids = [found]
        report = sync.reconcile(ids)
        self.stdout.write(
            f"{report.schools} schools, {report.sets_compared} sets compared, {report.sends} sent "
            f"({report.sent['put']} PUT, {report.sent['delete']} DELETE, {report.sent['stale']} stale, "
            f"{report.sent['invalid']} refused), {len(report.failed_schools)} schools not reached"
        )
        if report.failed_schools:
            for pk, why in sorted(report.failed_schools.items())[:20]:
                self.stderr.write(f"school {pk}: {why}")
            raise CommandError("Some schools could not be compared; the next run tries again.")
