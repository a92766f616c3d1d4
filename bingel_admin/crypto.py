"""Encryption at rest for secrets kept in the database (the LVS authorisation keys).

Fernet (AES-128-CBC + HMAC-SHA256) under keys from ``settings.FIELD_ENCRYPTION_KEYS``, newest
first: new values are encrypted with the newest key, older keys still decrypt until
``manage.py rotate_field_keys`` has re-encrypted everything. The keys are not SECRET_KEY, so
rotating one does not touch the other.
"""

from __future__ import annotations

import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionError(Exception):
    """A stored secret could not be decrypted with any configured key (the message holds no secret)."""


def _fernet() -> MultiFernet:
    return _fernet_for(tuple(settings.FIELD_ENCRYPTION_KEYS))


@functools.lru_cache(maxsize=4)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    # Cached per key list: building the ciphers costs more than encrypting one short code, and
    # an import encrypts a code for every new pupil.
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key.") from exc


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        # `from None`: the chained exception would carry nothing useful, and nothing secret must follow.
        raise DecryptionError("stored secret cannot be decrypted with the configured keys") from None


def rotate(token: str) -> str:
    """The same secret, re-encrypted under the newest key."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError("stored secret cannot be decrypted with the configured keys") from None
