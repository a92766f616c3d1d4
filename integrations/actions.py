"""Every change to result links and incoming results goes through a function here.

Changes to links run inside ``transaction.atomic`` and are audited. Audit rows hold only the
last four characters of a key, never the key.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from dataclasses import dataclass

from allauth.socialaccount.models import SocialAccount
from celery import signature
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from audit import records
from audit.models import AuditAction
from audit.records import Actor
from bingel_admin import crypto
from integrations.models import (
    BatchStatus,
    Delivery,
    DeliveryBatch,
    LearningResult,
    LinkStatus,
    LvsSupplier,
    ResultKind,
    ResultLink,
    ServiceToken,
)
from roster.access import actor_for_user
from roster.models import School, Staff
from roster.school_year import school_year_of

logger = logging.getLogger(__name__)

LINK_ADDED = AuditAction.RESULT_LINK_ADDED
LINK_KEY_CHANGED = AuditAction.RESULT_LINK_KEY_CHANGED
LINK_REMOVED = AuditAction.RESULT_LINK_REMOVED
LINK_STATUS = AuditAction.RESULT_LINK_STATUS
ENTREE_PROVIDER = "entree"  # SocialAccount.provider of a linked Entree identity (integrations.entree)


CHECK_KEY_TASK = "integrations.tasks.check_key"


class LinkExists(Exception):
    """The school already has a current link with this LVS."""


def _audit(action: str, link: ResultLink, actor: Actor, before=None, after=None) -> None:
    entry = records.Entry(
        action, f"{link.supplier.name} ({link.school.name})", link.school_id, before=before, after=after
    )
    records.record(entry, actor)


def _link_facts(link: ResultLink) -> dict:
    return records.result_link_facts(link.supplier.name, link.key_last4, link.status)


@sensitive_variables("key")
def add_link(
    *, school: School, supplier: LvsSupplier, key: str, staff: Staff, actor: Actor, keep_if_refused: bool = False
) -> ResultLink:
    """The school's consent to send practice results to ``supplier``, recorded with who (``staff``, the
    roster person; ``actor``, the request's ``access.actor``) and when.

    Unless ``keep_if_refused``, a key the supplier refuses at its first check is not kept.
    """
    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                link = ResultLink.objects.create(
                    school=school,
                    supplier=supplier,
                    key_encrypted=crypto.encrypt(key),
                    key_last4=key[-4:],
                    status=LinkStatus.CHECKING,
                    consent_by=staff,
                    consent_by_name=staff.full_name,
                    consent_at=now,
                    keep_if_refused=keep_if_refused,
                )
        except IntegrityError:
            # The partial unique constraint: one current link per school and LVS, also when two click at once.
            raise LinkExists from None
        _audit(LINK_ADDED, link, actor, after={**_link_facts(link), "toestemming": now.isoformat()})
        enqueue_results(link)
        check_key_after_commit(link)
    return link


@sensitive_variables("key")
def change_key(*, link: ResultLink, key: str, actor: Actor) -> ResultLink:
    with transaction.atomic():
        link = ResultLink.objects.select_for_update().select_related("supplier", "school").get(pk=link.pk)
        if not link.is_current:
            raise ResultLink.DoesNotExist
        before = _link_facts(link)
        link.key_encrypted = crypto.encrypt(key)
        link.key_last4 = key[-4:]
        # A new key gets a fresh start: the refusal or back-off of the old key no longer applies.
        link.failed_runs = 0
        link.next_attempt_at = None
        link.status, link.status_message, link.fault = LinkStatus.CHECKING, "", ""
        fields = ["key_encrypted", "key_last4", "failed_runs", "next_attempt_at", "status", "status_message", "fault"]
        link.save(update_fields=fields)
        _audit(LINK_KEY_CHANGED, link, actor, before=before, after=_link_facts(link))
        check_key_after_commit(link)
    return link


def check_key_after_commit(link: ResultLink) -> None:
    """Ask the LVS about the key in a Celery task once this transaction has committed: a request
    never waits on the supplier (up to a minute with retries). Until then the status is
    "wordt gecontroleerd…", which the links page polls. A broker that cannot be reached does not
    fail the committed change: the link stays "wordt gecontroleerd…" and the 15-minute export job
    queues the check again (``integrations.tasks.export_results``)."""
    link_id = link.pk

    def queue_check() -> None:
        try:
            # By name: the task module imports the export, which imports these actions.
            signature(CHECK_KEY_TASK, args=(link_id,)).delay()
        except Exception:
            logger.warning("LVS key check of link %s not queued; the export job queues it", link_id, exc_info=True)

    transaction.on_commit(queue_check, robust=True)


def remove_link(*, link: ResultLink, actor: Actor) -> None:
    """Withdraw consent: from this commit on, nothing more is sent for this link."""
    with transaction.atomic():
        link = ResultLink.objects.select_for_update().select_related("supplier", "school").get(pk=link.pk)
        if not link.is_current:
            return
        link.withdrawn_at = timezone.now()
        link.withdrawn_by_name = actor.label
        link.save(update_fields=["withdrawn_at", "withdrawn_by_name"])
        Delivery.objects.filter(link=link, batch__isnull=True).delete()
        DeliveryBatch.objects.filter(link=link, status=BatchStatus.PENDING).update(status=BatchStatus.CANCELLED)
        _audit(
            LINK_REMOVED,
            link,
            actor,
            before=_link_facts(link),
            after={"ingetrokken": link.withdrawn_at.isoformat()},
        )


def drop_refused_link(link: ResultLink) -> bool:
    """A new link whose key the supplier refused at the first check is not kept (unless the
    coordinator chose ``keep_if_refused``): consent withdrawn in the supplier's name, nothing
    queued for it, audited. Returns whether it was dropped."""
    with transaction.atomic():
        link = ResultLink.objects.select_for_update().select_related("supplier", "school").get(pk=link.pk)
        if not link.is_current or link.keep_if_refused or link.status != LinkStatus.KEY_REFUSED:
            return False
        link.withdrawn_at = timezone.now()
        link.withdrawn_by_name = link.supplier.name
        link.save(update_fields=["withdrawn_at", "withdrawn_by_name"])
        Delivery.objects.filter(link=link, batch__isnull=True).delete()
        DeliveryBatch.objects.filter(link=link, status=BatchStatus.PENDING).update(status=BatchStatus.CANCELLED)
        _audit(
            LINK_REMOVED,
            link,
            Actor(link.supplier.name),
            before=_link_facts(link),
            after={"ingetrokken": link.withdrawn_at.isoformat(), "reden": "sleutel geweigerd, niet bewaard"},
        )
    return True


def set_status(link: ResultLink, status: str, message: str = "", fault: str = "") -> None:
    """Record what the LVS said (``integrations.link_status``: the status, the kind of fault, its own
    text for the logs and the back office); a change of status is audited."""
    with transaction.atomic():
        current = ResultLink.objects.select_for_update().select_related("supplier", "school").get(pk=link.pk)
        changed = current.status != status
        ResultLink.objects.filter(pk=link.pk).update(
            status=status, status_message=message[:300], fault=fault, checked_at=timezone.now()
        )
        if changed:
            after = {"status": status, "toelichting": message[:300]}
            _audit(LINK_STATUS, current, Actor(current.supplier.name), before={"status": current.status}, after=after)
    link.status, link.status_message, link.fault = status, message[:300], fault


def enqueue_results(link: ResultLink) -> int:
    """Queue for ``link`` every practice result of its school from the school year of the consent on.

    Idempotent (a result is queued once per link); the nightly catch-up runs it again to pick up
    anything that arrived while the link was being made. A result that an earlier link of the
    same school already delivered to the same LVS is not queued again.
    """
    delivery = Delivery._meta.db_table
    result = LearningResult._meta.db_table
    batch = DeliveryBatch._meta.db_table
    links = ResultLink._meta.db_table
    first_year = school_year_of(timezone.localtime(link.consent_at).date())
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {delivery} (link_id, result_id) "  # noqa: S608 - table names come from the models
            f"SELECT %s, r.id FROM {result} r "
            "WHERE r.school_id = %s AND r.kind = %s AND r.school_year >= %s "
            f"AND NOT EXISTS (SELECT 1 FROM {delivery} d JOIN {batch} b ON b.id = d.batch_id "
            f"JOIN {links} l ON l.id = b.link_id "
            "WHERE d.result_id = r.id AND b.status = %s AND l.supplier_id = %s AND l.id <> %s) "
            "ORDER BY r.id "
            "ON CONFLICT (link_id, result_id) DO NOTHING",
            [
                link.pk,
                link.school_id,
                ResultKind.PRACTICE,
                first_year,
                BatchStatus.CONFIRMED,
                link.supplier_id,
                link.pk,
            ],
        )
        return cursor.rowcount


@dataclass(frozen=True)
class IncomingResult:
    external_id: str
    school: School
    pupil_id: int
    kind: str
    toetscode: str
    toetsnaam: str
    leerjaar: str
    vakgebied: str
    afnamedatum: dt.date
    score: int


@dataclass(frozen=True)
class IngestReport:
    created: int
    duplicates: int


def store_results(service: ServiceToken | None, incoming: list[IncomingResult]) -> IngestReport:
    """Store new results (a result id this service sent before is skipped) and queue the practice ones."""
    with transaction.atomic():
        ids = [item.external_id for item in incoming]
        mine = LearningResult.objects.filter(service=service)
        known = set(mine.filter(external_id__in=ids).values_list("external_id", flat=True))
        fresh: dict[str, IncomingResult] = {}
        for item in incoming:
            if item.external_id not in known:
                fresh.setdefault(item.external_id, item)
        created = LearningResult.objects.bulk_create(
            [
                LearningResult(
                    external_id=item.external_id,
                    service=service,
                    school=item.school,
                    pupil_id=item.pupil_id,
                    kind=item.kind,
                    school_year=school_year_of(item.afnamedatum),
                    toetscode=item.toetscode,
                    toetsnaam=item.toetsnaam,
                    leerjaar=item.leerjaar,
                    vakgebied=item.vakgebied,
                    afnamedatum=item.afnamedatum,
                    score=item.score,
                )
                for item in fresh.values()
            ],
            # Two posts of the same result at the same moment: the second one becomes a no-op.
            ignore_conflicts=True,
        )
        practice = [r for r in created if r.kind == ResultKind.PRACTICE]
        if practice:
            stored = dict(
                mine.filter(external_id__in=[r.external_id for r in practice]).values_list("external_id", "pk")
            )
            links: dict[int, list[int]] = {}
            for link_id, school_id in (
                ResultLink.objects.current()
                .filter(school_id__in={r.school_id for r in practice})
                .values_list("pk", "school_id")
            ):
                links.setdefault(school_id, []).append(link_id)
            Delivery.objects.bulk_create(
                [
                    Delivery(link_id=link_id, result_id=stored[r.external_id])
                    for r in practice
                    for link_id in links.get(r.school_id, [])
                ],
                ignore_conflicts=True,
            )
    return IngestReport(created=len(fresh), duplicates=len(incoming) - len(fresh))


# --- Entree links (integrations/entree.py) -------------------------------------------------------


class EntreeLinkOutcome(enum.Enum):
    LINKED = "linked"
    ALREADY = "already"  # this account had this Entree identity already
    TAKEN = "taken"  # the Entree identity belongs to another account


def link_entree_identity(*, user, uid: str, school: School) -> EntreeLinkOutcome:
    """Link an Entree ``uid`` to the account (keyed on its Basispoort ``sub``), audited."""
    actor = actor_for_user(user)
    with transaction.atomic():
        existing = SocialAccount.objects.select_for_update().filter(provider=ENTREE_PROVIDER, uid=uid).first()
        if existing is not None:
            return EntreeLinkOutcome.ALREADY if existing.user_id == user.pk else EntreeLinkOutcome.TAKEN
        try:
            with transaction.atomic():
                SocialAccount.objects.create(
                    user=user,
                    provider=ENTREE_PROVIDER,
                    uid=uid,
                    extra_data={"school_id": school.pk, "school_name": school.name},
                )
        except IntegrityError:
            # Linked by a parallel request between our read and our write.
            return EntreeLinkOutcome.TAKEN
        records.record(
            records.Entry(
                AuditAction.ENTREE_LINKED,
                records.subject(actor.label, "Entree-account gekoppeld"),
                school.pk,
                after=records.entree_link_facts(school.location_code),
            ),
            actor,
        )
    return EntreeLinkOutcome.LINKED


def unlink_entree_identity(*, user, link_id: int) -> bool:
    """Remove one of the account's own Entree links, audited; False when it was gone already."""
    actor = actor_for_user(user)
    with transaction.atomic():
        link = SocialAccount.objects.select_for_update().filter(pk=link_id, user=user, provider=ENTREE_PROVIDER).first()
        if link is None:
            return False
        school_id = (link.extra_data or {}).get("school_id")
        school = School.objects.filter(pk=school_id).first() if isinstance(school_id, int) else None
        link.delete()
        records.record(
            records.Entry(
                AuditAction.ENTREE_UNLINKED,
                records.subject(actor.label, "Entree-koppeling verwijderd"),
                school.pk if school else None,
                before=records.entree_link_facts(school.location_code if school else ""),
            ),
            actor,
        )
    return True
