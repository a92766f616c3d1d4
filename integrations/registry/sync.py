"""What to send to the licence registry, sending it, and writing down what came of it.

One path for both kinds of work: ``push_school`` (after a change, from the debounced task) sends
the sets whose version the registry has not had yet; ``reconcile`` (nightly, after the import)
first asks the registry for its digests and sends only the sets that differ, whatever we
believed we had sent. Versions are handed out under a row lock, so two pushes of one school
never send different sets under one version; the registry keeps the highest.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from integrations.models import RegistryPushState, RegistrySchool, RegistrySet
from integrations.registry import entitlements
from integrations.registry.client import (
    CertificateRefused,
    Invalid,
    RegistryClient,
    RemoteSet,
    Stored,
    Transient,
)
from integrations.registry.entitlements import Entitlement
from roster.models import School

logger = logging.getLogger(__name__)


def enabled() -> bool:
    return bool(settings.LICENCE_REGISTRY_URL)


@dataclass(frozen=True)
class Send:
    school_id: int
    instelling_id: int
    productcode: str
    version: int
    body: dict | None  # None: DELETE


@dataclass
class Report:
    schools: int = 0
    sets_compared: int = 0
    asked: int = 0  # schools whose digests were read from the registry
    sent: Counter = field(default_factory=Counter)  # "put", "delete", and per outcome
    failed_schools: dict[int, str] = field(default_factory=dict)

    @property
    def sends(self) -> int:
        return self.sent["put"] + self.sent["delete"]


# --- planning: versions under a lock ----------------------------------------------------------


def _plan(
    school_ids: list[int],
    wanted: dict[int, dict[str, Entitlement]],
    remote: dict[int, dict[str, RemoteSet]] | None,
) -> list[Send]:
    """Bring our rows up to ``wanted`` (new versions where a set changed) and list what to send.

    Without ``remote``: every set whose current version the registry has not confirmed.
    With ``remote`` (reconciliation): only sets whose digest differs from the registry's, or
    that the registry lacks or should not have; a version at or below the registry's is raised
    past it, so the registry accepts the repair.
    """
    bp_ids = dict(School.objects.filter(pk__in=school_ids).values_list("pk", "basispoort_id"))
    rows: dict[int, dict[str, RegistrySet]] = {pk: {} for pk in school_ids}
    for row in RegistrySet.objects.select_for_update().filter(school_id__in=school_ids).order_by("pk"):
        rows[row.school_id][row.productcode] = row
    changed: list[RegistrySet] = []
    new: list[RegistrySet] = []
    sends: list[Send] = []
    for school_id in school_ids:
        mine = wanted.get(school_id, {})
        theirs = remote.get(school_id, {}) if remote is not None else None
        codes = set(mine) | set(rows[school_id]) | set(theirs or ())
        for code in sorted(codes):
            entitlement = mine.get(code)
            row = rows[school_id].get(code)
            dirty = False
            if row is None:
                if entitlement is None and not (theirs and code in theirs):
                    continue
                row = RegistrySet(school_id=school_id, productcode=code, version=0, deleted=entitlement is None)
                new.append(row)
                dirty = True
            if entitlement is not None and (row.deleted or row.content_hash != entitlement.content_hash):
                row.version += 1
                row.deleted, row.content_hash, row.digest = False, entitlement.content_hash, entitlement.digest
                row.users, row.state, row.error = entitlement.users, RegistryPushState.PENDING, ""
                dirty = True
            elif entitlement is None and not row.deleted:
                row.version += 1
                row.deleted, row.content_hash, row.digest, row.users = True, "", "", 0
                row.state, row.error = RegistryPushState.PENDING, ""
                dirty = True
            if theirs is None:
                send = row.version > row.sent_version
            else:
                there = theirs.get(code)
                if entitlement is None:
                    differs = there is not None
                else:
                    differs = there is None or there.sha256 != entitlement.digest
                if differs:
                    if there is not None and row.version <= there.versie:
                        row.version = there.versie + 1
                        dirty = True
                    send = True
                elif there is not None and there.versie > row.version:
                    # Same users under a higher version (our database was restored, say): adopt it, so
                    # our next change goes out above it instead of being refused as stale.
                    row.version = row.sent_version = there.versie
                    row.state = RegistryPushState.SENT
                    dirty, send = True, False
                elif row.version > row.sent_version:
                    # Same users; only a product detail may be unsent. Send it unless the registry has this version.
                    send = entitlement is not None and (there is None or there.versie < row.version)
                    if not send:
                        row.sent_version, row.state = row.version, RegistryPushState.SENT
                        dirty = True
                else:
                    send = False
            if send and row.version == 0:
                row.version = 1
                dirty = True
            if dirty and row.pk is not None:
                changed.append(row)
            if send:
                body = None if row.deleted else {"versie": row.version, **entitlement.body}
                sends.append(Send(school_id, bp_ids[school_id], code, row.version, body))
    RegistrySet.objects.bulk_create(new)
    if changed:
        RegistrySet.objects.bulk_update(
            changed,
            ["version", "deleted", "content_hash", "digest", "users", "state", "error", "sent_version"],
            batch_size=500,
        )
    return sends


# --- delivery -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    send: Send
    kind: str  # "ok", "stale", "invalid", "refused", "transient"
    versie: int = 0
    message: str = ""


def _deliver_one(client: RegistryClient, send: Send) -> Outcome:
    try:
        if send.body is None:
            stored: Stored = client.delete_set(send.instelling_id, send.productcode, send.version)
        else:
            stored = client.put_set(send.instelling_id, send.productcode, send.body)
    except Invalid as exc:
        return Outcome(send, "invalid", message=str(exc))
    except CertificateRefused as exc:
        return Outcome(send, "refused", message=str(exc))
    except Transient as exc:
        return Outcome(send, "transient", message=str(exc))
    return Outcome(send, "stale" if stored.stale else "ok", versie=stored.versie)


def _deliver(client: RegistryClient, sends: list[Send], workers: int) -> list[Outcome]:
    if len(sends) <= 1 or workers <= 1:
        return [_deliver_one(client, s) for s in sends]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="registry") as pool:
        return list(pool.map(lambda s: _deliver_one(client, s), sends))


def _deliver_with_retries(client: RegistryClient, sends: list[Send], workers: int) -> list[Outcome]:
    """Reconciliation is the repair of last resort: it retries transient failures itself, with backoff."""
    outcomes = _deliver(client, sends, workers)
    for attempt in range(settings.LICENCE_REGISTRY_RECONCILE_TRIES - 1):
        again = [o.send for o in outcomes if o.kind == "transient"]
        if not again:
            break
        time.sleep(min(settings.LICENCE_REGISTRY_RETRY_BASE_SECONDS * 2**attempt, 60))
        outcomes = [o for o in outcomes if o.kind != "transient"] + _deliver(client, again, workers)
    return outcomes


def _record(outcomes: list[Outcome], now: dt.datetime) -> dict[int, str]:
    """Write each set's outcome; returns {school id: why it is not up to date} for the schools that failed."""
    failed: dict[int, str] = {}
    # 409: the registry holds a newer version, which only a later push of ours can have made: drop this one.
    _mark_sent([o.send for o in outcomes if o.kind in ("ok", "stale")], now)
    for o in outcomes:
        s = o.send
        if o.kind == "invalid":
            # Never retried: sending the same body again gets the same answer. The next change tries anew.
            logger.error("Licence registry refused a set: %s", o.message)
            RegistrySet.objects.filter(
                school_id=s.school_id, productcode=s.productcode, sent_version__lt=s.version
            ).update(sent_version=s.version, state=RegistryPushState.REFUSED, error=o.message[:300])
        elif o.kind == "refused":  # a refused certificate outweighs a transient failure of the same school
            failed[s.school_id] = f"refused: {o.message}"
        elif o.kind == "transient":
            failed.setdefault(s.school_id, f"transient: {o.message}")
    return failed


def _mark_sent(sends: list[Send], now: dt.datetime) -> None:
    """One statement for a chunk's confirmed sets (a first reconciliation confirms tens of thousands)."""
    if not sends:
        return
    if connection.vendor != "postgresql":
        for s in sends:
            rows = RegistrySet.objects.filter(school_id=s.school_id, productcode=s.productcode)
            rows.filter(sent_version__lt=s.version).update(sent_version=s.version, sent_at=now, error="")
            rows.filter(version__lte=F("sent_version")).update(state=RegistryPushState.SENT)
        return
    for start in range(0, len(sends), 1000):
        part = sends[start : start + 1000]
        values = ", ".join(["(%s::bigint, %s::varchar, %s::bigint)"] * len(part))
        params = [x for s in part for x in (s.school_id, s.productcode, s.version)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {RegistrySet._meta.db_table} AS t SET sent_version = v.version, sent_at = %s, "  # noqa: S608 - table name from the model, values are parameters
                "error = '', state = CASE WHEN t.version <= v.version THEN %s ELSE t.state END "
                f"FROM (VALUES {values}) AS v(school_id, productcode, version) "
                "WHERE t.school_id = v.school_id AND t.productcode = v.productcode AND t.sent_version < v.version",
                [now, RegistryPushState.SENT, *params],
            )


def _mark_schools(school_ids: list[int], failed: dict[int, str], generations: dict[int, int], now: dt.datetime):
    ok = [pk for pk in school_ids if pk not in failed]
    if ok:
        RegistrySchool.objects.filter(school_id__in=ok).update(
            last_success_at=now, attempts=0, last_error="", next_attempt_at=None, certificate_refused=False
        )
        # Only the schools that were waiting for a push (an unchanged night has none), and only if
        # nothing changed since we read them: a later change has its own push queued.
        for pk in ok:
            if pk in generations:
                RegistrySchool.objects.filter(school_id=pk, generation=generations[pk]).update(dirty_since=None)
    for pk, why in failed.items():
        RegistrySchool.objects.filter(school_id=pk).update(
            dirty_since=Coalesce(F("dirty_since"), now),
            attempts=F("attempts") + 1,
            last_error=why[:300],
            certificate_refused=why.startswith("refused"),
        )


def _ensure_school_rows(school_ids: list[int]) -> dict[int, int]:
    """Make sure every school has its row; returns {school id: generation} of those waiting for a push."""
    waiting: dict[int, int] = {}
    missing = set(school_ids)
    for school_id, generation, dirty_since in RegistrySchool.objects.filter(school_id__in=school_ids).values_list(
        "school_id", "generation", "dirty_since"
    ):
        missing.discard(school_id)
        if dirty_since is not None:
            waiting[school_id] = generation
    if missing:  # a push may create a row meanwhile
        RegistrySchool.objects.bulk_create(
            [RegistrySchool(school_id=pk) for pk in sorted(missing)], ignore_conflicts=True, batch_size=1000
        )
    return waiting


# --- the two entry points -------------------------------------------------------------------


def push_school(school_id: int, *, client: RegistryClient | None = None) -> Report:
    """Send one school's changed sets. Raises ``Transient`` when something must be tried again."""
    client = client or RegistryClient.from_settings()
    now = timezone.now()
    with transaction.atomic():
        generations = _ensure_school_rows([school_id])
        RegistrySchool.objects.filter(school_id=school_id).update(queued=False)
    wanted = entitlements.for_schools([school_id])
    with transaction.atomic():
        sends = _plan([school_id], wanted, None)
    outcomes = _deliver(client, sends, settings.LICENCE_REGISTRY_WORKERS)
    failed = _record(outcomes, now)
    _mark_schools([school_id], failed, generations, now)
    report = Report(schools=1, sets_compared=len(wanted[school_id]))
    _count(report, outcomes, failed)
    why = failed.get(school_id)
    if why and why.startswith("transient"):
        raise Transient(why.removeprefix("transient: "))
    return report


def _unsettled(school_ids: list[int]) -> set[int]:
    """The schools whose last word with the registry was not a confirmation: a set not sent or
    refused, a push waiting or failing, or never reconciled at all."""
    open_sets = RegistrySet.objects.filter(school_id__in=school_ids).filter(
        ~Q(state=RegistryPushState.SENT) | ~Q(version=F("sent_version"))
    )
    settled_schools = RegistrySchool.objects.filter(
        school_id__in=school_ids, dirty_since__isnull=True, attempts=0, certificate_refused=False
    )
    return set(open_sets.values_list("school_id", flat=True)) | (
        set(school_ids) - set(settled_schools.values_list("school_id", flat=True))
    )


def _unchanged(school_ids: list[int], wanted: dict[int, dict[str, Entitlement]]) -> set[int]:
    """The schools whose wanted sets are exactly the ones the registry last confirmed."""
    confirmed: dict[int, dict[str, str]] = {pk: {} for pk in school_ids}
    settled = Q(state=RegistryPushState.SENT, version=F("sent_version"))
    rows = RegistrySet.objects.filter(school_id__in=school_ids)
    for school_id, code, content_hash, deleted, is_settled in rows.values_list(
        "school_id", "productcode", "content_hash", "deleted", settled
    ):
        # A push may have changed a set since the school was found settled: then it is not unchanged.
        if not is_settled:
            confirmed[school_id][code] = ""
        elif not deleted:
            confirmed[school_id][code] = content_hash
    return {pk for pk in school_ids if confirmed[pk] == {code: e.content_hash for code, e in wanted[pk].items()}}


def _in_step(
    school_ids: list[int], wanted: dict[int, dict[str, Entitlement]], remote: dict[int, dict[str, RemoteSet]]
) -> set[int]:
    """The schools where we, our rows and the registry agree on every set: what we want tonight is
    what we last sent and the registry confirmed, and the registry holds exactly that version and
    digest (and nothing else). ``_plan`` would change and send nothing for them, so they skip it
    and its row locks: on an unchanged night that is every school."""
    settled: dict[int, dict[str, tuple[str, int] | None]] = {pk: {} for pk in school_ids}
    rows = RegistrySet.objects.filter(school_id__in=school_ids).values_list(
        "school_id", "productcode", "version", "sent_version", "state", "deleted", "content_hash"
    )
    for school_id, code, version, sent_version, state, deleted, content_hash in rows:
        confirmed = version == sent_version and state == RegistryPushState.SENT
        if not (deleted and confirmed):  # a deletion the registry confirmed: nothing left to agree on
            settled[school_id][code] = (content_hash, version) if confirmed and not deleted else None
    return {
        pk
        for pk in school_ids
        if set(wanted[pk]) == set(settled[pk]) == set(remote[pk])
        and all(
            settled[pk][code] == (e.content_hash, remote[pk][code].versie) and remote[pk][code].sha256 == e.digest
            for code, e in wanted[pk].items()
        )
    }


def schools_in_scope() -> list[int]:
    """Every school we synchronise, and every school we ever sent a set for (a school that left must lose its sets)."""
    return sorted(
        set(School.objects.filter(active=True, sync_permitted=True).values_list("pk", flat=True))
        | set(RegistrySet.objects.filter(deleted=False).values_list("school_id", flat=True).distinct())
    )


def reconcile(
    school_ids: list[int] | None = None,
    *,
    client: RegistryClient | None = None,
    chunk_size: int | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    today: dt.date | None = None,
) -> Report:
    """Compare every school with the registry by digest and send only the sets that differ.

    Schools in scope by default: ``schools_in_scope()``; the nightly task hands each worker
    process a part of them. Transient failures are left for the next push or night; they are
    counted per school in the report.

    With ``LICENCE_REGISTRY_CHECK_EVERY_NIGHTS`` above 1, a school whose sets are exactly what the
    registry last confirmed is asked for its digests only on its night of the rotation (one in
    that many): a change of ours is still sent the same night, a change on the registry's side
    is found within the rotation.
    """
    client = client or RegistryClient.from_settings()
    chunk_size = chunk_size or settings.LICENCE_REGISTRY_CHUNK_SIZE
    workers = workers or settings.LICENCE_REGISTRY_WORKERS
    every = max(1, settings.LICENCE_REGISTRY_CHECK_EVERY_NIGHTS)
    tonight = (today or timezone.localdate()).toordinal() % every
    if school_ids is None:
        school_ids = schools_in_scope()
    report = Report()
    bp_ids = dict(School.objects.filter(pk__in=school_ids).values_list("pk", "basispoort_id"))

    def read(pk: int) -> tuple[int, dict[str, RemoteSet] | str]:
        try:
            return pk, client.list_sets(bp_ids[pk])
        except (Transient, CertificateRefused, Invalid) as exc:
            kind = "refused" if isinstance(exc, CertificateRefused) else "transient"
            return pk, f"{kind}: {exc}"

    def asked_first(chunk: list[int]) -> list[int]:
        """The schools asked before we know what changed: all, or tonight's share and the unsettled ones."""
        if every == 1:
            return chunk
        unsettled = _unsettled(chunk)
        return [pk for pk in chunk if pk % every == tonight or pk in unsettled]

    chunks = [school_ids[start : start + chunk_size] for start in range(0, len(school_ids), chunk_size)]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="registry-read") as pool:
        # The registry's digests of the next chunk are read while this chunk is compared and sent
        # (one GET per school is most of an unchanged night).
        reading = pool.map(read, asked_first(chunks[0])) if chunks else iter(())
        for number, chunk in enumerate(chunks):
            answers = list(reading)
            if number + 1 < len(chunks):
                reading = pool.map(read, asked_first(chunks[number + 1]))
            now = timezone.now()
            generations = _ensure_school_rows(chunk)
            wanted = entitlements.for_schools(chunk)
            unchanged: set[int] = set()
            if every > 1:
                asked = {pk for pk, _ in answers}
                not_asked = [pk for pk in chunk if pk not in asked]
                unchanged = _unchanged(not_asked, wanted)
                answers += pool.map(read, [pk for pk in not_asked if pk not in unchanged])
            remote: dict[int, dict[str, RemoteSet]] = {}
            unreadable: dict[int, str] = {}
            for pk, answer in answers:
                if isinstance(answer, str):
                    unreadable[pk] = answer
                else:
                    remote[pk] = answer
            readable = [pk for pk in chunk if pk in remote]
            in_step = _in_step(readable, wanted, remote)
            sends: list[Send] = []
            if len(in_step) < len(readable):
                with transaction.atomic():
                    sends = _plan([pk for pk in readable if pk not in in_step], wanted, remote)
            outcomes = _deliver_with_retries(client, sends, workers)
            failed = {**_record(outcomes, now), **unreadable}
            _mark_schools(chunk, failed, generations, now)
            report.schools += len(chunk)
            report.sets_compared += sum(len(wanted[pk]) for pk in [*readable, *unchanged]) + sum(
                len(set(remote[pk]) - set(wanted[pk])) for pk in readable
            )
            report.asked += len(answers)
            _count(report, outcomes, failed)
            if progress:
                progress(report.schools, len(school_ids))
    return report


def _count(report: Report, outcomes: list[Outcome], failed: dict[int, str]) -> None:
    for o in outcomes:
        report.sent["put" if o.send.body is not None else "delete"] += 1
        report.sent[o.kind] += 1
    report.failed_schools.update(failed)
