"""Result exchange with the schools' pupil tracking systems (LVS) over UWLR 2.2.

A school's *result link* is its consent plus the authorisation key its LVS supplier issued.
Practice results come in from the pupil application; each one is queued once per link
(``Delivery``) and sent in batches; a batch counts as delivered only once the LVS confirmed it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from integrations.link_status import LinkStatus
from roster.models import Pupil, School, Staff


class LvsSupplier(models.Model):
    """A pupil tracking system we can deliver to, as agreed with its supplier."""

    name = models.CharField(_("naam"), max_length=100, unique=True)
    endpoint_url = models.URLField(_("UWLR-adres"), help_text=_("Het adres van de BrengLeerresultaten-service."))
    klantcode = models.CharField(_("klantcode"), max_length=64, help_text=_("Onze klantcode bij deze leverancier."))
    klantnaam = models.CharField(_("klantnaam"), max_length=64, help_text=_("Onze klantnaam bij deze leverancier."))
    client_certificate = models.CharField(
        _("clientcertificaat"),
        max_length=500,
        blank=True,
        help_text=_("Pad naar een PEM-bestand met certificaat en sleutel, als de leverancier dat vraagt."),
    )
    active = models.BooleanField(_("beschikbaar voor scholen"), default=True)

    class Meta:
        verbose_name = _("leerlingvolgsysteem")
        verbose_name_plural = _("leerlingvolgsystemen")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # Every message carries the school's authorisation key, so in production it never
        # travels unencrypted (LVS_REQUIRE_HTTPS; off only for the demo's local reference LVS).
        if settings.LVS_REQUIRE_HTTPS and not self.endpoint_url.lower().startswith("https://"):
            raise ValidationError(
                {"endpoint_url": _("Het UWLR-adres moet met https:// beginnen: de sleutel van de school gaat mee.")}
            )


class ResultLinkQuerySet(models.QuerySet):
    def current(self) -> ResultLinkQuerySet:
        """Links whose consent has not been withdrawn."""
        return self.filter(withdrawn_at__isnull=True)


class ResultLink(models.Model):
    """A school's consent to send practice results to one LVS, with the key that LVS issued.

    The key is stored encrypted (``bingel_admin.crypto``); only its last four characters are
    kept in the clear, to recognise it on screen.
    """

    school = models.ForeignKey(School, verbose_name=_("school"), on_delete=models.CASCADE, related_name="result_links")
    supplier = models.ForeignKey(
        LvsSupplier, verbose_name=_("leerlingvolgsysteem"), on_delete=models.PROTECT, related_name="links"
    )
    key_encrypted = models.TextField(_("autorisatiesleutel (versleuteld)"), editable=False)
    key_last4 = models.CharField(_("laatste tekens van de sleutel"), max_length=4, editable=False)
    status = models.CharField(_("status"), max_length=20, choices=LinkStatus.choices, default=LinkStatus.UNREACHABLE)
    status_message = models.CharField(_("toelichting"), max_length=300, blank=True)
    # The kind of the LVS's last fault (integrations.link_status: FAULT_WORDS), "" after a confirmation.
    fault = models.CharField(_("soort fout"), max_length=20, blank=True, default="")
    checked_at = models.DateTimeField(_("laatst gecontroleerd"), null=True, blank=True)
    consent_by = models.ForeignKey(
        Staff, verbose_name=_("toestemming door"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    consent_by_name = models.CharField(_("toestemming door (naam)"), max_length=200)
    consent_at = models.DateTimeField(_("toestemming gegeven op"))
    last_delivery_at = models.DateTimeField(_("laatste geslaagde levering"), null=True, blank=True)
    failed_runs = models.PositiveIntegerField(_("mislukte pogingen op rij"), default=0)
    next_attempt_at = models.DateTimeField(_("volgende poging"), null=True, blank=True)
    # One sender at a time per link: a worker owns the link until lease_until.
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    lease_token = models.CharField(max_length=32, blank=True, editable=False)
    # The coordinator's choice when adding: keep the link even if the supplier refuses the key.
    # Without it a key refused at the first check is not kept (``actions.drop_refused_link``).
    keep_if_refused = models.BooleanField(_("bewaren als de sleutel geweigerd wordt"), default=False)
    withdrawn_at = models.DateTimeField(_("toestemming ingetrokken op"), null=True, blank=True)
    withdrawn_by_name = models.CharField(_("ingetrokken door"), max_length=200, blank=True)

    objects = ResultLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("resultaatkoppeling")
        verbose_name_plural = _("resultaatkoppelingen")
        ordering = ["supplier__name", "-consent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "supplier"],
                condition=Q(withdrawn_at__isnull=True),
                name="resultlink_one_current_per_supplier",
            ),
            models.CheckConstraint(condition=Q(status__in=LinkStatus.values), name="resultlink_status_known"),
        ]

    def __str__(self) -> str:
        return f"{self.school} → {self.supplier}"

    @property
    def is_checking(self) -> bool:
        """The key check is under way: the status cell polls until it is not."""
        return self.status == LinkStatus.CHECKING

    @property
    def is_current(self) -> bool:
        return self.withdrawn_at is None


class ServiceToken(models.Model):
    """A token with which one of our services (the pupil application) may post results.

    Only a SHA-256 digest is stored; the token itself is shown once, when it is made.
    """

    name = models.CharField(_("dienst"), max_length=100, unique=True)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    token_last4 = models.CharField(_("laatste tekens"), max_length=4, editable=False)
    active = models.BooleanField(_("actief"), default=True)
    created_at = models.DateTimeField(_("aangemaakt"), auto_now_add=True)
    # What the service may write for: the publisher's own pupil application for every school, or
    # only the schools listed. A token for no school writes nothing.
    all_schools = models.BooleanField(
        _("alle scholen"), default=False, help_text=_("Alleen voor de eigen leerlingapplicatie van de uitgever.")
    )
    schools = models.ManyToManyField(School, verbose_name=_("scholen"), blank=True, related_name="+")

    class Meta:
        verbose_name = _("diensttoken")
        verbose_name_plural = _("diensttokens")

    def __str__(self) -> str:
        return f"{self.name} (…{self.token_last4})"


class ResultKind(models.TextChoices):
    PRACTICE = "oefenresultaat", _("Oefenresultaat")
    TEST = "toetsresultaat", _("Toetsresultaat")


class LearningResult(models.Model):
    """One result of one pupil, as the pupil application reported it. Never changed afterwards."""

    # Unique per service: two services may use the same id for different results.
    external_id = models.CharField(_("resultaat-id"), max_length=200)
    service = models.ForeignKey(
        ServiceToken, verbose_name=_("dienst"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    school = models.ForeignKey(School, verbose_name=_("school"), on_delete=models.CASCADE, related_name="+")
    pupil = models.ForeignKey(Pupil, verbose_name=_("leerling"), on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("soort"), max_length=20, choices=ResultKind.choices)
    school_year = models.CharField(_("schooljaar"), max_length=9)
    toetscode = models.CharField(_("toetscode"), max_length=256)
    toetsnaam = models.CharField(_("toetsnaam"), max_length=128, blank=True)
    leerjaar = models.CharField(_("leerjaar"), max_length=16, blank=True)
    vakgebied = models.CharField(_("vakgebied"), max_length=100, blank=True)
    afnamedatum = models.DateField(_("afnamedatum"))
    score = models.PositiveIntegerField(_("score"), validators=[MinValueValidator(0)])
    received_at = models.DateTimeField(_("ontvangen"), auto_now_add=True)

    class Meta:
        verbose_name = _("leerresultaat")
        verbose_name_plural = _("leerresultaten")
        indexes = [models.Index(fields=["school", "kind", "school_year"])]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ResultKind.values), name="result_kind_known"),
            models.UniqueConstraint(fields=["service", "external_id"], name="result_id_unique_per_service"),
        ]

    def __str__(self) -> str:
        return self.external_id


class BatchStatus(models.TextChoices):
    PENDING = "open", _("Nog niet bevestigd")
    CONFIRMED = "bevestigd", _("Bevestigd door het LVS")
    CANCELLED = "geannuleerd", _("Geannuleerd (toestemming ingetrokken)")
    UNSENDABLE = "onverzendbaar", _("Kan niet worden verstuurd")


class DeliveryBatch(models.Model):
    """One BrengLeerresultaten message: up to 1,000 results for one link and one school year.

    A batch keeps its results from the first try to the confirmation, so a retry sends exactly
    the same results with the same keys.
    """

    link = models.ForeignKey(ResultLink, on_delete=models.CASCADE, related_name="batches")
    school_year = models.CharField(_("schooljaar"), max_length=9)
    status = models.CharField(_("status"), max_length=16, choices=BatchStatus.choices, default=BatchStatus.PENDING)
    size = models.PositiveIntegerField(_("aantal resultaten"))
    attempts = models.PositiveIntegerField(_("pogingen"), default=0)
    last_error = models.CharField(_("laatste fout"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("aangemaakt"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("bevestigd op"), null=True, blank=True)

    class Meta:
        verbose_name = _("levering")
        verbose_name_plural = _("leveringen")
        indexes = [models.Index(fields=["link", "status", "id"])]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=BatchStatus.values), name="batch_status_known"),
        ]

    def __str__(self) -> str:
        return f"{self.link} #{self.pk}"


class Delivery(models.Model):
    """A practice result queued for one link; ``batch`` is set once it goes into a message."""

    link = models.ForeignKey(ResultLink, on_delete=models.CASCADE, related_name="+")
    result = models.ForeignKey(LearningResult, on_delete=models.CASCADE, related_name="deliveries")
    batch = models.ForeignKey(DeliveryBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="items")

    class Meta:
        verbose_name = _("te leveren resultaat")
        verbose_name_plural = _("te leveren resultaten")
        constraints = [models.UniqueConstraint(fields=["link", "result"], name="delivery_once_per_link")]
        indexes = [
            models.Index(fields=["link", "id"], condition=Q(batch__isnull=True), name="delivery_unbatched"),
        ]

    def __str__(self) -> str:
        return f"{self.result_id} → {self.link_id}"


class RegistryPushState(models.TextChoices):
    PENDING = "wacht", _("Wacht op verzending")
    SENT = "verzonden", _("Verzonden")
    REFUSED = "geweigerd", _("Geweigerd door Basispoort")


class RegistrySet(models.Model):
    """Our side of one set in the licence registry: who may use one product at one school.

    ``version`` grows with every change of the set (its users or its product details); a set
    that is no longer wanted is kept as ``deleted`` with the version of its DELETE, so a
    version number is never used twice for one school and product.
    """

    school = models.ForeignKey(School, verbose_name=_("school"), on_delete=models.CASCADE, related_name="+")
    productcode = models.CharField(_("productcode"), max_length=50)
    version = models.BigIntegerField(_("versie"), default=0)
    content_hash = models.CharField(max_length=64, blank=True, editable=False)
    digest = models.CharField(_("sha256 van de gebruikers"), max_length=64, blank=True)
    users = models.PositiveIntegerField(_("gebruikers"), default=0)
    deleted = models.BooleanField(_("niet meer beschikbaar"), default=False)
    sent_version = models.BigIntegerField(_("verzonden versie"), default=0)
    state = models.CharField(
        _("status"), max_length=10, choices=RegistryPushState.choices, default=RegistryPushState.PENDING
    )
    error = models.CharField(_("fout"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("verzonden op"), null=True, blank=True)

    class Meta:
        verbose_name = _("licentieset in Basispoort")
        verbose_name_plural = _("licentiesets in Basispoort")
        constraints = [
            models.UniqueConstraint(fields=["school", "productcode"], name="registryset_unique"),
            models.CheckConstraint(condition=Q(state__in=RegistryPushState.values), name="registryset_state_known"),
        ]

    def __str__(self) -> str:
        return f"{self.school_id}/{self.productcode} v{self.version}"


class RegistrySchool(models.Model):
    """Per school: whether the licence registry is up to date with us, and if not, why not.

    ``generation`` counts the changes collected after commits; a push clears ``dirty_since``
    only when no new change came in while it ran. ``queued`` keeps many clicks to one task.
    """

    school = models.OneToOneField(School, verbose_name=_("school"), on_delete=models.CASCADE, related_name="+")
    generation = models.BigIntegerField(default=0)
    dirty_since = models.DateTimeField(_("wacht sinds"), null=True, blank=True)
    queued = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(_("mislukte pogingen op rij"), default=0)
    last_error = models.CharField(_("laatste fout"), max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(_("volgende poging"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("laatst bijgewerkt"), null=True, blank=True)
    certificate_refused = models.BooleanField(_("certificaat geweigerd"), default=False)

    class Meta:
        verbose_name = _("Basispoort-licentiestatus")
        verbose_name_plural = _("Basispoort-licentiestatussen")

    def __str__(self) -> str:
        return str(self.school_id)


class RegistryChange(models.Model):
    """A change that the licence registry must still hear about: written in the transaction of the
    change itself, so it commits (or rolls back) with it.

    After the commit the change is collected into ``RegistrySchool`` and these rows are removed;
    should that step not happen (the process stopped, the database or the broker unreachable right
    then), ``sweep_registry`` collects what is left. Insert-only until collected: writing one
    never waits on another transaction's row lock.
    """

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+", db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("nog door te geven wijziging")
        verbose_name_plural = _("nog door te geven wijzigingen")

    def __str__(self) -> str:
        return f"{self.school_id} @ {self.created_at:%Y-%m-%d %H:%M:%S}"
