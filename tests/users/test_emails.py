"""Emails are NFKC-normalised and case-folded: every spelling of an address is one account."""

from __future__ import annotations

import unicodedata
import uuid

import httpx
import pytest
import redis
from hypothesis import given
from hypothesis import strategies as st

from tests.support.accounts import PASSWORD, fresh_ip, register
from tracking_system.common import keys
from tracking_system.users.schemas import normalize_email


def _register(api: httpx.Client, email: str) -> httpx.Response:
    return api.post(
        "/api/v1/auth/register",
        json={"name": "Spelling", "email": email, "password": PASSWORD},
        headers={"X-Forwarded-For": fresh_ip()},
    )


def _login(api: httpx.Client, email: str) -> httpx.Response:
    return api.post(
        "/api/v1/auth/login",
        json={"email": email, "password": PASSWORD},
        headers={"X-Forwarded-For": fresh_ip()},
    )


def _full_width(text: str) -> str:
    """ASCII letters as their full-width forms (U+FF21...), like some IMEs type them."""
    return "".join(chr(ord(c) - 0x21 + 0xFF01) if c.isascii() and c.isalpha() else c
                   for c in text)  # fmt: skip


def _spellings() -> tuple[str, list[str]]:
    """One address with an `é` in its NFC spelling, and other spellings of it."""
    tag = uuid.uuid4().hex[:8]
    nfc = unicodedata.normalize("NFC", f"caf\u00e9-{tag}@example.com")
    nfd = unicodedata.normalize("NFD", nfc)
    return nfc, [nfd, nfc.upper(), nfd.upper(), _full_width(nfc), f"\u3000{_full_width(nfd)} "]


def test_every_spelling_of_an_address_is_one_account(api: httpx.Client) -> None:
    nfc, others = _spellings()
    created = _register(api, others[0])  # registered with the decomposed (NFD) spelling
    assert created.status_code == 201, created.text
    user = created.json()["data"]["user"]
    assert user["email"] == nfc  # stored composed and lower-case
    for spelling in [nfc, *others[1:]]:
        taken = _register(api, spelling)
        assert taken.status_code == 409, (spelling, taken.text)
        assert "email" in taken.json()["errors"]
    for spelling in [nfc, *others]:
        signed_in = _login(api, spelling)
        assert signed_in.status_code == 200, (spelling, signed_in.text)
        assert signed_in.json()["data"]["user"]["id"] == user["id"]


def test_full_width_address_is_the_ascii_one(api: httpx.Client) -> None:
    account = register(api)
    assert _register(api, _full_width(account.email)).status_code == 409
    assert (
        _login(api, _full_width(account.email).upper()).json()["data"]["user"]["id"]
        == (account.user["id"])
    )


def test_an_ascii_address_keeps_its_reservation_key(
    api: httpx.Client, redis_sync: redis.Redis
) -> None:
    email = f"Mixed.Case+{uuid.uuid4().hex[:8]}@Example.COM"
    account = register(api, email=email)
    # What accounts registered before normalisation are stored under: strip().lower().
    assert redis_sync.get(keys.user_email(email.lower())) == account.user["id"]
    assert account.user["email"] == email.lower()


def test_an_account_reserved_under_its_old_lower_cased_spelling_still_signs_in(
    api: httpx.Client, redis_sync: redis.Redis
) -> None:
    # Before normalisation, `Straße@…` was reserved as `straße@…`; case folding now spells it
    # `strasse@…`. Move a new account's reservation back to the old key, as an old one has it.
    tag = uuid.uuid4().hex[:8]
    old_spelling = f"stra\u00dfe-{tag}@example.com"
    account = register(api, email=old_spelling)
    redis_sync.rename(keys.user_email(f"strasse-{tag}@example.com"), keys.user_email(old_spelling))
    signed_in = _login(api, f"Stra\u00dfe-{tag}@example.com")
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["data"]["user"]["id"] == account.user["id"]


@pytest.mark.parametrize(
    "email",
    ["a\u200b@example.com", "a\u202e@example.com", "a\u00ad@example.com", "a\x00@example.com",
     "a@exam ple.com"],
)  # fmt: skip
def test_invisible_or_control_characters_make_an_invalid_email(
    api: httpx.Client, email: str
) -> None:
    response = _register(api, email)
    assert response.status_code == 400
    assert response.json()["errors"] == {"email": "Enter a valid email"}


@given(st.text(max_size=40))
def test_normalising_twice_changes_nothing(text: str) -> None:
    once = normalize_email(text)
    assert normalize_email(once) == once


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_on_ascii_normalising_is_lower_casing(text: str) -> None:
    assert normalize_email(text) == text.strip().lower()
