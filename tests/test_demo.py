"""`tracking-system demo`: the traffic generator (pure) and a real run through the gateway."""

from __future__ import annotations

import asyncio
import io
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime
from itertools import pairwise
from statistics import mean
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import orjson
import pytest
from iptocc import country_code

from tests.support.system import System
from tracking_system import cli, demo
from tracking_system import demo_traffic as traffic
from tracking_system.common.geo import country_of
from tracking_system.common.progress import Progress
from tracking_system.gateway.settings import GatewaySettings
from tracking_system.tracking.ingest.validation import Limits, validate_event
from tracking_system.worker.enrich import parse_agent

NOW = datetime(2024, 5, 29, 15, 30, 12, tzinfo=UTC)  # a Wednesday afternoon
NOW_MS = int(NOW.timestamp() * 1000)


@pytest.fixture(scope="module")
def month() -> list[traffic.DemoEvent]:
    """The default demo: 28 days, 3000 visitors."""
    return traffic.generate(seed=1, now=NOW)


def _small(**overrides: Any) -> list[traffic.DemoEvent]:
    params: dict[str, Any] = {"seed": 7, "days": 3, "visitors": 200, "now": NOW, "tz": "UTC"}
    return traffic.generate(**{**params, **overrides})


# --- generate -------------------------------------------------------------------------------


def test_same_seed_same_events_other_seed_other_ids() -> None:
    assert _small() == _small()
    ids = {e.event["eventId"] for e in _small()}
    assert ids.isdisjoint(e.event["eventId"] for e in _small(seed=8))


def test_event_ids_do_not_depend_on_when_it_runs() -> None:
    """A re-run later sends the same ids, so the server's dedup stores nothing twice."""
    later = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)
    first, second = _small(), _small(now=later)
    assert sorted(e.event["eventId"] for e in first) == sorted(e.event["eventId"] for e in second)
    assert traffic.summarize(first)["visitors"] == traffic.summarize(second)["visitors"]


def test_event_ids_are_unique(month: list[traffic.DemoEvent]) -> None:
    ids = [e.event["eventId"] for e in month]
    assert len(ids) == len(set(ids))


def test_no_event_in_the_future_nor_before_the_window(month: list[traffic.DemoEvent]) -> None:
    times = [e.event["eventTime"] for e in month]
    assert max(times) <= NOW_MS
    assert min(times) >= NOW_MS - 28 * traffic.DAY_MS
    # The window is used: traffic on its first and last day.
    assert min(times) < NOW_MS - 27 * traffic.DAY_MS
    assert max(times) > NOW_MS - traffic.DAY_MS


def test_every_event_passes_the_servers_validation(month: list[traffic.DemoEvent]) -> None:
    for item in month:
        event, errors = validate_event(item.event, now_ms=NOW_MS, api_key="k", limits=Limits())
        assert errors == {}, (item.event, errors)
        assert event is not None
        assert event["eventTime"] == item.event["eventTime"]  # not replaced as "future"


def test_scale_and_shape_of_the_traffic(month: list[traffic.DemoEvent]) -> None:
    humans = [e for e in month if not e.bot]
    by_user: dict[str, set[str]] = defaultdict(set)
    by_session: Counter[str] = Counter()
    for item in humans:
        by_session[item.event["sessionId"]] += 1
        if "userId" in item.event:
            by_user[item.event["userId"]].add(item.event["sessionId"])
    assert 1500 <= len(by_user) <= 2500  # about 70% of 3000 visitors are signed-in
    assert {len(s) for s in by_user.values()} == {1, 2, 3, 4}
    assert set(by_session.values()) == set(range(1, 9))
    assert 0 < sum(e.bot for e in month) < len(month) * 0.05


def test_sessions_have_realistic_gaps_and_a_referrer_only_on_landing(
    month: list[traffic.DemoEvent],
) -> None:
    sessions: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in month:
        if not item.bot:
            sessions[item.event["sessionId"]].append(item.event)
    for events in sessions.values():
        times = [e["eventTime"] for e in events]
        assert all(30_000 <= b - a <= 300_000 for a, b in pairwise(times))
        assert events[0]["eventName"] == traffic.PAGE_VIEW
        assert all("referrer" not in e for e in events[1:])
        assert all("utm_" not in e["page"] for e in events[1:])


def test_referrers_campaigns_pages_and_custom_events(month: list[traffic.DemoEvent]) -> None:
    events = [e.event for e in month if not e.bot]
    referrers = {urlsplit(e["referrer"]).hostname for e in events if "referrer" in e}
    assert {"www.google.com", "news.ycombinator.com", "t.co", "www.reddit.com"} <= referrers
    campaigns = {
        parse_qs(urlsplit(e["page"]).query)["utm_campaign"][0]
        for e in events
        if "utm_campaign" in e["page"]
    }
    assert {"spring_launch", "weekly_digest", "brand_search"} <= campaigns
    assert all(e["page"].startswith("https://demo.example.com/") for e in events)
    names = Counter(e["eventName"] for e in events)
    assert names.most_common(1)[0][0] == traffic.PAGE_VIEW
    assert names[traffic.PAGE_VIEW] > 0.8 * len(events)
    assert {"signup", "add_to_cart", "purchase"} <= set(names)
    purchases = [e for e in events if e["eventName"] == "purchase"]
    assert all(e["context"]["plan"] in ("pro", "team") for e in purchases)
    assert all(e["context"]["value"] > 0 for e in purchases)
    assert all("context" not in e for e in events if e["eventName"] == traffic.PAGE_VIEW)


def test_some_visitors_are_anonymous(month: list[traffic.DemoEvent]) -> None:
    humans = [e for e in month if not e.bot]
    anonymous = sum("userId" not in e.event for e in humans)
    assert 0.15 * len(humans) < anonymous < 0.45 * len(humans)


def test_weekdays_are_busier_than_weekends() -> None:
    tz = "America/New_York"
    zone = ZoneInfo(tz)
    events = traffic.generate(seed=3, visitors=2000, now=NOW, tz=tz)
    per_day: Counter[datetime] = Counter()
    for item in events:
        local = datetime.fromtimestamp(item.event["eventTime"] / 1000, zone)
        per_day[local.replace(hour=0, minute=0, second=0, microsecond=0)] += 1
    days = sorted(per_day)[1:-1]  # the first and last days are partial
    weekday = mean(per_day[d] for d in days if d.weekday() < 5)
    weekend = mean(per_day[d] for d in days if d.weekday() >= 5)
    assert weekday > 1.4 * weekend


@pytest.mark.parametrize("tz", ["UTC", "Asia/Tokyo", "America/Los_Angeles"])
def test_local_daytime_is_busier_than_the_night(tz: str) -> None:
    zone = ZoneInfo(tz)
    events = traffic.generate(seed=4, visitors=1500, now=NOW, tz=tz)
    per_hour = Counter(
        datetime.fromtimestamp(e.event["eventTime"] / 1000, zone).hour for e in events
    )
    day = mean(per_hour[h] for h in range(10, 18))
    night = mean(per_hour[h] for h in range(1, 6))
    assert day > 4 * night, (tz, per_hour)


def test_every_address_maps_to_its_country(month: list[traffic.DemoEvent]) -> None:
    assert len(traffic.COUNTRY_IPS) >= 8
    for country, (ips, _) in traffic.COUNTRY_IPS.items():
        for ip in ips:
            assert country_code(ip) == country, ip
    pairs = {(e.ip, e.country) for e in month if not e.bot}
    assert {country for _, country in pairs} == set(traffic.COUNTRY_IPS)
    for ip, country in pairs:
        assert country_of(ip) == country  # what the worker will store


def test_user_agents_parse_as_the_browsers_they_claim(month: list[traffic.DemoEvent]) -> None:
    devices = {parse_agent(e.user_agent).device for e in month}
    assert {"desktop", "mobile", "tablet", "bot"} <= devices
    browsers = {parse_agent(e.user_agent).browser for e in month if not e.bot}
    assert {"Chrome", "Safari", "Mobile Safari", "Firefox", "Edge", "Chrome Mobile"} <= browsers
    oses = {parse_agent(e.user_agent).os for e in month if not e.bot}
    assert {"Windows", "Mac OS X", "iOS", "Android", "Linux"} <= oses
    assert all(parse_agent(e.user_agent).bot == e.bot for e in month)


# --- summarize and batching -----------------------------------------------------------------


def _item(event: dict[str, Any], *, bot: bool = False, country: str = "US") -> traffic.DemoEvent:
    return traffic.DemoEvent(event=event, user_agent="ua", ip="8.8.8.8", country=country, bot=bot)


def test_summarize_counts_like_the_server() -> None:
    base = {"eventTime": NOW_MS, "eventName": traffic.PAGE_VIEW}
    events = [
        _item({**base, "sessionId": "a", "userId": "u1", "page": "https://x.example/p?q=1"}),
        _item({**base, "sessionId": "b", "userId": "u1", "page": "https://x.example/p"}),
        _item({**base, "sessionId": "c", "page": "https://x.example/"}, country="DE"),
        _item({**base, "sessionId": "d", "page": "https://x.example/"}, country="DE"),
        _item({**base, "sessionId": "d", "eventName": "signup", "page": "https://x.example/"}),
        _item({**base, "sessionId": "e", "page": "https://x.example/"}, bot=True),
    ]
    summary = traffic.summarize(events, tz="Asia/Tokyo")
    assert summary["sent"] == 6
    assert summary["botEvents"] == 1
    assert summary["events"] == 5
    assert summary["pageviews"] == 4
    assert summary["visitors"] == 3  # u1, temp:c, temp:d
    assert summary["sessions"] == 4
    assert summary["topPages"] == [("/p", 2), ("/", 2)]
    assert summary["countries"] == {"US": 2, "DE": 2}  # temp:d counted in both
    assert summary["eventNames"] == {traffic.PAGE_VIEW: 4, "signup": 1}
    assert summary["firstDay"] == summary["lastDay"] == "2024-05-30"  # 00:30 in Tokyo


def test_batches_respect_the_limits_and_keep_sessions_whole(month: list[traffic.DemoEvent]) -> None:
    batches = demo.batches(month)
    assert sum(len(b.events) for b in batches) == len(month)
    origin = {e.event["eventId"]: (e.user_agent, e.ip) for e in month}
    seen_sessions: dict[str, int] = {}
    for index, batch in enumerate(batches):
        assert 1 <= len(batch.events) <= 500
        assert len(orjson.dumps({"apiKey": "k" * 64, "events": batch.events})) < 512 * 1024
        for event in batch.events:
            assert origin[event["eventId"]] == (batch.user_agent, batch.ip)
            assert seen_sessions.setdefault(event["sessionId"], index) == index
        for session in {e["sessionId"] for e in batch.events}:
            times = [e["eventTime"] for e in batch.events if e["sessionId"] == session]
            assert times == sorted(times)


def test_batches_split_at_500_events() -> None:
    events = [
        _item({"sessionId": f"s{i}", "eventId": str(i), "eventTime": i, "page": "/"})
        for i in range(1201)
    ]
    assert [len(b.events) for b in demo.batches(events)] == [500, 500, 201]


def _mock_send(answers: list[httpx.Response]) -> tuple[int, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    async def go() -> int:
        transport = httpx.MockTransport(handler)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            return await demo.send(client, "key", _small(visitors=3), progress_stream=io.StringIO())

    return asyncio.run(go()), seen


def _accepted(n: int) -> httpx.Response:
    return httpx.Response(202, json={"data": {"accepted": n, "rejected": []}, "errors": None})


def test_send_retries_429_and_503_honouring_retry_after() -> None:
    events = _small(visitors=3)
    batches = demo.batches(events)
    answers = [
        httpx.Response(429, headers={"Retry-After": "0.2"}, json={"data": None, "errors": {}}),
        httpx.Response(503, headers={"Retry-After": "0.1"}, json={"data": None, "errors": {}}),
        *[_accepted(len(b.events)) for b in batches],
    ]
    started = time.monotonic()
    accepted, seen = _mock_send(answers)
    assert accepted == len(events)
    assert time.monotonic() - started >= 0.2
    assert len(seen) == len(batches) + 2
    for request in seen:
        body = orjson.loads(request.content)
        assert body["apiKey"] == "key"
        assert request.url.path == "/api/v1/events"
        assert request.headers["X-Forwarded-For"] in {b.ip for b in batches}
        assert request.headers["User-Agent"] in {b.user_agent for b in batches}


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(400, json={"data": None, "errors": {"events": "bad"}}),
        httpx.Response(401, json={"data": None, "errors": {"apiKey": "Unknown API key"}}),
        httpx.Response(
            202, json={"data": {"accepted": 1, "rejected": [{"index": 1}]}, "errors": None}
        ),
    ],
)
def test_send_fails_loudly_on_other_refusals(answer: httpx.Response) -> None:
    with pytest.raises(demo.DemoError, match=r"answered 40|rejected"):
        _mock_send([answer] * 100)


# --- progress bar ---------------------------------------------------------------------------


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_redraws_in_place_on_a_terminal() -> None:
    stream = _Tty()
    with Progress(10, label="sending", stream=stream, interval=0) as bar:
        for _ in range(10):
            bar.update()
    text = stream.getvalue()
    assert text.count("\r") >= 10
    assert text.endswith("\n")
    assert text.count("\n") == 1
    assert "10/10" in text
    assert "[" + "#" * 30 + "]" in text


def test_progress_prints_lines_when_not_a_terminal() -> None:
    stream = io.StringIO()
    with Progress(1000, stream=stream, log_interval=3600) as bar:
        for _ in range(10):
            bar.update(100)
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue()
    assert len(lines) == 2  # the start, then the end (throttled in between)
    assert "0/1,000" in lines[0]
    assert "1,000/1,000" in lines[1]


# --- CLI and settings -----------------------------------------------------------------------


def test_demo_flags_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GATEWAY_URL", raising=False)
    args = cli.build_parser().parse_args(["demo"])
    assert (args.url, args.days, args.visitors, args.seed, args.tz) == (
        "http://localhost:8000",
        28,
        3000,
        1,
        "UTC",
    )
    assert (args.email, args.password) == ("demo@example.com", "demo-password-123")
    monkeypatch.setenv("GATEWAY_URL", "http://gw.example:9000")
    args = cli.build_parser().parse_args(["demo", "--days", "3", "--tz", "Europe/Berlin"])
    assert (args.url, args.days, args.tz) == ("http://gw.example:9000", 3, "Europe/Berlin")


@pytest.mark.parametrize("flag", [["--days", "0"], ["--visitors", "-5"], ["--days", "x"]])
def test_demo_refuses_nonsense_numbers(flag: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.build_parser().parse_args(["demo", *flag])
    assert exc.value.code == 2


def test_demo_refuses_an_unknown_time_zone(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--tz", "Mars/Olympus", "--url", "http://127.0.0.1:9"]) == 2
    assert "unknown time zone" in capsys.readouterr().err


def test_demo_says_when_the_gateway_is_not_running(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.support.processes import free_port

    url = f"http://127.0.0.1:{free_port()}"
    assert cli.main(["demo", "--url", url, "--visitors", "5", "--days", "1"]) == 1
    err = capsys.readouterr().err
    assert "cannot reach the gateway" in err
    assert "tracking-system up" in err


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"APP_ENV": "development"}, ("127.0.0.1", "::1")),
        ({"APP_ENV": "test"}, ()),
        ({"APP_ENV": "production", "INTERNAL_SECRET": "s" * 40}, ()),
        ({"APP_ENV": "development", "TRUSTED_PROXIES": ""}, ()),
        (
            {"APP_ENV": "development", "TRUSTED_PROXIES": "10.0.0.1, 10.0.0.2"},
            ("10.0.0.1", "10.0.0.2"),
        ),
        ({"APP_ENV": "test", "TRUSTED_PROXIES": "10.0.0.1"}, ("10.0.0.1",)),
    ],
)
def test_trusted_proxies_default_to_this_machine_only_in_development(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: tuple[str, ...]
) -> None:
    monkeypatch.delenv("TRUSTED_PROXIES", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert GatewaySettings().trusted_proxies == expected


def test_trusted_proxies_default_without_app_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRUSTED_PROXIES", raising=False)
    monkeypatch.delenv("APP_ENV", raising=False)
    assert GatewaySettings().trusted_proxies == ("127.0.0.1", "::1")


# --- a real run through the gateway ---------------------------------------------------------


def _get(client: httpx.Client, path: str, token: str, **params: Any) -> Any:
    response = client.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _wait_for_lifetime(client: httpx.Client, token: str, expected: int) -> int:
    deadline = time.monotonic() + 60
    lifetime = -1
    while time.monotonic() < deadline:
        lifetime = _get(client, "/api/v1/stats/overview", token)["eventsRecorded"]["lifetime"]
        if lifetime >= expected:
            return int(lifetime)
        time.sleep(0.25)
    return int(lifetime)


def test_demo_through_the_real_system(system: System, capsys: pytest.CaptureFixture[str]) -> None:
    email = f"demo-{uuid.uuid4().hex[:10]}@example.com"
    password = "demo-password-xyz"
    tz = "Europe/Berlin"
    result = asyncio.run(
        demo.run(
            url=system.gateway_url,
            email=email,
            password=password,
            days=3,
            visitors=50,
            seed=11,
            tz=tz,
        )
    )
    sent = result.summary
    assert result.account.created
    assert result.account.timezone == tz
    assert result.accepted == sent["sent"]
    assert sent["botEvents"] > 0
    token = result.account.access_token

    with httpx.Client(base_url=system.gateway_url, timeout=30) as client:
        me = _get(client, "/api/v1/users/me", token)
        assert (me["email"], me["name"], me["timezone"]) == (email, "Demo Shop", tz)

        # Everything but the crawlers shows up, exactly.
        assert _wait_for_lifetime(client, token, sent["events"]) == sent["events"]
        period = {"from": sent["firstDay"], "to": sent["lastDay"]}
        summary = _get(client, "/api/v1/stats/summary", token, **period)
        assert summary["pageviews"] == sent["pageviews"]
        assert summary["events"] == sent["events"]
        assert abs(summary["visitors"] - sent["visitors"]) <= max(1, 0.02 * sent["visitors"])
        assert abs(summary["sessions"] - sent["sessions"]) <= max(1, 0.02 * sent["sessions"])

        countries = _get(client, "/api/v1/stats/breakdown", token, dimension="country",
                         limit=50, **period)  # fmt: skip
        assert {row["value"] for row in countries} == set(sent["countries"])
        pages = _get(client, "/api/v1/stats/pages", token, limit=50)
        counts = {p["page"]: p["count"] for p in pages}
        assert {page: counts.get(page) for page, _ in sent["topPages"]} == dict(sent["topPages"])

        # Run again, through the command this time: the same ids, nothing stored twice.
        code = cli.main(["demo", "--url", system.gateway_url, "--email", email,
                         "--password", password, "--days", "3", "--visitors", "50",
                         "--seed", "11", "--tz", tz])  # fmt: skip
        assert code == 0
        out = capsys.readouterr().out
        assert f"Dashboard: {system.gateway_url}/" in out
        assert f"{email} / {password}" in out
        assert "existing account reused" in out
        assert f"{sent['pageviews']:,}" in out

        # One more event after the re-run: once it is counted, the re-run was processed too.
        marker = {
            "apiKey": result.account.api_key,
            "sessionId": "marker",
            "userId": "marker",
            "eventTime": int(time.time() * 1000),
            "eventName": "marker",
            "page": "/",
        }
        browser = {"User-Agent": traffic.USER_AGENTS[0][1]}  # httpx's own counts as a crawler
        assert client.post("/api/v1/events", json=marker, headers=browser).status_code == 202
        assert _wait_for_lifetime(client, token, sent["events"] + 1) == sent["events"] + 1
        time.sleep(0.5)
        overview = _get(client, "/api/v1/stats/overview", token)
        assert overview["eventsRecorded"]["lifetime"] == sent["events"] + 1
