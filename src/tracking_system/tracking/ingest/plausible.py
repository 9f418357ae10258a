"""Plausible's tracker (`POST /api/event`, a text/plain JSON body) mapped onto the event model.

`n` name (`pageview` is a page view), `u` the page URL (its query carries UTM), `d` the site's
domain (a comma list sends the event to each site), `r` referrer, `p` / `m` / `meta` / `props`
custom properties (an object or a JSON string) as the context, `$` revenue (kept in the context
as `$revenue`), `h` hash routing, `i` interactive. Engagement pings are not events here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from tracking_system.tracking.ingest.validation import is_referrer_url
from tracking_system.tracking.ingest.visitors import Visit

PAGEVIEW = "pageview"
PAGE_VIEW = "PAGE_VIEW"
# Sent while a page stays open (time on page, scroll depth): not an event of this model.
IGNORED_NAMES = frozenset({"engagement"})
PROPS_FIELDS = ("p", "m", "meta", "props")
MAX_DOMAINS = 10
# Our field names in validation errors -> Plausible's.
FIELD_NAMES = {"eventName": "name", "page": "url", "referrer": "referrer", "context": "props"}


class PlausibleError(ValueError):
    """A request Plausible would answer 400, with its field errors `{field: [message]}`."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(str(errors))
        self.errors = errors


@dataclass(frozen=True)
class PlausibleEvent:
    name: str
    url: str
    domains: tuple[str, ...]
    referrer: str | None
    props: dict[str, Any] | None
    revenue: Any
    ignored: bool


def _props(payload: dict[str, Any]) -> dict[str, Any] | None:
    for field in PROPS_FIELDS:
        value = payload.get(field)
        if value is None:
            continue
        if isinstance(value, str):
            try:
                value = orjson.loads(value)
            except orjson.JSONDecodeError as exc:
                raise PlausibleError({"props": ["must be a JSON object"]}) from exc
        if not isinstance(value, dict):
            raise PlausibleError({"props": ["must be a JSON object"]})
        return value or None
    return None


def _required(payload: dict[str, Any], field: str, name: str, errors: dict[str, list[str]]) -> str:
    value = payload.get(field)
    if not isinstance(value, str) or not value.strip():
        errors[name] = ["can't be blank"] if value in (None, "") else ["must be a string"]
        return ""
    return value.strip()


def parse(body: bytes) -> PlausibleEvent:
    """The request's event, or PlausibleError with the fields Plausible would name."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise PlausibleError({"request": ["Unable to parse request body as json"]}) from exc
    if not isinstance(payload, dict):
        raise PlausibleError({"request": ["Unable to parse request body as json"]})
    errors: dict[str, list[str]] = {}
    name = _required(payload, "n", "name", errors)
    url = _required(payload, "u", "url", errors)
    domain = _required(payload, "d", "domain", errors)
    props = None
    try:
        props = _props(payload)
    except PlausibleError as exc:
        errors.update(exc.errors)
    if errors:
        raise PlausibleError(errors)
    domains = tuple(dict.fromkeys(d.strip() for d in domain.split(",") if d.strip()))
    if len(domains) > MAX_DOMAINS:
        raise PlausibleError({"domain": [f"at most {MAX_DOMAINS} domains"]})
    referrer = payload.get("r")
    return PlausibleEvent(
        name=PAGE_VIEW if name == PAGEVIEW else name,
        url=url,
        domains=domains,
        # Plausible ignores a referrer it cannot read rather than the event.
        referrer=referrer if isinstance(referrer, str) and is_referrer_url(referrer) else None,
        props=props,
        revenue=payload.get("$"),
        ignored=name in IGNORED_NAMES,
    )


def to_event(event: PlausibleEvent, *, visit: Visit, now_ms: int) -> dict[str, Any]:
    """The event model's event for one site."""
    context = dict(event.props) if event.props else None
    if event.revenue is not None:
        context = {**(context or {}), "$revenue": event.revenue}
    return {
        "sessionId": visit.session_id,
        "userId": visit.event_user_id,
        "eventTime": now_ms,
        "eventName": event.name,
        "page": event.url,
        "referrer": event.referrer,
        "context": context,
    }


def field_errors(errors: dict[str, Any]) -> dict[str, list[str]]:
    """Our validation errors under Plausible's field names, as its lists of messages."""
    return {FIELD_NAMES.get(field, field): [str(message)] for field, message in errors.items()}
