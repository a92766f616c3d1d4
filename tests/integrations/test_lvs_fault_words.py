"""What the coordinator reads about an LVS's fault: the words of integrations/link_status.py, on the
links page, for a link whose LVS answered with that kind of fault (a real reference LVS)."""

from __future__ import annotations

from django.urls import reverse

from demo.reference_lvs import PLAIN_500
from integrations import export
from integrations.link_status import LinkStatus
from tests.factories import login_as
from tests.lvs_helpers import make_result_link


def links_page(client, world) -> str:
    login_as(client, world.coordinator_a)
    return client.get(reverse("resultlinks", kwargs={"school_id": world.school_a.pk})).content.decode()


def test_an_lvs_with_a_server_error_is_explained_without_its_own_text(
    world, client, reference_lvs, momento, fast_retries
):
    lvs, _url = reference_lvs
    lvs.script = [PLAIN_500] * 10
    link = make_result_link(world.school_a, momento)

    assert export.check_key(link) == LinkStatus.UNREACHABLE
    link.refresh_from_db()
    assert link.fault == "server_error"

    page = links_page(client, world)
    assert "Momento had een storing. Bingel probeert het later vanzelf opnieuw." in page
    assert link.status_message not in page
