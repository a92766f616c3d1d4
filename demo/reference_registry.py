"""A reference licence registry: a real HTTPS server that requires a client certificate.

For the demo (``python -m demo.reference_registry --port 8003 --pki var/registry-pki``)
and the tests (``running(ReferenceRegistry(...), pki)`` in a thread). It keeps, per school and
product, the set with the highest ``versie`` it has seen (deletions leave a tombstone with their
version, so an older PUT cannot bring a set back), answers ``GET licenties/{id}`` with digests
and ``GET gebruikers/{id}/lesmateriaal`` with the tiles of that person.

It can be told to misbehave, at random (``fail_rate``) or scripted: 500, 503 and 429 answers,
a stored push whose answer is lost (500 after storing), and *held* pushes that are answered
503 but applied later, in shuffled order, after newer ones: out-of-order delivery.

Standard library only (plus the shared protocol module), so it runs without Django.
"""

from __future__ import annotations

import argparse
import http.server
import json
import random
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import trustme

from integrations.registry import protocol

PREFIX = "/rest/v1/"
OK, ERROR_500, ERROR_503, TOO_MANY, LOST_REPLY, HOLD = "ok", "500", "503", "429", "lost-reply", "hold"
FAULTS = (ERROR_500, ERROR_503, TOO_MANY, LOST_REPLY, HOLD)
# The methods of each kind of resource; any other method is answered 405 with an Allow header.
ALLOWED = {"set": ("PUT", "DELETE"), "school": ("GET",), "person": ("GET",)}


@dataclass
class Entry:
    versie: int
    body: dict | None  # None: deleted at this version
    sha256: str = field(init=False, default="")  # the protocol's digest, worked out once when stored

    def __post_init__(self) -> None:
        if self.body is not None:
            self.sha256 = protocol.digest(u["id"] for u in self.body["gebruikers"])


@dataclass
class ReferenceRegistry:
    fail_rate: float = 0.0
    faults: tuple[str, ...] = FAULTS
    seed: int | None = None
    # Modes for the next write requests, in order, before fail_rate is consulted.
    script: list[str] = field(default_factory=list)
    # Certificate common names that may write and read; empty: any certificate the CA signed.
    allowed_clients: set[str] = field(default_factory=set)
    entries: dict[tuple[int, str], Entry] = field(default_factory=dict)
    held: list[tuple[str, str, dict]] = field(default_factory=list)
    log: list[tuple[str, str, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        # Per school, so a school's listing does not walk the whole country's sets.
        self._by_school: dict[int, dict[str, Entry]] = {}
        for (school, code), entry in self.entries.items():
            self._by_school.setdefault(school, {})[code] = entry
        self._random = random.Random(self.seed)  # noqa: S311 - fault injection, not security

    # --- what the tests look at -----------------------------------------------------------

    def sets(self) -> dict[tuple[int, str], set[int]]:
        """Every live set as {(instellingId, productcode): user ids}."""
        with self._lock:
            return {
                key: {u["id"] for u in entry.body["gebruikers"]}
                for key, entry in self.entries.items()
                if entry.body is not None
            }

    def release_held(self) -> int:
        """Deliver every held push now, in shuffled order; returns how many."""
        with self._lock:
            held, self.held = self.held, []
            self._random.shuffle(held)
            for method, path, payload in held:
                self._late(method, path, payload)
            return len(held)

    def counts(self) -> dict[str, int]:
        with self._lock:
            counts: dict[str, int] = {}
            for method, _, status in self.log:
                counts[f"{method} {status}"] = counts.get(f"{method} {status}", 0) + 1
            return counts

    # --- the protocol ---------------------------------------------------------------------

    def _mode(self) -> str:
        if self.script:
            return self.script.pop(0)
        if self.fail_rate and self._random.random() < self.fail_rate:
            return self._random.choice(self.faults)
        return OK

    def handle(self, method: str, target: str, body: bytes, client: str | None) -> tuple[int, object]:
        if client is None:
            return 401, {"fout": "Geen clientcertificaat."}
        if self.allowed_clients and client not in self.allowed_clients:
            return 403, {"fout": "Dit certificaat heeft geen toegang."}
        parts = urlsplit(target)
        if not parts.path.startswith(PREFIX):
            return 404, {"fout": "Onbekend pad."}
        path = parts.path.removeprefix(PREFIX)
        with self._lock:
            status, answer = self._route(method, path, parse_qs(parts.query), body)
            self.log.append((method, path, status))
            return status, answer

    @staticmethod
    def resource(path: str) -> tuple[str, int] | None:
        """What a path under ``rest/v1/`` names — ``set``, ``school`` or ``person`` with its id — or None."""
        segments = path.split("/")
        kind = None
        if len(segments) == 3 and segments[0] == "licenties" and protocol.PRODUCT_CODE.match(segments[2]):
            kind = "set"
        elif len(segments) == 2 and segments[0] == "licenties":
            kind = "school"
        elif len(segments) == 3 and segments[0] == "gebruikers" and segments[2] == "lesmateriaal":
            kind = "person"
        number = protocol.int64_in(segments[1]) if kind else None
        return (kind, number) if number is not None else None

    def _route(self, method: str, path: str, query: dict, body: bytes) -> tuple[int, object]:
        resource = self.resource(path)
        if resource is None:
            return 404, {"fout": "Onbekend pad."}
        kind, number = resource
        if method not in ALLOWED[kind]:
            return 405, {"fout": "Methode niet toegestaan."}
        if kind == "school":
            return 200, self._list(number)
        if kind == "person":
            return 200, self._tiles(number)
        if method == "PUT":
            try:
                payload = json.loads(body)
            except (ValueError, UnicodeDecodeError):
                return 400, {"fout": "De body is geen geldige JSON."}
            error = protocol.body_errors(payload)
            if error:
                return 400, {"fout": error}
        elif method == "DELETE":
            versie = protocol.int64_in((query.get("versie") or [""])[0])
            if versie is None:
                return 400, {"fout": "versie ontbreekt of is geen positief geheel getal."}
            payload = {"versie": versie}
        mode = self._mode()
        if mode == HOLD:
            self.held.append((method, path, payload))
            return 503, {"fout": "Tijdelijk niet beschikbaar."}
        if mode in (ERROR_500, ERROR_503, TOO_MANY):
            return int(mode), {"fout": "Tijdelijk niet beschikbaar."}
        # Held pushes arrive late: now and then one of them lands just before this request.
        if self.held and self._random.random() < 0.5:
            self._late(*self.held.pop(self._random.randrange(len(self.held))))
        status, answer = self._write(method, path, payload)
        if mode == LOST_REPLY:
            return 500, {"fout": "Verbinding verbroken."}
        return status, answer

    def _late(self, method: str, path: str, payload: dict) -> None:
        status, _ = self._write(method, path, payload)
        self.log.append((f"late {method}", path, status))

    def _store(self, key: tuple[int, str], entry: Entry) -> None:
        self.entries[key] = entry
        self._by_school.setdefault(key[0], {})[key[1]] = entry

    def _write(self, method: str, path: str, payload: dict) -> tuple[int, object]:
        _, school, productcode = path.split("/")
        key = (int(school), productcode)
        current = self.entries.get(key)
        versie = payload["versie"]
        if method == "DELETE":
            if current is None or current.body is None:
                if current is None or versie > current.versie:
                    self._store(key, Entry(versie, None))
                return 404, {"fout": "Geen licentieset."}
            if versie < current.versie:
                return 409, {"versie": current.versie}
            self._store(key, Entry(versie, None))
            return 200, {"versie": versie}
        if current is not None and (versie < current.versie or (versie == current.versie and payload != current.body)):
            return 409, {"versie": current.versie}
        self._store(key, Entry(versie, payload))
        return 200, {"versie": versie, "aantal": len(payload["gebruikers"])}

    def _list(self, school: int) -> list[dict]:
        return [
            {
                "productcode": code,
                "versie": entry.versie,
                "aantal": len(entry.body["gebruikers"]),
                "sha256": entry.sha256,
            }
            for code, entry in sorted(self._by_school.get(school, {}).items())
            if entry.body is not None
        ]

    def _tiles(self, user_id: int) -> list[dict]:
        return [
            {"instellingId": instelling, "productcode": code, **entry.body["product"]}
            for (instelling, code), entry in sorted(self.entries.items())
            if entry.body is not None and any(u["id"] == user_id for u in entry.body["gebruikers"])
        ]


class _Handler(http.server.BaseHTTPRequestHandler):
    registry: ReferenceRegistry
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes; without this, Nagle and delayed ACKs add ~40 ms to each answer.
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        peer = self.connection.getpeercert() if isinstance(self.connection, ssl.SSLSocket) else None
        client = None
        if peer:
            client = next((v for rdn in peer.get("subject", ()) for k, v in rdn if k == "commonName"), "")
            if not client:
                client = next((v for k, v in peer.get("subjectAltName", ()) if k == "DNS"), "?")
        status, answer = self.registry.handle(self.command, self.path, body, client)
        payload = json.dumps(answer, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        if status == 405:
            resource = ReferenceRegistry.resource(urlsplit(self.path).path.removeprefix(PREFIX))
            self.send_header("Allow", ", ".join(ALLOWED[resource[0]]))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def __getattr__(self, name: str):
        # Every method reaches the protocol (which answers 405 to the ones it does not know),
        # not the standard library's 501 page.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64


@dataclass(frozen=True)
class Pki:
    """File paths: the CA that signs both sides, the server's certificate+key, one client's certificate+key."""

    ca: Path
    server: Path
    client: Path


def make_pki(folder: Path, client_name: str = "uitgeverij.example.nl") -> Pki:
    """A throw-away CA with a server and a client certificate (trustme), for the demo and the tests."""

    folder.mkdir(parents=True, exist_ok=True)
    pki = Pki(folder / "ca.pem", folder / "server.pem", folder / "client.pem")
    if all(p.exists() for p in (pki.ca, pki.server, pki.client)):
        return pki
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(pki.ca))
    ca.issue_cert("127.0.0.1", "localhost").private_key_and_cert_chain_pem.write_to_path(str(pki.server))
    ca.issue_cert(client_name, common_name=client_name).private_key_and_cert_chain_pem.write_to_path(str(pki.client))
    return pki


def _context(pki: Pki) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(pki.server))
    context.load_verify_locations(str(pki.ca))
    # Optional at the TLS layer so a request without a certificate gets the protocol's 401.
    context.verify_mode = ssl.CERT_OPTIONAL
    return context


def _server(registry: ReferenceRegistry, pki: Pki, host: str, port: int) -> _Server:
    handler = type("Handler", (_Handler,), {"registry": registry})
    server = _Server((host, port), handler)
    server.socket = _context(pki).wrap_socket(server.socket, server_side=True)
    return server


@contextmanager
def running(registry: ReferenceRegistry, pki: Pki, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``registry`` in a thread; yields its base URL (``https://…/rest/v1/``)."""
    server = _server(registry, pki, host, port)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"https://{host}:{server.server_address[1]}{PREFIX}"
    finally:
        server.shutdown()
        server.server_close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8003)
    parser.add_argument("--pki", default="var/registry-pki", help="folder with ca.pem, server.pem, client.pem")
    parser.add_argument("--fail-rate", type=float, default=0.0, help="share of writes that fail (0–1)")
    parser.add_argument("--make-pki", action="store_true", help="only write the certificates, then stop")
    args = parser.parse_args(argv)
    pki = make_pki(Path(args.pki))
    if args.make_pki:
        return
    server = _server(ReferenceRegistry(fail_rate=args.fail_rate), pki, args.host, args.port)
    print(f"Reference licence registry on https://{args.host}:{args.port}{PREFIX} (client certificate required)")
    server.serve_forever()


if __name__ == "__main__":
    main()
