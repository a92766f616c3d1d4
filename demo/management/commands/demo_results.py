from django.core.management.base import BaseCommand

from demo.results import DEMO_LVS_KEY, DEMO_LVS_URL, ensure_suppliers, store_demo_results


class Command(BaseCommand):
    help = "Demo LVS suppliers (all pointing at the reference LVS) and demo results for every demo pupil (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--lvs-url", default=DEMO_LVS_URL, help="the reference LVS (default: %(default)s)")
        parser.add_argument("--per-pupil", type=int, default=12)

    def handle(self, *args, lvs_url: str, per_pupil: int, **options):
        suppliers = ensure_suppliers(lvs_url)
        report = store_demo_results(per_pupil)
        self.stdout.write(
            f"Demo results: {report.created} new, {report.duplicates} already there; "
            f"{len(suppliers)} LVS suppliers at {lvs_url}. Demo authorisation key: {DEMO_LVS_KEY}"
        )
