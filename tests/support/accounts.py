"""Helpers to create accounts through the real gateway."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

_ip_counter = itertools.count(1)
PASSWORD = "correct horse battery"


def fresh_ip() -> str:
    """A client address no other test uses (documentation range), sent as X-Forwarded-For."""
    n = next(_ip_counter)
    return f"198.51.{n // 250}.{n % 250 + 1}"


def fresh_email(tag: str = "user") -> str:
    """A unique email address."""
    return f"{tag}-{uuid.uuid4().hex[:12]}@example.com"


@dataclass
class Account:
    email: str
    password: str
    session: dict[str, Any]
    ip: str

    @property
    def access_token(self) -> str:
        """The current access token."""
        return str(self.session["accessToken"])

    @property
    def user(self) -> dict[str, Any]:
        """The user as returned by the API."""
        user: dict[str, Any] = self.session["user"]
        return user

    def auth(self) -> dict[str, str]:
        """Headers of a signed-in request from this account's address."""
        return {"Authorization": f"Bearer {self.access_token}", "X-Forwarded-For": self.ip}


def register(client: httpx.Client, **fields: Any) -> Account:
    """Register a new account with sensible defaults, asserting success."""
    ip = fields.pop("ip", None) or fresh_ip()
    body = {"name": "Test User", "email": fresh_email(), "password": PASSWORD, **fields}
    response = client.post("/api/v1/auth/register", json=body, headers={"X-Forwarded-For": ip})
    assert response.status_code == 201, response.text
    return Account(
        email=body["email"], password=body["password"], session=response.json()["data"], ip=ip
    )
