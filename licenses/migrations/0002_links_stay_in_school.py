from django.db import migrations

from bingel_admin.migration_ops import CompositeForeignKey


class Migration(migrations.Migration):
    dependencies = [("licenses", "0001_initial"), ("roster", "0002_pupil_group_same_school")]

    operations = [
        CompositeForeignKey(
            table="licenses_grouplink",
            name="grouplink_licence_same_school_and_kind",
            columns=["licence_id", "school_id", "kind"],
            ref_table="licenses_licence",
            ref_columns=["id", "school_id", "kind"],
        ),
        CompositeForeignKey(
            table="licenses_grouplink",
            name="grouplink_group_same_school",
            columns=["group_id", "school_id"],
            ref_table="roster_group",
            ref_columns=["id", "school_id"],
        ),
        CompositeForeignKey(
            table="licenses_seat",
            name="seat_licence_same_school_and_kind",
            columns=["licence_id", "school_id", "kind"],
            ref_table="licenses_licence",
            ref_columns=["id", "school_id", "kind"],
        ),
        CompositeForeignKey(
            table="licenses_seat",
            name="seat_pupil_same_school",
            columns=["pupil_id", "school_id"],
            ref_table="roster_pupil",
            ref_columns=["id", "school_id"],
        ),
    ]
