import secrets

from django.core.management.base import BaseCommand, CommandError

from integrations.api import token_digest
from integrations.models import ServiceToken


class Command(BaseCommand):
    help = "Make a token with which a service may post results to /api/resultaten/ (printed once)."

    def add_arguments(self, parser):
        parser.add_argument("name")

    def handle(self, *args, name, **options):
        if ServiceToken.objects.filter(name=name).exists():
            raise CommandError(f"A token for {name!r} exists already; remove it in the back office first.")
        token = secrets.token_urlsafe(32)
        ServiceToken.objects.create(name=name, token_digest=token_digest(token), token_last4=token[-4:])
        self.stdout.write(token)
