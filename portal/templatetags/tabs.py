from __future__ import annotations

from django import template
from django.urls import reverse

from portal.tabs import LICENCE_SUBTABS, TABS

register = template.Library()


@register.inclusion_tag("beheer/_tabs.html", takes_context=True)
def beheer_tabs(context) -> dict:
    school_id = context["school"].pk
    match = getattr(context.get("request"), "resolver_match", None)
    current = match.url_name if match else None
    tabs = [
        {"url": reverse(tab.url_name, args=[school_id]), "label": tab.label, "current": tab.is_current(current)}
        for tab in TABS
    ]
    return {"tabs": tabs}


@register.inclusion_tag("licenses/_subtabs.html", takes_context=True)
def licence_subtabs(context, subtab: str | None = None) -> dict:
    school_id = context["school"].pk
    key = subtab or context.get("subtab")
    tabs = [
        {"url": reverse(tab.url_name, args=[school_id]), "label": tab.label, "current": tab.key == key}
        for tab in LICENCE_SUBTABS
    ]
    return {"tabs": tabs}
