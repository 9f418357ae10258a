"""Funnel levels of one visitor (the rule of stats/sql.py's funnel, run by DuckDB over a small
table) and the funnel route's input."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest

from tests.support.accounts import register
from tracking_system.common import columnar as rows
from tracking_system.common.zones import DAY_MS
from tracking_system.tracking.stats import columnar, funnels, sql
from tracking_system.tracking.stats.funnels import step_counts

# (time ms, session, the funnel steps the event is)
A, B = "s1", "s2"
Event = tuple[int, str, list[int]]
VisitorEvent = tuple[int, str, list[int], str]  # and the visitor


def counts(events: list[VisitorEvent], steps: int, window_ms: int | None) -> list[int]:
    """Visitors per step: each event is a page view whose path names the steps it is (`/x0x2`
    is steps 0 and 2), the funnel's steps `*x<k>*`."""
    table = rows.table_of_rows([
        rows.row_of_hash(f"e{i}", {"eventTime": str(t), "sessionId": session, "userId": user,
                                   "eventName": "PAGE_VIEW",
                                   "path": "/" + "".join(f"x{k}" for k in kinds)})
        for i, (t, session, kinds, user) in enumerate(events)
    ])  # fmt: skip
    query = sql.funnel_events([], 0, 10**15, [("page", f"*x{k}*") for k in range(steps)],
                              sessions=window_ms is None)  # fmt: skip
    events, _ = columnar.CODES.with_codes(table)
    found = columnar.run_query(query, {"events": events}, arrow=True)
    return step_counts(found, steps, window_ms)


def reached(events: list[Event], steps: int, window_ms: int | None) -> int:
    """The steps one visitor's events reach."""
    return sum(counts([(*event, "u") for event in events], steps, window_ms))


def test_steps_count_in_event_time_order_whatever_the_arrival() -> None:
    arrived = [(30, A, [2]), (10, A, [0]), (20, A, [1])]
    assert reached(arrived, 3, DAY_MS) == 3


def test_a_step_before_the_first_does_not_count() -> None:
    assert reached([(5, A, [1]), (10, A, [0])], 2, DAY_MS) == 1


def test_steps_on_the_same_millisecond_count_in_the_funnels_order() -> None:
    assert reached([(10, A, [1]), (10, A, [0])], 2, DAY_MS) == 2


def test_one_event_serves_one_step_of_a_repeated_page() -> None:
    # page:/ -> page:/docs -> page:/ : one visit of / cannot be both the first and third step.
    assert reached([(10, A, [0, 2]), (20, A, [1])], 3, DAY_MS) == 2
    assert reached([(10, A, [0, 2]), (20, A, [1]), (30, A, [0, 2])], 3, DAY_MS) == 3


def test_the_window_counts_from_the_first_step() -> None:
    events = [(0, A, [0]), (DAY_MS, A, [1]), (DAY_MS + 1, A, [2])]
    assert reached(events, 3, DAY_MS) == 2
    assert reached(events, 3, 2 * DAY_MS) == 3


def test_a_later_start_can_reach_further() -> None:
    events = [(0, A, [0]), (3 * DAY_MS, A, [0]), (3 * DAY_MS + 5, A, [1])]
    assert reached(events, 2, DAY_MS) == 2


def test_the_session_window_keeps_to_the_first_steps_session() -> None:
    events = [(0, A, [0]), (5, B, [1]), (9, A, [1])]
    assert reached(events, 2, None) == 2
    assert reached([(0, A, [0]), (5, B, [1])], 2, None) == 1


def test_a_session_id_two_visitors_share_is_two_sessions() -> None:
    # u1 starts the funnel in session A; u2's later step 2 in a session also called A is not u1's.
    events = [(0, A, [0], "u1"), (5, A, [1], "u2")]
    assert counts(events, 2, None) == [1, 0]
    assert counts(events, 2, DAY_MS) == [1, 0]


def test_visitors_are_counted_apart() -> None:
    events = [(0, A, [0], "u1"), (1, B, [0], "u2"), (2, A, [1], "u1"), (3, B, [0], "u2")]
    assert counts(events, 2, DAY_MS) == [2, 1]


@pytest.mark.parametrize(
    ("match", "path", "kept"),
    [
        ("/docs", "/docs", True),
        ("/docs", "/docs/api", False),
        ("/docs*", "/docs/api", True),
        ("*api", "/docs/api", True),
        ("/a_b*", "/a_b/c", True),
        ("/a_b*", "/axb/c", False),
        ("/100%*", "/100%/x", True),
        ("/100%*", "/100x/x", False),
    ],
)
def test_a_page_step_matches_its_pattern_literally_but_for_stars(
    match: str, path: str, kept: bool
) -> None:
    table = rows.table_of_rows([
        rows.row_of_hash("e", {"eventTime": "1", "sessionId": A, "userId": "u",
                               "eventName": "PAGE_VIEW", "path": path})
    ])  # fmt: skip
    condition = sql.step_condition("page", match)
    query = sql.Query("SELECT count(*) FROM events WHERE ").extend(condition)
    assert columnar.run_query(query, {"events": table}) == [(1 if kept else 0,)]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"step": ["page:/"]}, "step"),
        ({"step": ["page:/"] * 9}, "step"),
        ({"step": ["page:/", "visit:/x"]}, "step"),
        ({"step": ["page:/", "page:pricing"]}, "step"),
        ({"step": ["page:/", "event:"]}, "step"),
        ({"step": ["page:/", "event:x"], "window": "0d"}, "window"),
        ({"step": ["page:/", "event:x"], "window": "week"}, "window"),
        ({"step": ["page:/", "event:x"], "window": "367d"}, "window"),
    ],
)
def test_a_bad_funnel_is_400_naming_the_parameter(
    api: httpx.Client, params: dict[str, Any], field: str
) -> None:
    account = register(api)
    response = api.get("/api/v1/stats/funnel", params=params, headers=account.auth())
    assert response.status_code == 400, response.text
    assert field in response.json()["errors"]


HOME, SIGNUP = {"kind": "page", "match": "/"}, {"kind": "event", "match": "signup"}
PRICING = {"kind": "page", "match": "/pricing"}


def test_a_saved_funnel_is_kept_changed_answered_and_removed(api: httpx.Client) -> None:
    account = register(api)
    body = {"name": "Signup", "steps": [HOME, SIGNUP], "window": "7d"}
    created = api.post("/api/v1/funnels", json=body, headers=account.auth())
    assert created.status_code == 201, created.text
    saved = created.json()["data"]
    assert {k: saved[k] for k in body} == body
    listed = api.get("/api/v1/funnels", headers=account.auth()).json()["data"]
    assert [f["id"] for f in listed] == [saved["id"]]

    changed = api.patch(
        f"/api/v1/funnels/{saved['id']}", json={"window": "session"}, headers=account.auth()
    )
    assert changed.json()["data"] == {**saved, "window": "session"}
    by_id = api.get(
        "/api/v1/stats/funnel", params={"funnelId": saved["id"]}, headers=account.auth()
    )
    ad_hoc = api.get(
        "/api/v1/stats/funnel",
        params={"step": ["page:/", "event:signup"], "window": "session"},
        headers=account.auth(),
    )
    assert by_id.status_code == 200, by_id.text
    assert ad_hoc.status_code == 200, ad_hoc.text
    assert by_id.json()["data"] == ad_hoc.json()["data"]
    assert [s["label"] for s in by_id.json()["data"]["steps"]] == ["/", "signup"]

    assert api.delete(f"/api/v1/funnels/{saved['id']}", headers=account.auth()).status_code == 204
    gone = api.get("/api/v1/stats/funnel", params={"funnelId": saved["id"]}, headers=account.auth())
    assert gone.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "steps": [HOME]}, "steps"),
        ({"name": "x", "steps": [HOME] * 9}, "steps"),
        ({"name": "x", "steps": [HOME, {"kind": "page", "match": "x"}]}, "steps"),
        ({"name": "x", "steps": [HOME, {"kind": "goal", "match": "x"}]}, "steps"),
        ({"name": "x", "window": "2w", "steps": [HOME, PRICING]}, "window"),
        ({"name": "", "steps": [HOME, PRICING]}, "name"),
    ],
)
def test_a_bad_saved_funnel_is_400_and_not_kept(
    api: httpx.Client, body: dict[str, Any], field: str
) -> None:
    account = register(api)
    response = api.post("/api/v1/funnels", json=body, headers=account.auth())
    assert response.status_code == 400, response.text
    assert any(key.startswith(field) for key in response.json()["errors"]), response.json()
    assert api.get("/api/v1/funnels", headers=account.auth()).json()["data"] == []


@pytest.mark.parametrize("window_ms", [None, DAY_MS, 3 * DAY_MS])
def test_visitors_walked_in_parts_count_as_in_one_walk(
    monkeypatch: pytest.MonkeyPatch, window_ms: int | None
) -> None:
    rng = random.Random(7)
    events: list[VisitorEvent] = [
        (rng.randrange(5 * DAY_MS), rng.choice((A, B)),
         rng.sample(range(4), rng.randint(1, 2)), f"u{rng.randrange(400)}")
        for _ in range(2000)
    ]  # fmt: skip
    whole = counts(events, 4, window_ms)
    monkeypatch.setattr(funnels, "PARALLEL_ROWS", 1)
    assert counts(events, 4, window_ms) == whole
    assert whole[0] > whole[1] > 0
