"""Send one SOAP message to an LVS and say what came back.

Nothing here logs or raises with the message body or the key in it: the envelope carries the
school's authorisation key. Replies are quoted only after the key is scrubbed from them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import requests
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables
from lxml import etree

from integrations.uwlr.message import LEERRESULTATEN_NS, SOAP_ACTION, SOAP_ENV_NS

# Fault codes of the UWLR agreement that mean "this key is not accepted" (Client.AutorisatieOngeldig).
KEY_REFUSED_FAULTS = ("AutorisatieOngeldig",)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class SendFailed(Exception):
    """Posting failed in an unexpected way; the text names the error type only."""


class Outcome(enum.Enum):
    CONFIRMED = "confirmed"  # a leerresultaten_bevestiging came back
    KEY_REFUSED = "key_refused"  # a fault saying the key is refused
    FAULT = "fault"  # any other SOAP fault
    SERVER_ERROR = "server_error"  # 5xx (or another status) without a SOAP fault
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"  # no connection, TLS failure


@dataclass(frozen=True)
class Reply:
    outcome: Outcome
    detail: str = ""
    faultcode: str = ""

    @property
    def retryable(self) -> bool:
        return self.outcome in {Outcome.FAULT, Outcome.SERVER_ERROR, Outcome.TIMEOUT, Outcome.UNREACHABLE}


def _scrub(text: str, secret: str) -> str:
    text = text.replace(secret, "…") if secret else text
    return text[:250]


@sensitive_variables()
def parse_reply(status: int, content: bytes, secret: str = "") -> Reply:
    try:
        root = etree.fromstring(content, _PARSER) if content else None
    except etree.XMLSyntaxError:
        root = None
    if root is not None:
        fault = root.find(f"{{{SOAP_ENV_NS}}}Body/{{{SOAP_ENV_NS}}}Fault")
        if fault is not None:
            code = (fault.findtext("faultcode") or "").strip()
            text = (fault.findtext("faultstring") or "").strip()
            local = code.split(":", 1)[-1]
            detail = _scrub(f"{local}: {text}", secret)
            if any(local.endswith(name) for name in KEY_REFUSED_FAULTS):
                return Reply(Outcome.KEY_REFUSED, detail, local)
            return Reply(Outcome.FAULT, detail, local)
        if (
            status == 200
            and root.find(f"{{{SOAP_ENV_NS}}}Body/{{{LEERRESULTATEN_NS}}}leerresultaten_bevestiging") is not None
        ):
            return Reply(Outcome.CONFIRMED)
    return Reply(Outcome.SERVER_ERROR, _("Geen bevestiging ontvangen (HTTP %(status)s).") % {"status": status})


@sensitive_variables()
def send(
    url: str,
    envelope: bytes,
    *,
    secret: str,
    connect_timeout: float,
    read_timeout: float,
    client_certificate: str = "",
    session: requests.Session | None = None,
) -> Reply:
    """POST the envelope; never raises for network trouble, returns what happened instead."""
    poster = session or requests
    try:
        response = poster.post(
            url,
            data=envelope,
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{SOAP_ACTION}"'},
            timeout=(connect_timeout, read_timeout),
            cert=client_certificate or None,
            allow_redirects=False,
        )
    except requests.Timeout:
        return Reply(Outcome.TIMEOUT, _("Geen antwoord binnen de wachttijd."))
    except requests.RequestException as exc:
        return Reply(Outcome.UNREACHABLE, _("Geen verbinding (%(error)s).") % {"error": type(exc).__name__})
    except Exception as exc:
        # `from None`: the frames below hold the envelope, and error pages show frame variables.
        raise SendFailed(f"unexpected {type(exc).__name__} while posting to the LVS") from None
    return parse_reply(response.status_code, response.content, secret)
