"""Where the roster comes from: Basispoort's partner REST API v2 over mutual TLS, or a folder.

The HTTPS client presents the publisher's client certificate, trusts only the configured CA
bundle, and retries with exponential backoff when the server errs (5xx) or does not answer in
time; a 4xx is an answer and is never retried.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from urllib.parse import urljoin

import orjson
import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

from roster.feed.documents import FolderSource, RawSchool, Source, SourceError, TransientSourceError, permission_ids

logger = logging.getLogger(__name__)


class HttpsSource:
    def __init__(
        self,
        base_url: str,
        *,
        client_cert: str,
        client_key: str,
        ca_bundle: str | None = None,
        connect_timeout: float = 10,
        read_timeout: float = 60,
        retries: int = 3,
        backoff: float = 1.0,
        pool_size: int = 4,
    ):
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        # The URL may hold a host name only; never a credential (those are the certificate files).
        self.label = self.base_url
        self.timeout = (connect_timeout, read_timeout)
        self.retries = retries
        self.backoff = backoff
        self.session = requests.Session()
        # The key may sit in the certificate's PEM file; then only that file is given.
        self.cert = (client_cert, client_key) if client_key else (client_cert or None)
        self.verify = ca_bundle or True
        self.session.headers["Accept"] = "application/json"
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("https://", adapter)

    def _get(self, path: str) -> bytes:
        url = urljoin(self.base_url, path)
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                # Passed per request: on the session, REQUESTS_CA_BUNDLE in the environment would win.
                response = self.session.get(url, timeout=self.timeout, cert=self.cert, verify=self.verify)
            except requests.exceptions.SSLError as exc:
                # A refused certificate stays refused; retrying only delays the report.
                raise SourceError(f"GET {path}: TLS handshake failed ({exc.__class__.__name__})") from exc
            except (requests.exceptions.Timeout, requests.exceptions.ConnectionError) as exc:
                if last:
                    raise TransientSourceError(
                        f"GET {path}: {exc.__class__.__name__} after {attempt + 1} tries"
                    ) from exc
            else:
                if response.status_code < 400:
                    return response.content
                if response.status_code < 500:
                    raise SourceError(f"GET {path}: HTTP {response.status_code}")
                if last:
                    raise TransientSourceError(f"GET {path}: HTTP {response.status_code} after {attempt + 1} tries")
            delay = self.backoff * 2**attempt
            logger.info("GET %s failed (try %d); retrying in %.1f s", path, attempt + 1, delay)
            time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def school_ids(self) -> list[int]:
        try:
            return [int(x) for x in orjson.loads(self._get("instellingen"))]
        except (orjson.JSONDecodeError, TypeError, ValueError) as exc:
            raise SourceError(f"GET instellingen: not a list of ids ({exc})") from exc

    def fetch_raw(self, basispoort_id: int) -> RawSchool:
        roster = self._get(f"instellingen/{basispoort_id}")
        details = self._get(f"instellingen/{basispoort_id}/details")
        return RawSchool(basispoort_id, roster, details)

    def permission_changes(self, kind: str, since: dt.date) -> list[int]:
        """Schools that granted (``toegekend``) or withdrew (``ingetrokken``) permission since ``since``."""
        path = f"instellingen/synchronizationpermission/{kind}/{since:%Y-%m-%d}"
        try:
            return permission_ids(self._get(path))
        except (ValueError, TypeError) as exc:
            raise SourceError(f"GET {path}: not a list of schools ({exc})") from exc


def source_from(spec: str | None = None) -> Source:
    """``spec`` is a folder path or an https URL; without it, the configured source."""
    spec = spec or settings.BASISPOORT_API_URL or str(settings.ROSTER_FOLDER)
    if spec.startswith("https://"):
        return HttpsSource(
            spec,
            client_cert=settings.BASISPOORT_API_CLIENT_CERT,
            client_key=settings.BASISPOORT_API_CLIENT_KEY,
            ca_bundle=settings.BASISPOORT_API_CA_BUNDLE or None,
            connect_timeout=settings.BASISPOORT_API_CONNECT_TIMEOUT,
            read_timeout=settings.BASISPOORT_API_READ_TIMEOUT,
            retries=settings.BASISPOORT_API_RETRIES,
            pool_size=settings.ROSTER_FETCH_WORKERS,
        )
    if spec.startswith("http://"):
        raise SourceError("The roster API is only spoken over https (mutual TLS).")
    return FolderSource(spec)
