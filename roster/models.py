"""The school roster as Basispoort delivers it: schools, groups, staff and pupils.

Everything here is owned by the school administration system (LAS) and arrives through the
nightly import; this application never edits it by hand. Rows that disappear from the feed
are deactivated, not deleted, so history and the audit log stay readable.
"""

from __future__ import annotations

from django.conf import settings
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
    inactive_since = models.DateTimeField(_("niet meer actief sinds"), null=True, blank=True)
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


class ImportRunStatus(models.TextChoices):
    RUNNING = "running", _("Bezig")
    FINISHED = "finished", _("Klaar")
    FAILED = "failed", _("Klaar, met fouten")


class ImportRun(models.Model):
    """One import of the roster feed: a night's run, or one started by hand."""

    started_at = models.DateTimeField(_("gestart"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("klaar"), null=True, blank=True)
    trigger = models.CharField(_("aanleiding"), max_length=20)
    source = models.CharField(_("bron"), max_length=300)
    full = models.BooleanField(_("alles opnieuw"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportRunStatus.choices, default=ImportRunStatus.RUNNING
    )
    schools_total = models.IntegerField(_("scholen"), default=0)
    schools_done = models.IntegerField(_("scholen verwerkt"), default=0)
    schools_failed = models.IntegerField(_("scholen mislukt"), default=0)
    # Why the run itself stopped (a crash, or the sweep of a run that never ended); empty otherwise.
    error = models.TextField(_("reden van afbreken"), blank=True)

    class Meta:
        verbose_name = _("importrun")
        verbose_name_plural = _("importruns")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ImportRunStatus.values), name="importrun_status_known"),
        ]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} ({self.get_status_display()})"


class SchoolResultStatus(models.TextChoices):
    IMPORTED = "imported", _("Bijgewerkt")
    UNCHANGED = "unchanged", _("Ongewijzigd")
    FAILED = "failed", _("Geweigerd of mislukt")
    WITHDRAWN = "withdrawn", _("Toestemming ingetrokken")
    HELD = "held", _("Tegengehouden")


class SchoolImportResult(models.Model):
    """What one run did with one school. ``school`` stays empty when a new school's first file was refused."""

    run = models.ForeignKey(ImportRun, verbose_name=_("importrun"), on_delete=models.CASCADE, related_name="results")
    school = models.ForeignKey(
        School, verbose_name=_("school"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    basispoort_id = models.BigIntegerField(_("Basispoort-id"))
    status = models.CharField(_("status"), max_length=10, choices=SchoolResultStatus.choices)
    created = models.JSONField(_("nieuw"), default=dict, blank=True)
    updated = models.JSONField(_("gewijzigd"), default=dict, blank=True)
    deactivated = models.JSONField(_("gedeactiveerd"), default=dict, blank=True)
    moved_pupils = models.IntegerField(_("leerlingen verhuisd"), default=0)
    warnings = models.JSONField(_("waarschuwingen"), default=list, blank=True)
    error_code = models.CharField(_("foutcode"), max_length=40, blank=True)
    error = models.TextField(_("fout"), blank=True)
    duration = models.FloatField(_("duur (s)"), default=0)
    finished_at = models.DateTimeField(_("klaar"), auto_now_add=True)

    class Meta:
        verbose_name = _("importresultaat")
        verbose_name_plural = _("importresultaten")
        ordering = ["-finished_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "basispoort_id"], name="schoolimportresult_unique_per_run"),
            models.CheckConstraint(
                condition=Q(status__in=SchoolResultStatus.values), name="schoolimportresult_status_known"
            ),
        ]
        indexes = [models.Index(fields=["school", "-finished_at"])]

    def __str__(self) -> str:
        return f"{self.basispoort_id}: {self.get_status_display()}"


class HoldReason(models.TextChoices):
    PUPILS_LEAVING = "pupils_leaving", _("Veel leerlingen zouden vertrekken")
    LICENSED_GROUP_REMOVED = "licensed_group_removed", _("Een groep met licenties zou verdwijnen")
    STAFF_LEAVING = "staff_leaving", _("Meer dan de helft van de medewerkers zou verdwijnen")
    COORDINATORS_LEAVING = "coordinators_leaving", _("Alle ict-coördinatoren zouden verdwijnen")


class HoldDecision(models.TextChoices):
    APPLIED = "applied", _("Toch verwerkt")
    DISCARDED = "discarded", _("Genegeerd")
    SUPERSEDED = "superseded", _("Vervangen door een latere tegengehouden nacht")
    RESOLVED = "resolved", _("Een latere nacht is gewoon verwerkt")


class HeldNight(models.Model):
    """A school's night the import held back because it looked like a glitch (``roster.holds``).

    The school's data stay as they were; the document is kept so the coordinator can still apply
    it ("Toch verwerken") or discard it ("Negeren"). At most one hold per school is open.
    """

    school = models.ForeignKey(School, verbose_name=_("school"), on_delete=models.CASCADE, related_name="held_nights")
    run = models.ForeignKey(
        ImportRun, verbose_name=_("importrun"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    held_at = models.DateTimeField(_("tegengehouden op"), db_index=True)
    # The school's documents as Basispoort sent them: {"details": …, "roster": …}; emptied once decided.
    document = models.JSONField(_("document"), default=dict, blank=True)
    summary = models.JSONField(_("wat er zou veranderen"), default=dict, blank=True)
    reasons = models.JSONField(_("redenen"), default=list)
    decided_at = models.DateTimeField(_("besloten op"), null=True, blank=True)
    decision = models.CharField(_("besluit"), max_length=12, choices=HoldDecision.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("besloten door"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_by_label = models.CharField(_("besloten door (naam)"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("tegengehouden nacht")
        verbose_name_plural = _("tegengehouden nachten")
        ordering = ["-held_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["school"], condition=Q(decided_at__isnull=True), name="heldnight_one_open_per_school"
            ),
            models.CheckConstraint(
                condition=Q(decision__in=["", *HoldDecision.values]), name="heldnight_decision_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school} {self.held_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.decided_at is None


class LoginMethod(models.TextChoices):
    PICTURES = "plaatjes", _("Plaatjes")
    NUMBERS = "cijfers", _("Cijfercode")


class GroupLoginMethod(models.Model):
    """How the pupils of a group log in to the pupil application: pictures or a number code."""

    group = models.OneToOneField(Group, verbose_name=_("groep"), on_delete=models.CASCADE, related_name="login_method")
    method = models.CharField(_("inlogmethode"), max_length=10, choices=LoginMethod.choices)
    changed_at = models.DateTimeField(_("gewijzigd"), auto_now=True)

    class Meta:
        verbose_name = _("inlogmethode van een groep")
        verbose_name_plural = _("inlogmethodes van groepen")
        constraints = [
            models.CheckConstraint(condition=Q(method__in=LoginMethod.values), name="grouploginmethod_known"),
        ]

    def __str__(self) -> str:
        return f"{self.group}: {self.get_method_display()}"


class PupilLoginCode(models.Model):
    """A pupil's login code, encrypted at rest like every other secret (bingel_admin.crypto).

    The code is a secret about a child: it is only ever decrypted to show it on the codes
    pages of the pupil's own group, never logged, never put in an audit row.
    """

    pupil = models.OneToOneField(Pupil, verbose_name=_("leerling"), on_delete=models.CASCADE, related_name="login_code")
    method = models.CharField(_("inlogmethode"), max_length=10, choices=LoginMethod.choices)
    code_encrypted = models.TextField(_("code (versleuteld)"))
    # A keyed hash of the code (bingel_admin.crypto.fingerprint): the import compares codes for
    # clashes by it, without decrypting a classmate's code.
    code_fingerprint = models.CharField(_("vingerafdruk van de code"), max_length=64, default="", editable=False)
    changed_at = models.DateTimeField(_("gewijzigd"), auto_now=True)

    class Meta:
        verbose_name = _("inlogcode")
        verbose_name_plural = _("inlogcodes")
        constraints = [
            models.CheckConstraint(condition=Q(method__in=LoginMethod.values), name="pupillogincode_known"),
        ]

    def __str__(self) -> str:
        return f"{self.pupil} ({self.get_method_display()})"
