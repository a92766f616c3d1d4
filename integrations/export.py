"""Deliver queued practice results to each link's LVS, exactly once.

Per link, one sender at a time (a lease on the link row). Each batch is a fixed set of results:
it is built, sent, and marked confirmed only after the LVS answered with a
``leerresultaten_bevestiging``. A batch that was not confirmed is sent again later with the
same results and the same ``resultaat`` keys, so an LVS that did receive it can recognise the
repeat. Before every attempt the link is read again, so withdrawn consent stops the sending at
once and a refused key stops it until the key is changed.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from bingel_admin import crypto
from integrations.actions import enqueue_results, set_status
from integrations.link_status import fault_for, status_for
from integrations.models import BatchStatus, Delivery, DeliveryBatch, LinkStatus, ResultLink
from integrations.uwlr.client import Outcome, Reply, send
from integrations.uwlr.message import (
    Autorisatie,
    Resultaat,
    SchoolIdentity,
    build_envelope,
    build_probe,
    build_verzoek,
)
from roster.eckid import reveal as reveal_eckid
from roster.models import School
from roster.school_year import school_year_of

logger = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=10)
# Between runs a failing link waits 15 minutes, doubling per failed run, at most a day.
RUN_BACKOFF_BASE = dt.timedelta(minutes=15)
RUN_BACKOFF_MAX = dt.timedelta(hours=24)


def school_identity(school: School, school_year: str) -> SchoolIdentity:
    return SchoolIdentity(
        schooljaar=school_year,
        brincode=school.brin,
        dependancecode=school.dependancecode if school.brin else "",
        schoolkey="" if school.brin else school.schoolkey,
    )


@sensitive_variables()
def autorisatie_for(link: ResultLink) -> Autorisatie:
    return Autorisatie(
        autorisatiesleutel=crypto.decrypt(link.key_encrypted),
        klantcode=link.supplier.klantcode,
        klantnaam=link.supplier.klantnaam,
    )


@sensitive_variables()
def _post(link: ResultLink, envelope: bytes, secret: str, session: requests.Session | None) -> Reply:
    if settings.LVS_REQUIRE_HTTPS and not link.supplier.endpoint_url.lower().startswith("https://"):
        # A supplier saved before the rule (LvsSupplier.clean) held: the key must not go out in clear.
        return Reply(Outcome.UNREACHABLE, "UWLR address is not https; nothing was sent")
    return send(
        link.supplier.endpoint_url,
        envelope,
        secret=secret,
        connect_timeout=settings.UWLR_CONNECT_TIMEOUT,
        read_timeout=settings.UWLR_READ_TIMEOUT,
        client_certificate=link.supplier.client_certificate,
        session=session,
    )


@sensitive_variables()
def check_key(link: ResultLink) -> str:
    """Ask the LVS straight away whether it accepts the key; stores and returns the status."""
    link = ResultLink.objects.select_related("supplier", "school").get(pk=link.pk)
    auth = autorisatie_for(link)
    now = timezone.now()
    probe = build_probe(school_identity(link.school, school_year_of(timezone.localdate())), now)
    reply = _post(link, build_envelope(auth, probe), auth.autorisatiesleutel, None)
    status = status_for(reply.outcome)
    if status == LinkStatus.ACTIVE:
        set_status(link, status)  # the key works; a fault in the probe says nothing about deliveries
    else:
        set_status(link, status, reply.detail, fault_for(reply.outcome))
    logger.info("LVS key check for link %s: %s (%s)", link.pk, status, reply.outcome.value)
    return status


def resultaten_of(batch: DeliveryBatch) -> list[Resultaat]:
    return resultaten_from(Delivery.objects.filter(batch=batch))


def queued_for_next_batch(link: ResultLink) -> tuple[str, list[int]] | None:
    """The school year and the queued deliveries that the next new batch would take."""
    rows = list(
        Delivery.objects.filter(link=link, batch__isnull=True)
        .order_by("id")
        .values_list("id", "result__school_year")[: settings.UWLR_BATCH_SIZE]
    )
    if not rows:
        return None
    school_year = rows[0][1]
    return school_year, [pk for pk, year in rows if year == school_year]


def resultaat_key(result_id: int, external_id: str) -> str:
    """``resultaat/@key``: our result's own number, then the id the service gave it.

    Two services may use the same id (each numbers its own results), so the id alone would
    collide at the LVS; our number is unique and never changes, so a retried batch carries the
    very same keys and the LVS recognises a repeat (exactly once). The service's id stays in
    the key so that the LVS's people can trace a result back. At most 20 + 1 + 200 characters,
    within UWLR's 256."""
    return f"{result_id}:{external_id}"


def resultaten_from(deliveries) -> list[Resultaat]:
    rows = deliveries.order_by("result_id").values_list(
        "result_id",
        "result__external_id",
        "result__pupil__las_key",
        "result__pupil__basispoort_id",
        "result__pupil__eckid_encrypted",
        "result__afnamedatum",
        "result__toetscode",
        "result__score",
        "result__toetsnaam",
        "result__leerjaar",
        "result__vakgebied",
    )
    # The UWLR message is one of the two places the sealed ECK iD is opened: once per pupil of the batch.
    reveal = functools.cache(reveal_eckid)
    return [
        Resultaat(
            key=resultaat_key(result_id, external_id),
            # The LVS knows a pupil by the school administration's key; Basispoort's id is the fallback.
            leerlingid=las_key or str(basispoort_id),
            eckid=reveal(sealed),
            afnamedatum=afnamedatum,
            toetscode=toetscode,
            score=score,
            toetsnaam=toetsnaam,
            leerjaar=leerjaar,
            vakgebied=vakgebied,
        )
        for (
            result_id,
            external_id,
            las_key,
            basispoort_id,
            sealed,
            afnamedatum,
            toetscode,
            score,
            toetsnaam,
            leerjaar,
            vakgebied,
        ) in rows
    ]


@sensitive_variables()
def envelope_for(link: ResultLink, batch: DeliveryBatch, auth: Autorisatie, now: dt.datetime) -> bytes:
    verzoek = build_verzoek(
        school_identity(link.school, batch.school_year), resultaten_of(batch), now, settings.UWLR_AUTEUR
    )
    return build_envelope(auth, verzoek)


def next_batch(link: ResultLink) -> DeliveryBatch | None:
    """The oldest unconfirmed batch, or a new one from the queue (one school year per message)."""
    pending = DeliveryBatch.objects.filter(link=link, status=BatchStatus.PENDING).order_by("id").first()
    if pending:
        return pending
    queued = queued_for_next_batch(link)
    if queued is None:
        return None
    school_year, ids = queued
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # This commit need not wait for the disk: the confirmation, committed durably later,
            # flushes it too. Lost in a crash before that, the results are simply batched again
            # and sent with the same keys, and nothing was marked delivered.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        batch = DeliveryBatch.objects.create(link=link, school_year=school_year, size=len(ids))
        # The ids themselves: given the same rows as a LIMIT subquery, PostgreSQL (15) hash-joined
        # it against every queued row of every link, several times the work of 1,000 key look-ups.
        Delivery.objects.filter(pk__in=ids, batch__isnull=True).update(batch=batch)
    return batch


def confirm(link: ResultLink, batch: DeliveryBatch, now: dt.datetime) -> None:
    with transaction.atomic():
        DeliveryBatch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.CONFIRMED, confirmed_at=now, attempts=F("attempts") + 1, last_error=""
        )
        ResultLink.objects.filter(pk=link.pk).update(last_delivery_at=now, failed_runs=0, next_attempt_at=None)


def claim(link_id: int, now: dt.datetime) -> str | None:
    token = secrets.token_hex(8)
    taken = ResultLink.objects.filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now), pk=link_id).update(
        lease_until=now + LEASE, lease_token=token
    )
    return token if taken else None


def release(link_id: int, token: str) -> None:
    ResultLink.objects.filter(pk=link_id, lease_token=token).update(lease_until=None, lease_token="")


def _still_sending(link_id: int, token: str) -> ResultLink | None:
    """The link as it is now, if consent stands, the key is not refused and we still hold it."""
    return (
        ResultLink.objects.current()
        .exclude(status=LinkStatus.KEY_REFUSED)
        .filter(pk=link_id, lease_token=token)
        .select_related("supplier", "school")
        .first()
    )


@dataclass
class LinkRun:
    link_id: int
    batches: int = 0
    results: int = 0
    attempts: int = 0
    stopped_by: str = ""
    outcomes: list[str] = field(default_factory=list)


def deliver_link(link_id: int, *, session: requests.Session | None = None, sleep=time.sleep) -> LinkRun:
    """Send everything queued for one link, batch by batch, until done or something stops it."""
    run = LinkRun(link_id)
    token = claim(link_id, timezone.now())
    if token is None:
        run.stopped_by = "busy"
        return run
    try:
        _deliver(run, link_id, token, session, sleep)
    finally:
        release(link_id, token)
    logger.info(
        "LVS export link %s: %s batches, %s results, %s attempts, stopped by %s",
        link_id,
        run.batches,
        run.results,
        run.attempts,
        run.stopped_by or "nothing left",
    )
    return run


@sensitive_variables()
def _deliver(run: LinkRun, link_id: int, token: str, session, sleep) -> None:
    auth = None
    while True:
        link = _still_sending(link_id, token)
        if link is None:
            run.stopped_by = "consent or key"
            return
        batch = next_batch(link)
        if batch is None:
            return
        if auth is None:
            auth = autorisatie_for(link)
        reply = None
        for attempt in range(settings.UWLR_TRIES_PER_BATCH):
            if attempt:
                sleep(settings.UWLR_RETRY_BASE_SECONDS * 2 ** (attempt - 1))
                link = _still_sending(link_id, token)
                if link is None:
                    run.stopped_by = "consent or key"
                    return
            now = timezone.now()
            if link.lease_until - now < LEASE / 2:
                ResultLink.objects.filter(pk=link_id, lease_token=token).update(lease_until=now + LEASE)
            envelope = _envelope_or_quarantine(link, batch, auth, now)
            if envelope is None:
                run.outcomes.append("unsendable")
                reply = None
                break
            reply = _post(link, envelope, auth.autorisatiesleutel, session)
            run.attempts += 1
            run.outcomes.append(reply.outcome.value)
            if not reply.retryable:
                break
            DeliveryBatch.objects.filter(pk=batch.pk).update(attempts=F("attempts") + 1, last_error=reply.detail)
        if reply is None:
            continue  # that batch is quarantined; the link's other batches go on
        if reply.outcome == Outcome.CONFIRMED:
            confirm(link, batch, timezone.now())
            if link.status != LinkStatus.ACTIVE or link.status_message or link.fault:
                set_status(link, LinkStatus.ACTIVE)
            run.batches += 1
            run.results += batch.size
            continue
        if reply.outcome == Outcome.KEY_REFUSED:
            set_status(link, LinkStatus.KEY_REFUSED, reply.detail, fault_for(reply.outcome))
            run.stopped_by = "key refused"
            return
        _back_off(link, reply)
        run.stopped_by = reply.outcome.value
        return


UNSENDABLE_PREFIX = "kan niet worden verstuurd: "


@sensitive_variables()
def _envelope_or_quarantine(link: ResultLink, batch: DeliveryBatch, auth: Autorisatie, now) -> bytes | None:
    """The batch's message, or None after setting the batch aside when no message can be built from it.

    Text that XML 1.0 cannot carry is refused at intake; this catches whatever still gets through
    (older rows, a pupil key from before that check), so one batch never stops a link or a run.
    """
    try:
        return envelope_for(link, batch, auth, now)
    except Exception as exc:
        reason = f"{UNSENDABLE_PREFIX}{type(exc).__name__}: {exc}"[:300]
        logger.error("LVS export link %s: batch %s set aside, %s", link.pk, batch.pk, reason)
        DeliveryBatch.objects.filter(pk=batch.pk, status=BatchStatus.PENDING).update(
            status=BatchStatus.UNSENDABLE, last_error=reason
        )
        return None


def _back_off(link: ResultLink, reply: Reply) -> None:
    failed = link.failed_runs + 1
    wait = min(RUN_BACKOFF_BASE * 2 ** (failed - 1), RUN_BACKOFF_MAX)
    ResultLink.objects.filter(pk=link.pk).update(failed_runs=failed, next_attempt_at=timezone.now() + wait)
    # Also when the status stays "active" (an LVS fault), the coordinator sees what went wrong.
    set_status(link, status_for(reply.outcome), reply.detail, fault_for(reply.outcome))


def due_links(now: dt.datetime, *, catch_up: bool = False):
    links = ResultLink.objects.current().exclude(status=LinkStatus.KEY_REFUSED)
    if not catch_up:
        links = links.filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    return links.order_by("pk")


def export_all(*, catch_up: bool = False, threads: int | None = None) -> list[LinkRun]:
    """Every link that is due; the catch-up also re-queues anything missed and ignores back-off.

    Links are sent in parallel threads (each link by one thread at a time, see ``claim``): while
    one thread waits for an LVS, another builds its next message.
    """
    link_ids = list(due_links(timezone.now(), catch_up=catch_up).values_list("pk", flat=True))
    threads = threads or settings.UWLR_EXPORT_THREADS
    # SQLite (the local demo) allows one writer at a time.
    if threads == 1 or len(link_ids) <= 1 or connection.vendor == "sqlite":
        return [_export_isolated(link_id, catch_up) for link_id in link_ids]
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="lvs-export") as pool:
        return list(pool.map(lambda link_id: _export_in_thread(link_id, catch_up), link_ids))


def _export_one(link_id: int, catch_up: bool, session: requests.Session | None = None) -> LinkRun:
    if catch_up:
        enqueue_results(ResultLink.objects.get(pk=link_id))
    return deliver_link(link_id, session=session)


def _export_isolated(link_id: int, catch_up: bool, session: requests.Session | None = None) -> LinkRun:
    """One link; whatever goes wrong with it is logged and the next link is served all the same."""
    try:
        return _export_one(link_id, catch_up, session)
    except Exception:
        logger.exception("LVS export link %s failed", link_id)
        return LinkRun(link_id, stopped_by="error")


def _export_in_thread(link_id: int, catch_up: bool) -> LinkRun:
    try:
        with requests.Session() as session:
            return _export_isolated(link_id, catch_up, session)
    finally:
        # Each thread has its own database connection; don't leave it open behind the pool.
        connection.close()
