from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from integrations import export
from integrations.models import BatchStatus, Delivery, DeliveryBatch, ResultLink
from integrations.uwlr.message import Autorisatie, build_envelope, build_verzoek
from roster.models import School

MASK = "VERBORGEN"


class Command(BaseCommand):
    help = "Send queued practice results to the schools' LVS now, or with --dry-run write the next message."

    def add_arguments(self, parser):
        parser.add_argument("--school", help="BRIN code, BRIN + dependancecode (12AB00) or id of one school")
        parser.add_argument("--dry-run", action="store_true", help="send nothing; write the next message to --out")
        parser.add_argument("--out", help="file for the SOAP envelope of --dry-run (default: standard output)")
        parser.add_argument("--include-key", action="store_true", help="write the real key in the dry-run envelope")
        parser.add_argument("--catch-up", action="store_true", help="re-queue missed results and ignore back-off")

    def handle(self, *args, school=None, dry_run=False, out=None, include_key=False, catch_up=False, **options):
        links = ResultLink.objects.current().select_related("school", "supplier")
        if school:
            links = links.filter(school=self._school(school))
        if not dry_run:
            if out:
                raise CommandError("--out goes with --dry-run.")
            runs = []
            for link in links:
                if catch_up:
                    export.enqueue_results(link)
                runs.append(export.deliver_link(link.pk))
            for run in runs:
                self.stdout.write(
                    f"link {run.link_id}: {run.results} results in {run.batches} batches"
                    + (f", stopped: {run.stopped_by}" if run.stopped_by else "")
                )
            return
        link = links.order_by("pk").first()
        if link is None:
            raise CommandError("No current result link for that school.")
        self._dry_run(link, out, include_key)

    def _school(self, value: str) -> School:
        query = Q(brin=value[:4].upper(), dependancecode=value[4:]) if len(value) == 6 else Q(brin=value.upper())
        if value.isdigit():
            query = Q(pk=int(value))
        schools = list(School.objects.filter(query)[:2])
        if len(schools) != 1:
            raise CommandError(
                f"{value!r} names {'no' if not schools else 'more than one'} school; use BRIN+dependancecode or the id."
            )
        return schools[0]

    def _dry_run(self, link: ResultLink, out: str | None, include_key: bool) -> None:
        """The envelope the next send would post, built from the same rows; nothing is written to the database."""
        pending = DeliveryBatch.objects.filter(link=link, status=BatchStatus.PENDING).order_by("id").first()
        if pending:
            school_year, resultaten = pending.school_year, export.resultaten_of(pending)
        else:
            queued = export.queued_for_next_batch(link)
            if queued is None:
                raise CommandError("Nothing is waiting to be sent for this school.")
            school_year, ids = queued
            resultaten = export.resultaten_from(Delivery.objects.filter(pk__in=ids))
        auth = export.autorisatie_for(link)
        if not include_key:
            auth = Autorisatie(MASK, auth.klantcode, auth.klantnaam)
        verzoek = build_verzoek(
            export.school_identity(link.school, school_year), resultaten, timezone.now(), settings.UWLR_AUTEUR
        )
        envelope = build_envelope(auth, verzoek)
        if out:
            path = Path(out)
            path.touch(mode=0o600)
            path.write_bytes(envelope)
            self.stderr.write(
                f"{len(resultaten)} results for {link.supplier.name} written to {out}"
                + ("" if include_key else f" (key replaced by {MASK})")
            )
        else:
            self.stdout.write(envelope.decode())
