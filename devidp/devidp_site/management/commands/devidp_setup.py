from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from jwcrypto import jwk
from oauth2_provider.models import get_application_model


class Command(BaseCommand):
    help = (
        "Prepare the development identity provider: migrate its database and register the "
        "Bingel beheer client from the DEVIDP_* environment. Safe to run on every start."
    )

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0))

        Application = get_application_model()
        app = Application.objects.filter(client_id=settings.DEVIDP_CLIENT_ID).first()
        created = app is None
        if created:
            app = Application(client_id=settings.DEVIDP_CLIENT_ID)
        app.name = "Bingel beheer (ontwikkeling)"
        app.client_type = Application.CLIENT_CONFIDENTIAL
        app.authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
        app.algorithm = Application.RS256_ALGORITHM
        app.skip_authorization = True
        app.redirect_uris = " ".join(settings.DEVIDP_REDIRECT_URIS)
        app.post_logout_redirect_uris = " ".join(settings.DEVIDP_POST_LOGOUT_REDIRECT_URIS)
        app.hash_client_secret = True
        # DOT hashes a plaintext secret on save, so only hand it one when the stored hash
        # does not already match; otherwise every start would rehash for nothing.
        if created or not check_password(settings.DEVIDP_CLIENT_SECRET, app.client_secret):
            app.client_secret = settings.DEVIDP_CLIENT_SECRET
        try:
            app.full_clean()
        except ValidationError as exc:
            raise CommandError(f"Invalid DEVIDP_* client settings: {exc}") from exc
        app.save()

        if verbosity:
            key = jwk.JWK.from_pem(settings.OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"].encode())
            self.stdout.write(self.style.SUCCESS(f"{'Created' if created else 'Updated'} client {app.client_id}"))
            self.stdout.write(f"  redirect URIs:             {app.redirect_uris}")
            self.stdout.write(f"  post-logout redirect URIs: {app.post_logout_redirect_uris}")
            self.stdout.write(f"  signing key:               {settings.DEVIDP_KEY_FILE} (kid {key.thumbprint()})")
            self.stdout.write(f"  database:                  {settings.DATABASES['default']['NAME']}")
            self.stdout.write(f"  feed folder:               {settings.DEVIDP_FEED_DIR}")
