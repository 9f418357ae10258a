"""No password, hash or token ever appears in a log line or in a response that did not issue it."""

from __future__ import annotations

import hashlib
import json
import time

import httpx
import redis

from tests.support.accounts import fresh_ip, register
from tests.support.system import System
from tracking_system.common import keys


def test_no_secret_reaches_the_logs_or_other_responses(
    api: httpx.Client, system: System, redis_sync: redis.Redis
) -> None:
    password = "Secret-Passw0rd-For-Logs"
    account = register(api, password=password)
    new_password = "Another-Secret-Passw0rd"
    seen: list[str] = []
    seen.append(api.get("/api/v1/users/me", headers=account.auth()).text)
    seen.append(api.post("/api/v1/auth/login", json={"email": account.email,
                                                     "password": "wrong-" + password},
                         headers={"X-Forwarded-For": fresh_ip()}).text)  # fmt: skip
    change = {"currentPassword": password, "newPassword": new_password}
    seen.append(api.patch("/api/v1/users/me", headers=account.auth(), json=change).text)
    refreshed = api.post("/api/v1/auth/refresh",
                         json={"refreshToken": account.session["refreshToken"]})  # fmt: skip
    seen.append(api.post("/api/v1/auth/logout", headers=account.auth()).text)
    time.sleep(0.5)  # let the processes flush their logs

    stored = redis_sync.json().get(keys.user(account.user["id"]), "$.password")
    assert isinstance(stored, list)
    stored_hash = str(stored[0])
    assert stored_hash.startswith("$argon2id$")
    secrets = {
        password,
        new_password,
        stored_hash,
        account.access_token,
        account.session["refreshToken"],
        refreshed.json()["data"]["accessToken"],
        refreshed.json()["data"]["refreshToken"],
        hashlib.sha256(account.access_token.encode()).hexdigest(),
    }
    logs = system.logs()
    assert logs  # the processes do log
    for secret in secrets:
        assert secret not in logs
        for text in seen:
            assert secret not in text
    assert "$argon2" not in json.dumps(seen)
