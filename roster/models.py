"""The school roster as Basispoort delivers it: schools, groups, staff and pupils.

Everything here is owned by the school administration system (LAS) and arrives through the
nightly import; this application never edits it by hand. Rows that disappear from the feed
are deactivated, not deleted, so history and the audit log stay readable.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

brin_validator = RegexValidator(r"^\d{2}[A-Z]{2}$", _("Een BRIN-code is twee cijfers en twee hoofdletters."))
dependancecode_validator = RegexValidator(r"^\d{2}$", _("Een dependancecode is twee cijfers."))


class School(models.Model):
    basispoort_id = models.BigIntegerField(_("Basispoort-id"), unique=True)
    brin = models.CharField(_("BRIN-code"), max_length=4, blank=True, db_index=True)
    dependancecode = models.CharField(_("dependancecode"), max_length=2, blank=True)
    schoolkey = models.CharField(_("schoolkey"), max_length=64, blank=True)
    name = models.CharField(_("naam"), max_length=200)
    street = models.CharField(_("straat"), max_length=200, blank=True)
    house_number = models.CharField(_("huisnummer"), max_length=20, blank=True)
    house_number_suffix = models.CharField(_("toevoeging"), max_length=20, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    city = models.CharField(_("plaats"), max_length=100, blank=True)
    instelling_ref = models.CharField(_("instellingRef"), max_length=64, blank=True)
    bestuurscode = models.CharField(_("bestuurscode"), max_length=20, blank=True)
    active = models.BooleanField(_("actief"), default=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("gefuseerd naar"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_from",
    )
    sync_permitted = models.BooleanField(_("synchronisatie toegestaan"), default=True)
    mutation_timestamp = models.DateTimeField(_("laatste mutatie in Basispoort"), null=True, blank=True)

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("scholen")
        ordering = ["name"]
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.location_code})" if self.brin else self.name

    @property
    def location_code(self) -> str:
        return f"{self.brin}{self.dependancecode}"


class Group(models.Model):
    school = models.ForeignKey(School, verbose_name=_("school"), on_delete=models.CASCADE, related_name="groups")
    las_key = models.CharField(_("LAS-sleutel"), max_length=64)
    name = models.CharField(_("naam"), max_length=100)
    jaargroep = models.CharField(_("jaargroep"), max_length=16, blank=True)
    description = models.CharField(_("omschrijving"), max_length=200, blank=True)
    is_subgroup = models.BooleanField(_("subgroep"), default=False)
    active = models.BooleanField(_("actief"), default=True)

    class Meta:
        verbose_name = _("groep")
        verbose_name_plural = _("groepen")
        ordering = ["jaargroep", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "las_key"], name="group_unique_las_key_per_school"),
            # Lets link tables point at (group, school) together, so a link can never cross schools.
            models.UniqueConstraint(fields=["id", "school"], name="group_id_school"),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    TEACHER = "Leerkracht", _("Leerkracht")
    ICT_COORDINATOR = "ICTCoordinator", _("Ict-coördinator")
    IB_RT = "IBRTer", _("Intern begeleider / remedial teacher")
    TRAINEE = "Stagiair", _("Stagiair")
    SUBSTITUTE = "Inval", _("Invalkracht")


class PersonName(models.Model):
    first_name = models.CharField(_("voornaam"), max_length=100, blank=True)
    infix = models.CharField(_("voorvoegsel"), max_length=30, blank=True)
    last_name = models.CharField(_("achternaam"), max_length=150, blank=True)
    initials = models.CharField(_("voorletters"), max_length=30, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.infix, self.last_name) if part)

    @property
    def sort_name(self) -> str:
        """ "Berg, Anna van den" — how Dutch school lists sort and show surnames."""
        given = " ".join(part for part in (self.first_name, self.infix) if part)
        return f"{self.last_name}, {given}" if given else self.last_name


class Staff(PersonName):
    """A person who works at one or more schools; identified by their Basispoort id."""

    basispoort_id = models.BigIntegerField(_("Basispoort-id"), unique=True)
    eckid = models.CharField(_("ECK iD"), max_length=256, blank=True)

    class Meta:
        verbose_name = _("medewerker")
        verbose_name_plural = _("medewerkers")
        ordering = ["last_name", "first_name"]


class Appointment(models.Model):
    """A staff member's place at one school: their key, e-mail and end date as that school lists them."""

    staff = models.ForeignKey(
        Staff, verbose_name=_("medewerker"), on_delete=models.CASCADE, related_name="appointments"
    )
    school = models.ForeignKey(School, verbose_name=_("school"), on_delete=models.CASCADE, related_name="appointments")
    las_key = models.CharField(_("LAS-sleutel"), max_length=64, blank=True)
    email = models.EmailField(_("e-mailadres"), blank=True)
    end_date = models.DateField(_("einddatum"), null=True, blank=True)
    active = models.BooleanField(_("actief"), default=True)
    groups = models.ManyToManyField(Group, verbose_name=_("groepen"), related_name="teachers", blank=True)

    class Meta:
        verbose_name = _("aanstelling")
        verbose_name_plural = _("aanstellingen")
        constraints = [
            models.UniqueConstraint(fields=["school", "staff"], name="appointment_unique_staff_per_school"),
            models.UniqueConstraint(
                fields=["school", "las_key"],
                condition=~Q(las_key=""),
                name="appointment_unique_las_key_per_school",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff} @ {self.school}"


class AppointmentRole(models.Model):
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("rol"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("rol")
        verbose_name_plural = _("rollen")
        constraints = [
            models.UniqueConstraint(fields=["appointment", "role"], name="appointment_role_unique"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="appointment_role_known"),
        ]

    def __str__(self) -> str:
        return self.get_role_display()


class Pupil(PersonName):
    school = models.ForeignKey(School, verbose_name=_("school"), on_delete=models.CASCADE, related_name="pupils")
    basispoort_id = models.BigIntegerField(_("Basispoort-id"))
    eckid = models.CharField(_("ECK iD"), max_length=256, blank=True)
    las_key = models.CharField(_("LAS-sleutel"), max_length=64, blank=True)
    jaargroep = models.CharField(_("jaargroep"), max_length=16, blank=True)
    group = models.ForeignKey(
        Group, verbose_name=_("groep"), null=True, blank=True, on_delete=models.SET_NULL, related_name="pupils"
    )
    subgroups = models.ManyToManyField(Group, verbose_name=_("subgroepen"), related_name="subgroup_pupils", blank=True)
    active = models.BooleanField(_("actief"), default=True)
    left_at = models.DateTimeField(_("vertrokken op"), null=True, blank=True)

    class Meta:
        verbose_name = _("leerling")
        verbose_name_plural = _("leerlingen")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "basispoort_id"], name="pupil_unique_basispoort_id_per_school"),
            models.UniqueConstraint(fields=["id", "school"], name="pupil_id_school"),
        ]
        indexes = [models.Index(fields=["school", "active", "last_name"])]
