"""Turn what an SIS answered (or failed to answer) into the sisbridge `SisError` subclasses.

    HTTP 401                    → SisAuthRejected
    HTTP 403                    → SisForbidden
    HTTP 404                    → SisNotFound
    HTTP 400/409/422, other 4xx → SisInvalidData   (405/501: code_minor "unsupportedoperation")
    HTTP 408, read/write/pool timeouts → SisTimeout
    HTTP 429                    → SisRateLimited(retry_after)
    HTTP 5xx, connect errors, resets   → SisUnavailable (details["retry_after"] on a 503 that says)
    3xx, non-JSON or mis-shaped 2xx    → SisProtocolError

Error bodies are parsed leniently: 1.1 `imsx_StatusInfo` (flat or wrapped), 1.2 `imsx_CodeMinor`
variants, `statusInfoSet`, OAuth `error`/`error_description`, plain text, HTML, empty. Every
error carries the SIS's own words (truncated), the minor code, and a URL with credentials and
unknown query values removed; known secrets are scrubbed from every string we keep.
"""

from __future__ import annotations

import html
import re
import socket
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

import httpx2

from sisbridge.errors import (
    SisTlsError,
    SisUnreachable,
    SisAuthRejected,
    SisError,
    SisForbidden,
    SisInvalidData,
    SisNotFound,
    SisProtocolError,
    SisRateLimited,
    SisTimeout,
    SisUnavailable,
)

__all__ = [
    "DESCRIPTION_MAX",
    "Redactor",
    "StatusInfo",
    "error_for_response",
    "error_for_transport",
    "failure_in_success",
    "parse_retry_after",
    "parse_status_info",
    "protocol_error",
]

DESCRIPTION_MAX = 500
# Query parameters whose values are kept in error URLs; every other value is replaced.
SAFE_QUERY_KEYS = frozenset({"limit", "offset", "filter", "sort", "orderby", "fields", "appname"})
REDACTED = "REDACTED"


class Redactor:
    """Scrubs the connection's secrets (secret code, tokens, vendor keys) from text we keep."""

    __slots__ = ("_secrets",)

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: set[str] = set()
        for s in secrets:
            self.add(s)

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 4:  # scrubbing 1-3 chars would mangle ordinary words
            self._secrets.add(secret)

    def text(self, value: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value

    def url(self, url: str | httpx2.URL) -> str:
        """The URL without userinfo or fragment, and with only known-safe query values kept."""
        parts = urlsplit(str(url))
        netloc = parts.hostname or ""
        if ":" in netloc:  # IPv6 literal
            netloc = f"[{netloc}]"
        if parts.port:
            netloc = f"{netloc}:{parts.port}"
        query = "&".join(
            f"{quote(k, safe='')}={quote(v, safe='') if k.lower() in SAFE_QUERY_KEYS else REDACTED}"
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        )
        return self.text(urlunsplit((parts.scheme, netloc, parts.path, query, "")))


@dataclass(frozen=True, slots=True)
class StatusInfo:
    """The parts of an imsx status (or any error body) sisbridge reports."""

    code_major: str | None = None
    severity: str | None = None
    description: str | None = None
    code_minor: str | None = None


def _ci_get(obj: Mapping[str, Any], *names: str) -> Any:
    """Case-insensitive lookup of the first of `names` present in `obj`."""
    lowered = {str(k).lower(): v for k, v in obj.items()}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _code_minor(value: Any) -> str | None:
    """`imsx_CodeMinor` comes as {imsx_codeMinorField: [..] | {..}}, a list, or a flat string."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, Mapping):
        inner = _ci_get(value, "imsx_codeMinorField", "codeMinorField")
        if inner is not None:
            return _code_minor(inner)
        return _as_text(_ci_get(value, "imsx_codeMinorFieldValue", "codeMinorFieldValue", "value"))
    if isinstance(value, list):
        for item in value:
            found = _code_minor(item)
            if found:
                return found
    return None


def _from_mapping(obj: Mapping[str, Any]) -> StatusInfo | None:
    wrapped = _ci_get(obj, "imsx_StatusInfo", "statusInfo")
    if isinstance(wrapped, Mapping):
        return _from_mapping(wrapped)
    if isinstance(wrapped, list):
        return _first_info(wrapped)
    info_set = _ci_get(obj, "statusInfoSet", "imsx_statusInfoSet")
    if info_set is not None:
        if isinstance(info_set, Mapping):
            info_set = _ci_get(info_set, "imsx_StatusInfo", "statusInfo") or [info_set]
        if isinstance(info_set, Mapping):
            info_set = [info_set]
        if isinstance(info_set, list):
            found = _first_info(info_set)
            if found:
                return found
    major = _as_text(_ci_get(obj, "imsx_codeMajor", "codeMajor"))
    severity = _as_text(_ci_get(obj, "imsx_severity", "severity"))
    description = _as_text(_ci_get(obj, "imsx_description", "description", "error_description",
                                    "message", "detail", "title"))
    minor = _code_minor(_ci_get(obj, "imsx_CodeMinor", "imsx_codeMinor", "codeMinor"))
    if minor is None:
        minor = _as_text(_ci_get(obj, "error", "code"))
    if not any((major, severity, description, minor)):
        return None
    return StatusInfo(code_major=major, severity=severity, description=description, code_minor=minor)


def _first_info(items: list[Any]) -> StatusInfo | None:
    """Of several status infos, the first that is not a success."""
    infos = [i for i in (_from_mapping(x) for x in items if isinstance(x, Mapping)) if i]
    for info in infos:
        if (info.code_major or "").lower() != "success":
            return info
    return infos[0] if infos else None


_TITLE_RE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAG_RE = re.compile(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", re.IGNORECASE | re.DOTALL)


def _plain(text: str) -> str | None:
    """Readable words from a plain-text or HTML body."""
    if "<" in text and ">" in text:
        title = _TITLE_RE.search(text)
        text = title.group(1) if title else _TAG_RE.sub(" ", text)
        text = html.unescape(text)
    text = " ".join(text.split())
    return text or None


def parse_status_info(body: Any) -> StatusInfo | None:
    """Best-effort reading of an error body (already-decoded JSON, or text); never raises."""
    if isinstance(body, Mapping):
        return _from_mapping(body)
    if isinstance(body, list):
        return _first_info(body)
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if isinstance(body, str):
        plain = _plain(body)
        return StatusInfo(description=plain) if plain else None
    return None


def _truncate(text: str | None, limit: int = DESCRIPTION_MAX) -> str | None:
    if text is None:
        return None
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date; None if unusable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(0.0, seconds)


def _body_info(response: httpx2.Response) -> StatusInfo | None:
    try:
        content = response.content
    except httpx2.ResponseNotRead:  # streamed and unread: no body to report
        return None
    if not content:
        return None
    try:
        decoded: Any = response.json()
    except ValueError:
        decoded = content
    return parse_status_info(decoded)


def error_for_response(response: httpx2.Response, *, operation: str, redactor: Redactor,
                       what: str | None = None) -> SisError:
    """The SisError for a non-2xx answer. `operation` is e.g. "PUT lineItems/li-1"."""
    status = response.status_code
    info = _body_info(response) or StatusInfo()
    description = _truncate(redactor.text(info.description)) if info.description else None
    minor = _truncate(redactor.text(info.code_minor), 80) if info.code_minor else None
    url = redactor.url(response.request.url) if _has_request(response) else None
    said = f": {description}" if description else ""
    subject = what or operation
    common: dict[str, Any] = {"http_status": status, "sis_description": description,
                              "code_minor": minor, "url": url}
    if status == 401:
        return SisAuthRejected(f"The SIS refused the credentials for {subject} (HTTP 401){said}", **common)
    if status == 403:
        return SisForbidden(f"The SIS forbids {subject} (HTTP 403){said}", **common)
    if status == 404:
        return SisNotFound(f"The SIS has no {subject} (HTTP 404){said}", **common)
    if status == 408:
        return SisTimeout(f"The SIS timed out on {subject} (HTTP 408){said}", **common)
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return SisRateLimited(f"The SIS is throttling {subject} (HTTP 429){said}",
                              retry_after=retry_after, **common)
    if status in (405, 501):
        common["code_minor"] = minor or "unsupportedoperation"
        return SisInvalidData(f"The SIS does not support {subject} (HTTP {status}){said}", **common)
    if status >= 500:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if retry_after is not None:
            common["retry_after"] = retry_after  # kept in details; the retry policy reads it
        return SisUnavailable(f"The SIS failed on {subject} (HTTP {status}){said}", **common)
    if 400 <= status < 500:
        return SisInvalidData(f"The SIS refused {subject} (HTTP {status}){said}", **common)
    if 300 <= status < 400:
        location = response.headers.get("Location")
        where = f" to {redactor.url(location)}" if location else ""
        return SisProtocolError(
            f"The SIS redirected {subject}{where} (HTTP {status}); "
            "check that the host URL is its API address",
            **common)
    return SisProtocolError(f"Unexpected HTTP {status} for {subject}{said}", **common)


def failure_in_success(response: httpx2.Response) -> StatusInfo | None:
    """A 2xx whose body is a top-level imsx *failure* status: some providers refuse writes that way."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, Mapping):
        return None
    info = _from_mapping(body) if _ci_get(body, "imsx_codeMajor", "imsx_StatusInfo") is not None else None
    return info if info is not None and (info.code_major or "").lower() == "failure" else None


def _has_request(response: httpx2.Response) -> bool:
    try:
        response.request  # noqa: B018 (raises when the response was built without one)
    except RuntimeError:
        return False
    return True


def protocol_error(problem: str, *, operation: str, response: httpx2.Response | None = None,
                   redactor: Redactor, field: str | None = None) -> SisProtocolError:
    """A reply that is not OneRoster: not JSON, wrong envelope, malformed required field."""
    description = None
    if response is not None:
        try:
            description = _truncate(redactor.text(_plain(response.text) or "")) or None
        except httpx2.ResponseNotRead:
            description = None
    url = redactor.url(response.request.url) if response is not None and _has_request(response) else None
    details: dict[str, Any] = {"field": field} if field else {}
    return SisProtocolError(
        f"The SIS answer to {operation} is not OneRoster: {problem}",
        http_status=response.status_code if response is not None else None,
        sis_description=description, url=url, **details,
    )


def error_for_transport(exc: httpx2.HTTPError, *, operation: str, url: str | httpx2.URL,
                        redactor: Redactor, timeout: float | None = None) -> SisError:
    """The SisError for a request that got no HTTP answer (timeout, refused, reset)."""
    safe_url = redactor.url(url)
    reason = redactor.text(str(exc))[:200] or type(exc).__name__
    if isinstance(exc, httpx2.TimeoutException):
        limit = f" within {timeout:g} s" if timeout else ""
        return SisTimeout(f"The SIS did not answer {operation}{limit} ({type(exc).__name__})", url=safe_url)
    if _caused_by_tls(exc):
        return SisTlsError(f"The TLS handshake with the SIS failed during {operation}: {reason}", url=safe_url)
    if _caused_by_dns(exc):
        return SisUnreachable(f"The SIS host could not be found (DNS) during {operation}: {reason}", url=safe_url)
    if isinstance(exc, httpx2.ConnectError):
        return SisUnavailable(f"Could not connect to the SIS for {operation}: {reason}", url=safe_url)
    if isinstance(exc, httpx2.TransportError):
        return SisUnavailable(f"The connection to the SIS failed during {operation}: {reason}", url=safe_url)
    return SisProtocolError(f"The SIS answer to {operation} could not be read: {reason}", url=safe_url)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _caused_by_tls(exc: BaseException) -> bool:
    return any(isinstance(e, ssl.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(e) for e in _chain(exc))


def _caused_by_dns(exc: BaseException) -> bool:
    markers = ("Name or service not known", "nodename nor servname", "Temporary failure in name resolution",
               "No address associated with hostname", "getaddrinfo failed")
    return any(isinstance(e, socket.gaierror) or any(m in str(e) for m in markers) for e in _chain(exc))
