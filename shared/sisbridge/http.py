"""Edge helpers every function's `main.py` uses: errors to JSON, body parsing, auth header, routing.

    @functions_framework.http
    @endpoint
    def connect(request: flask.Request) -> object:
        return router.dispatch(request)

`endpoint` opens the request's log scope (trace, Cloud Tasks task name), turns the view's result
into a JSON response, and maps an `AppError` to `{"error": {...}}` with its status. Any other
exception propagates: the runtime answers 500 and reports it.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from uuid import UUID

from flask import Request, Response, current_app, has_app_context
from flask import request as current_request

from sisbridge import logs
from sisbridge.errors import (
    AppError,
    InvalidRequest,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    Unauthenticated,
    UnsupportedMediaType,
)

if TYPE_CHECKING:
    from sisbridge.identity import Caller

__all__ = [
    "JSON_CONTENT_TYPE",
    "Router",
    "Verifier",
    "authenticate",
    "bearer_token",
    "endpoint",
    "error_response",
    "optional_bool",
    "optional_enum",
    "optional_str",
    "read_json",
    "reject_unknown_fields",
    "require_bool",
    "require_enum",
    "require_str",
    "to_json",
    "to_jsonable",
]

logger = logging.getLogger(__name__)

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
MAX_INT_DIGITS = 40  # far above any id or score; Python itself stops at 4,300
E = TypeVar("E", bound=enum.Enum)
View = Callable[..., Any]


# --- rendering -------------------------------------------------------------------------------


def to_jsonable(value: Any) -> Any:
    """Plain JSON data from dataclasses, Enums (their value), datetimes (ISO 8601 UTC with Z),
    dates, UUIDs, mappings and sequences. Naive datetimes are taken as UTC."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} cannot be sent as JSON")
        return value
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(to_jsonable(k)): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((to_jsonable(v) for v in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    raise TypeError(f"cannot send {type(value).__name__} as JSON")


def to_json(value: Any) -> str:
    return json.dumps(to_jsonable(value), ensure_ascii=False, separators=(",", ":"))


def _json_response(body: Any, status: int, headers: Mapping[str, str] | None = None) -> Response:
    response = Response(to_json(body), status=status, content_type=JSON_CONTENT_TYPE)
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(headers or {})
    return response


def error_response(err: AppError) -> Response:
    """`{"error": err.to_dict()}` with the error's status and its headers (Retry-After, Allow,
    WWW-Authenticate)."""
    headers: dict[str, str] = {}
    retry_after = getattr(err, "retry_after", None)
    if err.retryable and retry_after is not None:
        headers["Retry-After"] = str(max(0, math.ceil(retry_after)))
    if isinstance(err, MethodNotAllowed):
        headers["Allow"] = ", ".join(err.allow)
    if isinstance(err, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    return _json_response({"error": err.to_dict()}, err.status, headers)


def _render(result: Any) -> Response:
    if isinstance(result, Response):
        result.headers.setdefault("Cache-Control", "no-store")
        return result
    if result is None:
        response = Response(status=204)
        response.headers["Cache-Control"] = "no-store"
        return response
    if isinstance(result, tuple):
        if len(result) == 2 and isinstance(result[1], int):
            return _json_response(result[0], result[1])
        if len(result) == 3 and isinstance(result[1], int) and isinstance(result[2], Mapping):
            return _json_response(result[0], result[1], result[2])
        raise TypeError("a view may return (body, status) or (body, status, headers)")
    return _json_response(result, 200)


def endpoint(view: View) -> Callable[..., Response]:
    """Wrap a Flask view `(request, ...) -> result` as an HTTP function.

    Results: a dataclass, dict or list → 200 JSON; `(body, status[, headers])`; None → 204; a
    `flask.Response` passes through. Only `AppError` is caught (→ its status and JSON body).

    Applied while functions-framework loads the function (its Flask app's context is active then),
    it also makes that app answer the requests its own routing turns away before any view runs
    (a path its `<path:path>` rule cannot match, such as one with a newline) in the same JSON.
    """
    _json_routing_errors()

    @functools.wraps(view)
    def wrapper(request: Request, *args: Any, **kwargs: Any) -> Response:
        with logs.bind_request(request):
            try:
                result = view(request, *args, **kwargs)
            except AppError as err:
                level = logging.ERROR if err.status >= 500 and not err.retryable else logging.WARNING
                logger.log(
                    level,
                    "%s %s answered %s %s",
                    request.method,
                    request.path,
                    err.status,
                    err.code,
                    extra={"json_fields": {"error_code": err.code, "status": err.status}},
                )
                return error_response(err)
            return _render(result)

    return wrapper


def _json_routing_errors() -> None:
    if not has_app_context():
        return

    def not_found(exc: Exception) -> Response:
        return error_response(NotFound(f"no such path: {current_request.path}", hint="Check the URL."))

    def method_not_allowed(exc: Exception) -> Response:
        allow = tuple(sorted(getattr(exc, "valid_methods", None) or ()))
        message = f"{current_request.method} is not allowed on {current_request.path}"
        return error_response(MethodNotAllowed(message, allow=allow))

    current_app.register_error_handler(404, not_found)  # the app functions-framework is building
    current_app.register_error_handler(405, method_not_allowed)


# --- request bodies --------------------------------------------------------------------------


def read_json(request: Request, *, max_bytes: int, allowed: Iterable[str] | None = None) -> dict[str, Any]:
    """The body as a JSON object. 415 unless `application/json` (UTF-8), 413 over `max_bytes`
    (declared or actual), 400 for empty, invalid, non-object or duplicate-key JSON, and for
    fields outside `allowed` when given."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(
            f"the body must be application/json, not {request.mimetype or 'missing'}",
            content_type=request.mimetype,
        )
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"JSON must be sent as UTF-8, not {charset}")
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLarge(f"the body is larger than {max_bytes} bytes", limit=max_bytes)
    data = _read_limited(request, max_bytes)
    if not data.strip():
        raise InvalidRequest("the body is empty; send a JSON object")
    try:
        body = json.loads(
            data.decode("utf-8"),
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
            parse_int=_bounded_int,
        )
    except UnicodeDecodeError:
        raise InvalidRequest("the body is not valid UTF-8") from None
    except json.JSONDecodeError as exc:
        raise InvalidRequest(
            f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise InvalidRequest("the body's JSON is nested too deeply") from None
    except ValueError as exc:  # duplicate keys, NaN/Infinity, over-long numbers
        raise InvalidRequest(f"the body is not acceptable JSON: {exc}") from None
    if not isinstance(body, dict):
        raise InvalidRequest(f"the body must be a JSON object, not {_json_kind(body)}")
    if allowed is not None:
        reject_unknown_fields(body, allowed=allowed)
    return body


def _read_limited(request: Request, max_bytes: int) -> bytes:
    stream, chunks, size = request.stream, [], 0
    while chunk := stream.read(min(65536, max_bytes + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(f"the body is larger than {max_bytes} bytes", limit=max_bytes)
    return b"".join(chunks)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for key, value in pairs:
        if key in body:
            raise ValueError(f"field {key!r} appears twice")
        body[key] = value
    return body


def _bounded_int(text: str) -> int:
    if len(text) > MAX_INT_DIGITS:
        raise ValueError(f"a number has more than {MAX_INT_DIGITS} digits")
    return int(text)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _json_kind(value: Any) -> str:
    kinds = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return "null" if value is None else kinds.get(type(value), type(value).__name__)


def reject_unknown_fields(body: Mapping[str, Any], *, allowed: Iterable[str]) -> None:
    known = set(allowed)
    unknown = sorted(set(body) - known)
    if unknown:
        raise InvalidRequest(
            f"unknown field '{unknown[0]}'" + (f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""),
            hint=f"Allowed fields: {', '.join(sorted(known))}.",
            field=unknown[0],
        )


def _missing(name: str) -> InvalidRequest:
    return InvalidRequest(f"field '{name}' is required", field=name)


def _wrong(name: str, expected: str) -> InvalidRequest:
    return InvalidRequest(f"field '{name}' must be {expected}", field=name)


def optional_str(body: Mapping[str, Any], name: str, *, max_len: int, strip: bool = True) -> str | None:
    """The field's string (surrounding spaces stripped), or None when absent or null."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _wrong(name, "a string")
    text = value.strip() if strip else value
    if not text:
        raise _wrong(name, "a non-empty string")
    if len(text) > max_len:
        raise _wrong(name, f"at most {max_len} characters long")
    if any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        raise _wrong(name, "free of control characters")
    return text


def require_str(body: Mapping[str, Any], name: str, *, max_len: int, strip: bool = True) -> str:
    value = optional_str(body, name, max_len=max_len, strip=strip)
    if value is None:
        raise _missing(name)
    return value


def optional_bool(body: Mapping[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is None or isinstance(value, bool):
        return value
    raise _wrong(name, "true or false")


def require_bool(body: Mapping[str, Any], name: str) -> bool:
    value = optional_bool(body, name)
    if value is None:
        raise _missing(name)
    return value


def optional_enum(body: Mapping[str, Any], name: str, kind: type[E], *, default: E | None = None) -> E | None:
    """The Enum member whose value is the field's string; `default` when absent or null."""
    value = body.get(name)
    if value is None:
        return default
    for member in kind:
        if isinstance(value, str) and member.value == value:
            return member
    raise _wrong(name, "one of " + ", ".join(repr(m.value) for m in kind))


def require_enum(body: Mapping[str, Any], name: str, kind: type[E]) -> E:
    value = optional_enum(body, name, kind)
    if value is None:
        raise _missing(name)
    return value


# --- authentication --------------------------------------------------------------------------

_BEARER = re.compile(r"^Bearer +([A-Za-z0-9\-._~+/]+=*) *$", re.IGNORECASE)


def bearer_token(request: Request) -> str:
    """The token from `Authorization: Bearer <token>`; Unauthenticated when missing or malformed."""
    header = request.headers.get("Authorization")
    if not header:
        raise Unauthenticated("sign-in required: no Authorization header was sent")
    match = _BEARER.match(header)
    if match is None:
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    return match.group(1)


class Verifier(Protocol):
    """What `authenticate` needs: `identity.TokenVerifier` fits."""

    def verify(self, token: str) -> Caller: ...


def authenticate(request: Request, verifier: Verifier) -> Caller:
    """Verify the request's bearer token and add the caller's tenant to the log context."""
    caller = verifier.verify(bearer_token(request))
    logs.append_keys(tenant=caller.tenant)
    return caller


# --- routing ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class _Route:
    method: str
    segments: tuple[str, ...]  # "{name}" marks a parameter
    view: View

    def match(self, parts: tuple[str, ...]) -> dict[str, str] | None:
        if len(parts) != len(self.segments):
            return None
        params: dict[str, str] = {}
        for want, got in zip(self.segments, parts, strict=True):
            if want.startswith("{"):
                params[want[1:-1]] = got
            elif want != got:
                return None
        return params

    @property
    def rank(self) -> tuple[bool, ...]:  # literal segments win over parameters, left to right
        return tuple(s.startswith("{") for s in self.segments)


class Router:
    """Routes one functions-framework function's paths to views `(request, **params)`.

    The framework sends every path to the one function. Deployed, the path has no function name
    (`/partners`); the local stack mounts each function at `/<name>` (`/connect/partners`). The
    router strips a leading `/<function_name>` segment, from registered patterns and from request
    paths alike, so the same code serves both. (So a route must not itself start with the
    function's name.) Unknown paths raise NotFound (404), known paths with another method raise
    MethodNotAllowed (405, with Allow); `endpoint` turns both into JSON. HEAD is served by GET.
    """

    def __init__(self, function_name: str) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_-]+", function_name):
            raise ValueError(f"not a function name: {function_name!r}")
        self.function_name = function_name
        self._routes: list[_Route] = []

    def route(self, method: str, pattern: str) -> Callable[[View], View]:
        """Register a view for `method` on `pattern` (`/partners/{partner_id}`)."""
        segments = self._split(pattern)
        for segment in segments:
            if segment.startswith("{") != segment.endswith("}") or segment in ("", "{}"):
                raise ValueError(f"bad segment {segment!r} in route {pattern!r}")

        def register(view: View) -> View:
            method_upper = method.upper()
            shape = tuple("{}" if s.startswith("{") else s for s in segments)
            for existing in self._routes:
                same = tuple("{}" if s.startswith("{") else s for s in existing.segments)
                if existing.method == method_upper and same == shape:
                    raise ValueError(f"{method_upper} {pattern} is already routed")
            self._routes.append(_Route(method_upper, segments, view))
            self._routes.sort(key=lambda r: r.rank)
            return view

        return register

    def dispatch(self, request: Request) -> Any:
        parts = self._split(request.path)
        allowed: set[str] = set()
        for route in self._routes:
            params = route.match(parts)
            if params is None:
                continue
            if route.method == request.method or (request.method == "HEAD" and route.method == "GET"):
                return route.view(request, **params)
            allowed.add(route.method)
        if not allowed:
            raise NotFound(f"no such path: {request.path}", hint="Check the URL.")
        if "GET" in allowed:
            allowed.add("HEAD")
        methods = tuple(sorted(allowed))
        raise MethodNotAllowed(f"{request.method} is not allowed on {request.path}", allow=methods)

    def _split(self, path: str) -> tuple[str, ...]:
        parts = tuple(p for p in path.split("/") if p)
        if parts and parts[0] == self.function_name:
            parts = parts[1:]
        return parts
