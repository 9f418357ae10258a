"""Property-based tests of the event validator: any input gets a verdict, never an exception,
and a valid event comes back unchanged."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tracking_system.tracking.ingest.validation import (
    Limits,
    has_control_chars,
    parse_body,
    validate_event,
)

LIMITS = Limits()
NOW = 1_800_000_000_000
KEY = "ts_key"
FIELDS = {"apiKey", "sessionId", "userId", "eventTime", "eventName", "page", "referrer",
          "userAgent", "context", "eventId", "event"}  # fmt: skip

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
clean_text = st.text(min_size=1, max_size=100).filter(lambda s: not has_control_chars(s))


@given(st.dictionaries(st.sampled_from(sorted(FIELDS)), json_values) | json_values)
def test_any_input_gets_a_verdict_never_an_exception(raw: Any) -> None:
    event, errors = validate_event(raw, now_ms=NOW, api_key=KEY, limits=LIMITS)
    assert (event is None) == bool(errors)
    assert set(errors) <= FIELDS
    assert all(isinstance(message, str) and message for message in errors.values())


@given(
    session=clean_text,
    user=st.none() | clean_text,
    name=clean_text,
    path=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_/", max_size=50),
    time=st.integers(min_value=0, max_value=NOW + LIMITS.future_tolerance_ms),
    context=st.none()
    | st.dictionaries(st.text(max_size=10), st.integers(-(2**63), 2**63 - 1), max_size=5),
)
def test_valid_events_come_back_as_sent(
    session: str, user: str | None, name: str, path: str, time: int,
    context: dict[str, int] | None,
) -> None:  # fmt: skip
    raw = {"sessionId": session, "userId": user, "eventName": name, "page": "/" + path.lstrip("/"),
           "eventTime": time, "context": context}  # fmt: skip
    event, errors = validate_event(raw, now_ms=NOW, api_key=KEY, limits=LIMITS)
    assert errors == {}
    assert event is not None
    assert event["sessionId"] == session
    assert event["userId"] == (user if user is not None else f"temp:{session}")
    assert event["eventName"] == name
    assert event["eventTime"] == time
    assert event["context"] == context  # {} stays {}, a missing context stays null


@given(ahead=st.integers(min_value=LIMITS.future_tolerance_ms + 1, max_value=10**12))
def test_times_too_far_ahead_become_the_receive_time(ahead: int) -> None:
    raw = {"sessionId": "s", "eventName": "e", "page": "/", "eventTime": NOW + ahead}
    event, _ = validate_event(raw, now_ms=NOW, api_key=KEY, limits=LIMITS)
    assert event is not None
    assert event["eventTime"] == NOW


@given(st.text().filter(has_control_chars))
def test_control_characters_are_refused_in_names(name: str) -> None:
    raw = {"sessionId": "s", "eventName": name, "page": "/", "eventTime": NOW}
    _, errors = validate_event(raw, now_ms=NOW, api_key=KEY, limits=LIMITS)
    assert "eventName" in errors


@given(st.binary(max_size=200))
def test_any_body_bytes_parse_or_raise_a_body_error(body: bytes) -> None:
    from tracking_system.tracking.ingest.validation import BodyError

    status = 0
    try:
        parsed = parse_body(body, LIMITS)
    except BodyError as exc:
        status = exc.status
    else:
        assert 1 <= len(parsed.events) <= LIMITS.max_events
    assert status in (0, 400, 413)


def test_a_context_that_cannot_be_stored_is_refused_not_raised() -> None:
    raw = {"sessionId": "s", "eventName": "e", "page": "/", "eventTime": NOW,
           "context": {"n": 2**70}}  # fmt: skip
    event, errors = validate_event(raw, now_ms=NOW, api_key=KEY, limits=LIMITS)
    assert event is None
    assert "context" in errors
