"""POST /api/v1/auth/login: one answer for every failure, and limits on guessing."""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.support.accounts import PASSWORD, fresh_email, fresh_ip, register


def _login(api: httpx.Client, email: str, password: str, ip: str) -> httpx.Response:
    return api.post(
        "/api/v1/auth/login",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": ip},
    )


def test_login_returns_a_new_session(api: httpx.Client) -> None:
    account = register(api)
    response = _login(api, account.email.upper(), PASSWORD, fresh_ip())
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["user"]["id"] == account.user["id"]
    assert data["accessToken"] != account.access_token
    assert "password" not in data["user"]


def test_unknown_email_and_wrong_password_fail_identically(api: httpx.Client) -> None:
    account = register(api)
    wrong = _login(api, account.email, "wrong password!", fresh_ip())
    unknown = _login(api, fresh_email("nobody"), "wrong password!", fresh_ip())
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.content == unknown.content
    assert wrong.json() == {"data": None, "errors": {"message": "Invalid email or password"}}


def test_unknown_email_takes_about_as_long_as_a_wrong_password(api: httpx.Client) -> None:
    account = register(api)

    def timed(email: str) -> float:
        started = time.perf_counter()
        _login(api, email, "wrong password!", fresh_ip())
        return time.perf_counter() - started

    # Alternate, so any drift in machine load hits both alike. An unknown email still runs one
    # argon2id verification: without it, it would answer in a fraction of the time.
    wrong, unknown = [], []
    for _ in range(4):
        wrong.append(timed(account.email))
        unknown.append(timed(fresh_email("nobody")))
    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 0.5 < ratio < 2.0, (wrong, unknown)


def _timed_login(api: httpx.Client, email: str, password: str, ip: str) -> tuple[float, int]:
    started = time.perf_counter()
    status = _login(api, email, password, ip).status_code
    return time.perf_counter() - started, status


def _concurrently(api: httpx.Client, attempts: list[tuple[str, str, str]]) -> list[int]:
    """Send every (email, password, address) sign-in at once; their statuses, in order."""

    def attempt(args: tuple[str, str, str]) -> int:
        with httpx.Client(base_url=str(api.base_url), timeout=30) as client:
            return _login(client, *args).status_code

    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        return list(pool.map(attempt, attempts))


def test_an_attacker_failing_from_one_address_does_not_lock_the_owner_out(
    api: httpx.Client,
) -> None:
    account = register(api)
    attacker = fresh_ip()
    answers = [_login(api, account.email, f"guess-{i}-password", attacker) for i in range(8)]
    # LOGIN_FAILURES_PER_ACCOUNT_IP (5): the attacker's own address is refused...
    assert [a.status_code for a in answers] == [401] * 5 + [429] * 3
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 900
    assert answers[-1].json()["errors"]["message"]
    # ...even with the right password, while the owner signs in from anywhere else.
    assert _login(api, account.email, PASSWORD, attacker).status_code == 429
    assert _login(api, account.email, PASSWORD, account.ip).status_code == 200
    assert _login(api, account.email, PASSWORD, fresh_ip()).status_code == 200


def test_attackers_on_many_addresses_only_slow_the_owner_down_a_few_seconds(
    api: httpx.Client,
) -> None:
    account = register(api)
    attackers = [fresh_ip() for _ in range(4)]
    guesses = [(account.email, f"guess-{i}-password", ip) for ip in attackers for i in range(4)]
    assert _concurrently(api, guesses) == [401] * 16  # each pair and address under its limit
    # Sixteen recent failures: every attempt on this email now waits the capped back-off
    # (LOGIN_BACKOFF_MAX_SECONDS, 3 s), and then the right password still signs in.
    elapsed, status = _timed_login(api, account.email, PASSWORD, fresh_ip())
    assert status == 200
    assert 3 <= elapsed < 3 + 4, elapsed


def test_failures_delay_the_next_attempt_exponentially(api: httpx.Client) -> None:
    email = fresh_email("slow")
    # LOGIN_BACKOFF_FREE_FAILURES (3) wait nothing, then 0.25 s doubling: 0.25, 0.5, 1, 2, 3, 3.
    timings = [_timed_login(api, email, "wrong password!", fresh_ip()) for _ in range(6)]
    assert [status for _, status in timings] == [401] * 6
    for (elapsed, _), least in zip(timings[3:], (0.25, 0.5, 1.0), strict=True):
        assert least <= elapsed < least + 2, timings
    assert max(elapsed for elapsed, _ in timings[:3]) < 0.25 + 2


def test_unknown_email_and_wrong_password_are_throttled_alike(api: httpx.Client) -> None:
    account = register(api)
    unknown = fresh_email("nobody")
    ip = fresh_ip()
    known_answers, unknown_answers = [], []
    known_time = unknown_time = 0.0
    for i in range(6):  # alternate, so drift in machine load hits both alike
        started = time.perf_counter()
        known_answers.append(_login(api, account.email, f"wrong-{i}-password", ip))
        known_time += time.perf_counter() - started
        started = time.perf_counter()
        unknown_answers.append(_login(api, unknown, f"wrong-{i}-password", ip))
        unknown_time += time.perf_counter() - started
    # The same statuses and bodies at every step, the limit included...
    assert [a.status_code for a in known_answers] == [401] * 5 + [429]
    for known, other in zip(known_answers, unknown_answers, strict=True):
        assert (known.status_code, known.content) == (other.status_code, other.content)
    # ...and the same back-off: five failures wait 0 + 0 + 0 + 0.25 + 0.5 s for either.
    assert known_time >= 0.75
    assert unknown_time >= 0.75
    assert 0.6 < unknown_time / known_time < 1.6, (known_time, unknown_time)


def test_a_burst_of_concurrent_guesses_from_one_address_is_held_to_the_limit(
    api: httpx.Client,
) -> None:
    account = register(api)
    ip = fresh_ip()
    statuses = _concurrently(api, [(account.email, f"guess-{i}-password", ip) for i in range(10)])
    assert sorted(statuses) == [401] * 5 + [429] * 5


def test_signing_in_forgets_the_failures_from_that_address(api: httpx.Client) -> None:
    account = register(api)
    ip = fresh_ip()
    statuses = []
    for round_ in range(2):  # six failures from one address in all, more than its limit of 5
        statuses += [_login(api, account.email, f"typo-{round_}-{i}", ip).status_code
                     for i in range(3)]  # fmt: skip
        statuses.append(_login(api, account.email, PASSWORD, ip).status_code)
    assert statuses == [401, 401, 401, 200] * 2


def test_repeated_failures_from_one_address_get_429(api: httpx.Client) -> None:
    ip = fresh_ip()
    statuses = [_login(api, fresh_email("guess"), "wrong password", ip).status_code
                for _ in range(21)]  # fmt: skip
    assert statuses == [401] * 20 + [429]
    # The same address is refused even for a real account; another address is not.
    account = register(api)
    assert _login(api, account.email, PASSWORD, ip).status_code == 429
    assert _login(api, account.email, PASSWORD, fresh_ip()).status_code == 200


def test_login_with_missing_fields_names_them(api: httpx.Client) -> None:
    response = api.post("/api/v1/auth/login", json={"email": "a@b.co"})
    assert response.status_code == 400
    assert "password" in response.json()["errors"]
