"""Pupil login codes: per group either a short row of pictures or a number code.

Codes are secrets about children. They are stored encrypted (bingel_admin.crypto, the same
keys as the LVS authorisation keys), shown only on the codes pages of the pupil's own group,
and never written to a log or an audit row: the audit says *that* a code changed, not to what.
Next to each code is its keyed fingerprint (``crypto.fingerprint``): whether a code is already
taken in a group is checked on fingerprints, so no classmate's code is decrypted for it.
"""

from __future__ import annotations

import itertools
import secrets
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit import records
from audit.models import AuditAction
from audit.records import Actor
from bingel_admin import crypto
from roster.bulk import insert_rows, update_values
from roster.models import Group, GroupLoginMethod, LoginMethod, Pupil, PupilLoginCode, School
from roster.naming import label_pupils

# The fixed picture set; each file is static/pupil-pictures/<name>.svg, named in Dutch for screen readers.
PICTURES = {
    "appel": gettext_lazy("appel"),
    "bal": gettext_lazy("bal"),
    "boom": gettext_lazy("boom"),
    "eend": gettext_lazy("eend"),
    "fiets": gettext_lazy("fiets"),
    "huis": gettext_lazy("huis"),
    "kat": gettext_lazy("kat"),
    "maan": gettext_lazy("maan"),
    "ster": gettext_lazy("ster"),
    "vis": gettext_lazy("vis"),
    "vlinder": gettext_lazy("vlinder"),
    "zon": gettext_lazy("zon"),
}
PICTURES_PER_CODE = 3
DEFAULT_METHOD = LoginMethod.PICTURES


class CodeRefused(Exception):
    """A code that cannot be used; the message says why, in the coordinator's language."""


def number_length() -> int:
    return settings.PUPIL_NUMBER_CODE_LENGTH


_random = secrets.SystemRandom()
# Every row of three different pictures: one random draw per code instead of three.
_PICTURE_CODES = ["-".join(names) for names in itertools.permutations(PICTURES, PICTURES_PER_CODE)]


def _draw(method: str) -> str:
    if method == LoginMethod.PICTURES:
        return _PICTURE_CODES[_random.randrange(len(_PICTURE_CODES))]
    length = number_length()
    return str(_random.randrange(10**length)).zfill(length)


def generate(method: str, taken: set[str], *, key: Callable[[str], str] | None = None) -> str:
    """A fresh code for this method that no one in ``taken`` has (``taken`` holds ``key(code)``
    when a key is given: fingerprints, so the codes taken need not be decrypted)."""
    return _fresh(method, taken, key or str)[0]


def _fresh(method: str, taken: set[str], key: Callable[[str], str]) -> tuple[str, str]:
    """A fresh code and its ``key``, which is not in ``taken``."""
    for _attempt in range(1000):
        code = _draw(method)
        keyed = key(code)
        if keyed not in taken:
            return code, keyed
    raise CodeRefused(_("Er is geen vrije code meer te vinden voor deze groep."))


def normalise(method: str, raw: str) -> str:
    """Check a code typed or chosen by the coordinator; returns it in its stored form."""
    value = raw.strip().lower()
    if method == LoginMethod.NUMBERS:
        if not value.isascii() or not value.isdigit() or not 4 <= len(value) <= 6:
            raise CodeRefused(_("Een cijfercode bestaat uit 4 tot 6 cijfers."))
        return value
    names = [part for part in value.split("-") if part]
    if len(names) != PICTURES_PER_CODE or any(name not in PICTURES for name in names):
        raise CodeRefused(_("Kies precies %(n)s plaatjes.") % {"n": PICTURES_PER_CODE})
    if len(set(names)) != len(names):
        raise CodeRefused(_("Kies drie verschillende plaatjes."))
    return "-".join(names)


@dataclass(frozen=True)
class ShownCode:
    pupil: Pupil
    method: str
    code: str

    @property
    def pictures(self) -> list[tuple[str, str]]:
        """(file name, Dutch name) of each picture, in order."""
        if self.method != LoginMethod.PICTURES or not self.code:
            return []
        return [(name, str(PICTURES[name])) for name in self.code.split("-") if name in PICTURES]


def method_of(group: Group) -> str:
    found = GroupLoginMethod.objects.filter(group=group).values_list("method", flat=True).first()
    return found or DEFAULT_METHOD


def group_pupils(group: Group):
    return Pupil.objects.filter(group=group, active=True).order_by("last_name", "first_name", "pk")


def codes_for_group(group: Group) -> list[ShownCode]:
    """Every active pupil of the group with their code, decrypted for display (one query)."""
    pupils = label_pupils(group_pupils(group).select_related("login_code"))
    label_pupils(pupils, name="full_name", attribute="card_label")
    shown = []
    for pupil in pupils:
        stored = getattr(pupil, "login_code", None)
        shown.append(
            ShownCode(pupil, stored.method if stored else "", crypto.decrypt(stored.code_encrypted) if stored else "")
        )
    return shown


def _fingerprints_in_use(group: Group, method: str, except_pupil: int | None = None) -> set[str]:
    rows = PupilLoginCode.objects.filter(pupil__group=group, pupil__active=True, method=method)
    if except_pupil is not None:
        rows = rows.exclude(pupil_id=except_pupil)
    return set(rows.values_list("code_fingerprint", flat=True))


def _store(pupil: Pupil, method: str, code: str) -> None:
    PupilLoginCode.objects.update_or_create(
        pupil=pupil,
        defaults={
            "method": method,
            "code_encrypted": crypto.encrypt(code),
            "code_fingerprint": crypto.fingerprint(code),
        },
    )


def switch_group_method(*, group: Group, method: str, actor: Actor | None) -> int:
    """Give the whole group new codes in ``method``; returns how many pupils got one."""
    if method not in LoginMethod.values:
        raise CodeRefused(_("Kies plaatjes of een cijfercode."))
    with transaction.atomic():
        # Lock the group so two coordinators switching at once cannot hand out one code twice.
        Group.objects.select_for_update().filter(pk=group.pk).first()
        before = method_of(group)
        GroupLoginMethod.objects.update_or_create(group=group, defaults={"method": method})
        taken: set[str] = set()
        pupils = list(group_pupils(group))
        for pupil in pupils:
            code = generate(method, taken)
            taken.add(code)
            _store(pupil, method, code)
        entry = records.Entry(
            AuditAction.LOGIN_METHOD_CHANGED,
            _("%(group)s: nieuwe inlogcodes (%(method)s)") % {"group": group.name, "method": LoginMethod(method).label},
            group.school_id,
            before=records.login_method_facts(group.las_key, before),
            after=records.login_method_facts(group.las_key, method, pupils=len(pupils)),
        )
        records.record(entry, actor)
    return len(pupils)


def set_pupil_code(*, pupil: Pupil, raw_code: str, actor: Actor | None) -> None:
    """Set one pupil's code (typed or chosen), refused when a classmate already has it."""
    if pupil.group is None or not pupil.active:
        raise CodeRefused(_("Deze leerling zit niet (meer) in een groep."))
    method = method_of(pupil.group)
    code = normalise(method, raw_code)
    with transaction.atomic():
        Group.objects.select_for_update().filter(pk=pupil.group_id).first()
        if crypto.fingerprint(code) in _fingerprints_in_use(pupil.group, method, except_pupil=pupil.pk):
            raise CodeRefused(
                _("Een andere leerling in %(group)s heeft deze code al. Kies een andere.") % {"group": pupil.group.name}
            )
        _store(pupil, method, code)
        entry = records.Entry(
            AuditAction.LOGIN_CODE_CHANGED,
            _("%(name)s: inlogcode gewijzigd") % {"name": pupil.full_name},
            pupil.school_id,
            after=records.login_code_facts(pupil.basispoort_id, method),
        )
        records.record(entry, actor)


def suggestion_for(pupil: Pupil) -> str:
    method = method_of(pupil.group)
    return generate(method, _fingerprints_in_use(pupil.group, method, except_pupil=pupil.pk), key=crypto.fingerprint)


def ensure_codes(school: School, moved: Iterable[int] = ()) -> int:
    """``ensure_codes_for_schools`` for one school; returns how many pupils got a new code."""
    return ensure_codes_for_schools([school.pk], moved)[school.pk]


def ensure_codes_for_schools(school_ids: list[int], moved: Iterable[int] = ()) -> Counter:
    """Give a code in their group's method to every active pupil in a group who has none, and
    check the pupils who ``moved`` into another group: they keep their code unless it is of the
    other method or a new classmate already has it. Returns per school how many pupils got a new code.

    Runs inside the roster import's transaction for a chunk of schools, so pupils new since
    last night can log in. A fixed number of queries per chunk, whatever the number and size of
    its schools: a first national import gives over a million pupils a code. Clashes are found
    on fingerprints; nothing stored is decrypted here.
    """
    given: Counter = Counter(dict.fromkeys(school_ids, 0))
    moved = list(moved)
    attention = list(
        Pupil.objects.filter(school_id__in=school_ids, active=True, group__isnull=False)
        .filter(Q(login_code__isnull=True) | Q(pk__in=moved))
        .order_by("group_id", "pk")
        .values_list(
            "pk", "school_id", "group_id", "login_code__pk", "login_code__method", "login_code__code_fingerprint"
        )
    )
    if not attention:
        return given
    group_ids = sorted({row[2] for row in attention})
    # One lock for all groups concerned, so codes handed out here cannot clash with a
    # coordinator changing a code in the same group at the same moment.
    list(Group.objects.select_for_update().filter(pk__in=group_ids).order_by("pk").values_list("pk", flat=True))
    methods = dict(GroupLoginMethod.objects.filter(group_id__in=group_ids).values_list("group_id", "method"))
    taken: dict[tuple[int, str], set[str]] = {}
    concerned = {row[0] for row in attention}
    # From the pupils' side, by school: PostgreSQL then walks the chunk's pupils by index and
    # looks up each one's code, instead of scanning every code in the country.
    classmates = Pupil.objects.filter(
        school_id__in=school_ids, group_id__in=group_ids, active=True, login_code__isnull=False
    ).values_list("pk", "group_id", "login_code__method", "login_code__code_fingerprint")
    for pupil_id, group_id, method, fingerprint in classmates:
        if pupil_id not in concerned:
            taken.setdefault((group_id, method), set()).add(fingerprint)
    now = timezone.now()
    new_rows, changed_rows = [], []
    for pupil_id, school_id, group_id, stored_pk, stored_method, stored_fingerprint in attention:
        method = methods.get(group_id, DEFAULT_METHOD)
        in_use = taken.setdefault((group_id, method), set())
        if stored_pk is not None and stored_method == method and stored_fingerprint not in in_use:
            in_use.add(stored_fingerprint)
            continue
        code, fingerprint = _fresh(method, in_use, crypto.fingerprint)
        in_use.add(fingerprint)
        if stored_pk is None:
            new_rows.append((pupil_id, method, crypto.encrypt(code), fingerprint, now))
        else:
            changed_rows.append((stored_pk, method, crypto.encrypt(code), fingerprint, now))
        given[school_id] += 1
    insert_rows(PupilLoginCode, ["pupil_id", "method", "code_encrypted", "code_fingerprint", "changed_at"], new_rows)
    update_values(PupilLoginCode, ["method", "code_encrypted", "code_fingerprint", "changed_at"], changed_rows)
    return given
