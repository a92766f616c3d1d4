"""``{% new_year_notice school %}``: the "Nieuw schooljaar … voorbereiden" notice on Beheer home."""

from __future__ import annotations

from django import template

from licenses.new_year_notice import notice

register = template.Library()


@register.inclusion_tag("licenses/_new_year_notice_card.html")
def new_year_notice(school) -> dict:
    return {"school": school, "notice": notice(school)}
