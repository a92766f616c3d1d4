"""Keys are encrypted at rest with FIELD_ENCRYPTION_KEYS (not SECRET_KEY), and can be rotated."""

from __future__ import annotations

import subprocess
import sys

from cryptography.fernet import Fernet
from django.core.management import call_command

from bingel_admin import crypto
from tests.lvs_helpers import LVS_KEY, make_result_link
from tests.servers import ROOT, production_env


def test_encryption_round_trip_is_not_plain_and_not_deterministic():
    first, second = crypto.encrypt(LVS_KEY), crypto.encrypt(LVS_KEY)
    assert LVS_KEY not in first and first != second
    assert crypto.decrypt(first) == crypto.decrypt(second) == LVS_KEY


def test_secret_key_does_not_matter(settings):
    token = crypto.encrypt(LVS_KEY)
    settings.SECRET_KEY = "another-secret-key-entirely-0123456789-abcdefghijkl"
    assert crypto.decrypt(token) == LVS_KEY


def test_rotation_re_encrypts_under_the_newest_key(world, settings):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    link = make_result_link(world.school_a)
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("rotate_field_keys")
    link.refresh_from_db()
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert crypto.decrypt(link.key_encrypted) == LVS_KEY


def test_production_refuses_to_start_without_its_own_field_keys():
    env = production_env()
    del env["FIELD_ENCRYPTION_KEYS"]
    code = "import django; django.setup()"
    without = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert without.returncode != 0 and "FIELD_ENCRYPTION_KEYS" in without.stderr
    with_key = {**env, "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode()}
    started = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=with_key, capture_output=True, text=True)
    assert started.returncode == 0, started.stderr
