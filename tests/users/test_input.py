"""Every bad input to the Accounts API is a 400 that names the field and says what is allowed."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.support.accounts import PASSWORD, fresh_email, fresh_ip, register

PASSWORD_LENGTH = "Password must be 8 to 128 characters"
HUGE = "p" * 10_000


def _post(api: httpx.Client, path: str, body: Any, **headers: str) -> httpx.Response:
    # JSON with \u escapes (the stdlib's default), so lone surrogates reach the server as JSON
    # allows them; httpx's own encoding cannot write them.
    return api.post(path, content=json.dumps(body),
                    headers={"Content-Type": "application/json", "X-Forwarded-For": fresh_ip(),
                             **headers})  # fmt: skip


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"email": "a@example.com", "password": HUGE}, {"password": PASSWORD_LENGTH}),
        ({"email": HUGE, "password": PASSWORD}, {"email": "Email must be at most 254 characters"}),
        ({"email": "", "password": PASSWORD}, {"email": "Enter your email"}),
        ({"email": "a@example.com", "password": ""}, {"password": "Enter your password"}),
    ],
)
def test_bad_sign_in_fields_are_named(
    api: httpx.Client, body: dict[str, str], errors: dict[str, str]
) -> None:
    response = _post(api, "/api/v1/auth/login", body)
    assert response.status_code == 400
    assert response.json() == {"data": None, "errors": errors}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"currentPassword": PASSWORD, "newPassword": HUGE}, {"newPassword": PASSWORD_LENGTH}),
        ({"currentPassword": HUGE, "newPassword": "a new password"},
         {"currentPassword": PASSWORD_LENGTH}),
        ({"currentPassword": PASSWORD, "newPassword": "a new password", "confirmPassword": HUGE},
         {"confirmPassword": PASSWORD_LENGTH}),
        ({"name": HUGE}, {"name": "Name must be 1 to 256 characters"}),
        ({"name": "Ada\u202e"},
         {"name": "Name must not contain control characters or text-direction overrides"}),
        ({"timezone": HUGE},
         {"timezone": "Unknown time zone: use an IANA name such as Europe/Berlin"}),
    ],
)  # fmt: skip
def test_bad_profile_fields_are_named_and_change_nothing(
    api: httpx.Client, body: dict[str, str], errors: dict[str, str]
) -> None:
    account = register(api)
    response = api.patch("/api/v1/users/me", json=body, headers=account.auth())
    assert response.status_code == 400
    assert response.json() == {"data": None, "errors": errors}
    assert api.get("/api/v1/users/me", headers=account.auth()).json()["data"] == account.user
    assert _post(
        api, "/api/v1/auth/login", {"email": account.email, "password": PASSWORD}
    ).is_success


def test_an_over_long_refresh_token_is_named(api: httpx.Client) -> None:
    response = _post(api, "/api/v1/auth/refresh", {"refreshToken": HUGE})
    assert response.status_code == 400
    assert response.json() == {"data": None, "errors": {"refreshToken": "Not a refresh token"}}


@pytest.mark.parametrize(
    ("path", "raw", "field"),
    [
        ("/api/v1/auth/register",
         b'{"name": "A\\ud800", "email": "s@example.com", "password": "long enough"}', "name"),
        ("/api/v1/auth/register",
         b'{"name": "A", "email": "s\\udfff@example.com", "password": "long enough"}', "email"),
        ("/api/v1/auth/register",
         b'{"name": "A", "email": "s@example.com", "password": "long \\ud800enough"}', "password"),
        ("/api/v1/auth/login", b'{"email": "s@example.com", "password": "\\ud800"}', "password"),
        ("/api/v1/auth/login", b'{"email": "\\ud800@example.com", "password": "x"}', "email"),
        ("/api/v1/auth/refresh", b'{"refreshToken": "\\ud800"}', "refreshToken"),
    ],
)  # fmt: skip
def test_lone_surrogates_are_a_400_on_their_field(
    api: httpx.Client, path: str, raw: bytes, field: str
) -> None:
    response = api.post(
        path,
        content=raw,
        headers={"Content-Type": "application/json", "X-Forwarded-For": fresh_ip()},
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {field}


# Any JSON value, strings of any code points (lone surrogates, controls, overrides) included.
_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=300)
_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=5,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(field=st.sampled_from(["name", "email", "password", "confirmPassword", "timezone"]),
       value=_json | _text)  # fmt: skip
@example(field="name", value="\ud800")  # a lone surrogate: once a client-side encoding error
def test_any_value_of_a_registration_field_is_accepted_or_named(
    api: httpx.Client, field: str, value: Any
) -> None:
    body = {"name": "Ada", "email": fresh_email("fuzz"), "password": PASSWORD, field: value}
    response = _post(api, "/api/v1/auth/register", body)
    assert response.status_code in (201, 400, 409), response.text
    if response.status_code == 400:
        errors = response.json()["errors"]
        assert set(errors) == {field}, errors
        assert all(isinstance(m, str) and m for m in errors.values()), errors
