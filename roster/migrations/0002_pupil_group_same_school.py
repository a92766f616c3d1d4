from django.db import migrations

from bingel_admin.migration_ops import CompositeForeignKey


class Migration(migrations.Migration):
    dependencies = [("roster", "0001_initial")]

    operations = [
        CompositeForeignKey(
            table="roster_pupil",
            name="pupil_group_same_school",
            columns=["group_id", "school_id"],
            ref_table="roster_group",
            ref_columns=["id", "school_id"],
        ),
    ]
