"""The ECK iD: the sector's chain pseudonym of a pupil or teacher (``https://ketenid.nl/201703/<hex>``).

Stored sealed (``bingel_admin.crypto``: AES-GCM under FIELD_ENCRYPTION_KEYS, rotated by
``manage.py rotate_field_keys``) with a keyed fingerprint beside it (FIELD_FINGERPRINT_KEY), so
the nightly import sees whether it changed without decrypting anything. It is opened in two
places only: the UWLR message to an LVS the school linked (``integrations.export``) and the
licence registry's ``eckid`` field (``integrations.registry.entitlements``). It is never shown,
logged, audited or exported otherwise (docs/PRIVACY.md).
"""

from __future__ import annotations

from bingel_admin import crypto


def seal(eckid: str) -> tuple[str, str]:
    """(sealed value, fingerprint) of an ECK iD; both empty when there is none."""
    if not eckid:
        return "", ""
    return crypto.encrypt(eckid), crypto.fingerprint(eckid)


def fingerprint(eckid: str) -> str:
    """The keyed fingerprint the import compares; empty when there is no ECK iD."""
    return crypto.fingerprint(eckid) if eckid else ""


def reveal(sealed: str) -> str:
    """The ECK iD itself, for the UWLR message and the licence registry only; "" when none."""
    return crypto.decrypt(sealed) if sealed else ""
