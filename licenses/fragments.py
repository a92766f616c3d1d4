"""HTML for the long repeated parts of the licence pages, built in Python.

The largest school shows hundreds of linked pupils and a group list per licence; rendering
those rows through template tags costs several times more than joining pre-escaped strings.
Every value is escaped; the surrounding page stays a normal template.
"""

from __future__ import annotations

from html import escape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from licenses.overview import GroupLicenceRow, PupilLicenceRow


def seat_rows(school_id: int, row: PupilLicenceRow) -> SafeString:
    """The <tr> elements of one per-pupil licence's linked pupils, with "Ontkoppelen" links."""
    # One reverse() per licence; the pupil id is appended to the pattern's fixed prefix.
    probe = reverse("licence_release_seat", args=[school_id, row.licence.pk, 0])
    prefix = escape(probe[: -len("0/")])
    unlink = escape(_("Ontkoppelen"))
    inactive = f' <span class="muted">({escape(_("niet actief"))})</span>'
    html = "\n".join(
        f"<tr><td>{escape(seat.label)}{'' if seat.active else inactive}</td><td>{escape(seat.group_name)}</td>"
        f'<td><a href="{prefix}{seat.pupil_id:d}/">{unlink}'
        f'<span class="visually-hidden"> {escape(seat.label)}</span></a></td></tr>'
        for seat in row.seats
    )
    # Every value above went through html.escape (or is an int formatted with :d).
    return mark_safe(html)  # noqa: S308


def group_options(rows: list[GroupLicenceRow]) -> None:
    """Set ``options_html`` on each row: the <option> elements of its not yet linked groups.

    Nothing is chosen beforehand; the groups of the year levels the product is meant for come
    first, the others after them under their own heading. Each group's option is built once
    and reused for every licence it is offered on.
    """
    level = escape(_("jaargroep"))
    placeholder = f'<option value="">{escape(_("— kies een groep —"))}</option>'
    others_label = escape(_("Andere jaargroepen"))
    cache: dict[int, str] = {}
    for row in rows:
        for group in row.unlinked:
            if group.pk not in cache:
                suffix = f" ({level} {escape(group.jaargroep)})" if group.jaargroep else ""
                cache[group.pk] = f'<option value="{group.pk:d}">{escape(group.name)}{suffix}</option>'
        meant_for = set(row.licence.product.year_levels)
        fitting = [g for g in row.unlinked if not meant_for or g.jaargroep in meant_for]
        others = [g for g in row.unlinked if meant_for and g.jaargroep not in meant_for]
        html = placeholder + "".join(cache[g.pk] for g in fitting)
        if others and fitting:
            html += f'<optgroup label="{others_label}">{"".join(cache[g.pk] for g in others)}</optgroup>'
        else:
            html += "".join(cache[g.pk] for g in others)
        # Every value above went through html.escape (or is an int formatted with :d).
        row.options_html = mark_safe(html)  # noqa: S308
