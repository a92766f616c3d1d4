from django.core.management.base import BaseCommand

from roster.retention import purge_inactive


class Command(BaseCommand):
    help = "Remove pupils and staff inactive for longer than RETENTION_DAYS; audit rows keep pseudonyms."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="Override RETENTION_DAYS for this run.")

    def handle(self, *args, days, **options):
        purged = purge_inactive(days=days)
        self.stdout.write(
            f"Removed {purged.pupils} pupils, {purged.appointments} ended appointments, {purged.staff} staff."
        )
