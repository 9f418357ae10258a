"""Property-based tests of the drop-in parsers: any body gets the tracker's own verdict, never an
exception, and every event they build gets a verdict from the pipeline's validator."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracking_system.tracking.ingest import plausible, seed, umami
from tracking_system.tracking.ingest.validation import BodyError, Limits, validate_event
from tracking_system.tracking.ingest.visitors import Visit, visitor_hash

LIMITS = Limits()
NOW = 1_800_000_000_000
VISIT = Visit(visitor="v" * 32, session_id="s" * 32, user_id=None)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
PLAUSIBLE_FIELDS = ["n", "u", "d", "r", "p", "m", "meta", "props", "h", "i", "$", "v"]
UMAMI_FIELDS = ["website", "hostname", "url", "referrer", "title", "screen", "language", "name",
                "data", "id", "tag"]  # fmt: skip
SEED_FIELDS = ["apiKey", "eventName", "context", "userId", "sessionId", "page", "referrer",
               "eventTime"]  # fmt: skip


def _verdict(event: dict[str, Any]) -> None:
    built, errors = validate_event(event, now_ms=NOW, api_key="site:x", limits=LIMITS)
    assert (built is None) == bool(errors)


def _bodies(fields: list[str]) -> st.SearchStrategy[bytes]:
    documents = st.dictionaries(st.sampled_from(fields), json_values | st.text()) | json_values
    return documents.map(orjson.dumps) | st.binary(max_size=64)


@given(_bodies(PLAUSIBLE_FIELDS))
def test_plausible_bodies_get_a_verdict(body: bytes) -> None:
    try:
        event = plausible.parse(body)
    except plausible.PlausibleError as exc:
        errors = exc.errors
        event = None
    if event is None:
        assert errors
        assert all(isinstance(v, list) and v for v in errors.values())
        return
    assert event.domains
    _verdict(plausible.to_event(event, visit=VISIT, now_ms=NOW))


@given(
    st.sampled_from(["event", "identify"]),
    st.dictionaries(st.sampled_from(UMAMI_FIELDS), json_values | st.text()),
    st.none() | st.text(max_size=40) | st.sampled_from(["http://blog.example", "https://a.b:8"]),
)
def test_umami_payloads_get_a_verdict(
    kind: str, payload: dict[str, Any], origin: str | None
) -> None:
    try:
        request = umami.parse(orjson.dumps({"type": kind, "payload": payload}))
    except umami.UmamiError:
        return  # a 400 with its reason
    assert request.user_id is None or 0 < len(request.user_id) <= umami.MAX_USER_ID
    _verdict(umami.to_event(request, visit=VISIT, now_ms=NOW, origin=origin))


@given(_bodies(["type", "payload"]))
def test_umami_bodies_get_a_verdict(body: bytes) -> None:
    with contextlib.suppress(umami.UmamiError):  # a 400 with its reason
        umami.parse(body)


@given(_bodies(SEED_FIELDS))
def test_seed_bodies_get_a_verdict(body: bytes) -> None:
    try:
        parsed = seed.parse(body, LIMITS)
    except BodyError as exc:
        status = exc.status
        parsed = None
    if parsed is None:
        assert status in (400, 413)
        return
    (event,) = parsed.events
    built, errors = validate_event(event, now_ms=NOW, api_key="k", limits=LIMITS)
    assert (built is None) == bool(errors)


@settings(max_examples=200)
@given(st.text(max_size=300))
def test_cache_tokens_never_trust_what_they_did_not_sign(header: str) -> None:
    tokens = umami.CacheTokens("secret")
    assert tokens.read(header, "site-1") is None


def test_cache_tokens_round_trip_for_their_site_only() -> None:
    tokens = umami.CacheTokens("secret")
    visit = Visit(visitor="abc", session_id="s1", user_id="member-9")
    token = tokens.issue("site-1", visit)
    assert tokens.read(token, "site-1") == ("abc", "member-9")
    assert tokens.read(orjson.dumps({"cache": token}).decode(), "site-1") == ("abc", "member-9")
    assert tokens.read(token, "site-2") is None
    assert umami.CacheTokens("other secret").read(token, "site-1") is None
    body, _, mac = token.partition(".")
    assert tokens.read(body[:-2] + "xx." + mac, "site-1") is None
    old = tokens.issue("site-1", visit, now_s=time.time() - umami.TOKEN_MAX_AGE_SECONDS - 5)
    assert tokens.read(old, "site-1") is None


@pytest.mark.parametrize("part", [0, 1, 2, 3])
def test_the_visitor_hash_changes_with_every_part(part: int) -> None:
    base: tuple[bytes, str, str, str] = (b"s" * 32, "site-1", "203.0.113.9", "Firefox")
    salt, site, ip, agent = base
    changed = (
        (b"t" * 32, site, ip, agent),
        (salt, "site-2", ip, agent),
        (salt, site, "203.0.113.10", agent),
        (salt, site, ip, "Chrome"),
    )[part]
    assert visitor_hash(*base) != visitor_hash(*changed)
