from django.core.management.base import BaseCommand
from django.db import transaction

from bingel_admin import crypto
from integrations.models import ResultLink
from licenses import page_cache
from licenses.models import PageStamp
from roster.bulk import update_values
from roster.models import Pupil, PupilLoginCode, Staff

# Every model field that holds a value encrypted with FIELD_ENCRYPTION_KEYS, and the field that
# holds its keyed fingerprint (FIELD_FINGERPRINT_KEY), if any.
ENCRYPTED_FIELDS = [
    (ResultLink, "key_encrypted", None),
    (PupilLoginCode, "code_encrypted", "code_fingerprint"),
    # ECK iDs (roster/eckid.py); a person without one has an empty value, left as it is.
    (Pupil, "eckid_encrypted", "eckid_fingerprint"),
    (Staff, "eckid_encrypted", "eckid_fingerprint"),
]
BATCH = 1000


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret (LVS keys, pupil login codes, ECK iDs) with the newest key in "
        "FIELD_ENCRYPTION_KEYS (old Fernet values become AES-GCM ones) and recompute the login codes' "
        "and ECK iDs' fingerprints under FIELD_FINGERPRINT_KEY."
    )

    def handle(self, *args, **options):
        counts = {}
        with transaction.atomic():
            for model, field, fingerprint_field in ENCRYPTED_FIELDS:
                fields = [field, fingerprint_field] if fingerprint_field else [field]
                count, batch = 0, []
                rows = model.objects.select_for_update().exclude(**{field: ""}).values_list("pk", field)
                for pk, token in rows.iterator(chunk_size=BATCH):
                    secret = crypto.decrypt(token)
                    sealed = token if crypto.is_current(token) else crypto.encrypt(secret)
                    batch.append((pk, sealed, crypto.fingerprint(secret)) if fingerprint_field else (pk, sealed))
                    count += 1
                    if len(batch) >= BATCH:
                        update_values(model, fields, batch)
                        batch = []
                update_values(model, fields, batch)
                counts[model._meta.verbose_name_plural] = count
            # Nothing rendered before the rotation is served after it (licenses.page_cache).
            page_cache.bump([PageStamp.CATALOGUE])
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(f"Re-encrypted: {summary}; the older keys can now be removed from FIELD_ENCRYPTION_KEYS.")
