"""Every process's log, in both formats: plain tracebacks without locals, and no secret at all.

Real processes, real requests: auth failures and 500s (a key of the account made to hold the
wrong type) with tokens, API keys, passwords and the internal credential in headers, query
strings and bodies; then every log is searched for each of them."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import httpx
import pytest
import redis

from tests.support.accounts import Account, register
from tests.support.events import make_event, send
from tests.support.redis_server import RedisServer
from tests.support.system import TEST_INTERNAL_SECRET, System, build_system
from tracking_system.common import keys

# What the rich traceback renderer drew around every frame's locals.
RICH_BOX = set("│╭╰─")


@dataclass(frozen=True)
class Secrets:
    access_token: str
    refresh_token: str
    api_key: str
    password: str
    wrong_password: str
    forged_token: str
    forged_api_key: str
    internal: str = TEST_INTERNAL_SECRET


def _account_with_secrets(client: httpx.Client) -> tuple[Account, Secrets]:
    password = "pw-" + secrets.token_hex(12)
    account = register(client, password=password)
    return account, Secrets(
        access_token=account.access_token,
        refresh_token=str(account.session["refreshToken"]),
        api_key=str(account.user["apiKey"]),
        password=password,
        wrong_password="wrong-" + secrets.token_hex(12),
        forged_token=secrets.token_urlsafe(32),
        forged_api_key="ts_" + secrets.token_urlsafe(24),
    )


@contextmanager
def _wrong_type(client: redis.Redis, key: str) -> Iterator[None]:
    """Within the block `key` holds a hash, so every service read of it fails (a 500)."""
    saved = client.dump(key)
    assert saved is not None, key
    client.delete(key)
    client.hset(key, "corrupted", "1")
    try:
        yield
    finally:
        client.restore(key, 0, saved, replace=True)


def _provoke(system: System, redis_client: redis.Redis, marker: str) -> Secrets:
    """Auth failures and 500s carrying every secret; `marker` only ever sits in locals."""
    with httpx.Client(base_url=system.gateway_url, timeout=60) as api:
        account, s = _account_with_secrets(api)
        forged = {
            "Authorization": f"Bearer {s.forged_token}",
            "X-Internal-Token": s.internal,
            "X-Api-Key": s.forged_api_key,
        }
        query = {
            "access_token": s.access_token,
            "refresh_token": s.refresh_token,
            "apiKey": s.api_key,
            "password": s.password,
            "note": marker,
        }
        statuses = [
            api.get("/api/v1/users/me", headers=forged, params=query).status_code,
            api.get("/api/v1/stats/overview", headers=forged, params=query).status_code,
            api.post(
                "/api/v1/auth/login",
                json={"email": account.email, "password": s.wrong_password},
                headers={"X-Forwarded-For": account.ip},
            ).status_code,
            api.post("/api/v1/auth/refresh", json={"refreshToken": s.forged_token}).status_code,
            send(api, s.forged_api_key, [make_event()], headers=forged).status_code,
        ]
        assert statuses == [401, 401, 401, 401, 401]
        internal = {"X-Internal-Token": s.internal, "Authorization": f"Bearer {s.access_token}"}
        direct = httpx.get(
            system.service_url("users") + "/api/v1/users/me", headers=internal, params=query
        )
        assert direct.status_code == 401
        # A 500 makes uvicorn close the service's connection, so each service gets one 500
        # through the gateway and then only direct calls.
        with _wrong_type(redis_client, keys.user(str(account.user["id"]))):
            me = api.get("/api/v1/users/me", headers=account.auth(), params=query)
            refreshed = httpx.post(
                system.service_url("users") + "/api/v1/auth/refresh",
                params=query,
                json={"refreshToken": s.refresh_token},
                headers=internal,
                timeout=60,
            )
        assert (me.status_code, refreshed.status_code) == (500, 500)
        event = make_event(context={"note": marker, "password": s.password})
        with _wrong_type(redis_client, keys.api_key(s.api_key)):
            through = send(api, s.api_key, [event], headers={**forged, "X-Api-Key": s.api_key})
            direct = httpx.post(
                system.service_url("tracking") + "/api/v1/events",
                params=query,
                json={"apiKey": s.api_key, "events": [event]},
                headers={**internal, "X-Api-Key": s.api_key},
                timeout=60,
            )
        assert (through.status_code, direct.status_code) == (500, 500)
    time.sleep(0.5)  # the gateway notices the closed connections before anyone else calls
    return s


def _assert_clean(text: str, s: Secrets, marker: str) -> None:
    leaked = [name for name, value in asdict(s).items() if value in text]
    assert leaked == [], f"secrets in the logs: {leaked}"
    assert marker not in text, "a request's data reached the log (locals were dumped)"
    assert not RICH_BOX & set(text), "a rich traceback (with locals) was rendered"


def _json_lines(text: str) -> list[dict[str, Any]]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def _frames(stacks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [frame for stack in stacks for frame in stack.get("frames", [])]


@pytest.fixture(scope="module")
def console_system(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    """Users, tracking and the gateway logging in the console format."""
    system = build_system(
        redis_url=redis_server.url,
        log_dir=tmp_path_factory.mktemp("console-logs"),
        extra_env={"LOG_FORMAT": "console"},
    )
    try:
        for name in ("users", "tracking", "gateway"):
            system.start(name)
        yield system
    finally:
        system.stop_all()


def test_json_logs_keep_a_compact_traceback_and_no_secret(
    system: System, redis_sync: redis.Redis
) -> None:
    marker = f"local-only-{uuid.uuid4().hex}"
    s = _provoke(system, redis_sync, marker)
    text = system.logs()
    _assert_clean(text, s, marker)
    failures = [
        line
        for line in _json_lines(text)
        if line.get("event") == "unhandled_error"
        and line.get("path") in ("/api/v1/users/me", "/api/v1/auth/refresh", "/api/v1/events")
    ]
    assert {line["path"] for line in failures} == {
        "/api/v1/users/me",
        "/api/v1/auth/refresh",
        "/api/v1/events",
    }
    for line in failures:
        stacks = line["exception"]
        assert stacks[-1]["exc_type"] == "ResponseError", line
        assert "wrong" in stacks[-1]["exc_value"].lower()
        frames = _frames(stacks)
        assert frames, line
        assert all(set(frame) <= {"filename", "lineno", "name"} for frame in frames), frames


def test_console_logs_carry_plain_tracebacks_and_no_secret(
    console_system: System, redis_sync: redis.Redis
) -> None:
    marker = f"local-only-{uuid.uuid4().hex}"
    s = _provoke(console_system, redis_sync, marker)
    for name in ("users", "tracking", "gateway"):
        _assert_clean(console_system.log_path(name).read_text(), s, marker)
    for name in ("users", "tracking"):
        text = console_system.log_path(name).read_text()
        assert "unhandled_error" in text
        assert "Traceback (most recent call last):" in text
        assert "redis.exceptions.ResponseError: " in text
        # Two 500s, each logged twice (our handler and uvicorn): plain tracebacks are a few
        # dozen lines each, where the locals made them thousands.
        assert len(text.splitlines()) < 1000, f"{name}: {len(text.splitlines())} lines"
