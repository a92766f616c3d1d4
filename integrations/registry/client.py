"""Our client of the licence registry: one request per call, over mutual TLS, no retries of its own.

Every answer is mapped to what the caller must do with it (``SPEC``, "Licence registry"):
stored, stale (drop, never retry), invalid (never retry), refused certificate (stop and report),
or transient (429, 5xx, timeouts: retry later with backoff). Retrying is the caller's business
(the Celery task), so one slow registry never blocks a worker in a sleep loop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import orjson
import urllib3
from django.conf import settings
from urllib3.exceptions import HTTPError, SSLError

from integrations.registry import protocol

logger = logging.getLogger(__name__)


class RegistryError(Exception):
    """Base of the registry's refusals; ``str()`` is safe to show and to log (no personal data)."""


class Invalid(RegistryError):
    """400: the registry refused the body; sending it again cannot help."""


class CertificateRefused(RegistryError):
    """401/403 or a failed TLS handshake: our certificate is not (or no longer) accepted."""


class Transient(RegistryError):
    """429, 5xx, a timeout or a dropped connection: try again later."""


ACCEPT_JSON = {"Accept": "application/json"}
JSON_BODY = {**ACCEPT_JSON, "Content-Type": "application/json"}


@dataclass(frozen=True)
class Stored:
    versie: int
    stale: bool = False  # 409: the registry already holds this version or a newer one


@dataclass(frozen=True)
class RemoteSet:
    productcode: str
    versie: int
    aantal: int
    sha256: str


class RegistryClient:
    def __init__(
        self,
        base_url: str,
        *,
        client_cert: str,
        client_key: str = "",
        ca_bundle: str | None = None,
        connect_timeout: float = 5,
        read_timeout: float = 30,
        pool_size: int = 8,
    ):
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.pool: urllib3.HTTPSConnectionPool | None = None
        if self.base_url.startswith("https://"):
            # urllib3 itself, not requests: an unchanged night is one GET per school, and requests
            # doubles each one's CPU. One pool of kept-alive connections to the one host; the
            # certificate is always checked (against ca_bundle, or the system's trusted CAs).
            address = urlsplit(self.base_url)
            self.prefix = address.path
            self.pool = urllib3.HTTPSConnectionPool(
                address.hostname,
                address.port or 443,
                maxsize=pool_size,
                block=False,
                retries=False,
                timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
                cert_reqs="CERT_REQUIRED",
                ca_certs=ca_bundle or None,
                cert_file=client_cert or None,
                key_file=client_key or None,
            )

    @classmethod
    def from_settings(cls) -> RegistryClient:
        return cls(
            settings.LICENCE_REGISTRY_URL,
            client_cert=settings.LICENCE_REGISTRY_CLIENT_CERT,
            client_key=settings.LICENCE_REGISTRY_CLIENT_KEY,
            ca_bundle=settings.LICENCE_REGISTRY_CA_BUNDLE or None,
            connect_timeout=settings.LICENCE_REGISTRY_CONNECT_TIMEOUT,
            read_timeout=settings.LICENCE_REGISTRY_READ_TIMEOUT,
        )

    def _request(
        self, method: str, path: str, *, query: dict | None = None, body: bytes | None = None
    ) -> urllib3.BaseHTTPResponse:
        what = f"{method} {path}"
        if self.pool is None:
            raise CertificateRefused(f"{what}: the licence registry is only spoken over https (mutual TLS)")
        url = self.prefix + path + (f"?{urlencode(query)}" if query else "")
        headers = dict(JSON_BODY if body is not None else ACCEPT_JSON)
        try:
            response = self.pool.urlopen(method, url, body=body, headers=headers, redirect=False)
        except SSLError as exc:
            raise CertificateRefused(f"{what}: TLS handshake failed ({exc.__class__.__name__})") from exc
        except HTTPError as exc:  # timeouts, refused or dropped connections, a garbled answer
            raise Transient(f"{what}: {exc.__class__.__name__}") from exc
        status = response.status
        if status in (401, 403):
            raise CertificateRefused(f"{what}: HTTP {status}, certificate refused")
        if status == 429 or status >= 500:
            raise Transient(f"{what}: HTTP {status}")
        if status == 400:
            raise Invalid(f"{what}: HTTP 400 {_fout(response)}")
        return response

    def put_set(self, instelling_id: int, productcode: str, body: dict) -> Stored:
        response = self._request("PUT", protocol.set_path(instelling_id, productcode), body=orjson.dumps(body))
        if response.status == 409:
            return Stored(_versie(response), stale=True)
        if response.status != 200:
            raise Transient(f"PUT {protocol.set_path(instelling_id, productcode)}: HTTP {response.status}")
        return Stored(_versie(response))

    def delete_set(self, instelling_id: int, productcode: str, versie: int) -> Stored:
        path = protocol.set_path(instelling_id, productcode)
        response = self._request("DELETE", path, query={"versie": versie})
        if response.status == 404:
            return Stored(versie)  # not there (any more): that is what we wanted
        if response.status == 409:
            return Stored(_versie(response), stale=True)
        if response.status != 200:
            raise Transient(f"DELETE {path}: HTTP {response.status}")
        return Stored(versie)

    def list_sets(self, instelling_id: int) -> dict[str, RemoteSet]:
        response = self._request("GET", protocol.school_path(instelling_id))
        if response.status == 404:
            return {}
        try:
            rows = orjson.loads(response.data)
            return {
                row["productcode"]: RemoteSet(row["productcode"], int(row["versie"]), int(row["aantal"]), row["sha256"])
                for row in rows
            }
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise Transient(f"GET {protocol.school_path(instelling_id)}: unreadable answer") from exc

    def lesmateriaal(self, user_id: int) -> list[dict]:
        response = self._request("GET", protocol.person_path(user_id))
        if response.status == 404:
            return []
        return orjson.loads(response.data)


def _versie(response: urllib3.BaseHTTPResponse) -> int:
    try:
        return int(orjson.loads(response.data)["versie"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise Transient(f"HTTP {response.status} without a versie") from exc


def _fout(response: urllib3.BaseHTTPResponse) -> str:
    try:
        return str(orjson.loads(response.data).get("fout", ""))[:200]
    except (orjson.JSONDecodeError, AttributeError):
        return ""
