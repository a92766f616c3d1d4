"""The audit log: who changed what, when, from what to what.

The bottom layer: every app writes here through :mod:`audit.records`, and this module imports no
app of the project. School and licence are referenced by model label, so the table (created as
``licenses_auditevent`` and kept under that name) needs no code from the apps above.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    LINK_GROUP = "link_group", _("Groep gekoppeld")
    UNLINK_GROUP = "unlink_group", _("Groep ontkoppeld")
    ASSIGN_SEAT = "assign_seat", _("Leerling gekoppeld")
    RELEASE_SEAT = "release_seat", _("Leerling ontkoppeld")
    LICENCE_CHANGED = "licence_changed", _("Licentie gewijzigd")
    LOGIN_METHOD_CHANGED = "login_method_changed", _("Inlogmethode van een groep gewijzigd")
    LOGIN_CODE_CHANGED = "login_code_changed", _("Inlogcode van een leerling gewijzigd")
    RESULT_LINK_ADDED = "result_link_added", _("Resultaatkoppeling toegevoegd")
    RESULT_LINK_KEY_CHANGED = "result_link_key_changed", _("Sleutel van een resultaatkoppeling gewijzigd")
    RESULT_LINK_REMOVED = "result_link_removed", _("Resultaatkoppeling verwijderd")
    RESULT_LINK_STATUS = "result_link_status", _("Status van een resultaatkoppeling gewijzigd")
    RESTORE_SEAT = "restore_seat", _("Leerling terug in de administratie")
    HELD_NIGHT_APPLIED = "held_night_applied", _("Tegengehouden gegevens toch verwerkt")
    HELD_NIGHT_DISCARDED = "held_night_discarded", _("Tegengehouden gegevens genegeerd")
    ENTREE_LINKED = "entree_linked", _("Entree-account gekoppeld")
    ENTREE_UNLINKED = "entree_unlinked", _("Entree-koppeling verwijderd")
    PROPOSAL_DECLINED = "proposal_declined", _("Voorstel voor het nieuwe schooljaar niet overgenomen")


class AuditEvent(models.Model):
    """Who changed what, when, from what to what. Rows are never updated or deleted by the app
    (retention replaces names by pseudonyms through :func:`audit.records.pseudonymise_pupils`)."""

    created_at = models.DateTimeField(_("tijdstip"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("door"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(
        _("door (naam)"), max_length=200, help_text=_("Naam op het moment van de wijziging, of 'import'.")
    )
    school = models.ForeignKey(
        "roster.School", verbose_name=_("school"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    licence = models.ForeignKey(
        "licenses.Licence",
        verbose_name=_("licentie"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("actie"), max_length=30, choices=AuditAction.choices)
    subject = models.CharField(_("onderwerp"), max_length=300)
    before = models.JSONField(_("voor"), null=True, blank=True)
    after = models.JSONField(_("na"), null=True, blank=True)

    class Meta:
        db_table = "licenses_auditevent"
        verbose_name = _("logboekregel")
        verbose_name_plural = _("logboek")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["school", "-created_at"], name="licenses_au_school__213de4_idx"),
            models.Index(fields=["licence", "-created_at"], name="licenses_au_licence_5b6d3e_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label}: {self.get_action_display()} {self.subject}"
