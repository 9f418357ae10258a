from __future__ import annotations

from tracking_system.common.logging import REDACTED, redact_secrets
from tracking_system.common.urls import redact_url


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


def test_url_passwords_are_hidden() -> None:
    assert redact_url("redis://user:s3cret@host:6379/0") == "redis://user:***@host:6379/0"
    assert redact_url("redis://host:6379/0") == "redis://host:6379/0"
