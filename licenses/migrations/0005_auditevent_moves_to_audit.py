# The audit log moves to the app ``audit``; its table (licenses_auditevent) and rows stay.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("licenses", "0004_group_year_levels"),
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditEvent")],
            database_operations=[],
        ),
    ]
