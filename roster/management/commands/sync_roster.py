"""Run the roster import by hand: the same code the nightly Celery run uses, in this process."""

from __future__ import annotations

import os
import sys

from django.core.management.base import BaseCommand, CommandError

from roster.feed import SourceError
from roster.importer import sync_roster
from roster.lock import acquire_lock, release_lock
from roster.models import School, SchoolResultStatus
from roster.sources import source_from

# The exit status when the run ended without failures but held one or more schools' nights
# (roster.holds): their coordinators decide on Beheer home. 1 stays "failed or could not run".
EXIT_HELD = 3


class Command(BaseCommand):
    help = (
        "Import the Basispoort roster feed (a folder or the HTTPS API); exits 1 when a school failed, "
        f"{EXIT_HELD} when none failed but a school's night was held."
    )

    def add_arguments(self, parser):
        parser.add_argument("--source", help="A folder feed or an https:// URL (default: the configured source).")
        parser.add_argument("--school", type=int, help="Only this Basispoort id.")
        parser.add_argument("--full", action="store_true", help="Also import schools whose feed did not change.")

    def handle(self, *args, source: str | None, school: int | None, full: bool, **options):
        owner = f"command-{os.getpid()}"
        if not acquire_lock(owner):
            raise CommandError("Another roster import is running; try again when it has finished.")
        try:
            feed = source_from(source)
            run, summary = sync_roster(feed, trigger="command", full=full, only=school, progress=self._progress)
        except SourceError as exc:
            raise CommandError(f"The roster source cannot be read: {exc}") from exc
        except Exception as exc:
            # sync_roster closed the run as failed with this reason before passing it on.
            raise CommandError(f"The roster import stopped: {type(exc).__name__}: {exc}") from exc
        finally:
            release_lock(owner)
        counts = summary.counts
        self.stdout.write(
            f"Run {run.pk} from {run.source}: {counts[SchoolResultStatus.IMPORTED]} imported, "
            f"{counts[SchoolResultStatus.UNCHANGED]} unchanged, {run.schools_failed} failed, "
            f"{run.schools_total - sum(counts.values())} withdrawn."
        )
        for basispoort_id, error in summary.failed:
            self.stderr.write(f"  school {basispoort_id}: {error}")
        if summary.held:
            names = dict(
                School.objects.filter(basispoort_id__in=[bp for bp, _ in summary.held]).values_list(
                    "basispoort_id", "name"
                )
            )
            self.stdout.write(f"{len(summary.held)} school(s) held, waiting for their coordinator (Beheer home):")
            for basispoort_id, reasons in sorted(summary.held):
                self.stdout.write(f"  school {basispoort_id} {names.get(basispoort_id, '')}: {reasons}")
        if run.schools_failed:
            failed = ", ".join(str(bp) for bp, _error in summary.failed[:20])
            more = " …" if len(summary.failed) > 20 else ""
            raise CommandError(f"{run.schools_failed} school(s) failed: {failed}{more}; see run {run.pk} in the admin.")
        if summary.held:
            self.stdout.flush()
            sys.exit(EXIT_HELD)

    def _progress(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // total if total else width
        end = "\n" if done >= total else ""
        self.stdout.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} schools", ending=end)
        self.stdout.flush()
