"""integrations.status.links_summary and its template, for Beheer home."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from integrations.actions import remove_link
from integrations.models import LinkStatus
from integrations.status import links_summary
from tests.lvs_helpers import make_result_link, make_supplier, staff_actor


def test_summary_lists_current_links_with_status_in_one_query(world, django_assert_num_queries):
    momento = make_result_link(world.school_a, make_supplier("Momento"))
    momento.last_delivery_at = timezone.now()
    momento.save()
    esis = make_result_link(world.school_a, make_supplier("ESIS"))
    esis.status = LinkStatus.KEY_REFUSED
    esis.save()
    gone = make_result_link(world.school_a, make_supplier("ParnasSys"))
    remove_link(link=gone, actor=staff_actor(world.coordinator_a))
    make_result_link(world.school_c, make_supplier("Momento"))

    with django_assert_num_queries(1):
        links = links_summary(world.school_a)
        html = render_to_string("integrations/_links_summary.html", {"school": world.school_a, "result_links": links})
    assert [link.supplier.name for link in links] == ["ESIS", "Momento"]
    assert "Sleutel geweigerd" in html and "Actief" in html and "laatste levering" in html
    assert "ParnasSys" not in html


def test_summary_without_links_says_so(world):
    html = render_to_string("integrations/_links_summary.html", {"school": world.school_b, "result_links": []})
    assert "Nog geen resultaatkoppelingen" in html
