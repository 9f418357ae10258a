"""Umami's tracker (`POST /api/send`) mapped onto the event model, and its cache token.

`{type: "event" | "identify", payload: {website, hostname, url, referrer, title, screen,
language, name, data, id, tag}}`: the site is the one whose id is `website`; an event without
`name` is a page view; `data` is the context; `identify` remembers the visitor's user id for the
events after it. The answer carries `cache`, a token the tracker sends back as `x-umami-cache`:
here an HMAC-signed record of site, visitor, session and user id, never trusted unsigned."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

from tracking_system.tracking.ingest.validation import is_page_url, is_referrer_url
from tracking_system.tracking.ingest.visitors import Visit

EVENT, IDENTIFY = "event", "identify"
PAGE_VIEW = "PAGE_VIEW"
WEBSITE_NOT_FOUND = "Website not found."
MAX_USER_ID = 256
# A token older than this is ignored (the visitor is hashed again).
TOKEN_MAX_AGE_SECONDS = 24 * 3600
_MAX_TOKEN_CHARS = 2048


class UmamiError(ValueError):
    """A request Umami would answer 400."""


@dataclass(frozen=True)
class UmamiRequest:
    type: str
    website: str
    payload: dict[str, Any]

    @property
    def user_id(self) -> str | None:
        """The id `identify` gives: `id` (Umami 2.11+), or a string `data` (2.10's argument)."""
        for value in (self.payload.get("id"), self.payload.get("data")):
            if isinstance(value, str) and 0 < len(value.strip()) <= MAX_USER_ID:
                return value.strip()
        return None


def parse(body: bytes) -> UmamiRequest:
    """The request, or UmamiError naming what is wrong."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise UmamiError("Invalid JSON body.") from exc
    if not isinstance(document, dict):
        raise UmamiError("Invalid JSON body.")
    kind = document.get("type", EVENT)
    if kind not in (EVENT, IDENTIFY):
        raise UmamiError('type: must be "event" or "identify".')
    payload = document.get("payload")
    if not isinstance(payload, dict):
        raise UmamiError("payload: required object.")
    website = payload.get("website")
    if not isinstance(website, str) or not website:
        raise UmamiError("payload.website: required.")
    return UmamiRequest(type=kind, website=website, payload=payload)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _base(payload: dict[str, Any], origin: str | None) -> str | None:
    """The page's scheme and host: the request's Origin when it is the payload's host, else
    https with the payload's `hostname`."""
    hostname = _text(payload.get("hostname"))
    if origin:
        try:
            parts = urlsplit(origin)
        except ValueError:
            parts = None
        if parts and parts.scheme in ("http", "https") and parts.hostname == hostname:
            return f"{parts.scheme}://{parts.netloc}"
    if hostname and is_page_url(f"https://{hostname}/"):
        return f"https://{hostname}"
    return None


def to_event(
    request: UmamiRequest, *, visit: Visit, now_ms: int, origin: str | None
) -> dict[str, Any]:
    """The event model's event for an `event` request."""
    payload = request.payload
    base = _base(payload, origin)
    url = _text(payload.get("url")) or "/"
    if url.startswith("/") and base:
        url = base + url
    referrer = _text(payload.get("referrer"))
    if referrer and referrer.startswith("/"):
        # The tracker sends the previous path on a single-page-app navigation.
        referrer = base + referrer if base else None
    name = _text(payload.get("name"))
    data = payload.get("data")
    context = data if isinstance(data, dict) and data else None
    tag = _text(payload.get("tag"))
    if tag:
        context = {**(context or {}), "tag": tag}
    return {
        "sessionId": visit.session_id,
        "userId": visit.event_user_id,
        "eventTime": now_ms,
        "eventName": name or PAGE_VIEW,
        "page": url,
        "referrer": referrer if referrer and is_referrer_url(referrer) else None,
        "context": context,
    }


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CacheTokens:
    """Signs and verifies the cache token with a key derived from the internal secret."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"umami-cache\x00" + secret.encode()).digest()

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

    def issue(self, site_id: str, visit: Visit, *, now_s: float | None = None) -> str:
        """A token for the site's visitor, its session and its user id."""
        record = {"s": site_id, "v": visit.visitor, "i": visit.session_id, "u": visit.user_id,
                  "t": int(now_s if now_s is not None else time.time())}  # fmt: skip
        body = _b64(orjson.dumps(record))
        return f"{body}.{self._mac(body)}"

    def read(self, header: str | None, site_id: str) -> tuple[str, str | None] | None:
        """(visitor, user id) of a valid token of this site, else None. The header may be the
        token or the whole answer it came in (Umami 2.10's tracker sends back the answer's
        text)."""
        if not header or len(header) > _MAX_TOKEN_CHARS:
            return None
        token = header
        if header.lstrip().startswith("{"):
            try:
                answer = orjson.loads(header)
            except orjson.JSONDecodeError:
                return None
            cache = answer.get("cache") if isinstance(answer, dict) else None
            if not isinstance(cache, str):
                return None
            token = cache
        body, _, mac = token.partition(".")
        expected = self._mac(body).encode()
        if not mac or not hmac.compare_digest(mac.encode("utf-8", "replace"), expected):
            return None
        try:
            record = orjson.loads(_unb64(body))
        except (ValueError, orjson.JSONDecodeError):
            return None
        if not isinstance(record, dict) or record.get("s") != site_id:
            return None
        visitor, user_id, issued = record.get("v"), record.get("u"), record.get("t")
        if not isinstance(visitor, str) or not isinstance(issued, int):
            return None
        if time.time() - issued > TOKEN_MAX_AGE_SECONDS:
            return None
        return visitor, user_id if isinstance(user_id, str) else None
