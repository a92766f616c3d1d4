"""Every view that answers htmx with a fragment answers htmx's history-restore request (Back when
the page is not in htmx's history cache) with the whole page, and varies on HX-Request."""

from __future__ import annotations

import ast

import pytest
from django.urls import reverse

from tests.factories import login_as
from tests.lvs_helpers import make_result_link, make_supplier
from tests.servers import ROOT

pytestmark = pytest.mark.django_db
APPS = ("roster", "licenses", "integrations", "portal")
HTMX = {"HX-Request": "true"}
RESTORE = {"HX-Request": "true", "HX-History-Restore-Request": "true"}


def htmx_views(world, licences) -> dict[str, str]:
    """Each htmx view's URL, by view name."""
    link = make_result_link(world.school_a, make_supplier("Momento"))
    school = world.school_a.pk
    return {
        "beheer_groep": reverse("beheer_groep", args=[school, licences.group_4a.pk]),
        "licence_assign_seat": reverse("licence_assign_seat", args=[school, licences.pupil_licence.pk])
        + f"?groep={licences.group_4a.pk}",
        "resultlink_status": reverse("resultlink_status", args=[school, link.pk]),
    }


@pytest.mark.parametrize("name", ["beheer_groep", "licence_assign_seat", "resultlink_status"])
def test_a_fragment_for_htmx_the_whole_page_for_a_history_restore(world, licences, client, name):
    url = htmx_views(world, licences)[name]
    login_as(client, world.coordinator_a)

    fragment = client.get(url, headers=HTMX)
    restored = client.get(url, headers=RESTORE)
    plain = client.get(url)

    for response in (fragment, restored, plain):
        assert response.status_code == 200
        assert "HX-Request" in response["Vary"]
    assert "<html" not in fragment.content.decode()
    assert "<html" in restored.content.decode() and "<h1>" in restored.content.decode()
    assert "<html" in plain.content.decode()


def test_no_view_reads_request_htmx_itself():
    """The history rule lives in bingel_admin.htmx.fragment_or_page; a view that looked at
    ``request.htmx`` on its own could forget it (as "Koppelen" once did)."""
    readers = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Attribute) and node.attr == "htmx":
                    readers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert readers == []
