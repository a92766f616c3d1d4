"""The back office locks an account after 5 failed logins, as DEPLOY.md promises: wrong passwords
and wrong second-factor codes count alike, towards one limit.

The count is written out here (5), not read from the setting: a shipped default of 1000 must
turn these tests red. A failure is a wrong password, or the right password with a code that did
not get in (wrong, or tried while django-otp still throttles the device).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import BACK_OFFICE_PASSWORD, totp_now
from tests.servers import ROOT, production_env

LOGIN = "/admin/login/"
PROMISED_LIMIT = 5


@pytest.fixture
def jan():
    """Jan de Vries, publisher staff with an authenticator app."""
    user = get_user_model().objects.create_superuser("jan", "jan@example.org", BACK_OFFICE_PASSWORD)
    return TOTPDevice.objects.create(user=user, name="app", confirmed=True)


def log_in(client: Client, password: str, device=None, token: str = ""):
    data = {"username": "jan", "password": password, "otp_token": token}
    if device is not None:
        data["otp_device"] = device.persistent_id
    return client.post(LOGIN, data)


def wrong_code(device) -> str:
    return f"{(int(totp_now(device)) + 1) % 1_000_000:06d}"


def test_the_shipped_default_is_five(tmp_path):
    # What a deployment gets when it sets nothing about lock-out.
    code = "import django; django.setup(); from django.conf import settings; print(settings.AXES_FAILURE_LIMIT)"
    env = production_env()
    assert not any(name.startswith("BACKOFFICE_") for name in env)
    shown = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip().splitlines()[-1] == str(PROMISED_LIMIT)


@pytest.mark.django_db
def test_the_fifth_wrong_password_locks_the_account(jan):
    client = Client()
    for _ in range(4):
        assert log_in(client, "verkeerd-wachtwoord").status_code == 200
    assert log_in(client, "verkeerd-wachtwoord").status_code == 429
    assert log_in(Client(REMOTE_ADDR="198.51.100.7"), BACK_OFFICE_PASSWORD, jan, totp_now(jan)).status_code == 429


@pytest.mark.django_db
def test_four_wrong_passwords_then_the_right_login_gets_in(jan):
    client = Client()
    for _ in range(4):
        log_in(client, "verkeerd-wachtwoord")
    assert log_in(client, BACK_OFFICE_PASSWORD, jan, totp_now(jan)).status_code == 302


@pytest.mark.django_db
def test_wrong_codes_count_towards_the_lock_out(jan):
    client = Client()
    for _ in range(4):
        # The right password with a wrong code (later ones while the device is throttled).
        response = log_in(client, BACK_OFFICE_PASSWORD, jan, wrong_code(jan))
        assert response.status_code == 200
    locked = log_in(client, BACK_OFFICE_PASSWORD, jan, wrong_code(jan))
    assert locked.status_code == 429
    assert "Tijdelijk geblokkeerd" in locked.content.decode()
    # The account itself is locked: the right code from elsewhere does not get in either.
    jan.refresh_from_db()
    jan.throttle_reset()
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    assert log_in(elsewhere, BACK_OFFICE_PASSWORD, jan, totp_now(jan)).status_code == 429


@pytest.mark.django_db
def test_wrong_passwords_and_wrong_codes_add_up(jan):
    client = Client()
    for _ in range(2):
        assert log_in(client, "verkeerd-wachtwoord").status_code == 200
    for _ in range(2):
        assert log_in(client, BACK_OFFICE_PASSWORD, jan, wrong_code(jan)).status_code == 200
    assert log_in(client, BACK_OFFICE_PASSWORD, jan, wrong_code(jan)).status_code == 429


@pytest.mark.django_db
def test_a_password_alone_while_choosing_the_device_is_not_a_failure(jan):
    # The first step of an honest login: the password without a code yet asks for the code.
    client = Client()
    for _ in range(PROMISED_LIMIT + 1):
        assert log_in(client, BACK_OFFICE_PASSWORD).status_code == 200
    assert log_in(client, BACK_OFFICE_PASSWORD, jan, totp_now(jan)).status_code == 302
