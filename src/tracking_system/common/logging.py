"""Structured logging for every process: plain tracebacks without locals, and every secret
redacted (by field name and inside any text) before anything is written."""

from __future__ import annotations

import logging
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any, TextIO
from urllib.parse import quote

import structlog
from structlog.tracebacks import ExceptionDictTransformer

from tracking_system.common.settings import DEV_INTERNAL_SECRET

REDACTED = "[redacted]"

# A field whose name says it holds a secret has its whole value replaced.
_SECRET_KEY = re.compile(
    r"pass(word)?|secret|token|authorization|api[_-]?key|cookie|hash", re.IGNORECASE
)
# Fields that structlog or logging own: never rewritten.
_LEFT_ALONE = frozenset({"event", "level", "timestamp", "exc_info", "_record", "_from_structlog"})
# A literal secret shorter than this is not scrubbed from text (it would hit ordinary words).
MIN_LITERAL_SECRET = 8

_URLSAFE = r"A-Za-z0-9_\-"
_VALUE_END = r"\s\"',;&)\]}>"
_MARK = re.escape(REDACTED)
_SCHEME_CREDENTIALS = re.compile(r"(?P<head>\b[a-z][a-z0-9+.\-]*://[^\s:/@]*:)[^\s/@]+@", re.I)
# `Bearer <credential>`: a credential of 8+ characters, not plain lowercase words ("basic auth").
_AUTH_SCHEME = re.compile(
    rf"\b(?P<scheme>bearer|basic)(?P<gap>\s+|%20|\+)(?!{_MARK})(?P<credential>[^{_VALUE_END}]{{8,}})",
    re.I,
)
_CREDENTIAL_LOOKING = re.compile(r"[A-Z0-9\-._~+/=%]")
# `password=…`, `"apiKey": "…"`, `x-internal-token: …`, `(b'authorization', b'…')`.
_SECRET_PAIR = re.compile(
    r"(?P<key>(?P<q>[\"'])?[\w.\-]*(?:passw(?:or)?d|pwd|secret|token|authorization"
    r"|api[_\-]?key|cookie)[\w.\-]*(?(q)(?P=q)))"
    r"(?P<sep>\s*[:=]\s*|(?(q)\s*,\s*|(?!)))"
    rf"(?P<value>{_MARK}|b?\"(?:[^\"\\]|\\.)*\"|b?'(?:[^'\\]|\\.)*'"
    rf"|(?:bearer|basic)\s+(?:{_MARK}|[^{_VALUE_END}]+)|[^{_VALUE_END}]+)",
    re.IGNORECASE,
)
_API_KEY = re.compile(rf"(?<![{_URLSAFE}])ts_[{_URLSAFE}]{{16,}}")
# Access and refresh tokens: `secrets.token_urlsafe(32)`, 43 characters.
_TOKEN_LIKE = re.compile(rf"(?<![{_URLSAFE}])[{_URLSAFE}]{{43}}(?![{_URLSAFE}])")
_RANDOM_LOOKING = re.compile(r"[A-Z0-9\-]")


def _pair(match: re.Match[str]) -> str:
    """Keep a secret pair's key and separator, drop its value."""
    return f"{match['key']}{match['sep']}{REDACTED}"


def _auth_scheme(match: re.Match[str]) -> str:
    """Keep the scheme, drop a credential-looking value."""
    if not _CREDENTIAL_LOOKING.search(match["credential"]):
        return match.group(0)
    return f"{match['scheme']}{match['gap']}{REDACTED}"


def _token_like(match: re.Match[str]) -> str:
    """Redact a 43-character run unless it reads like a snake_case name."""
    text = match.group(0)
    return REDACTED if _RANDOM_LOOKING.search(text) else text


class Scrubber:
    """Removes secrets from free text: known values, bearer credentials, keys, tokens."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        literals = {s for s in secrets if len(s) >= MIN_LITERAL_SECRET}
        literals |= {quote(s, safe="") for s in literals}
        ordered = sorted(literals, key=len, reverse=True)
        self._literal = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __call__(self, text: str) -> str:
        """The text with every secret replaced by the redaction marker."""
        text = self._literals(text)
        text = _SCHEME_CREDENTIALS.sub(rf"\g<head>{REDACTED}@", text)
        text = _SECRET_PAIR.sub(_pair, text)
        return self._credentials(text)

    def credentials(self, text: str) -> str:
        """Only what looks like a credential itself (safe on source code: names are kept)."""
        return self._credentials(self._literals(text))

    def _literals(self, text: str) -> str:
        return self._literal.sub(REDACTED, text) if self._literal is not None else text

    @staticmethod
    def _credentials(text: str) -> str:
        text = _AUTH_SCHEME.sub(_auth_scheme, text)
        text = _API_KEY.sub(REDACTED, text)
        return _TOKEN_LIKE.sub(_token_like, text)

    def value(self, value: Any) -> Any:
        """A log value with its secrets removed (containers walked, objects as their repr)."""
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {k: self.field(str(k), v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self.value(v) for v in value]
        return self(repr(value))

    def field(self, name: str, value: Any) -> Any:
        """A named value: all of it when the name says secret, else what it contains."""
        if _SECRET_KEY.search(name):
            return REDACTED
        return self.value(value)


class RedactSecrets:
    """Processor: redact secret-named fields and every secret inside the other values."""

    def __init__(self, scrub: Scrubber) -> None:
        self._scrub = scrub

    def __call__(
        self, _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """Rewrite the event in place."""
        for key, value in list(event_dict.items()):
            if key == "event":
                event_dict[key] = self._scrub.value(value)
            elif key not in _LEFT_ALONE:
                event_dict[key] = self._scrub.field(key, value)
        return event_dict


_DEFAULT_REDACTOR = RedactSecrets(Scrubber())


def redact_secrets(
    logger: Any, method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Redact secrets (without knowing any configured secret value)."""
    return _DEFAULT_REDACTOR(logger, method, event_dict)


def exception_of(exc_info: Any) -> BaseException | None:
    """The exception an `exc_info` field refers to, if any."""
    if isinstance(exc_info, BaseException):
        return exc_info
    if isinstance(exc_info, tuple) and len(exc_info) == 3:
        return exc_info[1] if isinstance(exc_info[1], BaseException) else None
    if exc_info is True:
        return sys.exc_info()[1]
    return None


def _scrub_messages(te: traceback.TracebackException, scrub: Scrubber, seen: set[int]) -> None:
    """Scrub the runtime text (messages, notes) of a traceback, not its source lines."""
    if id(te) in seen:
        return
    seen.add(id(te))
    te._str = scrub(str(getattr(te, "_str", "")))  # type: ignore[attr-defined]
    if notes := getattr(te, "__notes__", None):
        te.__notes__ = [scrub(str(n)) for n in notes]
    for attribute in ("text", "msg"):
        if isinstance(text := getattr(te, attribute, None), str):
            setattr(te, attribute, scrub(text))
    linked = [te.__cause__, te.__context__, *(getattr(te, "exceptions", None) or [])]
    for other in linked:
        if isinstance(other, traceback.TracebackException):
            _scrub_messages(other, scrub, seen)


def plain_traceback(exc: BaseException, scrub: Scrubber) -> str:
    """Python's own traceback text, never with locals; messages scrubbed, credentials too."""
    te = traceback.TracebackException.from_exception(exc, capture_locals=False)
    _scrub_messages(te, scrub, set())
    return scrub.credentials("".join(te.format()).rstrip("\n"))


_DICT_TRACEBACK = ExceptionDictTransformer(show_locals=False)


def _compact(value: Any) -> Any:
    """Drop the empty and null fields of a structured traceback."""
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items() if v is not None and v != []}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


def dict_traceback(exc: BaseException, scrub: Scrubber) -> list[dict[str, Any]]:
    """structlog's structured traceback without locals (for JSON), compact and scrubbed."""
    stacks = _DICT_TRACEBACK((type(exc), exc, exc.__traceback__))
    compacted: list[dict[str, Any]] = _compact(scrub.value(stacks))
    return compacted


class RenderException:
    """Processor: replace `exc_info` with an `exception` field, cheap and without locals."""

    def __init__(self, fmt: str, scrub: Scrubber) -> None:
        self._render: Callable[[BaseException, Scrubber], Any] = (
            dict_traceback if fmt == "json" else plain_traceback
        )
        self._scrub = scrub

    def __call__(
        self, _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """Render the exception, if the event carries one."""
        exc = exception_of(event_dict.pop("exc_info", None))
        if exc is not None:
            event_dict["exception"] = self._render(exc, self._scrub)
        return event_dict


def secrets_from_env() -> list[str]:
    """The secret values every process knows of (the internal credential)."""
    return [os.environ.get("INTERNAL_SECRET") or DEV_INTERNAL_SECRET, DEV_INTERNAL_SECRET]


def shared_processors(fmt: str, secrets: Iterable[str]) -> list[Any]:
    """Processors for structlog's events and stdlib records alike; secrets go last but one."""
    scrub = Scrubber(secrets)
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        RedactSecrets(scrub),
        RenderException(fmt, scrub),
    ]


def renderer(fmt: str) -> Any:
    """JSON lines, or plain console lines whose exceptions are already rendered."""
    if fmt == "json":
        return structlog.processors.JSONRenderer()
    return structlog.dev.ConsoleRenderer(
        colors=False, exception_formatter=structlog.dev.plain_traceback
    )


def build_formatter(fmt: str, secrets: Iterable[str]) -> structlog.stdlib.ProcessorFormatter:
    """The stdlib formatter that renders every record (ours and uvicorn's) in one format."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared_processors(fmt, secrets),
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer(fmt)],
    )


def configure_logging(
    *,
    level: str = "INFO",
    fmt: str = "console",
    secrets: Iterable[str] | None = None,
    stream: TextIO | None = None,
) -> None:
    """Route structlog and stdlib logging (uvicorn's too) to stdout in one format."""
    # Values scrubbed wherever they appear; by default the internal credential.
    known = list(secrets) if secrets is not None else secrets_from_env()
    structlog.configure(
        processors=[
            *shared_processors(fmt, known),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(build_formatter(fmt, known))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
    # Access lines carry query strings, which must never leak tokens; requests are logged by
    # our own middleware instead.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
