"""The one place that decides which school's data a person may see.

Every school-scoped view starts with :func:`school_for_request`. Rights come from the roster
(the person's appointments and roles at each school, as the school administration lists
them), never from claims in the login token.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from allauth.socialaccount.models import SocialAccount
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext

from audit.records import Actor
from bingel_admin.observability import school_id_var
from roster.models import Appointment, AppointmentRole, Group, Role, School, Staff

BASISPOORT_ID_SESSION_KEY = "basispoort_id"
# "Mijn scholen" is for coordinators of at least this many schools (portal/views.py: my_schools).
MY_SCHOOLS_MINIMUM = 2


@dataclass(frozen=True)
class SchoolAccess:
    school: School
    staff: Staff
    appointment: Appointment
    roles: frozenset[str]
    user: object = None  # the signed-in account, for the audit row's ``actor``
    other_schools: bool = False  # appointed at another school too (the top bar's "Andere school")
    coordinated_schools: int = 0  # schools where this person is ict-coördinator (the top bar's "Mijn scholen")

    @property
    def actor(self) -> Actor:
        """Who this person is in the audit log: the roster person, as the roster names them."""
        return Actor(label=self.staff.full_name, user_id=getattr(self.user, "pk", None))

    def context(self, **extra) -> dict:
        """The template context every school page starts with: the access object and its school."""
        return {
            "access": self,
            "school": self.school,
            "has_other_schools": self.other_schools,
            "has_my_schools": self.coordinated_schools >= MY_SCHOOLS_MINIMUM,
            **extra,
        }

    @property
    def is_coordinator(self) -> bool:
        return Role.ICT_COORDINATOR in self.roles


# The account provider under which a login's ``sub`` (the Basispoort id) is stored.
SSO_PROVIDER_ID = "basispoort"
_BIGINT_MAX = 2**63 - 1


def canonical_basispoort_id(sub: object) -> int | None:
    """The Basispoort id that the provider's ``sub`` names, or None.

    ``sub`` is an opaque string: it names a roster person only when it is exactly the canonical
    decimal form of their id. ``"0200001"``, ``" 200001"``, ``"+200001"``, ``"２００００１"`` or
    ``"200001.0"`` name nobody, so they cannot borrow the rights of roster id 200001.
    """
    if not isinstance(sub, str) or not (sub.isascii() and sub.isdigit()):
        return None
    value = int(sub)
    if str(value) != sub or not 0 < value <= _BIGINT_MAX:
        return None
    return value


def basispoort_id_of(request: HttpRequest) -> int | None:
    raw = request.session.get(BASISPOORT_ID_SESSION_KEY) if request.user.is_authenticated else None
    return canonical_basispoort_id(raw)


def _sso_subs(user) -> list[str]:
    if user is None or not getattr(user, "pk", None):
        return []
    return list(SocialAccount.objects.filter(user_id=user.pk, provider=SSO_PROVIDER_ID).values_list("uid", flat=True))


def _staff_for_subs(subs: list[str]) -> Staff | None:
    ids = [bp_id for bp_id in map(canonical_basispoort_id, subs) if bp_id is not None]
    return Staff.objects.filter(basispoort_id__in=ids).order_by("pk").first() if ids else None


def staff_for_user(user) -> Staff | None:
    """The roster person behind an account: the Staff whose Basispoort id is the account's ``sub``.

    Accounts of school staff exist only through single sign-on; a back-office superuser has none.
    """
    return _staff_for_subs(_sso_subs(user))


def person_name(user) -> str:
    """How an account is named on screen and in the audit log: as the roster names the person
    behind it, whatever names the identity provider sent. A login the roster does not know is
    not named after the provider's claims either; a back-office account keeps its own name."""
    subs = _sso_subs(user)
    if not subs:
        return user.get_full_name() or user.get_username()
    staff = _staff_for_subs(subs)
    return staff.full_name if staff is not None else gettext("onbekende medewerker")


def actor_for_user(user) -> Actor:
    """The audit actor for an account outside a school request (a back-office or test caller):
    named after the roster person behind it, never after the identity provider's claims."""
    return Actor(label=person_name(user), user_id=user.pk)


def _current(today: dt.date, via: str = "") -> Q:
    """An appointment that is active, not ended, at an active school (``via``: the path to the
    appointment from the model queried)."""
    return Q(**{f"{via}active": True, f"{via}school__active": True}) & (
        Q(**{f"{via}end_date__isnull": True}) | Q(**{f"{via}end_date__gte": today})
    )


def _gives_rights(basispoort_id: int, today: dt.date, via: str = "") -> Q:
    """A current appointment (:func:`_current`) of this person."""
    return Q(**{f"{via}staff__basispoort_id": basispoort_id}) & _current(today, via)


def current_appointments(basispoort_id: int, today: dt.date | None = None) -> QuerySet[Appointment]:
    """Appointments that give rights today: active, not ended, at an active school, with a role."""
    today = today or timezone.localdate()
    return Appointment.objects.filter(
        _gives_rights(basispoort_id, today), Exists(AppointmentRole.objects.filter(appointment=OuterRef("pk")))
    )


def entree_schools(*, branch: str, brin: str) -> list[School]:
    """The active schools an Entree identity's home organisation names: the branch id (BRIN and
    vestiging, six characters) when it is sent, else every school of the BRIN (four characters).
    Who may do what there still comes from the appointments, never from this."""
    branch, brin = (branch or "").strip().upper(), (brin or "").strip().upper()
    schools = School.objects.filter(active=True)
    if len(branch) == 6:
        schools = schools.filter(brin=branch[:4], dependancecode=branch[4:])
    elif len(brin) == 4:
        schools = schools.filter(brin=brin)
    else:
        return []
    return list(schools.order_by("name"))


def schools_for_request(request: HttpRequest) -> list[School]:
    """The schools where this person has a current appointment, each with ``coordinates``."""
    basispoort_id = basispoort_id_of(request)
    if basispoort_id is None:
        return []
    appointments = current_appointments(basispoort_id)
    # ``coordinates``: whether this person is ICT-coördinator there, so choosing the school opens Beheer.
    coordinating = appointments.filter(school_id=OuterRef("pk"), roles__role=Role.ICT_COORDINATOR)
    return list(
        School.objects.filter(pk__in=appointments.values("school_id"))
        .annotate(coordinates=Exists(coordinating))
        .order_by("name")
    )


def coordinated_schools(basispoort_id: int | None, today: dt.date | None = None) -> list[School]:
    """The schools where this person is ict-coördinator today, by name (one query).

    The same rights as :func:`school_for_request` with ``coordinator=True``: an active appointment,
    not ended, at an active school, with the ``ICTCoordinator`` role among its roles.
    """
    if basispoort_id is None:
        return []
    today = today or timezone.localdate()
    appointments = AppointmentRole.objects.filter(
        _gives_rights(basispoort_id, today, via="appointment__"), role=Role.ICT_COORDINATOR
    )
    return list(School.objects.filter(pk__in=appointments.values("appointment__school_id")).order_by("name", "pk"))


def schools_with_a_coordinator(today: dt.date | None = None) -> list[int]:
    """The ids of the schools where someone is ict-coördinator today (the rights of
    :func:`coordinated_schools`, for everyone at once): for work done ahead of their visits."""
    today = today or timezone.localdate()
    roles = AppointmentRole.objects.filter(_current(today, via="appointment__"), role=Role.ICT_COORDINATOR)
    return sorted(set(roles.values_list("appointment__school_id", flat=True)))


def coordinated_schools_for_request(request: HttpRequest) -> list[School]:
    """:func:`coordinated_schools` of the person signed in."""
    return coordinated_schools(basispoort_id_of(request))


def school_for_request(request: HttpRequest, school_id: int, *, coordinator: bool = False) -> SchoolAccess:
    """The school with this id as this person may see it, or 404.

    404 rather than 403 so that the existence of another school's pages is not revealed.
    """
    basispoort_id = basispoort_id_of(request)
    if basispoort_id is None:
        raise Http404
    # One query for every page: the roles of all of this person's current appointments (a handful
    # at most), each with its appointment, school and staff. The appointment at this school gives
    # the rights; one elsewhere makes the top bar offer "Andere school". Only an appointment with
    # a role gives rights, as in ``current_appointments``.
    granted = list(
        AppointmentRole.objects.filter(_gives_rights(basispoort_id, timezone.localdate(), via="appointment__"))
        .select_related("appointment__school", "appointment__staff")
        .order_by("appointment_id")
    )
    here = [row for row in granted if str(row.appointment.school_id) == str(school_id)]
    if not here:
        raise Http404
    appointment = here[0].appointment
    school_id_var.set(appointment.school_id)  # for log records written during this request
    access = SchoolAccess(
        school=appointment.school,
        staff=appointment.staff,
        appointment=appointment,
        roles=frozenset(row.role for row in here if row.appointment_id == appointment.pk),
        user=request.user,
        other_schools=any(row.appointment.school_id != appointment.school_id for row in granted),
        coordinated_schools=len({row.appointment.school_id for row in granted if row.role == Role.ICT_COORDINATOR}),
    )
    if coordinator and not access.is_coordinator:
        raise Http404
    return access


# Roles that may change a group's login method or codes; everyone else appointed to the group
# (a trainee, a substitute, the IB'er) may only see and print them.
CODE_CHANGING_ROLES = frozenset({Role.TEACHER})


def group_for_request(
    request: HttpRequest, school_id: int, group_id: int, *, change: bool = False
) -> tuple[SchoolAccess, Group]:
    """A main group of this school that this person may see: any group for a coordinator, only
    the groups of their own appointment for anyone else. With ``change``, only coordinators and
    the group's own ``Leerkracht`` get the group. Anything else is 404."""
    access = school_for_request(request, school_id)
    group = Group.objects.filter(pk=group_id, school=access.school, active=True, is_subgroup=False).first()
    if group is None:
        raise Http404
    if access.is_coordinator:
        return access, group
    if not access.appointment.groups.filter(pk=group.pk).exists():
        raise Http404
    if change and not may_change_codes(access):
        raise Http404
    return access, group


def may_change_codes(access: SchoolAccess) -> bool:
    """Whether this person may change login codes of the groups they may see (see group_for_request)."""
    return access.is_coordinator or bool(access.roles & CODE_CHANGING_ROLES)
