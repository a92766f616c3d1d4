"""A reference LVS: a small, real UWLR 2.2 ``BrengLeerresultaten`` SOAP service.

For the demo (``python -m demo.reference_lvs --port 8002 --key …``) and for the tests
(``running(ReferenceLvs(...))`` in a thread). It does what a supplier's service does: checks the
``autorisatie`` header and the key, validates the body against the official XSD, stores each
``resultaat`` under its key (a repeated key is recognised, not stored twice), and answers with a
``leerresultaten_bevestiging`` or a SOAP Fault. It can be told to misbehave: plain 500s,
server faults, refused keys and slowness, scripted or at random.

Standard library plus lxml only, so it runs without Django.
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import NamedTuple
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from xml.sax.saxutils import escape

from lxml import etree

from integrations.uwlr.message import AUTORISATIE_NS, LEERRESULTATEN_NS, SOAP_ENV_NS
from integrations.uwlr.schema import autorisatie_schema, leerresultaten_schema, schema_errors

OK, PLAIN_500, SERVER_FAULT, KEY_FAULT, SLOW = "ok", "500", "server_fault", "key_fault", "slow"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
_ENV = f"{{{SOAP_ENV_NS}}}"
_LR = f"{{{LEERRESULTATEN_NS}}}"


def _envelope(body: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAP_ENV_NS}">'
        f"<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
    ).encode()


def fault(code: str, text: str) -> bytes:
    return _envelope(
        f"<soapenv:Fault><faultcode>soapenv:{escape(code)}</faultcode>"
        f"<faultstring>{escape(text)}</faultstring></soapenv:Fault>"
    )


CONFIRMATION = _envelope(f'<lr:leerresultaten_bevestiging xmlns:lr="{LEERRESULTATEN_NS}"/>')


class StoredResult(NamedTuple):
    school: str
    leerlingid: str
    toetscode: str
    score: str
    afnamedatum: str


@dataclass
class ReferenceLvs:
    keys: set[str]
    fail_rate: float = 0.0
    fail_modes: tuple[str, ...] = (PLAIN_500, SLOW)
    slow_seconds: float = 2.0
    seed: int | None = None
    # Modes for the next requests, in order, before fail_rate is consulted.
    script: list[str] = field(default_factory=list)
    # Called with the keys of each stored message (after storing, before answering).
    on_message: Callable[[tuple[str, ...]], None] | None = None
    stored: dict[str, StoredResult] = field(default_factory=dict)
    messages: list[tuple[str, ...]] = field(default_factory=list)
    repeated_keys: int = 0
    requests: int = 0
    modes_used: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(self.seed)  # noqa: S311 - fault injection, not security

    def _mode(self) -> str:
        with self._lock:
            self.requests += 1
            if self.script:
                mode = self.script.pop(0)
            elif self.fail_rate and self._random.random() < self.fail_rate:
                mode = self._random.choice(self.fail_modes)
            else:
                mode = OK
            self.modes_used.append(mode)
            return mode

    def handle(self, body: bytes) -> tuple[int, bytes]:
        mode = self._mode()
        if mode == PLAIN_500:
            return 500, b"Internal Server Error"
        if mode == SERVER_FAULT:
            return 500, fault("Server.TijdelijkNietBeschikbaar", "Server is tijdelijk niet beschikbaar")
        try:
            root = etree.fromstring(body, _PARSER)
        except etree.XMLSyntaxError:
            return 500, fault("Client.OngeldigBericht", "Bericht is geen geldige xml")
        auth = root.find(f"{_ENV}Header/{{{AUTORISATIE_NS}}}autorisatie")
        if auth is None or schema_errors(autorisatie_schema(), auth):
            return 500, fault("Client.AutorisatieOngeldig", "Autorisatie ontbreekt of is onvolledig")
        if mode == KEY_FAULT or auth.findtext(f"{{{AUTORISATIE_NS}}}autorisatiesleutel") not in self.keys:
            return 500, fault("Client.AutorisatieOngeldig", "Autorisatie is ongeldig")
        request = root.find(f"{_ENV}Body/{_LR}leerresultaten_verzoek")
        if request is None:
            return 500, fault("Client.OngeldigBericht", "Geen leerresultaten_verzoek in de body")
        errors = schema_errors(leerresultaten_schema(), request)
        if errors:
            return 500, fault("Client.OngeldigBericht", errors[0][:200])
        self._store(request)
        if mode == SLOW:
            time.sleep(self.slow_seconds)
        return 200, CONFIRMATION

    def _store(self, request: etree._Element) -> None:
        school = request.find(f"{_LR}school")
        school_id = school.findtext(f"{_LR}brincode") or school.findtext(f"{_LR}schoolkey")
        keys = []
        with self._lock:
            for afname in request.iterfind(f"{_LR}toetsafnames/{_LR}toetsafname"):
                leerlingid = afname.findtext(f"{_LR}leerlingid")
                for resultaat in afname.iterfind(f"{_LR}resultaten/{_LR}resultaat"):
                    key = resultaat.get("key")
                    keys.append(key)
                    if key in self.stored:
                        self.repeated_keys += 1
                        continue
                    self.stored[key] = StoredResult(
                        school_id,
                        leerlingid,
                        resultaat.findtext(f"{_LR}toetscode"),
                        resultaat.findtext(f"{_LR}score"),
                        resultaat.findtext(f"{_LR}afnamedatum"),
                    )
            self.messages.append(tuple(keys))
        if self.on_message:
            self.on_message(tuple(keys))

    def summary(self) -> dict:
        with self._lock:
            return {
                "opgeslagen": len(self.stored),
                "berichten": len(self.messages),
                "verzoeken": self.requests,
                "herhaalde_sleutels": self.repeated_keys,
                "laatste": [(key, value._asdict()) for key, value in list(self.stored.items())[-10:]],
            }

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] == "GET":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps(self.summary(), indent=2).encode()]
        if environ["REQUEST_METHOD"] != "POST":
            start_response("405 Method Not Allowed", [("Allow", "GET, POST")])
            return [b""]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        status, payload = self.handle(environ["wsgi.input"].read(length))
        reason = "OK" if status == 200 else "Internal Server Error"
        start_response(f"{status} {reason}", [("Content-Type", "text/xml; charset=utf-8")])
        return [payload]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    # Many batches in a row from one client: keep the accept queue generous.
    request_queue_size = 64


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


@contextmanager
def running(lvs: ReferenceLvs, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``lvs`` in a thread; yields its base URL."""
    server = make_server(host, port, lvs, server_class=_ThreadingServer, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}/uwlr"
    finally:
        server.shutdown()
        server.server_close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    parser.add_argument("--key", action="append", required=True, help="an authorisation key to accept (repeatable)")
    parser.add_argument("--fail-rate", type=float, default=0.0, help="share of requests that fail (0–1)")
    parser.add_argument("--slow", type=float, default=2.0, help="seconds a slow answer takes")
    args = parser.parse_args(argv)
    lvs = ReferenceLvs(set(args.key), fail_rate=args.fail_rate, slow_seconds=args.slow)
    server = make_server(args.host, args.port, lvs, server_class=_ThreadingServer, handler_class=_QuietHandler)
    print(f"Reference LVS on http://{args.host}:{args.port}/uwlr (GET / for what it received)", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
