"""Pupil login codes: per group either a short row of pictures or a number code.

Codes are secrets about children. They are stored encrypted (bingel_admin.crypto, the same
keys as the LVS authorisation keys), shown only on the codes pages of the pupil's own group,
and never written to a log or an audit row: the audit says *that* a code changed, not to what.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit import records
from audit.models import AuditAction
from audit.records import Actor
from bingel_admin import crypto
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


def generate(method: str, taken: set[str]) -> str:
    """A fresh code for this method that no one in ``taken`` has."""
    for _attempt in range(1000):
        if method == LoginMethod.PICTURES:
            names = list(PICTURES)
            code = "-".join(secrets.SystemRandom().sample(names, PICTURES_PER_CODE))
        else:
            code = "".join(secrets.choice("0123456789") for _ in range(number_length()))
        if code not in taken:
            return code
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


def _codes_in_use(group: Group, method: str, except_pupil: int | None = None) -> set[str]:
    rows = PupilLoginCode.objects.filter(pupil__group=group, pupil__active=True, method=method)
    if except_pupil is not None:
        rows = rows.exclude(pupil_id=except_pupil)
    return {crypto.decrypt(token) for token in rows.values_list("code_encrypted", flat=True)}


def _store(pupil: Pupil, method: str, code: str) -> None:
    PupilLoginCode.objects.update_or_create(
        pupil=pupil, defaults={"method": method, "code_encrypted": crypto.encrypt(code)}
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
        if code in _codes_in_use(pupil.group, method, except_pupil=pupil.pk):
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
    return generate(method, _codes_in_use(pupil.group, method, except_pupil=pupil.pk))


def ensure_codes(school: School, moved: list[int] = ()) -> int:
    """Give a code in their group's method to every active pupil in a group who has none, and
    check the pupils who ``moved`` into another group: they keep their code unless it is of the
    other method or a new classmate already has it. Returns how many pupils got a new code.

    Runs inside each school's roster import, so pupils new since last night can log in. A fixed
    number of queries per school, whatever its size: a first national import gives over a
    million pupils a code.
    """
    attention = list(
        Pupil.objects.filter(school=school, active=True, group__isnull=False)
        .filter(Q(login_code__isnull=True) | Q(pk__in=list(moved)))
        .select_related("login_code")
        .order_by("group_id", "pk")
    )
    if not attention:
        return 0
    group_ids = sorted({p.group_id for p in attention})
    # One lock for all groups concerned, so codes handed out here cannot clash with a
    # coordinator changing a code in the same group at the same moment.
    list(Group.objects.select_for_update().filter(pk__in=group_ids).order_by("pk").values_list("pk", flat=True))
    methods = dict(GroupLoginMethod.objects.filter(group_id__in=group_ids).values_list("group_id", "method"))
    taken: dict[tuple[int, str], set[str]] = {}
    for group_id, method, token in (
        PupilLoginCode.objects.filter(pupil__group_id__in=group_ids, pupil__active=True)
        .exclude(pupil__in=attention)
        .values_list("pupil__group_id", "method", "code_encrypted")
    ):
        taken.setdefault((group_id, method), set()).add(crypto.decrypt(token))
    new_rows, changed_rows = [], []
    for pupil in attention:
        method = methods.get(pupil.group_id, DEFAULT_METHOD)
        in_use = taken.setdefault((pupil.group_id, method), set())
        stored = getattr(pupil, "login_code", None)
        current = crypto.decrypt(stored.code_encrypted) if stored and stored.method == method else None
        if current is not None and current not in in_use:
            in_use.add(current)
            continue
        code = generate(method, in_use)
        in_use.add(code)
        if stored is None:
            new_rows.append(PupilLoginCode(pupil=pupil, method=method, code_encrypted=crypto.encrypt(code)))
        else:
            stored.method, stored.code_encrypted = method, crypto.encrypt(code)
            changed_rows.append(stored)
    PupilLoginCode.objects.bulk_create(new_rows, batch_size=1000)
    PupilLoginCode.objects.bulk_update(changed_rows, ["method", "code_encrypted", "changed_at"], batch_size=500)
    return len(new_rows) + len(changed_rows)
