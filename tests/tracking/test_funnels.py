"""Funnel levels of one visitor (the rule of stats/funnels.py) and the funnel route's input."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.accounts import register
from tracking_system.tracking.stats.funnels import DAY_MS, reached

# (time ms, session, the funnel steps the event is)
A, B = "s1", "s2"


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
