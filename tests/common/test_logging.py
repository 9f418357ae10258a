from __future__ import annotations

import io
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any

import pytest
import structlog

from tracking_system.common.logging import (
    REDACTED,
    Scrubber,
    build_formatter,
    redact_secrets,
    secrets_from_env,
    shared_processors,
)
from tracking_system.common.urls import redact_url

INTERNAL = "internal-" + secrets.token_hex(16)
TOKEN = secrets.token_urlsafe(32)
API_KEY = "ts_" + secrets.token_urlsafe(24)

Emit = Callable[[Any, logging.Logger], None]


def test_fields_named_like_secrets_are_redacted() -> None:
    event = {
        "event": "login",
        "password": "hunter22",
        "refresh_token": "abc",
        "apiKey": "k",
        "authorization": "Bearer x",
        "email": "a@b.c",
    }
    out = redact_secrets(None, "info", dict(event))
    assert out["password"] == REDACTED
    assert out["refresh_token"] == REDACTED
    assert out["apiKey"] == REDACTED
    assert out["authorization"] == REDACTED
    assert out["email"] == "a@b.c"
    assert out["event"] == "login"


def test_nested_fields_and_values_inside_strings_are_redacted() -> None:
    event = {
        "event": f"refused Bearer {TOKEN}",
        "headers": {"X-Internal-Token": INTERNAL, "accept": "*/*"},
        "query": f"apiKey={API_KEY}&page=2",
        "items": [f"key {API_KEY}", 3],
    }
    out = redact_secrets(None, "info", event)
    assert out["event"] == f"refused Bearer {REDACTED}"
    assert out["headers"] == {"X-Internal-Token": REDACTED, "accept": "*/*"}
    assert out["query"] == f"apiKey={REDACTED}&page=2"
    assert out["items"] == [f"key {REDACTED}", 3]


@pytest.mark.parametrize(
    "text",
    [
        f"Authorization: Bearer {TOKEN}",
        f"GET /api/v1/stats?authorization=Bearer%20{TOKEN}&page=1",
        f"[(b'host', b'x'), (b'authorization', b'Bearer {TOKEN}')]",
        f"[(b'x-internal-token', b'{INTERNAL}'), (b'accept', b'*/*')]",
        f"x-internal-token: {INTERNAL}\r\nhost: x",
        f"the credential {INTERNAL} was refused",
        f"{{'x-api-key': '{API_KEY}'}}",
        f"unknown key {API_KEY}",
        f'{{"refreshToken": "{TOKEN}"}}',
        f"token {TOKEN} is spent",
        'b\'{"email": "a@b.c", "password": "correct horse battery"}\'',
        "email=a%40b.c&password=correct-horse&next=/",
        "redis://default:correct-horse@cache.internal:6379/0",
    ],
)
def test_secrets_inside_text_are_redacted(text: str) -> None:
    out = Scrubber([INTERNAL])(text)
    assert REDACTED in out
    for secret in (TOKEN, API_KEY, INTERNAL, "correct horse battery", "correct-horse"):
        assert secret not in out


@pytest.mark.parametrize(
    "text",
    [
        "user a@b.c signed in from 203.0.113.7",
        "GET http://127.0.0.1:8000/api/v1/health?email=a@b.c",
        "event 01HZX3Q6W9M2T4K7P8R5S1V0YB stored in 3 ms",
        "sha256 9f86d081884c7d659a2feaeac55a08a0af6ac1cbe1e5f6eb18f3c5b5a4d1c2e3",
        'File "/work/main/src/tracking_system/users/tokens.py", line 86, in issue',
        "test_a_deliberately_long_snake_case_name_xx",
        "basic auth is off; the bearer of a session may sign out",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert Scrubber([INTERNAL])(text) == text


def test_the_internal_secret_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERNAL_SECRET", INTERNAL)
    assert INTERNAL in secrets_from_env()


def _render(fmt: str, emit: Emit) -> str:
    """What one process would write for the records `emit` logs (no global configuration)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(build_formatter(fmt, [INTERNAL]))
    stdlib = logging.Logger("hygiene")
    stdlib.addHandler(handler)
    log = structlog.wrap_logger(
        stdlib,
        processors=[
            *shared_processors(fmt, [INTERNAL]),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        wrapper_class=structlog.stdlib.BoundLogger,
    )
    emit(log, stdlib)
    return stream.getvalue()


def _fail_with_secrets_in_locals_and_message(marker: str) -> None:
    headers = {"authorization": f"Bearer {TOKEN}", "x-internal-token": INTERNAL}
    rows = [{"row": i, "marker": marker} for i in range(20_000)]
    raise RuntimeError(f"upstream refused {API_KEY} ({len(rows)} rows, {headers})")


def _log_a_failure(marker: str) -> Emit:
    def emit(log: Any, stdlib: logging.Logger) -> None:
        try:
            _fail_with_secrets_in_locals_and_message(marker)
        except RuntimeError as exc:
            log.exception("unhandled_error", path="/x", authorization=f"Bearer {TOKEN}")
            stdlib.error("Exception in ASGI application\n", exc_info=exc)  # as uvicorn does

    return emit


@pytest.mark.parametrize("fmt", ["console", "json"])
def test_an_exception_renders_plain_without_locals_or_secrets(fmt: str) -> None:
    marker = "local-only-" + secrets.token_hex(8)
    out = _render(fmt, _log_a_failure(marker))
    assert marker not in out  # no local variable was dumped
    assert "rows = " not in out
    assert not set("│╭╰") & set(out)  # no rich panel
    for secret in (TOKEN, API_KEY, INTERNAL):
        assert secret not in out
    # Two records, each a short traceback: with the locals it was megabytes.
    assert len(out) < 6_000, len(out)
    if fmt == "console":
        assert out.count("Traceback (most recent call last):") == 2
        assert "in _fail_with_secrets_in_locals_and_message" in out
        assert f"RuntimeError: upstream refused {REDACTED} (20000 rows" in out
        return
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["event"] for r in records] == ["unhandled_error", "Exception in ASGI application\n"]
    for record in records:
        stack = record["exception"][-1]
        assert stack["exc_type"] == "RuntimeError"
        assert stack["exc_value"].startswith(f"upstream refused {REDACTED}")
        names = [frame["name"] for frame in stack["frames"]]
        assert names[-1] == "_fail_with_secrets_in_locals_and_message"
        assert all("locals" not in frame for frame in stack["frames"])


def test_a_chained_exception_keeps_both_messages_scrubbed() -> None:
    def emit(log: Any, _: logging.Logger) -> None:
        try:
            try:
                raise KeyError(f"x-internal-token: {INTERNAL}")
            except KeyError as inner:
                raise ValueError(f"password={INTERNAL[:12]}") from inner
        except ValueError:
            log.exception("failed")

    out = _render("console", emit)
    assert "The above exception was the direct cause" in out
    assert f"KeyError: 'x-internal-token: {REDACTED}'" in out
    assert f"ValueError: password={REDACTED}" in out
    assert INTERNAL[:12] not in out


def test_url_passwords_are_hidden() -> None:
    assert redact_url("redis://user:s3cret@host:6379/0") == "redis://user:***@host:6379/0"
    assert redact_url("redis://host:6379/0") == "redis://host:6379/0"
