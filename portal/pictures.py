"""Server-drawn SVG pictures of "Mijn scholen" (no chart JavaScript; the strict CSP stays).

Each picture is decoration beside its own text: ``aria-hidden``, with the numbers written out next
to it for screen readers. The shapes differ, not only the colours, so a black-and-white print
still tells the nights apart. Built as one string rather than in a template loop because a
coordinator of forty schools has 1,200 night marks on the page.
"""

from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe

from portal.attention import Night, NightState

_MARK_WIDTH = 6
_STEP = 8
_HEIGHT = 16

# Per state: the shape drawn in a cell of _MARK_WIDTH × _HEIGHT (x is filled in per night).
_SHAPES = {
    # a full, filled bar
    NightState.OK: '<rect class="night night--ok" x="{x}" y="0" width="6" height="16"></rect>',
    # a full bar, hollow, crossed out
    NightState.FAILED: (
        '<rect class="night night--failed" x="{x}.5" y=".5" width="5" height="15"></rect>'
        '<path class="night__cross" d="M{x} 0 l6 16 M{x} 16 l6 -16"></path>'
    ),
    # a full bar, hollow, not crossed: waiting for the coordinator
    NightState.HELD: '<rect class="night night--held" x="{x}.5" y=".5" width="5" height="15"></rect>',
    # a half bar
    NightState.WITHDRAWN: '<rect class="night night--withdrawn" x="{x}" y="8" width="6" height="8"></rect>',
    # a short stroke on the line: nothing ran
    NightState.NONE: '<rect class="night night--none" x="{x}" y="14" width="6" height="2"></rect>',
}


def night_strip(nights: list[Night]) -> SafeString:
    """One mark per night, oldest on the left."""
    width = max(len(nights) * _STEP - (_STEP - _MARK_WIDTH), 1)
    marks = "".join(_SHAPES[night.state].format(x=n * _STEP) for n, night in enumerate(nights))
    return mark_safe(  # noqa: S308 — numbers and fixed markup only, nothing from the database
        f'<svg class="nights" viewBox="0 0 {width} {_HEIGHT}" width="{width}" height="{_HEIGHT}" '
        f'aria-hidden="true" focusable="false">{marks}</svg>'
    )
