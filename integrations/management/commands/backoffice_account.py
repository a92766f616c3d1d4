"""Set up a publisher staff account for the back office: password, TOTP app, recovery codes."""

from __future__ import annotations

import getpass

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODES = 10
CONFIRM_TRIES = 3


class Command(BaseCommand):
    help = (
        "Create a back-office (Django admin) account, or give an existing one a new second factor: "
        "asks for a password, enrols a TOTP app and prints one-time recovery codes."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--new-device",
            action="store_true",
            help="replace the second factor of an existing account (lost phone); keeps the password",
        )

    def handle(self, *args, username: str, email: str, new_device: bool, **options) -> None:
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first()
        if user is not None and not new_device:
            raise CommandError(f"{username} exists already; use --new-device to replace its second factor.")
        if user is None and new_device:
            raise CommandError(f"There is no account {username}.")
        with transaction.atomic():
            if user is None:
                user = user_model(username=username, email=email, is_staff=True, is_superuser=True)
                user.set_password(self._ask_password(user))
                user.save()
            TOTPDevice.objects.filter(user=user).delete()
            StaticDevice.objects.filter(user=user).delete()
            totp = TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=False)
            self.stdout.write("Add this to the authenticator app (scan it as a QR code, or type the key):")
            self.stdout.write(f"  {totp.config_url}")
            self._confirm(totp)
            recovery = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
            codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
            StaticToken.objects.bulk_create([StaticToken(device=recovery, token=code) for code in codes])
        self.stdout.write("Recovery codes (each works once instead of the app; keep them offline):")
        for code in codes:
            self.stdout.write(f"  {code}")
        self.stdout.write(self.style.SUCCESS(f"{username} can now log in at /admin/ with password and code."))

    def _ask_password(self, user) -> str:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The passwords differ.")
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        return password

    def _confirm(self, totp: TOTPDevice) -> None:
        """Only a device that produced a right code is kept: proves the app was set up."""
        for _ in range(CONFIRM_TRIES):
            if totp.verify_token(input("Code shown by the app: ").strip()):
                totp.confirmed = True
                totp.save(update_fields=["confirmed"])
                return
            self.stdout.write("That code is not right; wait for the next one and try again.")
        raise CommandError("No right code; nothing was changed.")
