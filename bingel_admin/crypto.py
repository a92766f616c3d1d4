"""Encryption at rest for secrets kept in the database (LVS authorisation keys, pupil login codes).

New values are sealed with AES-256-GCM (an AEAD cipher: one short call per value, several
times faster than Fernet, which a first national import felt for 1.37 million login codes).
The AES keys are derived (HKDF-SHA256) from the keys in ``settings.FIELD_ENCRYPTION_KEYS``,
newest first, so that one setting still holds every key and rotation works as before: new
values use the newest key, older keys still decrypt until ``manage.py rotate_field_keys`` has
re-encrypted everything. A sealed value reads ``v2.<base64 of key id, nonce, ciphertext>``;
values stored before are Fernet tokens (they start with ``gAAAA``) and stay readable under the
same keys, and rotation turns them into ``v2`` values. The keys are not SECRET_KEY, so rotating
one does not touch the other.

``fingerprint`` is a keyed hash (HMAC-SHA256 under ``settings.FIELD_FINGERPRINT_KEY``, a key of
its own) of a secret, stored next to it so two secrets can be compared for equality without
decrypting either: the import checks a moving pupil's login code against the new classmates'
that way.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "v2."
_KEY_ID_BYTES = 4
_NONCE_BYTES = 12
_AAD = b"bingel-field-v2"


class DecryptionError(Exception):
    """A stored secret could not be decrypted with any configured key (the message holds no secret)."""


class _Keys:
    """The ciphers of one key list: AES-GCM per key (by key id) and Fernet for old tokens."""

    def __init__(self, keys: tuple[str, ...]):
        if not keys:
            raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty.")
        try:
            self.fernet = MultiFernet([Fernet(key) for key in keys])
            raw = [base64.urlsafe_b64decode(key) for key in keys]
        except ValueError as exc:
            raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key.") from exc
        self.aead: dict[bytes, AESGCM] = {}
        for secret in raw:
            derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"bingel field aead v2").derive(secret)
            key_id = hashlib.sha256(derived).digest()[:_KEY_ID_BYTES]
            self.aead.setdefault(key_id, AESGCM(derived))
        self.newest_id = next(iter(self.aead))
        self.newest = self.aead[self.newest_id]


def _keys() -> _Keys:
    return _keys_for(tuple(settings.FIELD_ENCRYPTION_KEYS))


@functools.lru_cache(maxsize=4)
def _keys_for(keys: tuple[str, ...]) -> _Keys:
    # Cached per key list: deriving the keys costs more than sealing one short code.
    return _Keys(keys)


def encrypt(plaintext: str) -> str:
    keys = _keys()
    nonce = os.urandom(_NONCE_BYTES)
    sealed = keys.newest.encrypt(nonce, plaintext.encode(), _AAD)
    return PREFIX + base64.urlsafe_b64encode(keys.newest_id + nonce + sealed).decode()


def decrypt(token: str) -> str:
    keys = _keys()
    if not token.startswith(PREFIX):
        try:
            return keys.fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            # `from None`: the chained exception would carry nothing useful, and nothing secret must follow.
            raise DecryptionError("stored secret cannot be decrypted with the configured keys") from None
    try:
        raw = base64.urlsafe_b64decode(token[len(PREFIX) :])
        key_id, nonce, sealed = raw[:_KEY_ID_BYTES], raw[_KEY_ID_BYTES : _KEY_ID_BYTES + _NONCE_BYTES], raw[16:]
        return keys.aead[key_id].decrypt(nonce, sealed, _AAD).decode()
    except (KeyError, ValueError, InvalidTag):
        raise DecryptionError("stored secret cannot be decrypted with the configured keys") from None


def is_current(token: str) -> bool:
    """Whether ``token`` is already sealed with the newest key (rotation can leave it alone)."""
    if not token.startswith(PREFIX):
        return False
    try:
        return base64.urlsafe_b64decode(token[len(PREFIX) : len(PREFIX) + 8])[:_KEY_ID_BYTES] == _keys().newest_id
    except ValueError:
        return False


def rotate(token: str) -> str:
    """The same secret, re-encrypted under the newest key (an old Fernet token becomes a v2 value)."""
    return token if is_current(token) else encrypt(decrypt(token))


def _fingerprint_key() -> bytes:
    key = settings.FIELD_FINGERPRINT_KEY
    if not key:
        raise ImproperlyConfigured("FIELD_FINGERPRINT_KEY is empty.")
    return key.encode()


@functools.lru_cache(maxsize=4)
def _fingerprint_base(key: bytes):
    return hmac.new(key, digestmod=hashlib.sha256)


def fingerprint(plaintext: str) -> str:
    """A keyed hash of ``plaintext`` (32 hex digits): equal secrets, equal fingerprints; nothing else learnt."""
    mac = _fingerprint_base(_fingerprint_key()).copy()
    mac.update(plaintext.encode())
    return mac.hexdigest()[:32]
