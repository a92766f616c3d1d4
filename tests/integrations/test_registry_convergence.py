"""With ~30 % injected faults and out-of-order delivery at the registry, after the retries and one
reconciliation the registry holds exactly our entitlements for every school and product."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from demo.reference_registry import HOLD, ReferenceRegistry, running
from integrations.registry import sync
from integrations.registry.client import Transient
from licenses import actions
from licenses.models import LicenceKind
from roster.models import Role
from tests.factories import appoint, make_group, make_licence, make_product, make_pupil, make_school, make_staff

pytestmark = pytest.mark.django_db(transaction=True)
SCHOOLS = 5
ROUNDS = 8


@pytest.fixture
def faulty_registry(settings, registry_pki):
    registry = ReferenceRegistry(fail_rate=0.3, seed=2026)
    with running(registry, registry_pki) as url:
        settings.LICENCE_REGISTRY_URL = url
        settings.LICENCE_REGISTRY_CLIENT_CERT = str(registry_pki.client)
        settings.LICENCE_REGISTRY_CLIENT_KEY = ""
        settings.LICENCE_REGISTRY_CA_BUNDLE = str(registry_pki.ca)
        settings.LICENCE_REGISTRY_RETRY_BASE_SECONDS = 0
        settings.LICENCE_REGISTRY_RETRIES = 2  # few: some pushes give up and leave work for the reconciliation
        yield registry


def build_school(n: int, group_product, pupil_product) -> dict:
    school = make_school(f"School {n}", f"{10 + n}AB", dependancecode="00")
    groups = []
    for g in range(2):
        group = make_group(school, f"Groep {g + 4}", str(g + 4))
        teacher = make_staff(f"Leerkracht{n}{g}", "Jansen")
        appoint(teacher, school, Role.TEACHER, groups=[group])
        pupils = [make_pupil(school, group, f"Kind{n}{g}{p}", "Visser") for p in range(3)]
        groups.append({"group": group, "teacher": teacher.basispoort_id, "pupils": pupils})
    return {
        "school": school,
        "groups": groups,
        "group_licence": make_licence(school, group_product),
        "pupil_licence": make_licence(school, pupil_product, LicenceKind.PER_PUPIL, seats=4),
        "linked": set(),  # indexes of linked groups
        "seated": set(),  # (group index, pupil index)
    }


def expected(world: dict) -> dict[tuple[int, str], set[int]]:
    """What the test itself linked, spelled out without the code under test."""
    bp = world["school"].basispoort_id
    group_set, pupil_set = set(), set()
    for g in world["linked"]:
        group_set |= {p.basispoort_id for p in world["groups"][g]["pupils"]} | {world["groups"][g]["teacher"]}
    for g, p in world["seated"]:
        pupil_set |= {world["groups"][g]["pupils"][p].basispoort_id, world["groups"][g]["teacher"]}
    return {(bp, "groep-licentie"): group_set, (bp, "kind-licentie"): pupil_set}


def change_something(world: dict, rng: random.Random) -> None:
    school = world["school"]
    g = rng.randrange(2)
    if rng.random() < 0.5:
        group = world["groups"][g]["group"]
        if g in world["linked"]:
            actions.unlink_group(school=school, licence_id=world["group_licence"].pk, group_id=group.pk, actor=None)
            world["linked"].discard(g)
        else:
            actions.link_groups(school=school, licence_id=world["group_licence"].pk, group_ids=[group.pk], actor=None)
            world["linked"].add(g)
    else:
        p = rng.randrange(3)
        pupil = world["groups"][g]["pupils"][p]
        if (g, p) in world["seated"]:
            actions.release_seat(school=school, licence_id=world["pupil_licence"].pk, pupil_id=pupil.pk, actor=None)
            world["seated"].discard((g, p))
        elif len(world["seated"]) < 4:
            actions.assign_seat(school=school, licence_id=world["pupil_licence"].pk, pupil_id=pupil.pk, actor=None)
            world["seated"].add((g, p))


def push_like_the_task(school_id: int, tries: int) -> None:
    try:
        for _ in range(tries):
            try:
                sync.push_school(school_id)
                return
            except Transient:
                continue
    finally:
        connection.close()


def test_the_registry_converges_to_our_state_despite_faults_and_reordering(faulty_registry, settings):
    rng = random.Random(20)  # noqa: S311 - a reproducible walk, not security
    group_product = make_product("groep-licentie")
    pupil_product = make_product("kind-licentie")
    worlds = [build_school(n, group_product, pupil_product) for n in range(SCHOOLS)]
    ids = [w["school"].pk for w in worlds]

    for _ in range(ROUNDS):
        for world in rng.sample(worlds, k=3):
            for _ in range(rng.randrange(1, 4)):
                change_something(world, rng)
        # Pushes of several schools at once, in a shuffled order, each retried like the Celery task.
        order = rng.sample(ids, k=len(ids)) * 2
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda pk: push_like_the_task(pk, settings.LICENCE_REGISTRY_RETRIES + 1), order))

    faults = {k: n for k, n in faulty_registry.counts().items() if not k.endswith((" 200", " 404"))}
    assert sum(n for k, n in faults.items() if k.startswith(("PUT 5", "PUT 4", "DELETE 5"))) > 0, faults
    faulty_registry.release_held()  # the delayed pushes arrive after newer ones
    report = sync.reconcile(ids)

    want = {}
    for world in worlds:
        want.update(expected(world))
    assert faulty_registry.sets() == want
    assert not report.failed_schools
    # It could have failed: faults were injected, and stale pushes arrived late and were refused.
    assert faulty_registry.script == [] and HOLD in faulty_registry.faults
    late = {k: n for k, n in faulty_registry.counts().items() if k.startswith("late ")}
    assert sum(late.values()) > 0, late  # delayed pushes did land after newer ones
    # A second reconciliation finds nothing to send.
    assert sync.reconcile(ids).sends == 0
