"""`tracking-system demo`: a demo account filled with weeks of realistic traffic, sent through the
public ingest endpoint of a running system exactly as browsers would send it. The traffic itself
comes from `demo_traffic`; this module registers or signs in, sends and reports."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import httpx
import orjson

from tracking_system.common.progress import Progress
from tracking_system.demo_traffic import DemoEvent, generate, summarize

DEFAULT_EMAIL = "demo@example.com"
DEFAULT_PASSWORD = "demo-password-123"  # noqa: S105 - a published demo login, not a secret
DEMO_NAME = "Demo Shop"
MAX_BATCH_EVENTS = 500
MAX_BATCH_BYTES = 400 * 1024  # under the 512 KB ingest limit, with room for the envelope
CONCURRENCY = 4
# Below the default per-key limit (INGEST_RATE_LIMIT_PER_SECOND, 2000): the demo is a well-behaved
# sender, so its site shows no refused events.
EVENTS_PER_SECOND = 1200
MAX_ATTEMPTS = 60  # 429/503 answers honoured per batch before giving up
MAX_TRANSPORT_ERRORS = 5


class DemoError(Exception):
    """Something the person running the demo must fix; the message says what."""


@dataclass(frozen=True)
class DemoAccount:
    email: str
    api_key: str
    access_token: str
    timezone: str
    created: bool


@dataclass(frozen=True)
class Batch:
    user_agent: str
    ip: str
    events: list[dict[str, Any]]


def batches(events: Iterable[DemoEvent]) -> list[Batch]:
    """Events grouped by (user agent, address), in requests of at most 500 events and 400 KB;
    a session's events stay together and in order, as a browser would send them."""
    groups: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = {}
    for item in events:
        sessions = groups.setdefault((item.user_agent, item.ip), {})
        sessions.setdefault(item.event["sessionId"], []).append(item.event)
    out: list[Batch] = []
    for (user_agent, ip), sessions in groups.items():
        current: list[dict[str, Any]] = []
        size = 0
        for session in sessions.values():
            session.sort(key=lambda e: e["eventTime"])
            session_size = sum(len(orjson.dumps(e)) + 1 for e in session)
            too_many = len(current) + len(session) > MAX_BATCH_EVENTS
            if current and (too_many or size + session_size > MAX_BATCH_BYTES):
                out.append(Batch(user_agent, ip, current))
                current, size = [], 0
            current.extend(session)
            size += session_size
        if current:
            out.append(Batch(user_agent, ip, current))
    return out


def _error_text(response: httpx.Response) -> str:
    try:
        errors = response.json().get("errors")
    except ValueError:
        return response.text[:300]
    return orjson.dumps(errors).decode()[:300] if errors else response.text[:300]


def _retry_after(response: httpx.Response) -> float:
    value = response.headers.get("retry-after", "1")
    try:
        return min(30.0, max(0.1, float(value)))
    except ValueError:
        return 1.0


async def _post_batch(client: httpx.AsyncClient, api_key: str, batch: Batch) -> int:
    """Send one batch until it is accepted; the number of events accepted."""
    body = orjson.dumps({"apiKey": api_key, "events": batch.events})
    headers = {
        "Content-Type": "application/json",
        "User-Agent": batch.user_agent,
        "X-Forwarded-For": batch.ip,
    }
    transport_errors = 0
    for _ in range(MAX_ATTEMPTS):
        try:
            response = await client.post("/api/v1/events", content=body, headers=headers)
        except httpx.TransportError as exc:
            transport_errors += 1
            if transport_errors >= MAX_TRANSPORT_ERRORS:
                raise DemoError(f"sending events failed: {exc!r}") from exc
            await asyncio.sleep(0.5 * transport_errors)
            continue
        if response.status_code in (429, 503):
            await asyncio.sleep(_retry_after(response))
            continue
        if response.status_code != 202:
            raise DemoError(
                f"POST /api/v1/events answered {response.status_code}: {_error_text(response)}"
            )
        result = response.json()["data"]
        if result["rejected"]:
            raise DemoError(f"the server rejected demo events: {result['rejected'][:3]}")
        accepted: int = result["accepted"]
        return accepted
    raise DemoError(f"POST /api/v1/events still refused after {MAX_ATTEMPTS} attempts")


async def send(
    client: httpx.AsyncClient,
    api_key: str,
    events: Sequence[DemoEvent],
    *,
    concurrency: int = CONCURRENCY,
    progress_stream: TextIO | None = None,
) -> int:
    """POST every event to the ingest endpoint, a few requests at a time; events accepted."""
    queue = batches(events)
    accepted = 0
    pending = iter(queue)
    next_start = time.monotonic()
    with Progress(len(events), label="sending", unit="events", stream=progress_stream) as bar:

        async def pace(count: int) -> None:
            """Wait for this batch's turn, so no second carries more than EVENTS_PER_SECOND."""
            nonlocal next_start
            now = time.monotonic()
            start = max(now, next_start)
            next_start = start + count / EVENTS_PER_SECOND
            await asyncio.sleep(start - now)

        async def worker() -> None:
            nonlocal accepted
            for batch in pending:
                await pace(len(batch.events))
                count = await _post_batch(client, api_key, batch)
                accepted += count
                bar.update(len(batch.events))

        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(max(1, min(concurrency, len(queue)))):
                    group.create_task(worker())
        except ExceptionGroup as failures:
            # The first failure says what to fix; the others are the same refusal repeated.
            first = failures.exceptions[0]
            raise first if isinstance(first, DemoError) else failures from None
    return accepted


def _session_of(response: httpx.Response) -> dict[str, Any]:
    data: dict[str, Any] = response.json()["data"]
    return data


async def ensure_account(
    client: httpx.AsyncClient, *, email: str, password: str, tz: str, name: str = DEMO_NAME
) -> DemoAccount:
    """Sign in to the demo account, or register it when it does not exist yet; its time zone
    set to `tz`. (Signing in first: registration attempts per address are rate limited.)"""
    action = "signing in as"
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    created = False
    if response.status_code == 401:
        action = "registering"
        response = await client.post(
            "/api/v1/auth/register",
            json={"name": name, "email": email, "password": password, "timezone": tz},
        )
        created = response.status_code == 201
        if response.status_code == 409:
            raise DemoError(
                f"{email} already exists with another password: pass --password (or --email)"
            )
    if response.status_code not in (200, 201):
        raise DemoError(
            f"{action} {email} answered {response.status_code}: {_error_text(response)}"
        )
    session = _session_of(response)
    user, token = session["user"], session["accessToken"]
    if user.get("timezone") != tz:
        patched = await client.patch(
            "/api/v1/users/me", json={"timezone": tz}, headers={"Authorization": f"Bearer {token}"}
        )
        if patched.status_code != 200:
            raise DemoError(
                f"setting the time zone answered {patched.status_code}: {_error_text(patched)}"
            )
        user = _session_of(patched)
    return DemoAccount(
        email=user["email"],
        api_key=user["apiKey"],
        access_token=token,
        timezone=user["timezone"],
        created=created,
    )


@dataclass(frozen=True)
class DemoResult:
    account: DemoAccount
    summary: dict[str, Any]
    accepted: int
    seconds: float


async def run(
    *,
    url: str,
    email: str = DEFAULT_EMAIL,
    password: str = DEFAULT_PASSWORD,
    days: int = 28,
    visitors: int = 3000,
    seed: int = 1,
    tz: str = "UTC",
    now: datetime | None = None,
    progress_stream: TextIO | None = None,
) -> DemoResult:
    """Create or reuse the demo account and send the generated traffic through `url`."""
    base = url.rstrip("/")
    timeout = httpx.Timeout(30.0, connect=5.0)
    limits = httpx.Limits(max_connections=CONCURRENCY + 2)
    async with httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits) as client:
        try:
            account = await ensure_account(client, email=email, password=password, tz=tz)
        except httpx.TransportError as exc:
            raise DemoError(
                f"cannot reach the gateway at {base} ({exc!r}); is `tracking-system up` running?"
            ) from exc
        events = generate(seed=seed, days=days, visitors=visitors, now=now, tz=tz)
        started = time.monotonic()
        accepted = await send(client, account.api_key, events, progress_stream=progress_stream)
        seconds = time.monotonic() - started
    return DemoResult(
        account=account, summary=summarize(events, tz=tz), accepted=accepted, seconds=seconds
    )


def report(result: DemoResult, *, url: str, password: str, days: int) -> str:
    """The text printed at the end: where to log in and what to expect there."""
    s = result.summary
    account = result.account
    status = "created" if account.created else "existing account reused"
    width = 12
    lines = [
        "",
        f"Sent {s['sent']:,} events ({result.accepted:,} accepted) in {result.seconds:.1f} s.",
        "",
        f"Dashboard: {url.rstrip('/')}/",
        f"Log in:    {account.email} / {password}   ({status}, time zone {account.timezone})",
        "",
        "What was sent (crawlers excluded, as the dashboard counts):",
        f"  {'period':<{width}}{s['firstDay']} .. {s['lastDay']} ({days} days, {account.timezone})",
        f"  {'events':<{width}}{s['events']:,}",
        f"  {'page views':<{width}}{s['pageviews']:,}",
        f"  {'visitors':<{width}}{s['visitors']:,}  (anonymous visitors count once per session)",
        f"  {'sessions':<{width}}{s['sessions']:,}",
        f"  {'crawlers':<{width}}{s['botEvents']:,} events (stored, left out of the stats)",
        f"  {'events by':<{width}}"
        + ", ".join(f"{name} {count:,}" for name, count in s["eventNames"].items()),
        f"  {'countries':<{width}}"
        + ", ".join(f"{code} {count:,}" for code, count in s["countries"].items())
        + " (visitors)",
        f"  {'top pages':<{width}}"
        + f"\n  {'':<{width}}".join(f"{count:>6,}  {page}" for page, count in s["topPages"]),
        "",
        "The worker stores events within seconds: refresh the dashboard if numbers still rise.",
        "Re-running with the same --seed sends the same event ids: nothing is stored twice.",
    ]
    return "\n".join(lines)


def main(args: argparse.Namespace, *, out: TextIO | None = None) -> int:
    """`tracking-system demo`: returns the exit code."""
    stream = out if out is not None else sys.stdout
    try:
        ZoneInfo(args.tz)
    except (ValueError, KeyError):
        print(f"tracking-system demo: unknown time zone {args.tz!r}", file=sys.stderr)
        return 2
    print(
        f"Generating {args.days} days of traffic for {args.visitors:,} visitors"
        f" (seed {args.seed}) and sending it to {args.url} ...",
        file=stream,
        flush=True,
    )
    try:
        result = asyncio.run(
            run(
                url=args.url,
                email=args.email,
                password=args.password,
                days=args.days,
                visitors=args.visitors,
                seed=args.seed,
                tz=args.tz,
            )
        )
    except DemoError as exc:
        print(f"tracking-system demo: {exc}", file=sys.stderr, flush=True)
        return 1
    print(report(result, url=args.url, password=args.password, days=args.days), file=stream)
    return 0
