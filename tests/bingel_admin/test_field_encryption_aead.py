"""Secrets are sealed with AES-GCM under keys derived from FIELD_ENCRYPTION_KEYS; values stored
as Fernet tokens before stay readable, and rotation turns them into AES-GCM under the newest key."""

from __future__ import annotations

import base64
import importlib
import io
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import call_command

from bingel_admin import crypto
from roster.models import PupilLoginCode
from tests.factories import make_pupil
from tests.lvs_helpers import LVS_KEY, make_result_link
from tests.servers import ROOT, production_env

pytestmark = pytest.mark.django_db


def test_new_values_are_aes_gcm_with_a_fresh_nonce_each():
    first, second = crypto.encrypt("8642"), crypto.encrypt("8642")
    assert first.startswith("v2.") and second.startswith("v2.") and first != second
    assert "8642" not in first
    assert crypto.decrypt(first) == crypto.decrypt(second) == "8642"


def test_a_tampered_value_is_refused_without_saying_what_it_held():
    token = crypto.encrypt("kat-vis-zon")
    sealed = bytearray(base64.urlsafe_b64decode(token.removeprefix("v2.")))
    sealed[20] ^= 1  # one bit of the ciphertext
    with pytest.raises(crypto.DecryptionError) as refused:
        crypto.decrypt("v2." + base64.urlsafe_b64encode(bytes(sealed)).decode())
    assert "kat" not in str(refused.value)


def test_fernet_tokens_stored_before_stay_readable(settings):
    old = Fernet(settings.FIELD_ENCRYPTION_KEYS[0]).encrypt(b"appel-bal-boom").decode()
    assert crypto.decrypt(old) == "appel-bal-boom"


def test_rotation_turns_old_fernet_values_into_aes_gcm_under_the_newest_key_and_renews_fingerprints(world, settings):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    pupil = make_pupil(world.school_a, world.school_a.groups.first(), "Lotte", "Smit")
    # A code and an LVS key as they were stored before AES-GCM: Fernet tokens, fingerprint from the old key.
    PupilLoginCode.objects.create(
        pupil=pupil,
        method="cijfers",
        code_encrypted=Fernet(old_key).encrypt(b"4711").decode(),
        code_fingerprint=crypto.fingerprint("4711"),
    )
    link = make_result_link(world.school_a)
    link.key_encrypted = Fernet(old_key).encrypt(LVS_KEY.encode()).decode()
    link.save(update_fields=["key_encrypted"])
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    settings.FIELD_FINGERPRINT_KEY = "a-new-fingerprint-key-after-a-leak-0123456789"

    call_command("rotate_field_keys", stdout=io.StringIO())

    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    stored = PupilLoginCode.objects.get(pupil=pupil)
    link.refresh_from_db()
    assert stored.code_encrypted.startswith("v2.") and link.key_encrypted.startswith("v2.")
    assert crypto.decrypt(stored.code_encrypted) == "4711"
    assert crypto.decrypt(link.key_encrypted) == LVS_KEY
    assert stored.code_fingerprint == crypto.fingerprint("4711")
    # A second rotation leaves values already under the newest key as they are.
    call_command("rotate_field_keys", stdout=io.StringIO())
    assert PupilLoginCode.objects.get(pupil=pupil).code_encrypted == stored.code_encrypted


def test_a_value_sealed_with_a_removed_key_is_refused(settings):
    token = crypto.encrypt("1234")
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token)


def test_production_refuses_to_start_without_its_own_fingerprint_key():
    env = production_env()
    del env["FIELD_FINGERPRINT_KEY"]

    def start(**extra) -> subprocess.CompletedProcess:
        code = "import django; django.setup()"
        return subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env={**env, **extra}, capture_output=True, text=True
        )

    for refused in ({}, {"FIELD_FINGERPRINT_KEY": "short"}):
        failed = start(**refused)
        assert failed.returncode != 0 and "FIELD_FINGERPRINT_KEY" in failed.stderr
    started = start(FIELD_FINGERPRINT_KEY="production-fingerprint-key-for-this-check-0123")
    assert started.returncode == 0, started.stderr


def test_the_migration_fills_the_fingerprints_of_codes_stored_before(world, settings):

    migration = importlib.import_module("roster.migrations.0007_pupillogincode_code_fingerprint")
    group = world.school_a.groups.first()
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    for n, code in enumerate(["1357", "2468"]):
        pupil = make_pupil(world.school_a, group, f"Kind{n}", "Peters")
        PupilLoginCode.objects.create(
            pupil=pupil, method="cijfers", code_encrypted=Fernet(old_key).encrypt(code.encode()).decode()
        )

    migration.fill_fingerprints(apps, None)

    assert sorted(PupilLoginCode.objects.values_list("code_fingerprint", flat=True)) == sorted(
        [crypto.fingerprint("1357"), crypto.fingerprint("2468")]
    )
