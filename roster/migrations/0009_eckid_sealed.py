"""The ECK iD of pupils and staff sealed at rest, with a keyed fingerprint beside it.

The rows stored before are sealed here (FIELD_ENCRYPTION_KEYS, FIELD_FINGERPRINT_KEY: the
migration needs both settings), in batches, and then the plain column is dropped. Not
reversible: the plain column must not come back.
"""

from django.db import migrations, models

BATCH = 2000


def seal_existing(apps, schema_editor):
    # Imported here, not at the top: a migration module is loaded for every migrate, and the
    # cipher needs the settings only when there are rows to seal.
    from roster.bulk import update_values
    from roster.eckid import seal

    for name in ("Pupil", "Staff"):
        model = apps.get_model("roster", name)
        batch = []
        for pk, eckid in model.objects.exclude(eckid="").values_list("pk", "eckid").iterator(chunk_size=BATCH):
            batch.append((pk, *seal(eckid)))
            if len(batch) >= BATCH:
                update_values(model, ["eckid_encrypted", "eckid_fingerprint"], batch)
                batch = []
        update_values(model, ["eckid_encrypted", "eckid_fingerprint"], batch)


class Migration(migrations.Migration):
    dependencies = [
        ("roster", "0008_held_nights"),
    ]

    operations = [
        migrations.AddField(
            model_name="pupil",
            name="eckid_encrypted",
            field=models.TextField(blank=True, editable=False, verbose_name="ECK iD (versleuteld)"),
        ),
        migrations.AddField(
            model_name="pupil",
            name="eckid_fingerprint",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="staff",
            name="eckid_encrypted",
            field=models.TextField(blank=True, editable=False, verbose_name="ECK iD (versleuteld)"),
        ),
        migrations.AddField(
            model_name="staff",
            name="eckid_fingerprint",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop, elidable=False),
        migrations.RemoveField(model_name="pupil", name="eckid"),
        migrations.RemoveField(model_name="staff", name="eckid"),
    ]
