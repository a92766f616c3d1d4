"""Build the demo world: the roster as a Basispoort folder feed, imported, plus licences."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from licenses.demo import ensure_catalogue, ensure_licences
from roster.demo import demo_schools, generated_school
from roster.feed import FolderSource, write_folder
from roster.importer import sync_roster
from roster.models import School


class Command(BaseCommand):
    help = "Build the deterministic demo world (idempotent): feed folder, roster import, catalogue, licences."

    def add_arguments(self, parser):
        parser.add_argument(
            "--feed-dir",
            default=str(settings.VAR_DIR / "demo-feed"),
            help="Where to write the Basispoort folder feed (default: var/demo-feed).",
        )
        parser.add_argument(
            "--extra-schools", type=int, default=0, help="Generate this many further schools (for benchmarks)."
        )

    def handle(self, *args, feed_dir: str, extra_schools: int, **options):
        documents = demo_schools() + [generated_school(4 + n) for n in range(extra_schools)]
        write_folder(Path(feed_dir), documents)
        products = ensure_catalogue()
        today = timezone.localdate()
        _run, summary = sync_roster(FolderSource(feed_dir), trigger="demo")
        for school in School.objects.filter(basispoort_id__in=[doc.basispoort_id for doc in documents]):
            ensure_licences(school, products, today)
        self.stdout.write(
            f"Demo world: {len(documents)} schools written to {feed_dir}; "
            f"{summary.counts['imported']} school(s) changed by the import."
        )
