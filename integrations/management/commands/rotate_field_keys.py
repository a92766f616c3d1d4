from django.core.management.base import BaseCommand, CommandError

from integrations.models import ResultLink
from licenses import stamps
from licenses.models import PageStamp
from roster import sealing
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


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret (LVS keys, pupil login codes, ECK iDs) with the newest key in "
        "FIELD_ENCRYPTION_KEYS (old Fernet values become AES-GCM ones) and recompute the login codes' "
        "and ECK iDs' fingerprints under FIELD_FINGERPRINT_KEY. Runs in short batches beside the "
        "day's work: a row a coordinator is changing is skipped and taken again afterwards."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=sealing.BATCH, help="rows per transaction")

    def handle(self, *args, batch, **options):
        counts, held = {}, []
        for model, field, fingerprint_field in ENCRYPTED_FIELDS:
            try:
                count = sealing.reseal(model, field, fingerprint_field, batch=batch)
            except sealing.RowsStillHeld as still:
                count = still.done
                held.append(f"{still.left} {model._meta.verbose_name_plural}")
            counts[model._meta.verbose_name_plural] = count
        # Nothing rendered before the rotation is served after it (licenses.page_cache).
        stamps.bump([PageStamp.CATALOGUE])
        if held:
            summary = ", ".join(f"{count} {name}" for name, count in counts.items())
            raise CommandError(
                f"Re-encrypted: {summary}; not yet: {', '.join(held)}, held by other sessions for more "
                f"than {sealing.HOLD_WAIT_SECONDS} s. Keep the older keys in FIELD_ENCRYPTION_KEYS and run "
                "the command again."
            )
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(f"Re-encrypted: {summary}; the older keys can now be removed from FIELD_ENCRYPTION_KEYS.")
