"""HTML for the long repeated parts of the licence pages, built in Python.

The largest school shows hundreds of linked pupils and a group list per licence; rendering
those rows through template tags costs several times more than joining pre-escaped strings.
Every value is escaped; the surrounding page stays a normal template.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from html import escape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from licenses.new_year import LicencePlan, NewYearPlan
from licenses.overview import GroupLicenceRow, PupilLicenceRow, YearOfRows


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


def new_year_cards(plan: NewYearPlan, only: Collection[int]) -> dict[int, SafeString]:
    """The <section> card of each licence of ``plan`` that ``only`` names, by licence id: its
    proposals as checkboxes, ticked unless they were left unticked before (``plan.declined``),
    and the lists of what it cannot propose."""
    t = {
        key: escape(text)
        for key, text in {
            "groups": _("Voorgestelde groepen"),
            "already": _("Al gekoppeld"),
            "no_group": _(
                "Geen groep van het nieuwe schooljaar heeft een jaargroep die dit product dekt én die de "
                "gekoppelde groepen van dit jaar hadden. Koppel zelf via Licenties per groep als dat toch nodig is."
            ),
            "no_group_link": _(
                "Dit schooljaar was dit product niet aan een groep gekoppeld; er is geen voorstel. "
                "Koppel zelf via Licenties per groep."
            ),
            "pupils": _("Voorgestelde kinderen"),
            "no_room": _("Geen plaats meer"),
            "no_room_why": _(
                "Deze kinderen hebben de licentie dit jaar, maar er zijn niet genoeg licenties per kind voor "
                "het nieuwe schooljaar."
            ),
            "no_room_line": _("geen plaats meer"),
            "not_covered": _("Niet voor hun nieuwe jaargroep"),
            "all_pupils": _("Alle kinderen van dit jaar zijn al gekoppeld."),
            "no_seat": _(
                "Dit schooljaar had geen kind deze licentie; er is geen voorstel. Koppel zelf via Licenties per kind."
            ),
            "level": _("jaargroep"),
            "this_year": _("dit jaar"),
        }.items()
    }
    cards = {}
    for item in plan.licences:
        if item.licence.pk not in only:
            continue
        licence, product = item.licence, item.licence.product
        pk = int(licence.pk)
        body = (
            _new_year_groups(item, plan.declined, t) if item.is_per_group else _new_year_pupils(item, plan.declined, t)
        )
        facts = " · ".join(
            escape(str(fact))
            for fact in (
                licence.get_kind_display(),
                product.method.name,
                product.get_product_type_display(),
                licence.school_year,
            )
        )
        # Every value went through html.escape (or is an int formatted with :d).
        cards[pk] = mark_safe(  # noqa: S308
            f'<section class="card licence" id="nieuw-{pk:d}" aria-labelledby="nieuw-{pk:d}-titel">\n'
            f'<h3 id="nieuw-{pk:d}-titel">{escape(product.name)}</h3>\n'
            f'<p class="muted">{facts}</p>\n{body}</section>'
        )
    return cards


def _new_year_groups(item: LicencePlan, declined: set[str], t: dict[str, str]) -> str:
    """A per-group card's body: the proposed groups, those linked already, or why there is no proposal."""
    parts = []
    if item.groups:
        parts.append(
            _proposals(
                t["groups"],
                item.groups,
                declined,
                label=lambda proposal: escape(proposal.group.name),
                detail=lambda proposal: (
                    f"{t['level']} {escape(', '.join(proposal.levels))}"
                    + (f"; {t['this_year']}: {escape(', '.join(proposal.last_year))}" if proposal.last_year else "")
                ),
            )
        )
    if item.groups_already:
        parts.append(f"<p>{t['already']}: {escape(', '.join(group.name for group in item.groups_already))}</p>\n")
    if not parts:
        parts.append(f'<p class="empty">{t["no_group"] if item.had_links_last_year else t["no_group_link"]}</p>\n')
    return "".join(parts)


def _new_year_pupils(item: LicencePlan, declined: set[str], t: dict[str, str]) -> str:
    """A per-pupil card's body: the seats free, the proposed pupils, who finds no seat or whose new
    year level the product does not cover, or why there is no proposal."""
    available = _("%(available)s van %(seats)s beschikbaar") % {
        "available": item.seats_free,
        "seats": item.licence.seats,
    }
    parts = [f'<p class="seat-count">{escape(available)}</p>\n']
    if item.pupils:
        parts.append(
            _proposals(
                t["pupils"],
                item.pupils,
                declined,
                label=lambda proposal: escape(proposal.pupil.name),
                detail=lambda proposal: (
                    f"{escape(proposal.pupil.group_name)}, {t['level']} {escape(proposal.pupil.jaargroep)}"
                ),
            )
        )
    if item.no_room:
        lines = "".join(
            f'<li>{escape(line.name)} <span class="muted">({escape(line.group_name)})</span> – {t["no_room_line"]}</li>'
            for line in item.no_room
        )
        parts.append(f'<h4>{t["no_room"]}</h4>\n<p class="muted">{t["no_room_why"]}</p>\n<ul>{lines}</ul>\n')
    if item.not_covered:
        lines = "".join(
            f'<li>{escape(line.name)} <span class="muted">({escape(line.group_name)}, {t["level"]} '
            f"{escape(line.jaargroep or '–')})</span></li>"
            for line in item.not_covered
        )
        parts.append(f"<h4>{t['not_covered']}</h4>\n<ul>{lines}</ul>\n")
    if not (item.pupils or item.no_room or item.not_covered):
        parts.append(f'<p class="empty">{t["all_pupils"] if item.pupils_already else t["no_seat"]}</p>\n')
    return "".join(parts)


def _proposals(legend: str, proposals, declined: set[str], *, label, detail) -> str:
    """A card's proposals as a fieldset of checkboxes; ``label`` and ``detail`` give a proposal's
    escaped HTML."""
    boxes = "\n".join(_checkbox(p.key, p.key not in declined, label(p), detail(p)) for p in proposals)
    return f"<fieldset>\n<legend>{legend}</legend>\n{boxes}\n</fieldset>\n"


def _checkbox(key: str, ticked: bool, label: str, detail: str) -> str:
    """One proposal, ticked unless it was left unticked before; ``label`` and ``detail`` are
    escaped HTML already. The hidden ``getoond`` field tells the server it was on the page, so
    leaving it unticked is remembered (``licenses.actions.apply_new_year``)."""
    key = escape(key)
    return (
        f'<div class="check"><input type="hidden" name="getoond" value="{key}">'
        f'<input type="checkbox" name="voorstel" value="{key}" id="{key}"{" checked" if ticked else ""}>\n'
        f'<label for="{key}">{label} <span class="muted">({detail})</span></label></div>'
    )


def year_heading(year: YearOfRows) -> SafeString:
    """The heading above one school year's licence cards."""
    text = {
        "current": _("Dit schooljaar: %(year)s"),
        "next": _("Volgend schooljaar: %(year)s"),
    }.get(year.when, _("Schooljaar %(year)s")) % {"year": year.school_year}
    # Both values went through html.escape.
    return mark_safe(f'<h2 class="school-year" id="schooljaar-{escape(year.school_year)}">{escape(text)}</h2>')  # noqa: S308


def year_suffix(school_year: str) -> str:
    """Read with the product's name, so each card's region is named apart from next year's."""
    return f'<span class="visually-hidden"> – {escape(_("schooljaar %(year)s") % {"year": school_year})}</span>'


def year_cards(years: list[YearOfRows], cards: dict[int, str]) -> SafeString:
    """The licences' cards (``cards``, by licence id, safe HTML) under a heading per school year."""
    parts = []
    for year in years:
        parts.append(year_heading(year))
        parts.extend(cards[row.licence.pk] for row in year.rows)
    # The headings escape their text; the cards are safe HTML from this module or a template.
    return mark_safe("\n".join(parts))  # noqa: S308


def joined(cards: Iterable[str]) -> SafeString:
    """Cards (safe HTML, from this module or a template), one after the other."""
    return mark_safe("\n".join(cards))  # noqa: S308


def group_cards(school_id: int, rows: list[GroupLicenceRow], csrf_token: str) -> dict[int, SafeString]:
    """The <section> card of each per-group licence, by licence id: facts, linked groups, the link forms.

    ``csrf_token`` goes into both forms as it is (``page_cache.CSRF_PLACEHOLDER`` while cached).
    """
    group_options(rows)
    t = {
        key: escape(text)
        for key, text in {
            "method": _("Methode"),
            "type": _("Productsoort"),
            "year": _("Schooljaar"),
            "linked": _("Gekoppelde groepen"),
            "none": _("Nog niet aan een groep gekoppeld."),
            "link": _("Koppelen"),
            "choose": _("Kies de groep"),
            "add": _("Toevoegen"),
            "level": _("Of koppel in één keer alle groepen van jaargroep"),
            "add_all": _("Alle toevoegen"),
            "all": _("Alle groepen zijn gekoppeld."),
        }.items()
    }
    csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
    # One reverse(); each licence's id goes where the probe has 0.
    head, tail = (escape(part) for part in reverse("licence_link_groups", args=[school_id, 0]).split("/0/", 1))
    cards = {}
    for row in rows:
        licence, product = row.licence, row.licence.product
        pk = int(licence.pk)
        action = f"{head}/{pk:d}/{tail}"
        linked = (
            f'<ul class="chips">\n{linked_chips(school_id, row)}\n</ul>'
            if row.linked
            else f'<span class="empty">{t["none"]}</span>'
        )
        if row.unlinked:
            levels = ""
            if row.unlinked_levels:
                options = "".join(f'<option value="{escape(lv)}">{escape(lv)}</option>' for lv in row.unlinked_levels)
                levels = (
                    f'\n<form method="post" action="{action}" class="bulk-form">{csrf}'
                    f'<label for="jaargroep-{pk:d}">{t["level"]}</label>'
                    f'<select id="jaargroep-{pk:d}" name="jaargroep">{options}</select>'
                    f'<button type="submit" class="button">{t["add_all"]}</button></form>'
                )
            forms = (
                f'<details class="link-form"><summary class="button">{t["link"]}</summary>'
                f'<form method="post" action="{action}">{csrf}'
                f'<label for="groep-{pk:d}">{t["choose"]}</label>'
                f'<select id="groep-{pk:d}" name="group" required>{row.options_html}</select>'
                f'<button type="submit" class="button button--primary">{t["add"]}</button></form>{levels}</details>'
            )
        else:
            forms = f'<p class="muted">{t["all"]}</p>'
        # Every value here went through html.escape (or is an int formatted with :d); the option
        # lists and chips come from the functions above, which escape theirs.
        cards[pk] = mark_safe(  # noqa: S308
            f'<section class="card licence" id="licentie-{pk:d}" aria-labelledby="licentie-{pk:d}-titel">\n'
            f'<h3 id="licentie-{pk:d}-titel">{escape(product.name)}{year_suffix(licence.school_year)}</h3>\n'
            '<dl class="facts">\n'
            f"<dt>{t['method']}</dt><dd>{escape(product.method.name)}</dd>\n"
            f"<dt>{t['type']}</dt><dd>{escape(str(product.get_product_type_display()))}</dd>\n"
            f"<dt>{t['year']}</dt><dd>{escape(licence.school_year)}</dd>\n"
            f"<dt>{t['linked']}</dt>\n<dd>{linked}</dd>\n</dl>\n{forms}\n</section>"
        )
    return cards


CARD_MESSAGE_TAG = "licentie-"


def card_message_tag(licence_id: int) -> str:
    """The ``extra_tags`` of a message about one licence: it is shown in that licence's card."""
    return f"{CARD_MESSAGE_TAG}{int(licence_id):d}"


def place_messages(cards: str, shown: Iterable) -> tuple[SafeString, list]:
    """Put each message about one licence into its card, under the card's heading, and return
    the cards and the messages left for the top of the page.

    A message in view: after "Toevoegen" or "Ja, ontkoppelen" the coordinator reads what happened
    where they were working, and the first such message takes the focus (``autofocus``, which
    also scrolls it into view, with or without JavaScript), so focus does not drop to the page.
    """
    left = []
    first = True
    for message in shown:
        tag = message.extra_tags or ""
        start = cards.find(f'id="{tag}"') if tag.startswith(CARD_MESSAGE_TAG) else -1
        end = cards.find("</h3>", start) if start >= 0 else -1
        if end < 0:
            left.append(message)
            continue
        end += len("</h3>")
        box = (
            f'\n<div class="card-message" role="status" tabindex="-1"{" autofocus" if first else ""}>'
            f'<p class="message message--{escape(message.level_tag)}">{escape(str(message.message))}</p></div>'
        )
        cards = cards[:end] + box + cards[end:]
        first = False
    # ``cards`` was safe HTML; what went in was escaped above.
    return mark_safe(cards), left  # noqa: S308
