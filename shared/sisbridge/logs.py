"""Structured logging for Cloud Logging: one JSON line per record on stdout.

Each line carries `severity`, `message`, `time`, `logger`, the request's trace
(`logging.googleapis.com/trace`, from `X-Cloud-Trace-Context` or `traceparent`), the context keys
bound for the current request, any `extra={"json_fields": {...}}`, and `stack_trace` for
exceptions (Error Reporting picks those up).

Context keys live in a `contextvars` dict: `with bind(run_id=...):` for a block, `append_keys(...)`
for the rest of the current request (`http.endpoint` opens and closes that scope).

Secrets never reach the output: `RedactingFilter` masks credential-named `key=value`,
`key: value` and `"key": "value"` fragments, `Bearer …` credentials and JWT-shaped strings in
messages; the formatter masks stack traces and credential-named `json_fields` the same way.
Modules log through `logging.getLogger(__name__)`; only `setup_logging` touches handlers.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from werkzeug.wrappers import Request

__all__ = [
    "CONTEXT_KEYS",
    "JsonFormatter",
    "RedactingFilter",
    "append_keys",
    "bind",
    "bind_request",
    "current_keys",
    "parse_trace_header",
    "redact",
    "setup_logging",
]

TRACE_KEY = "logging.googleapis.com/trace"
SPAN_KEY = "logging.googleapis.com/spanId"
SAMPLED_KEY = "logging.googleapis.com/trace_sampled"
SOURCE_KEY = "logging.googleapis.com/sourceLocation"

#: Keys that may be bound to the log context. Never bind names, emails of students or scores.
CONTEXT_KEYS = frozenset(
    {
        "tenant",
        "connection_id",
        "run_id",
        "course_id",
        "class_sourced_id",
        "task_name",
        "vendor",
        "execution_id",
        "trace_id",
        "span_id",
        "trace_sampled",
    }
)
_TRACE_FIELDS = ("trace_id", "span_id", "trace_sampled")

_SEVERITY = {
    logging.DEBUG: "DEBUG",
    logging.INFO: "INFO",
    logging.WARNING: "WARNING",
    logging.ERROR: "ERROR",
    logging.CRITICAL: "CRITICAL",
}

_context: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "sisbridge_log_context", default=MappingProxyType({})
)


# --- context -------------------------------------------------------------------------------


def _checked(keys: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(keys) - CONTEXT_KEYS
    if unknown:
        raise ValueError(
            f"not log context keys: {', '.join(sorted(unknown))}; allowed: {sorted(CONTEXT_KEYS)}"
        )
    return {k: v for k, v in keys.items() if v is not None}


@contextmanager
def bind(**keys: Any) -> Iterator[None]:
    """Add context keys to every record logged inside the block (None values are skipped)."""
    token = _context.set({**_context.get(), **_checked(keys)})
    try:
        yield
    finally:
        _context.reset(token)


def append_keys(**keys: Any) -> None:
    """Add context keys until the enclosing `bind`/`bind_request` block ends (e.g. the tenant once known)."""
    _context.set({**_context.get(), **_checked(keys)})


def current_keys() -> dict[str, Any]:
    return dict(_context.get())


@contextmanager
def bind_request(request: Request) -> Iterator[None]:
    """Open a fresh log scope for one request: its trace, Cloud Tasks task name and execution id."""
    headers = request.headers
    trace = parse_trace_header(headers.get("X-Cloud-Trace-Context"), headers.get("traceparent"))
    keys: dict[str, Any] = dict(zip(_TRACE_FIELDS, trace, strict=True)) if trace else {}
    keys["task_name"] = headers.get("X-CloudTasks-TaskName")
    keys["execution_id"] = headers.get("Function-Execution-Id")
    token = _context.set(_checked(keys))
    try:
        yield
    finally:
        _context.reset(token)


_XCLOUD = re.compile(r"^([0-9a-fA-F]{32})(?:/(\d{1,20}))?(?:;o=([01]))?$")
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def parse_trace_header(
    cloud_trace: str | None, traceparent: str | None = None
) -> tuple[str, str | None, bool] | None:
    """(trace id, span id as 16 hex digits, sampled) from `X-Cloud-Trace-Context`
    (`TRACE_ID/SPAN_ID;o=1`, span in decimal) or else W3C `traceparent`; None when neither parses."""
    if cloud_trace and (m := _XCLOUD.match(cloud_trace.strip())):
        span = f"{int(m.group(2)):016x}" if m.group(2) and int(m.group(2)) < 2**64 else None
        return m.group(1).lower(), span, m.group(3) == "1"
    if traceparent and (m := _TRACEPARENT.match(traceparent.strip().lower())):
        return m.group(1), m.group(2), int(m.group(3), 16) & 1 == 1
    return None


# --- redaction ----------------------------------------------------------------------------

_SENSITIVE_WORD = (
    r"(?:secret[_-]?code|client[_-]?secret|secret|password|passwd|access[_-]?token|refresh[_-]?token"
    r"|id[_-]?token|token|authorization|access[_-]?key|consumer[_-]?key|api[_-]?key|signature)"
)
# A key name ending in a sensitive word ("sis_secret_code", "clientSecret", "x-api-key"), whole word.
_KEY = rf"[A-Za-z0-9_-]*?{_SENSITIVE_WORD}(?![A-Za-z0-9_-])"
_SENSITIVE_KEY = re.compile(rf"^{_KEY}$", re.IGNORECASE)
_MASK = "[redacted]"
_REDACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    # "key": "value" and 'key': 'value' (JSON, Python dict reprs)
    (
        re.compile(rf"""(["'])({_KEY})\1(\s*:\s*)(["'])(?:\\.|(?!\4).)*\4""", re.IGNORECASE),
        rf"\1\2\1\3\4{_MASK}\4",
    ),
    # key="value", key='value' (kwargs reprs, OAuth 1 headers)
    (
        re.compile(rf"""(?<![A-Za-z0-9_-])({_KEY})(\s*[=:]\s*)(["'])(?:\\.|(?!\3).)*\3""", re.IGNORECASE),
        rf"\1\2\3{_MASK}\3",
    ),
    # key=value and key: value (query strings, headers), keeping an auth scheme before the credential;
    # an OAuth 1 header's parameters are masked one by one by the rule above
    (
        re.compile(
            rf"""(?<![A-Za-z0-9_-])({_KEY})(\s*[=:]\s*)(?!OAuth\s+\w+=)((?:(?:Bearer|Basic|Digest|OAuth)\s+)?+)"""
            r"""(?!\[redacted\])[^\s&,;"'<>()\[\]{}]+""",
            re.IGNORECASE,
        ),
        rf"\1\2\3{_MASK}",
    ),
    # Bearer credentials anywhere
    (re.compile(r"\b(Bearer)\s+(?!\[redacted\])[A-Za-z0-9\-._~+/]+=*", re.IGNORECASE), rf"\1 {_MASK}"),
    # JWTs anywhere (header.payload.signature; a JSON header starts with base64 of '{"')
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), _MASK),
)


def redact(text: str) -> str:
    """Mask credential values in free text; idempotent."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def _redact_fields(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            str(k): (_MASK if _SENSITIVE_KEY.match(str(k)) and v is not None else _redact_fields(v))
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_redact_fields(v) for v in value]
    if isinstance(value, str):
        return redact(value)
    return value


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and pre-renders its traceback) with credentials masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad %-format must not lose the record
            message = f"{record.msg!r} (unformattable arguments)"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


# --- formatting -----------------------------------------------------------------------------


class JsonFormatter(logging.Formatter):
    """One JSON object per record, in Cloud Logging's structured-log field names."""

    def __init__(self, *, project: str | None = None) -> None:
        super().__init__()
        self.project = project

    def format(self, record: logging.LogRecord) -> str:
        keys = dict(_context.get())
        entry: dict[str, Any] = {
            "severity": _SEVERITY.get(record.levelno, "DEFAULT"),
            "message": redact(record.getMessage()),
            "time": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
            "logger": record.name,
            SOURCE_KEY: {"file": record.pathname, "line": str(record.lineno), "function": record.funcName},
        }
        trace_id = keys.pop("trace_id", None)
        span_id = keys.pop("span_id", None)
        sampled = keys.pop("trace_sampled", None)
        if trace_id and self.project:
            entry[TRACE_KEY] = f"projects/{self.project}/traces/{trace_id}"
        elif trace_id:
            entry["trace_id"] = trace_id
        if trace_id and span_id:
            entry[SPAN_KEY] = span_id
        if trace_id and sampled is not None:
            entry[SAMPLED_KEY] = bool(sampled)
        entry.update(keys)
        fields = getattr(record, "json_fields", None)
        if isinstance(fields, Mapping):
            for k, v in _redact_fields(fields).items():
                entry.setdefault(k, v)
        stack = record.exc_text or (self.formatException(record.exc_info) if record.exc_info else None)
        if record.stack_info:
            stack = f"{stack}\n{record.stack_info}" if stack else record.stack_info
        if stack:
            entry["stack_trace"] = redact(stack)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _StdoutHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever `sys.stdout` is at emit time (pytest's capsys, the runtime's wrapper)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


_QUIET = ("werkzeug", "urllib3", "httpx2", "httpcore", "httpcore2", "waitress", "google.auth", "google.cloud")


def setup_logging(level: str | int = "INFO", *, project: str | None = None) -> logging.Handler:
    """Send every record from the root logger as JSON to stdout. Idempotent: calling again only
    updates the level and project, and never adds a second handler. Returns the handler."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, _StdoutHandler)), None)
    if handler is None:
        handler = _StdoutHandler()
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter(project=project))
    root.setLevel(level)
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    return handler
