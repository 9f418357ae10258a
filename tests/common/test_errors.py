"""An unexpected error in a service is one 500 for that request: the connection it came on
stays usable, so the gateway's next pooled request (anyone's) is answered normally."""

from __future__ import annotations

import httpx
import redis

from tests.support.accounts import register
from tracking_system.common import keys


def test_a_service_500_does_not_fail_the_next_request_on_its_connection(
    api: httpx.Client, redis_sync: redis.Redis
) -> None:
    broken, healthy = register(api), register(api)
    key = keys.user(broken.user["id"])
    saved = redis_sync.dump(key)
    assert saved is not None
    redis_sync.delete(key)
    redis_sync.hset(key, "corrupted", "1")  # every read of the account now fails
    try:
        statuses = []
        for _ in range(20):
            failed = api.get("/api/v1/users/me", headers=broken.auth())
            assert failed.status_code == 500
            assert failed.json() == {"data": None, "errors": {"message": "Internal error"}}
            statuses.append(api.get("/api/v1/users/me", headers=healthy.auth()).status_code)
    finally:
        redis_sync.restore(key, 0, saved, replace=True)
    assert statuses == [200] * 20
