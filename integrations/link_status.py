"""An LVS result link's status, in one place: the statuses, the one table of words the coordinator
reads about them (on the links page, in its polled status cell and on Beheer home), and which
status and fault an LVS's answer gives.

Adding a message for a kind of fault is one line in ``FAULT_WORDS`` (plus its English
translation and its test); the LVS's own fault text never reaches the screen, only the logs.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from integrations.uwlr.client import Outcome


class LinkStatus(models.TextChoices):
    ACTIVE = "actief", _("Actief")
    KEY_REFUSED = "sleutel_geweigerd", _("Sleutel geweigerd")
    UNREACHABLE = "onbereikbaar", _("Leverancier onbereikbaar")
    CHECKING = "wordt_gecontroleerd", _("Wordt gecontroleerd…")


@dataclass(frozen=True)
class StatusWords:
    """What a status means and what to do (``%(lvs)s`` is the LVS's name), and what the status cell
    says once the key check has answered with this status."""

    explanation: Promise | str = ""
    after_check: Promise | str = ""


WORDS = {
    LinkStatus.ACTIVE: StatusWords(
        after_check=_(
            "De leverancier heeft de sleutel geaccepteerd. Nieuwe oefenresultaten worden vanaf nu automatisch "
            "verstuurd."
        ),
    ),
    LinkStatus.KEY_REFUSED: StatusWords(
        explanation=_(
            "%(lvs)s heeft de autorisatiesleutel geweigerd. Er worden geen resultaten verstuurd tot je een "
            "nieuwe sleutel invult: maak die aan in %(lvs)s en kies hier ‘Sleutel wijzigen’."
        ),
        after_check=_(
            "De leverancier weigert deze autorisatiesleutel. Controleer de sleutel en kies ‘Sleutel wijzigen’."
        ),
    ),
    LinkStatus.UNREACHABLE: StatusWords(
        explanation=_("%(lvs)s was niet bereikbaar. Bingel probeert het later vanzelf opnieuw."),
        after_check=_(
            "De leverancier is nu niet bereikbaar. De koppeling is opgeslagen; Bingel probeert het later opnieuw."
        ),
    ),
    LinkStatus.CHECKING: StatusWords(),
}

# A fault the LVS gave while the link stays usable: the status stays, the words say what happened.
FAULT_WORDS: dict[str, Promise] = {
    Outcome.SERVER_ERROR.value: _("%(lvs)s had een storing. Bingel probeert het later vanzelf opnieuw."),
    Outcome.FAULT.value: _(
        "De laatste levering aan %(lvs)s is niet gelukt. Bingel probeert het later vanzelf opnieuw."
    ),
}


def status_for(outcome: Outcome) -> str:
    """The link's status after an LVS answered with ``outcome``: a refused key stops the link; a
    confirmation or another SOAP fault shows the key works; anything else means it was not reached."""
    if outcome == Outcome.KEY_REFUSED:
        return LinkStatus.KEY_REFUSED
    if outcome in {Outcome.CONFIRMED, Outcome.FAULT}:
        return LinkStatus.ACTIVE
    return LinkStatus.UNREACHABLE


def fault_for(outcome: Outcome) -> str:
    """What is stored as the link's fault: nothing for a confirmation, else the kind of answer."""
    return "" if outcome == Outcome.CONFIRMED else outcome.value


def explanation(link) -> str:
    """What the link's status means and what to do, for the coordinator; "" when all is well."""
    words = FAULT_WORDS.get(link.fault) or WORDS[link.status].explanation
    if not words and link.status_message:
        # A fault recorded before the kind of fault was (a link that has not answered since).
        words = FAULT_WORDS[Outcome.FAULT.value]
    return str(words) % {"lvs": link.supplier.name} if words else ""


def after_check(link) -> str:
    """What the polled status cell says once the key check has answered."""
    return str(WORDS[link.status].after_check)
