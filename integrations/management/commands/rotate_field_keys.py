from django.core.management.base import BaseCommand
from django.db import transaction

from bingel_admin import crypto
from integrations.models import ResultLink
from licenses import page_cache
from licenses.models import PageStamp
from roster.models import PupilLoginCode

# Every model field that holds a value encrypted with FIELD_ENCRYPTION_KEYS.
ENCRYPTED_FIELDS = [(ResultLink, "key_encrypted"), (PupilLoginCode, "code_encrypted")]


class Command(BaseCommand):
    help = "Re-encrypt every stored secret (LVS keys, pupil login codes) with the newest key in FIELD_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        counts = {}
        with transaction.atomic():
            for model, field in ENCRYPTED_FIELDS:
                count = 0
                for pk, token in model.objects.select_for_update().values_list("pk", field).iterator():
                    model.objects.filter(pk=pk).update(**{field: crypto.rotate(token)})
                    count += 1
                counts[model._meta.verbose_name_plural] = count
            # Nothing rendered before the rotation is served after it (licenses.page_cache).
            page_cache.bump([PageStamp.CATALOGUE])
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(f"Re-encrypted: {summary}; the older keys can now be removed from FIELD_ENCRYPTION_KEYS.")
