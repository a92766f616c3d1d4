"""The publisher's catalogue, the licences schools bought, their links, and the audit log."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from roster.models import Group, Pupil, School
from roster.school_year import last_day_of

SCHOOL_YEAR_RE = re.compile(r"^(\d{4})-(\d{4})$")


def validate_school_year(value: str) -> None:
    match = SCHOOL_YEAR_RE.match(value)
    if not match or int(match[2]) != int(match[1]) + 1:
        raise ValidationError(_("Een schooljaar schrijf je als 2026-2027."))


class ProductType(models.TextChoices):
    BASIS_DIGITAAL = "basis_digitaal", _("Basis digitaal")
    BASIS_PAPIER = "basis_papier", _("Basis papier")
    OEFENSOFTWARE = "oefensoftware", _("Oefensoftware")
    TOETSEN = "toetsen", _("Toetsen")
    VERRIJKING = "verrijking", _("Verrijking")
    HANDLEIDING = "handleiding", _("Handleiding leerkracht")


class LicenceKind(models.TextChoices):
    PER_GROUP = "per_groep", _("Licentie per groep")
    PER_PUPIL = "per_kind", _("Licentie per kind")


class Method(models.Model):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("naam"), max_length=100)
    subject = models.CharField(_("vakgebied"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("methode")
        verbose_name_plural = _("methodes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    method = models.ForeignKey(Method, verbose_name=_("methode"), on_delete=models.PROTECT, related_name="products")
    code = models.SlugField(_("artikelcode"), max_length=50, unique=True)
    name = models.CharField(_("naam"), max_length=150)
    product_type = models.CharField(_("productsoort"), max_length=20, choices=ProductType.choices)
    year_levels = models.JSONField(
        _("jaargroepen"), default=list, blank=True, help_text=_('Voor welke jaargroepen, bijv. ["4", "5"].')
    )

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("producten")
        ordering = ["method__name", "product_type", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(product_type__in=ProductType.values), name="product_type_known"),
        ]

    def __str__(self) -> str:
        return f"{self.method} – {self.name}"

    def clean(self) -> None:
        if not isinstance(self.year_levels, list) or not all(isinstance(x, str) for x in self.year_levels):
            raise ValidationError({"year_levels": _('Geef de jaargroepen als lijst van teksten, bijv. ["4", "5"].')})


class Licence(models.Model):
    school = models.ForeignKey(School, verbose_name=_("school"), on_delete=models.PROTECT, related_name="licences")
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="licences")
    school_year = models.CharField(_("schooljaar"), max_length=9, validators=[validate_school_year])
    kind = models.CharField(_("soort licentie"), max_length=10, choices=LicenceKind.choices)
    seats = models.IntegerField(
        _("aantal licenties"), null=True, blank=True, help_text=_("Alleen voor licenties per kind.")
    )
    order_reference = models.CharField(_("ordernummer"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("aangemaakt"), auto_now_add=True)

    class Meta:
        verbose_name = _("licentie")
        verbose_name_plural = _("licenties")
        ordering = ["product__method__name", "product__product_type", "product__name"]
        indexes = [models.Index(fields=["school", "school_year"])]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=LicenceKind.values), name="licence_kind_known"),
            models.CheckConstraint(
                condition=Q(seats__gte=0) | Q(seats__isnull=True), name="licence_seats_not_negative"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=LicenceKind.PER_PUPIL, seats__isnull=False)
                    | Q(kind=LicenceKind.PER_GROUP, seats__isnull=True)
                ),
                name="licence_seats_only_per_pupil",
            ),
            models.CheckConstraint(condition=Q(school_year__regex=r"^\d{4}-\d{4}$"), name="licence_school_year_format"),
            # Targets of the composite foreign keys from the link tables (see migration 0002).
            models.UniqueConstraint(fields=["id", "school", "kind"], name="licence_id_school_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.school_year} ({self.get_kind_display()})"

    @property
    def ends_on(self) -> dt.date:
        return last_day_of(self.school_year)

    def is_expired(self, today: dt.date) -> bool:
        return today > self.ends_on

    def seats_left(self, taken: int) -> int:
        """The seats rule, the one place it is written: seats bought minus seats taken, never below
        zero (a per-group licence has none). The actions refuse a seat when this is 0."""
        return max((self.seats or 0) - taken, 0)


class GroupLink(models.Model):
    """A per-group licence linked to one group. ``school`` and ``kind`` are copies that let
    PostgreSQL's composite foreign keys prove the link stays inside one school and only on a
    per-group licence."""

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="group_links")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="licence_links")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, default=LicenceKind.PER_GROUP, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("groepskoppeling")
        verbose_name_plural = _("groepskoppelingen")
        constraints = [
            models.UniqueConstraint(fields=["licence", "group"], name="grouplink_unique"),
            models.CheckConstraint(condition=Q(kind=LicenceKind.PER_GROUP), name="grouplink_only_per_group"),
        ]

    def __str__(self) -> str:
        return f"{self.licence} → {self.group}"


class Seat(models.Model):
    """One seat of a per-pupil licence held by one pupil."""

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="seats_taken")
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="seats")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, default=LicenceKind.PER_PUPIL, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("leerlinglicentie")
        verbose_name_plural = _("leerlinglicenties")
        constraints = [
            models.UniqueConstraint(fields=["licence", "pupil"], name="seat_unique"),
            models.CheckConstraint(condition=Q(kind=LicenceKind.PER_PUPIL), name="seat_only_per_pupil"),
        ]

    def __str__(self) -> str:
        return f"{self.licence} → {self.pupil}"


class GroupYearLevels(models.Model):
    """The year levels a group had in the roster of one school year.

    Kept so that the next school year's proposals still know which jaargroep last year's
    linked groups had after the school administration renamed a group or moved it up a year
    (same key, new name and jaargroep). Written by ``licenses.year_levels.remember_year_levels``.
    """

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    school_year = models.CharField(_("schooljaar"), max_length=9, validators=[validate_school_year])
    name = models.CharField(_("naam"), max_length=100, blank=True)
    levels = models.JSONField(_("jaargroepen"), default=list)

    class Meta:
        verbose_name = _("jaargroepen van een groep in een schooljaar")
        verbose_name_plural = _("jaargroepen van groepen per schooljaar")
        constraints = [
            models.UniqueConstraint(fields=["group", "school_year"], name="groupyearlevels_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.group} {self.school_year}: {', '.join(self.levels)}"


class DeclinedProposal(models.Model):
    """A "Nieuw schooljaar" proposal the coordinator saw and left unticked when applying.

    Shown unticked from then on, so one more press of "Aangevinkte voorstellen koppelen" does not
    link it; ticking it again and applying removes the row. ``key`` is the proposal's key
    (``g-<licence>-<group>`` or ``p-<licence>-<pupil>``, ``licenses.new_year.KEY_RE``).
    """

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="declined_proposals")
    key = models.CharField(_("voorstel"), max_length=40)

    class Meta:
        verbose_name = _("niet gekozen voorstel")
        verbose_name_plural = _("niet gekozen voorstellen")
        constraints = [
            models.UniqueConstraint(fields=["licence", "key"], name="declinedproposal_unique"),
        ]

    def __str__(self) -> str:
        return self.key


class PageStamp(models.Model):
    """What the cached parts of the licence pages were rendered from (``licenses.page_cache``).

    A few token slots per school, plus those of scope 0 for the catalogue every school shares.
    Every change to what those pages show replaces one slot's token inside the changing
    transaction, so a request that reads the new token also reads the changed data; the key of
    a cached part holds all slots' tokens.
    """

    CATALOGUE = 0
    SLOTS = 4

    scope = models.BigIntegerField(_("school (0: catalogus)"))
    slot = models.PositiveSmallIntegerField(_("stempelplaats"))
    token = models.UUIDField(_("stempel"))

    class Meta:
        verbose_name = _("stempel van de licentiepagina's")
        verbose_name_plural = _("stempels van de licentiepagina's")
        constraints = [models.UniqueConstraint(fields=["scope", "slot"], name="page_stamp_scope_slot")]

    def __str__(self) -> str:
        return f"{self.scope}/{self.slot}: {self.token}"


class CardStamp(models.Model):
    """What one licence's cached card on the licence pages was rendered from (``licenses.page_cache``).

    A link or seat change replaces the token of the licence it changed, inside the changing
    transaction, so only that licence's cards are rendered again; a licence without a row was
    never changed since its school's ``PageStamp`` tokens were made.
    """

    licence = models.OneToOneField(
        Licence, verbose_name=_("licentie"), on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    token = models.UUIDField(_("stempel"))

    class Meta:
        verbose_name = _("stempel van een licentiekaart")
        verbose_name_plural = _("stempels van licentiekaarten")

    def __str__(self) -> str:
        return f"{self.licence_id}: {self.token}"


class DepartedSeat(models.Model):
    """A seat the import freed when its pupil left the school, remembered so that it comes back
    when the pupil returns in the same school year (``licenses.actions``). ``no_room_at`` is set
    when the pupil came back but every seat of the licence was taken by then."""

    licence = models.ForeignKey(Licence, verbose_name=_("licentie"), on_delete=models.CASCADE, related_name="+")
    pupil = models.ForeignKey(Pupil, verbose_name=_("leerling"), on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(School, verbose_name=_("school"), on_delete=models.CASCADE, related_name="+")
    released_at = models.DateTimeField(_("vrijgegeven op"))
    school_year = models.CharField(_("schooljaar van vertrek"), max_length=9, validators=[validate_school_year])
    no_room_at = models.DateTimeField(_("terug zonder vrije licentie op"), null=True, blank=True)

    class Meta:
        verbose_name = _("licentie van een vertrokken leerling")
        verbose_name_plural = _("licenties van vertrokken leerlingen")
        constraints = [models.UniqueConstraint(fields=["licence", "pupil"], name="departedseat_unique")]
        indexes = [models.Index(fields=["school", "pupil"])]

    def __str__(self) -> str:
        return f"{self.licence} → {self.pupil}"
