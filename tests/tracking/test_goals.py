"""/api/v1/goals: a site's goals kept, validated and scoped to the site; their numbers are in
test_stats_consistency.py."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.accounts import Account, register
from tracking_system.tracking.goals import MAX_GOALS, page_matches


@pytest.fixture
def account(api: httpx.Client) -> Account:
    return register(api)


def _post(api: httpx.Client, account: Account, body: dict[str, Any], **params: Any) -> Any:
    return api.post("/api/v1/goals", json=body, params=params, headers=account.auth())


def test_a_goal_is_kept_listed_changed_and_removed(api: httpx.Client, account: Account) -> None:
    created = _post(api, account, {"name": "Signed up", "kind": "event", "match": "signup"})
    assert created.status_code == 201, created.text
    goal = created.json()["data"]
    assert {k: goal[k] for k in ("name", "kind", "match")} == {
        "name": "Signed up", "kind": "event", "match": "signup"}  # fmt: skip
    assert goal["id"]
    assert goal["createdAt"].endswith("Z")
    page = _post(api, account, {"name": "Read the blog", "kind": "page", "match": "/blog/*"})
    assert page.status_code == 201
    listed = api.get("/api/v1/goals", headers=account.auth()).json()["data"]
    assert [g["name"] for g in listed] == ["Signed up", "Read the blog"]

    changed = api.patch(f"/api/v1/goals/{goal['id']}", json={"match": "Sign up"},
                        headers=account.auth())  # fmt: skip
    assert changed.status_code == 200
    assert changed.json()["data"] == {**goal, "match": "Sign up"}
    assert api.delete(f"/api/v1/goals/{goal['id']}", headers=account.auth()).status_code == 204
    listed = api.get("/api/v1/goals", headers=account.auth()).json()["data"]
    assert [g["name"] for g in listed] == ["Read the blog"]
    again = api.delete(f"/api/v1/goals/{goal['id']}", headers=account.auth())
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "kind": "event", "match": "x"}, "name"),
        ({"name": "x", "kind": "visit", "match": "x"}, "kind"),
        ({"name": "x", "kind": "event", "match": "  "}, "match"),
        ({"name": "x", "kind": "page", "match": "blog"}, "match"),
        ({"name": "x\u0007", "kind": "event", "match": "x"}, "name"),
        ({"name": "x", "kind": "event", "match": "x" * 513}, "match"),
        ({"name": "x", "kind": "event"}, "match"),
        ({"name": "x", "kind": "event", "match": "x", "extra": 1}, "extra"),
    ],
)
def test_a_bad_goal_is_400_naming_the_field_and_nothing_is_kept(
    api: httpx.Client, account: Account, body: dict[str, Any], field: str
) -> None:
    response = _post(api, account, body)
    assert response.status_code == 400, response.text
    assert field in response.json()["errors"]
    assert api.get("/api/v1/goals", headers=account.auth()).json()["data"] == []


def test_a_site_has_at_most_the_goal_limit(api: httpx.Client, account: Account) -> None:
    for i in range(MAX_GOALS):
        assert (
            _post(api, account, {"name": f"g{i}", "kind": "event", "match": "x"}).status_code == 201
        )
    refused = _post(api, account, {"name": "one more", "kind": "event", "match": "x"})
    assert refused.status_code == 409
    assert len(api.get("/api/v1/goals", headers=account.auth()).json()["data"]) == MAX_GOALS


def test_goals_belong_to_their_site(api: httpx.Client, account: Account) -> None:
    second = api.post("/api/v1/sites", json={"name": "Second", "timezone": "UTC"},
                      headers=account.auth()).json()["data"]  # fmt: skip
    goal = _post(api, account, {"name": "g", "kind": "event", "match": "x"},
                 site=second["id"]).json()["data"]  # fmt: skip
    assert api.get("/api/v1/goals", headers=account.auth()).json()["data"] == []
    theirs = api.get("/api/v1/goals", params={"site": second["id"]}, headers=account.auth())
    assert [g["id"] for g in theirs.json()["data"]] == [goal["id"]]
    other = register(api)
    for response in (
        api.get("/api/v1/goals", params={"site": second["id"]}, headers=other.auth()),
        api.delete(f"/api/v1/goals/{goal['id']}", params={"site": second["id"]},
                   headers=other.auth()),
    ):  # fmt: skip
        assert response.status_code == 404
    # Another account's goal id on one's own site is simply not there.
    assert api.delete(f"/api/v1/goals/{goal['id']}", headers=other.auth()).status_code == 404


def test_goals_need_a_sign_in(api: httpx.Client) -> None:
    assert api.get("/api/v1/goals").status_code == 401


@pytest.mark.parametrize(
    ("match", "path", "expected"),
    [
        ("/blog/*", "/blog/launch", True),
        ("/blog/*", "/blog/", True),
        ("/blog/*", "/blog", False),
        ("/*/launch", "/blog/launch", True),
        ("/pricing", "/pricing", True),
        ("/pricing", "/pricing/x", False),
        ("/a.b", "/aXb", False),
        ("/a?b", "/a?b", True),
    ],
)
def test_a_page_goal_matches_its_pattern_only(match: str, path: str, expected: bool) -> None:
    assert page_matches(match, path) is expected
