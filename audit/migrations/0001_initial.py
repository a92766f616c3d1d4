# The audit log, moved here from ``licenses`` with its table: state only, nothing in the database changes.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("roster", "0001_initial"),
        ("licenses", "0004_group_year_levels"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="AuditEvent",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="tijdstip")),
                        (
                            "actor_label",
                            models.CharField(
                                help_text="Naam op het moment van de wijziging, of 'import'.",
                                max_length=200,
                                verbose_name="door (naam)",
                            ),
                        ),
                        (
                            "action",
                            models.CharField(
                                choices=[
                                    ("link_group", "Groep gekoppeld"),
                                    ("unlink_group", "Groep ontkoppeld"),
                                    ("assign_seat", "Leerling gekoppeld"),
                                    ("release_seat", "Leerling ontkoppeld"),
                                    ("licence_changed", "Licentie gewijzigd"),
                                    ("login_method_changed", "Inlogmethode van een groep gewijzigd"),
                                    ("login_code_changed", "Inlogcode van een leerling gewijzigd"),
                                    ("result_link_added", "Resultaatkoppeling toegevoegd"),
                                    ("result_link_key_changed", "Sleutel van een resultaatkoppeling gewijzigd"),
                                    ("result_link_removed", "Resultaatkoppeling verwijderd"),
                                    ("result_link_status", "Status van een resultaatkoppeling gewijzigd"),
                                ],
                                max_length=30,
                                verbose_name="actie",
                            ),
                        ),
                        ("subject", models.CharField(max_length=300, verbose_name="onderwerp")),
                        ("before", models.JSONField(blank=True, null=True, verbose_name="voor")),
                        ("after", models.JSONField(blank=True, null=True, verbose_name="na")),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="door",
                            ),
                        ),
                        (
                            "school",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="roster.school",
                                verbose_name="school",
                            ),
                        ),
                        (
                            "licence",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="licenses.licence",
                                verbose_name="licentie",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "logboekregel",
                        "verbose_name_plural": "logboek",
                        "db_table": "licenses_auditevent",
                        "ordering": ["-created_at", "-id"],
                        "indexes": [
                            models.Index(fields=["school", "-created_at"], name="licenses_au_school__213de4_idx"),
                            models.Index(fields=["licence", "-created_at"], name="licenses_au_licence_5b6d3e_idx"),
                        ],
                    },
                ),
            ],
        ),
    ]
