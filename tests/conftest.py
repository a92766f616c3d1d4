"""Personas shared by the tests.

School A has a coordinator, a teacher and a coordinator who also serves school B; the
coordinator of school C is the outsider who must see nothing of A or B.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest
from django.db import connection
from django.utils import timezone

from licenses.models import GroupLink, LicenceKind, Seat
from roster.models import HeldNight, HoldReason, Role, School, Staff
from tests.factories import appoint, make_group, make_licence, make_product, make_pupil, make_school, make_staff
from tests.run_log import PLAIN_FACTORY, RUN_LOG, eckid_hits, record_every_record

pytest_plugins = [
    "tests.sso",
    "tests.certified_idp",
    "tests.oidc_peer",
    "tests.browser",
    "tests.licence_fixtures",
    "tests.lvs_helpers",
    "tests.walk_world",
    "tests.registry_helpers",
    "tests.my_schools_world",
    "tests.saml_idp",
    "tests.simplesamlphp",
]


@dataclass
class World:
    school_a: School
    school_b: School
    school_c: School
    coordinator_a: Staff
    teacher_a: Staff
    coordinator_ab: Staff
    coordinator_c: Staff


@pytest.fixture
def world(db) -> World:
    school_a = make_school("De Regenboog", "12AB", dependancecode="00")
    school_b = make_school("Het Kompas", "12AB", dependancecode="01")
    school_c = make_school("De Wilgenhoek", "34CD", dependancecode="00")
    group_a5 = make_group(school_a, "Groep 5", "5")
    make_group(school_b, "Groep 3", "3")
    group_c7 = make_group(school_c, "Groep 7", "7")
    make_pupil(school_a, group_a5, "Emma", "Visser")
    make_pupil(school_c, group_c7, "Noah", "Dekker")

    coordinator_a = make_staff("Ilse", "Bakker")
    appoint(coordinator_a, school_a, Role.ICT_COORDINATOR)
    teacher_a = make_staff("Mark", "Jansen")
    appoint(teacher_a, school_a, Role.TEACHER, groups=[group_a5])
    coordinator_ab = make_staff("Sanne", "Vries", infix="de")
    appoint(coordinator_ab, school_a, Role.ICT_COORDINATOR)
    appoint(coordinator_ab, school_b, Role.ICT_COORDINATOR)
    coordinator_c = make_staff("Fatima", "Amrani", infix="el")
    appoint(coordinator_c, school_c, Role.ICT_COORDINATOR, Role.TEACHER, groups=[group_c7])
    return World(school_a, school_b, school_c, coordinator_a, teacher_a, coordinator_ab, coordinator_c)


@pytest.fixture(scope="session", autouse=True)
def _end_leftover_live_server_connections(django_db_setup, django_db_blocker):
    """Live-server request threads that a browser kept alive can leave an idle connection
    behind; end those so the test database can be dropped at the end of the run."""
    yield

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture
def school_objects(world) -> dict:
    """For each school: a group, a pupil, a linked group licence, a held pupil seat and a result link."""
    from tests.lvs_helpers import make_result_link  # noqa: PLC0415 - a module of pytest_plugins: imported at the top it could not be assertion-rewritten

    product = make_product()
    objects = {}
    for key in ("a", "b", "c"):
        school = getattr(world, f"school_{key}")
        group = make_group(school, "Groep 4", "4")
        pupil = make_pupil(school, group)
        group_licence = make_licence(school, product)
        GroupLink.objects.create(licence=group_licence, group=group, school=school)
        pupil_licence = make_licence(school, product, LicenceKind.PER_PUPIL, seats=5)
        Seat.objects.create(licence=pupil_licence, pupil=pupil, school=school)
        objects[key] = {"group": group, "pupil": pupil, "group_licence": group_licence, "pupil_licence": pupil_licence}
        objects[key]["result_link"] = make_result_link(school)
        # An open held night whose document is already gone: deciding on it is refused with a message.
        objects[key]["held_night"] = HeldNight.objects.create(
            school=school, held_at=timezone.now(), reasons=[HoldReason.PUPILS_LEAVING]
        )
    return objects


# --- Every log record of the whole run, read for ECK iDs at its end (tests/run_log.py) ---------
def pytest_sessionstart(session) -> None:
    RUN_LOG.write_text("", encoding="utf-8")
    logging.setLogRecordFactory(record_every_record)


def pytest_sessionfinish(session, exitstatus) -> None:
    logging.setLogRecordFactory(PLAIN_FACTORY)
    if not RUN_LOG.exists():
        return
    hits = eckid_hits(RUN_LOG.read_text(encoding="utf-8"))
    if hits:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"An ECK iD reached the log {len(hits)} time(s) in this run ({RUN_LOG}):", red=True)
            for line in hits[:20]:
                reporter.write_line("  " + line[:300], red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
