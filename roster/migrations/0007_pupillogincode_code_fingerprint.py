"""A keyed fingerprint next to every login code, filled for the codes stored before it existed.

Filling decrypts each stored code once (FIELD_ENCRYPTION_KEYS) and hashes it under
FIELD_FINGERPRINT_KEY, in batches; from then on the import compares fingerprints and decrypts
nothing to find a clash. After changing FIELD_FINGERPRINT_KEY, `manage.py rotate_field_keys`
recomputes them.
"""

from django.db import migrations, models

BATCH = 2000


def fill_fingerprints(apps, schema_editor):
    from bingel_admin import crypto
    from roster.bulk import update_values

    codes = apps.get_model("roster", "PupilLoginCode")
    rows = codes.objects.filter(code_fingerprint="").values_list("pk", "code_encrypted")
    batch = []
    for pk, token in rows.iterator(chunk_size=BATCH):
        batch.append((pk, crypto.fingerprint(crypto.decrypt(token))))
        if len(batch) >= BATCH:
            update_values(codes, ["code_fingerprint"], batch)
            batch = []
    update_values(codes, ["code_fingerprint"], batch)


class Migration(migrations.Migration):
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
