"""The back office (Django admin) needs a password and a second factor, and resists guessing.

The TOTP codes are computed here from the device's secret in two ways: with django-otp's own
helper, and with an independent RFC 6238 implementation reading the otpauth:// address an
authenticator app scans (so the enrolment a staff member gets works in a real app).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import struct
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from roster.models import Pupil
from tests.factories import BACK_OFFICE_PASSWORD, make_pupil, make_school, totp_now

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"


@pytest.fixture
def staff_member():
    user = get_user_model().objects.create_superuser("uitgever", "u@example.org", BACK_OFFICE_PASSWORD)
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    return user, device


def attempt(client: Client, password: str, device=None, token: str = "", username: str = "uitgever"):
    data = {"username": username, "password": password, "otp_token": token}
    if device is not None:
        data["otp_device"] = device.persistent_id
    return client.post(LOGIN, data)


def in_back_office(client: Client) -> bool:
    return client.get(reverse("admin:roster_pupil_changelist")).status_code == 200


def rfc6238(otpauth_url: str, at: float) -> str:
    query = parse_qs(urlsplit(otpauth_url).query)
    secret = query["secret"][0]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int(at // int(query.get("period", ["30"])[0]))
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    digits = int(query.get("digits", ["6"])[0])
    return f"{value % 10**digits:0{digits}d}"


def test_the_right_password_without_a_second_factor_does_not_get_in(staff_member, client):
    school = make_school("De Regenboog", "12AB")
    make_pupil(school, None, "Emma", "Visser")
    response = attempt(client, BACK_OFFICE_PASSWORD)
    assert response.status_code == 200  # the form again, now asking for the code
    assert "Vul de code uit je authenticator-app in." in response.content.decode()  # locale/nl
    assert not in_back_office(client)
    assert "Visser" not in client.get(reverse("admin:roster_pupil_changelist")).content.decode()


def test_a_wrong_code_does_not_get_in(staff_member, client):
    _, device = staff_member
    right = totp_now(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    assert attempt(client, BACK_OFFICE_PASSWORD, device, wrong).status_code == 200
    assert not in_back_office(client)


def test_the_right_password_and_code_get_in(staff_member, client):
    _, device = staff_member
    response = attempt(client, BACK_OFFICE_PASSWORD, device, totp_now(device))
    assert response.status_code == 302
    assert in_back_office(client)


def test_a_staff_user_without_a_device_never_gets_in(client):
    get_user_model().objects.create_superuser("zonder", "z@example.org", BACK_OFFICE_PASSWORD)
    assert attempt(client, BACK_OFFICE_PASSWORD, username="zonder", token="123456").status_code == 200
    assert not in_back_office(client)


def test_a_session_logged_in_elsewhere_without_otp_is_not_enough(staff_member, client):
    client.force_login(staff_member[0], backend="django.contrib.auth.backends.ModelBackend")
    assert not in_back_office(client)


def test_wrong_passwords_lock_the_account_even_for_the_right_password(staff_member, client, settings):
    _, device = staff_member
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, "verkeerd-wachtwoord").status_code == 200
    assert attempt(client, "verkeerd-wachtwoord").status_code == 429  # the limit-th failure locks
    locked = attempt(client, BACK_OFFICE_PASSWORD, device, totp_now(device))
    assert locked.status_code == 429
    assert "Tijdelijk geblokkeerd" in locked.content.decode()
    english = Client(headers={"accept-language": "en"})
    assert "Temporarily locked" in attempt(english, BACK_OFFICE_PASSWORD).content.decode()
    assert not in_back_office(client)
    # From another address too: the account itself is locked.
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    assert attempt(elsewhere, BACK_OFFICE_PASSWORD, device, totp_now(device)).status_code == 429
    # Resetting the lock-out (what `manage.py axes_reset_username` does) lets the right login in.
    call_command("axes_reset_username", "uitgever")
    device.refresh_from_db()
    assert attempt(elsewhere, BACK_OFFICE_PASSWORD, device, totp_now(device)).status_code == 302
    assert in_back_office(elsewhere)


def test_the_lock_out_passes_after_the_cool_off(staff_member, client, settings):
    _, device = staff_member
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "verkeerd-wachtwoord")
    assert attempt(client, BACK_OFFICE_PASSWORD, device, totp_now(device)).status_code == 429
    # The cool-off is over: the failures recorded are older than AXES_COOLOFF_TIME.
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - settings.AXES_COOLOFF_TIME)
    assert attempt(client, BACK_OFFICE_PASSWORD, device, totp_now(device)).status_code == 302


def test_guessing_many_accounts_from_one_address_locks_the_address(staff_member, settings):
    _, device = staff_member
    guesser = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(guesser, "verkeerd-wachtwoord", username=f"beheerder{n}")
    assert attempt(guesser, BACK_OFFICE_PASSWORD, device, totp_now(device)).status_code == 429
    # The account was not the target: from its own address it still gets in.
    assert attempt(Client(REMOTE_ADDR="192.0.2.1"), BACK_OFFICE_PASSWORD, device, totp_now(device)).status_code == 302


def test_behind_a_proxy_the_forwarded_client_address_is_counted(staff_member, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    _, device = staff_member
    proxy = "10.0.0.2"
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.9"), "fout", username=f"b{n}")
    other_client = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert attempt(other_client, BACK_OFFICE_PASSWORD, device, totp_now(device)).status_code == 302


def test_guessing_codes_slows_the_device_down(staff_member, client):
    _, device = staff_member
    right = totp_now(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    attempt(client, BACK_OFFICE_PASSWORD, device, wrong)
    response = attempt(client, BACK_OFFICE_PASSWORD, device, right)
    assert response.status_code == 200  # django-otp throttles the device after a wrong code
    assert not in_back_office(client)
    device.refresh_from_db()
    assert device.throttling_failure_count >= 1


def test_first_time_setup_enrols_an_app_and_recovery_codes(monkeypatch, client):
    answers = iter([BACK_OFFICE_PASSWORD, BACK_OFFICE_PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    printed: list[str] = []

    def app_shows(prompt=""):
        # What the staff member's authenticator app shows after scanning the printed address.
        url = next(line.strip() for line in printed if line.strip().startswith("otpauth://"))
        return rfc6238(url, time.time())

    monkeypatch.setattr("builtins.input", app_shows)

    class Out:
        def write(self, text):
            printed.extend(text.splitlines())

    call_command("backoffice_account", "nieuw", "--email", "n@example.org", stdout=Out())
    user = get_user_model().objects.get(username="nieuw")
    assert user.is_staff and user.is_superuser and user.check_password(BACK_OFFICE_PASSWORD)
    totp = TOTPDevice.objects.get(user=user)
    assert totp.confirmed
    codes = [line.strip() for line in printed[printed.index(next(p for p in printed if "Recovery" in p)) + 1 :]]
    codes = [c for c in codes if c and " " not in c]
    assert len(codes) == 10 and len(set(codes)) == 10
    # A recovery code gets in once, and only once.
    recovery = StaticDevice.objects.get(user=user)
    ok = attempt(client, BACK_OFFICE_PASSWORD, recovery, codes[0], username="nieuw")
    assert ok.status_code == 302 and in_back_office(client)
    again = Client()
    assert attempt(again, BACK_OFFICE_PASSWORD, recovery, codes[0], username="nieuw").status_code == 200
    assert not in_back_office(again)


def test_setup_keeps_nothing_when_the_app_code_is_never_right(monkeypatch):
    answers = iter([BACK_OFFICE_PASSWORD, BACK_OFFICE_PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    monkeypatch.setattr("builtins.input", lambda prompt="": "000000x")
    with pytest.raises(CommandError):
        call_command("backoffice_account", "mislukt", stdout=io.StringIO())
    assert not get_user_model().objects.filter(username="mislukt").exists()
    assert not TOTPDevice.objects.exists()


def test_setup_refuses_a_weak_password(monkeypatch):
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "kort")
    with pytest.raises(CommandError):
        call_command("backoffice_account", "zwak")
    assert not get_user_model().objects.filter(username="zwak").exists()


def test_the_pupil_list_is_behind_the_second_factor(staff_member):
    # The reason for all of this: the back office lists pupils of every school.
    assert Pupil._meta.app_label == "roster"
    assert Client().get(reverse("admin:roster_pupil_changelist")).status_code == 302
