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

from licenses.new_year import NewYearPlan
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


def linked_chips(school_id: int, row: GroupLicenceRow) -> SafeString:
    """The <li> chips of one per-group licence's linked groups, each with its "Ontkoppelen" link."""
    probe = reverse("licence_unlink_group", args=[school_id, row.licence.pk, 0])
    prefix = escape(probe[: -len("0/")])
    unlink = escape(_("Ontkoppelen"))
    html = "\n".join(
        f'<li>{escape(group.name)} <a class="chip-action" href="{prefix}{group.pk:d}/">{unlink}'
        f'<span class="visually-hidden"> {escape(group.name)}</span></a></li>'
        for group in row.linked
    )
    # Every value above went through html.escape (or is an int formatted with :d).
    return mark_safe(html)  # noqa: S308


def new_year_parts(plan: NewYearPlan) -> None:
    """Set the HTML of each licence's proposal checkboxes and lists on ``plan.licences`` (the page
    lists hundreds of them for the largest school)."""
    level = escape(_("jaargroep"))
    this_year = escape(_("dit jaar"))
    no_room = escape(_("geen plaats meer"))
    for item in plan.licences:
        item.groups_html = mark_safe(  # noqa: S308 (escaped below)
            "\n".join(
                _checkbox(
                    proposal.key,
                    escape(proposal.group.name),
                    f"{level} {escape(', '.join(proposal.levels))}"
                    + (f"; {this_year}: {escape(', '.join(proposal.last_year))}" if proposal.last_year else ""),
                )
                for proposal in item.groups
            )
        )
        item.groups_already_html = escape(", ".join(group.name for group in item.groups_already))
        item.pupils_html = mark_safe(  # noqa: S308 (escaped below)
            "\n".join(
                _checkbox(
                    proposal.key,
                    escape(proposal.pupil.name),
                    f"{escape(proposal.pupil.group_name)}, {level} {escape(proposal.pupil.jaargroep)}",
                )
                for proposal in item.pupils
            )
        )
        item.no_room_html = mark_safe(  # noqa: S308 (escaped below)
            "".join(
                f'<li>{escape(line.name)} <span class="muted">({escape(line.group_name)})</span> – {no_room}</li>'
                for line in item.no_room
            )
        )
        item.not_covered_html = mark_safe(  # noqa: S308 (escaped below)
            "".join(
                f'<li>{escape(line.name)} <span class="muted">({escape(line.group_name)}, {level} '
                f"{escape(line.jaargroep or '–')})</span></li>"
                for line in item.not_covered
            )
        )


def _checkbox(key: str, label: str, detail: str) -> str:
    """One ticked proposal; ``label`` and ``detail`` are escaped HTML already."""
    key = escape(key)
    return (
        f'<div class="check"><input type="checkbox" name="voorstel" value="{key}" id="{key}" checked>\n'
        f'<label for="{key}">{label} <span class="muted">({detail})</span></label></div>'
    )
