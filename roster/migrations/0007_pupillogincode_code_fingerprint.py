"""A keyed fingerprint next to every login code, filled for the codes stored before it existed.

Filling decrypts each stored code once (FIELD_ENCRYPTION_KEYS) and hashes it under
FIELD_FINGERPRINT_KEY, in short batches that each commit on their own and skip a row a
coordinator is changing (roster.sealing); from then on the import compares fingerprints and decrypts
nothing to find a clash. After changing FIELD_FINGERPRINT_KEY, `manage.py rotate_field_keys`
recomputes them.
"""

from django.db import migrations, models
from django.db.models import Q

from roster import sealing


def fill_fingerprints(apps, schema_editor):
    # Short transactions of their own that skip rows a coordinator is changing (roster.sealing):
    # the backfill of 1.37 M codes never stops the day's work.
    codes = apps.get_model("roster", "PupilLoginCode")
    sealing.reseal(codes, "code_encrypted", "code_fingerprint", rotate=False, where=Q(code_fingerprint=""))


class Migration(migrations.Migration):
    # Each batch of the backfill commits on its own (roster.sealing); the column is added first.
    atomic = False

    dependencies = [
        ("roster", "0006_importrun_error"),
    ]

    operations = [
        migrations.AddField(
            model_name="pupillogincode",
            name="code_fingerprint",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="vingerafdruk van de code"),
        ),
        migrations.RunPython(fill_fingerprints, migrations.RunPython.noop),
    ]
