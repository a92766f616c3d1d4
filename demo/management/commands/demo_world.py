"""Build the demo world: the roster as a Basispoort folder feed, imported, plus licences.

It also writes the same schools one school year later (``<feed-dir>-volgend-jaar``: groups
renamed and combined, group 8 gone, new pupils) and gives them licences for that year, so
"Nieuw schooljaar" can be tried: import that feed with ``sync_roster --source``."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from demo.attention import ensure_attention_examples
from demo.licences import ensure_catalogue, ensure_licences, ensure_next_year_licences
from demo.next_year import demo_schools_next_year
from demo.world import SCHOOL_B, demo_schools, generated_school
from licenses.year_levels import remember_year_levels
from roster.feed import FolderSource, write_folder
from roster.importer import sync_roster
from roster.models import School
from roster.school_year import next_school_year, school_year_of


class Command(BaseCommand):
    help = "Build the deterministic demo world (idempotent): feed folder, roster import, catalogue, licences."

    def add_arguments(self, parser):
        parser.add_argument(
            "--feed-dir",
            default=str(settings.VAR_DIR / "demo-feed"),
            help="Where to write the Basispoort folder feed (default: var/demo-feed).",
        )
        parser.add_argument(
            "--next-year-feed-dir",
            default=None,
            help="Where to write the demo schools one school year later (default: <feed-dir>-volgend-jaar).",
        )
        parser.add_argument(
            "--extra-schools", type=int, default=0, help="Generate this many further schools (for benchmarks)."
        )

    def handle(self, *args, feed_dir: str, next_year_feed_dir: str | None, extra_schools: int, **options):
        documents = demo_schools() + [generated_school(4 + n) for n in range(extra_schools)]
        write_folder(Path(feed_dir), documents)
        products = ensure_catalogue()
        today = timezone.localdate()
        next_year = next_school_year(school_year_of(today))
        next_feed = Path(next_year_feed_dir or f"{Path(feed_dir)}-volgend-jaar")
        write_folder(next_feed, demo_schools_next_year(next_year))
        _run, summary = sync_roster(FolderSource(feed_dir), trigger="demo")
        schools = list(School.objects.filter(basispoort_id__in=[doc.basispoort_id for doc in documents]))
        for school in schools:
            ensure_licences(school, products, today)
            if school.basispoort_id in {doc.basispoort_id for doc in documents[:3]}:
                ensure_next_year_licences(school, products, next_year)
        remember_year_levels([school.pk for school in schools])
        # Het Kompas, Sanne de Vries's second school: something on every rule of "Mijn scholen".
        ensure_attention_examples(School.objects.get(basispoort_id=SCHOOL_B))
        self.stdout.write(
            f"Demo world: {len(documents)} schools written to {feed_dir}; "
            f"{summary.counts['imported']} school(s) changed by the import. "
            f"The demo schools in {next_year} are in {next_feed}."
        )
