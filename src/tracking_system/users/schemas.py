"""Request and response bodies of the Accounts API, with the contract's field messages."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated
from urllib.parse import urlsplit

import idna
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from tracking_system.common.domains import normalize_domain
from tracking_system.common.zones import DEFAULT_ZONE, ZONE_NAMES

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_ORIGINS = 50
MAX_EMAIL = 254
# No address this long shortens to MAX_EMAIL by normalisation (composition merges at most three
# code points into one), so longer input is refused before any work is spent on it.
_MAX_RAW_EMAIL = 1024
MAX_NAME = 256
MIN_PASSWORD, MAX_PASSWORD = 8, 128
MAX_ORIGIN = 2048
MAX_REFRESH_TOKEN = 512
PASSWORD_LENGTH = f"Password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters"
# Embedding and override controls reorder how text around them is shown (a name that reads as
# someone else's, "Trojan Source"); marks such as U+200E that only nudge direction stay allowed.
_BIDI_CONTROLS = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))


def normalize_email(value: str) -> str:
    """The one spelling an email is stored and looked up under: NFKC, case-folded, trimmed."""
    # NFC and NFD `é` become one; full-width U+FF41 and `A` become `a`. On ASCII this is exactly
    # lower(), so accounts registered before keep their reservation key (keys.user_email).
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    return folded.strip()


def _unicode(value: str) -> str:
    """Refuse what JSON can carry but Unicode text cannot hold: a lone surrogate (`\\ud800`)."""
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("Contains an invalid character (a lone surrogate)") from None
    return value


def _is_control(char: str) -> bool:
    """True for C0/C1 control characters (NUL, newline, DEL, ...)."""
    return unicodedata.category(char) == "Cc"


def _email(value: str) -> str:
    if len(value) > _MAX_RAW_EMAIL:
        raise ValueError(f"Email must be at most {MAX_EMAIL} characters")
    value = normalize_email(value)
    if len(value) > MAX_EMAIL:
        raise ValueError(f"Email must be at most {MAX_EMAIL} characters")
    # Format characters (zero-width, direction controls) would make look-alike addresses.
    if not EMAIL_RE.match(value) or any(unicodedata.category(c) in ("Cc", "Cf") for c in value):
        raise ValueError("Enter a valid email")
    return value


def _login_email(value: str) -> str:
    if not value.strip():
        raise ValueError("Enter your email")
    if len(value) > _MAX_RAW_EMAIL:
        raise ValueError(f"Email must be at most {MAX_EMAIL} characters")
    return value


def _name(value: str) -> str:
    value = value.strip()
    if not 1 <= len(value) <= MAX_NAME:
        raise ValueError(f"Name must be 1 to {MAX_NAME} characters")
    if any(_is_control(c) or c in _BIDI_CONTROLS for c in value):
        raise ValueError("Name must not contain control characters or text-direction overrides")
    return value


def _password(value: str) -> str:
    if not MIN_PASSWORD <= len(value) <= MAX_PASSWORD:
        raise ValueError(PASSWORD_LENGTH)
    return value


def _given_password(value: str) -> str:
    """A password typed to be checked (sign-in, current, confirmation): any possible length."""
    if not value:
        raise ValueError("Enter your password")
    if len(value) > MAX_PASSWORD:
        raise ValueError(PASSWORD_LENGTH)
    return value


def _refresh_token(value: str) -> str:
    if not 1 <= len(value) <= MAX_REFRESH_TOKEN:
        raise ValueError("Not a refresh token")
    return value


def _timezone(value: str) -> str:
    if value not in ZONE_NAMES:
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
    host = parts.hostname.lower()
    if not host.isascii():  # browsers send internationalised hosts as punycode
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise ValueError(f"Not a valid host name: {value[:100]}") from exc
    return f"{parts.scheme}://{host}{port}"


def _origins(values: list[str]) -> list[str]:
    if len(values) > MAX_ORIGINS:
        raise ValueError(f"At most {MAX_ORIGINS} origins")
    out: list[str] = []
    for value in values:
        if len(value) > MAX_ORIGIN:
            raise ValueError(f"An origin is at most {MAX_ORIGIN} characters: {value[:100]}")
        origin = normalize_origin(value)
        if origin not in out:
            out.append(origin)
    return out


def _domain(value: str | None) -> str | None:
    if value is None or value.strip() == "":
        return None
    if len(value) > MAX_ORIGIN:
        raise ValueError(f"Not a domain name (like example.com): {value[:100]}")
    return normalize_domain(value)


# Lengths are checked by the validators, so an over-long value gets the field's own message
# ("Password must be 8 to 128 characters") rather than a generic one; the gateway bounds the
# body (GATEWAY_MAX_BODY_BYTES) before any of it is read.
Text = Annotated[str, AfterValidator(_unicode)]
Email = Annotated[Text, Field(json_schema_extra={"maxLength": MAX_EMAIL}), AfterValidator(_email)]
LoginEmail = Annotated[
    Text, Field(json_schema_extra={"minLength": 1}), AfterValidator(_login_email)
]
Name = Annotated[
    Text, Field(json_schema_extra={"minLength": 1, "maxLength": MAX_NAME}), AfterValidator(_name)
]
Password = Annotated[
    Text,
    Field(json_schema_extra={"minLength": MIN_PASSWORD, "maxLength": MAX_PASSWORD}),
    AfterValidator(_password),
]
GivenPassword = Annotated[
    Text,
    Field(json_schema_extra={"minLength": 1, "maxLength": MAX_PASSWORD}),
    AfterValidator(_given_password),
]
RefreshToken = Annotated[
    Text,
    Field(json_schema_extra={"minLength": 1, "maxLength": MAX_REFRESH_TOKEN}),
    AfterValidator(_refresh_token),
]
Timezone = Annotated[Text, AfterValidator(_timezone)]
Origins = Annotated[list[Text], AfterValidator(_origins)]
Domain = Annotated[Text | None, AfterValidator(_domain)]
RetentionDays = Annotated[
    int,
    Field(strict=True, ge=1, le=36_500,
          description="Days of raw events the site keeps (null: forever); the rollups stay"),
]  # fmt: skip


class _Body(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=False, extra="ignore")


class RegisterRequest(_Body):
    name: Name
    email: Email
    password: Password
    confirmPassword: GivenPassword | None = None
    timezone: Timezone = DEFAULT_ZONE


class LoginRequest(_Body):
    email: LoginEmail
    password: GivenPassword


class RefreshRequest(_Body):
    refreshToken: RefreshToken


class LogoutRequest(_Body):
    refreshToken: RefreshToken | None = None


class UpdateMeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    timezone: Timezone | None = None
    allowedOrigins: Origins | None = None
    currentPassword: GivenPassword | None = None
    newPassword: Password | None = None
    confirmPassword: GivenPassword | None = None

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
    timezone: Timezone = DEFAULT_ZONE
    allowedOrigins: Origins = Field(default_factory=list)
    retentionDays: RetentionDays | None = None


class UpdateSiteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    domain: Domain = None
    timezone: Timezone | None = None
    allowedOrigins: Origins | None = None
    retentionDays: RetentionDays | None = None


class SiteOut(BaseModel):
    id: str
    name: str
    domain: str | None
    apiKey: str
    timezone: str
    allowedOrigins: list[str]
    retentionDays: int | None = None
    createdAt: str
    updatedAt: str | None


class SessionOut(BaseModel):
    user: UserOut
    accessToken: str
    refreshToken: str
    expiresOn: str


class ApiKeyOut(BaseModel):
    apiKey: str
