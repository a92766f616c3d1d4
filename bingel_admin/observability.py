"""Request ids and structured logs.

Every request gets an id (the proxy's ``X-Request-ID`` when it sends a sane one, else a new
one) that is echoed in the response and added to every log record written while the request
runs, together with the school being viewed. Records carry ids only, never names of pupils
or secrets; in production each record is one JSON object per line.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
school_id_var: contextvars.ContextVar[int | None] = contextvars.ContextVar("school_id", default=None)
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        # Set, not reset afterwards: Django logs 4xx/5xx responses after the middleware chain
        # has returned, and those records need the ids too. The next request sets its own.
        request_id_var.set(request_id)
        school_id_var.set(None)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.school_id = school_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "school_id": getattr(record, "school_id", None),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
