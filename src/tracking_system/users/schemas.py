"""Request and response bodies of the Accounts API, with the contract's field messages."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import available_timezones

import idna
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TIMEZONES = frozenset(available_timezones()) | {"UTC"}
MAX_ORIGINS = 50


def _email(value: str) -> str:
    value = value.strip().lower()
    if len(value) > 254 or not EMAIL_RE.match(value):
        raise ValueError("Enter a valid email")
    return value


def _name(value: str) -> str:
    value = value.strip()
    if not 1 <= len(value) <= 256:
        raise ValueError("Name must be 1 to 256 characters")
    return value


def _password(value: str) -> str:
    if not 8 <= len(value) <= 128:
        raise ValueError("Password must be 8 to 128 characters")
    return value


def _timezone(value: str) -> str:
    if value not in _TIMEZONES:
        raise ValueError("Unknown time zone: use an IANA name such as Europe/Berlin")
    return value


def normalize_origin(value: str) -> str:
    """`scheme://host[:port]`, lower-cased, or ValueError."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"Not an origin (like https://example.com): {value[:100]}")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"An origin has no path, query or credentials: {value[:100]}")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def _origins(values: list[str]) -> list[str]:
    if len(values) > MAX_ORIGINS:
        raise ValueError(f"At most {MAX_ORIGINS} origins")
    out: list[str] = []
    for value in values:
        origin = normalize_origin(value)
        if origin not in out:
            out.append(origin)
    return out


_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalize_domain(value: str) -> str:
    """A bare host name: lower-cased, without scheme, path, port or a leading `www.`; IDN as
    punycode (what browsers and trackers send)."""
    text = value.strip()
    if "://" in text:
        text = urlsplit(text).netloc
    text = text.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    text = text.rsplit("@", 1)[-1]
    if text.count(":") == 1:
        text = text.split(":", 1)[0]
    text = text.rstrip(".").lower()
    try:
        text = idna.encode(text, uts46=True).decode("ascii") if text else text
    except idna.IDNAError as exc:
        raise ValueError(f"Not a valid domain: {value[:100]}") from exc
    text = text.removeprefix("www.")
    labels = text.split(".")
    if len(text) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError(f"Not a domain name (like example.com): {value[:100]}")
    return text


def _domain(value: str | None) -> str | None:
    if value is None or value.strip() == "":
        return None
    return normalize_domain(value)


Email = Annotated[str, Field(max_length=1024), AfterValidator(_email)]
Name = Annotated[str, Field(max_length=4096), AfterValidator(_name)]
Password = Annotated[str, Field(max_length=4096), AfterValidator(_password)]
Timezone = Annotated[str, Field(max_length=128), AfterValidator(_timezone)]
Origins = Annotated[list[Annotated[str, Field(max_length=2048)]], AfterValidator(_origins)]
Domain = Annotated[str | None, Field(max_length=2048), AfterValidator(_domain)]


class _Body(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=False, extra="ignore")


class RegisterRequest(_Body):
    name: Name
    email: Email
    password: Password
    confirmPassword: str | None = Field(default=None, max_length=4096)
    timezone: Timezone = "UTC"


class LoginRequest(_Body):
    email: Annotated[str, Field(min_length=1, max_length=1024)]
    password: Annotated[str, Field(min_length=1, max_length=4096)]


class RefreshRequest(_Body):
    refreshToken: Annotated[str, Field(min_length=1, max_length=512)]


class LogoutRequest(_Body):
    refreshToken: Annotated[str, Field(max_length=512)] | None = None


class UpdateMeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    timezone: Timezone | None = None
    allowedOrigins: Origins | None = None
    currentPassword: Annotated[str, Field(max_length=4096)] | None = None
    newPassword: Password | None = None
    confirmPassword: Annotated[str, Field(max_length=4096)] | None = None

    @property
    def changes_password(self) -> bool:
        """True when the request asks for a new password."""
        return self.newPassword is not None


class UserOut(BaseModel):
    id: str
    name: str
    email: str
    apiKey: str
    timezone: str
    allowedOrigins: list[str]
    createdAt: str
    updatedAt: str | None


class CreateSiteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    domain: Domain = None
    timezone: Timezone = "UTC"
    allowedOrigins: Origins = Field(default_factory=list)


class UpdateSiteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    domain: Domain = None
    timezone: Timezone | None = None
    allowedOrigins: Origins | None = None


class SiteOut(BaseModel):
    id: str
    name: str
    domain: str | None
    apiKey: str
    timezone: str
    allowedOrigins: list[str]
    createdAt: str
    updatedAt: str | None


class SessionOut(BaseModel):
    user: UserOut
    accessToken: str
    refreshToken: str
    expiresOn: str


class ApiKeyOut(BaseModel):
    apiKey: str
