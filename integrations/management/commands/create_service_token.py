import secrets

from django.core.management.base import BaseCommand, CommandError

from integrations.api import token_digest
from integrations.models import ServiceToken
from roster.models import School


class Command(BaseCommand):
    help = "Make a token with which a service may post results to /api/resultaten/ (printed once)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument(
            "--school", type=int, action="append", default=[], help="Basispoort id of a school it may write for."
        )
        parser.add_argument("--all-schools", action="store_true", help="The publisher's own app: every school.")

    def handle(self, *args, name, school, all_schools, **options):
        schools = list(School.objects.filter(basispoort_id__in=school))
        if len(schools) != len(set(school)):
            raise CommandError("One of the --school ids is not a known school.")
        if not schools and not all_schools:
            raise CommandError("Name the schools (--school, repeatable) or give --all-schools.")
        if ServiceToken.objects.filter(name=name).exists():
            raise CommandError(f"A token for {name!r} exists already; remove it in the back office first.")
        token = secrets.token_urlsafe(32)
        service = ServiceToken.objects.create(
            name=name, token_digest=token_digest(token), token_last4=token[-4:], all_schools=all_schools
        )
        service.schools.set(schools)
        self.stdout.write(token)
