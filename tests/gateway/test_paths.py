"""No spelling of a path reaches a service's internal routes or /metrics through the gateway."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.gateway.helpers import EchoGateway, request
from tests.support.accounts import register
from tests.support.system import System
from tracking_system.gateway.paths import is_safe_path

NOT_FOUND = {"data": None, "errors": {"message": "Not found"}}


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/sdk.js",
        "/api/v1/events",
        "/api/v1/stats/overview",
        "/api/tracking-service/v1/public/events/",
        "/api/v1/stats/caf%C3%A9%20x",
        "/api/v1/sites/01HZX/api-key",
        "/assets/index-3f2a.js",
    ],
)
def test_plain_paths_are_safe(path: str) -> None:
    assert is_safe_path(path)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/auth/../../../%2569nternal/auth/verify",
        "/api/v1/auth/../../../metrics",
        "/api/v1/stats/./overview",
        "/api/v1/stats/%2e%2e/%2E%2E/metrics",
        "/api/v1/stats/.%2e/metrics",
        "/api/v1/stats/%252e%252e/metrics",
        "/api/v1/stats/%25252e%25252e/metrics",
        "/api/v1/stats%2f..%2fmetrics",
        "/api/v1/stats%2F..%2Fmetrics",
        "/api/v1/stats%5c..%5cmetrics",
        "/api/v1/stats\\..\\metrics",
        "/api/v1/stats%252fmetrics",
        "/api/v1//stats",
        "//metrics",
        "/%69nternal/auth/verify",
        "/api/v1/stats/%6Detrics",
        "/api/v1/stats/over%7Eview",
        "/api/v1/stats/bad%zzescape",
        "/api/v1/stats/trailing%2",
        "/api/v1/stats/nul%00",
        "*",
    ],
)
def test_ambiguous_paths_are_unsafe(path: str) -> None:
    assert not is_safe_path(path)


@pytest.fixture(scope="module")
def bearer(system: System) -> Iterator[dict[str, str]]:
    """A live access token: a forwarded request would get past every sign-in check."""
    with httpx.Client(base_url=system.gateway_url, timeout=30) as client:
        yield {"Authorization": f"Bearer {register(client).access_token}"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/auth/../../../%2569nternal/auth/verify",
        "/api/v1/auth/../../../internal/auth/verify",
        "/api/v1/auth/../../../metrics",
        "/api/v1/stats/../../../metrics",
        "/api/v1/events/%2e%2e/%2e%2e/%2e%2e/metrics",
    ],
)
def test_the_reported_bypasses_answer_404(
    system: System, bearer: dict[str, str], path: str
) -> None:
    answer = request(system.ports["gateway"], "GET", path, bearer)
    assert answer.status == 404, answer.body[:200]
    assert orjson.loads(answer.body) == NOT_FOUND


def test_query_strings_are_forwarded_untouched(echo_gateway: EchoGateway) -> None:
    query = "y=%7E&z=a+b%20c&w=%2e%2e%2Fmetrics&v=caf%C3%A9"
    answer = request(
        echo_gateway.port,
        "GET",
        "/api/v1/stats/caf%C3%A9?" + query,
        {"Authorization": "Bearer good-token"},
    )
    assert answer.status == 200, answer.body
    seen = orjson.loads(answer.body)
    assert seen["query"] == query
    assert seen["path"] == "/api/v1/stats/café"


# Paths built around the targets no client may reach: a public prefix, a climb of dot segments
# spelled every which way, then the target with its letters and separators spelled likewise.
PREFIXES = (
    *("", "/api/v1", "/api/v1/auth", "/api/v1/auth/logout", "/api/v1/users", "/api/v1/sites"),
    *("/api/v1/events", "/api/v1/stats", "/sdk.js", "/assets", "/login"),
)
DOTS = ("..", "%2e%2e", "%2E%2E", ".%2e", "%2E.", "%252e%252e", "%252E.", ".%252e")
SEPARATORS = ("/", "//", "%2f", "%2F", "%252f", "%252F", "\\", "%5c", "%5C", "%255c")
TARGETS = ("internal/auth/verify", "metrics", "internal/x")


def _escape(char: str, upper: bool, double: bool) -> str:
    code = f"{ord(char):02X}" if upper else f"{ord(char):02x}"
    return ("%25" if double else "%") + code


@st.composite
def spelled(draw: st.DrawFn, text: str) -> str:
    """`text` with each letter as is, upper-cased or percent-encoded (once or twice)."""
    out = []
    for char in text:
        if char == "/":
            out.append(draw(st.sampled_from(SEPARATORS)))
            continue
        form = draw(st.sampled_from(("plain", "plain", "upper", "escape", "double")))
        if form == "plain":
            out.append(char)
        elif form == "upper":
            out.append(char.upper())
        else:
            out.append(_escape(char, draw(st.booleans()), form == "double"))
    return "".join(out)


@st.composite
def traversals(draw: st.DrawFn) -> str:
    """A raw request target climbing from a public prefix to an internal target."""
    prefix = draw(st.sampled_from(PREFIXES))
    extra = draw(st.sampled_from(("", "/x", "/login", "/me", "/overview", "/.")))
    climb = draw(st.lists(st.sampled_from(DOTS), min_size=1, max_size=6))
    steps = "".join(draw(st.sampled_from(SEPARATORS)) + dots for dots in climb)
    target = draw(spelled(draw(st.sampled_from(TARGETS))))
    query = draw(st.sampled_from(("", "?x=1", "?next=../../metrics")))
    path = prefix + extra + steps + draw(st.sampled_from(SEPARATORS)) + target
    return ("" if path.startswith("/") else "/") + path + query


HYPOTHESIS = settings(max_examples=300, deadline=None)


@HYPOTHESIS
@given(target=traversals())
def test_no_traversal_is_ever_forwarded(echo_gateway: EchoGateway, target: str) -> None:
    # The echo upstream answers 200 to anything: a 404 means the gateway kept the request.
    answer = request(echo_gateway.port, "GET", target, {"Authorization": "Bearer good-token"})
    assert answer.status == 404, (target, answer.body[:200])
    assert orjson.loads(answer.body) == NOT_FOUND


@HYPOTHESIS
@given(target=traversals())
def test_no_traversal_reaches_internal_routes_or_metrics(
    system: System, bearer: dict[str, str], target: str
) -> None:
    answer = request(system.ports["gateway"], "GET", target, bearer)
    assert answer.status == 404, (target, answer.body[:200])
    assert b"# TYPE" not in answer.body
    assert b"accountId" not in answer.body
