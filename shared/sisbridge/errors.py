"""The one exception hierarchy of sisbridge.

Every failure a user can cause or meet is a subclass of `AppError` with a stable `code`, an HTTP
`status`, a plain `message` and a `hint` saying what to do. Anything outside this tree is a bug.

    AppError                      "error"                 500
    ├─ InvalidRequest             "invalid_request"       400
    ├─ NotFound                   "not_found"             404
    ├─ Conflict                   "conflict"              409
    ├─ SisError                   (the SIS answered badly, or not at all)
    │  ├─ SisAuthRejected         "sis_auth_rejected"     422: the SIS said 401, key or secret refused
    │  ├─ SisForbidden            "sis_forbidden"         422: the SIS said 403, licence or scope missing
    │  ├─ SisNotFound             "sis_not_found"         422: the SIS said 404, unknown object or wrong path
    │  ├─ SisUnreachable          "sis_dns_failed"        422: the host name does not resolve
    │  ├─ SisInvalidData          "sis_invalid_data"      422: the SIS refused what we sent (400/422)
    │  ├─ SisProtocolError        "sis_bad_response"      502: the reply is not OneRoster (not JSON, bad shape)
    │  ├─ SisTlsError             "sis_tls_failed"        502: the TLS handshake or certificate failed
    │  ├─ SisRateLimited          "sis_rate_limited"      503: 429, retryable
    │  ├─ SisUnavailable          "sis_unavailable"       503: 5xx, refused or reset connection, retryable
    │  └─ SisTimeout              "sis_timeout"           504: no answer in time, retryable
    ├─ Unauthenticated            "unauthenticated"       401 no, bad or expired sign-in token
    ├─ Forbidden                  "forbidden"             403 signed in, but not allowed to do this
    ├─ MethodNotAllowed           "method_not_allowed"    405 known path, other method (sends Allow)
    ├─ PayloadTooLarge            "payload_too_large"     413 request body over the limit
    ├─ UnsupportedMediaType       "unsupported_media_type" 415 body is not application/json
    ├─ InvalidConfiguration       "invalid_configuration" 500 the environment is wrong (config.py)
    ├─ IdentityUnavailable        "identity_unavailable"  503 sign-in keys unreachable, retryable
    ├─ StoreError                 "store_error"           500 database failed; retryable if transient
    │  └─ ConcurrencyError        "store_contention"      503 transaction lost to contention, retryable
    └─ SecretsError               "secrets_error"         500 secret store failed; retryable if transient
       └─ SecretNotFound          "secret_not_found"      404 no such secret or version
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """Base of every error sisbridge raises on purpose."""

    code = "error"
    status = 500
    retryable = False
    default_hint = ""

    def __init__(self, message: str, *, hint: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message, "hint": self.hint}
        if self.details:
            body["details"] = self.details
        return body


class InvalidRequest(AppError):
    """The caller sent something we cannot use; never retried."""

    code = "invalid_request"
    status = 400


class NotFound(AppError):
    code = "not_found"
    status = 404


class Conflict(AppError):
    code = "conflict"
    status = 409


class SisError(AppError):
    """The SIS refused a request or did not answer. Carries the SIS's own words."""

    code = "sis_error"
    status = 502

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        http_status: int | None = None,
        sis_description: str | None = None,
        code_minor: str | None = None,
        url: str | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message, hint=hint, **details)
        self.http_status = http_status
        self.sis_description = sis_description
        self.code_minor = code_minor
        self.url = url

    def to_dict(self) -> dict[str, Any]:
        body = super().to_dict()
        sis = {
            k: v
            for k, v in (
                ("http_status", self.http_status),
                ("description", self.sis_description),
                ("code_minor", self.code_minor),
            )
            if v is not None
        }
        if sis:
            body["sis"] = sis
        return body


class SisAuthRejected(SisError):
    status = 422
    code = "sis_auth_rejected"
    default_hint = "Check the access key and secret code the SIS issued; they may have expired or been renewed."


class SisForbidden(SisError):
    status = 422
    code = "sis_forbidden"
    default_hint = "The credentials work but lack a permission: check the licence and the gradebook scopes."


class SisNotFound(SisError):
    status = 422
    code = "sis_not_found"
    default_hint = "The SIS does not know this object or path; check the host URL and that the item still exists."


class SisInvalidData(SisError):
    status = 422
    code = "sis_invalid_data"
    default_hint = "The SIS refused the data sent; its own description says why."


class SisUnreachable(SisError):
    code = "sis_dns_failed"
    status = 422
    default_hint = "Check the host URL for typos; if it is right, the SIS's DNS may be down."


class SisTlsError(SisError):
    code = "sis_tls_failed"
    default_hint = (
        "The SIS's https certificate could not be verified (expired, self-signed or for another name); "
        "ask the SIS vendor to fix it. sisbridge never turns verification off."
    )


class SisProtocolError(SisError):
    code = "sis_bad_response"
    default_hint = "The SIS answered with something that is not OneRoster; check the host URL points at its API."


class SisRateLimited(SisError):
    code = "sis_rate_limited"
    status = 503
    retryable = True
    default_hint = "The SIS is throttling requests; sisbridge retries with backoff, nothing to do."

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class SisUnavailable(SisError):
    code = "sis_unavailable"
    status = 503
    retryable = True
    default_hint = "The SIS is down or unreachable; sisbridge retries, and the next export picks up the rest."


class SisTimeout(SisError):
    code = "sis_timeout"
    status = 504
    retryable = True
    default_hint = "The SIS did not answer in time; it may be overloaded. Exports retry automatically."


class Unauthenticated(AppError):
    """No usable sign-in: the bearer token is missing, malformed, expired or not trusted."""

    code = "unauthenticated"
    status = 401
    default_hint = "Sign in again with your school Google account."


class Forbidden(AppError):
    """The caller is known but may not do this (not an admin, another tenant's object)."""

    code = "forbidden"
    status = 403
    default_hint = "Ask your Google Workspace administrator for access."


class MethodNotAllowed(AppError):
    """The path exists but not for this HTTP method; `allow` lists the methods that work."""

    code = "method_not_allowed"
    status = 405
    default_hint = "Use one of the methods listed in the Allow header."

    def __init__(
        self, message: str, *, allow: tuple[str, ...], hint: str | None = None, **details: Any
    ) -> None:
        super().__init__(message, hint=hint, allow=list(allow), **details)
        self.allow = allow


class PayloadTooLarge(AppError):
    code = "payload_too_large"
    status = 413
    default_hint = "Send a smaller request body."


class UnsupportedMediaType(AppError):
    code = "unsupported_media_type"
    status = 415
    default_hint = "Send the body as JSON with the header Content-Type: application/json."


class InvalidConfiguration(AppError):
    """The environment the service was started with is wrong; raised by `config.Settings.from_env`."""

    code = "invalid_configuration"
    status = 500
    default_hint = "Fix the named environment variables and redeploy (or restart the local stack)."


class IdentityUnavailable(AppError):
    """The identity provider's signing keys could not be fetched and none are cached. Retryable."""

    code = "identity_unavailable"
    status = 503
    retryable = True
    default_hint = "Google's sign-in keys could not be fetched; try again in a moment."

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class StoreError(AppError):
    """The document store failed. Transient failures (unavailable, deadline) set `retryable`."""

    code = "store_error"
    status = 500
    default_hint = "The database did not complete the operation; transient failures are retried."

    def __init__(self, message: str, *, retryable: bool | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        if retryable is not None:
            self.retryable = retryable


class ConcurrencyError(StoreError):
    """A transaction kept losing to concurrent writers and gave up. Retryable."""

    code = "store_contention"
    status = 503
    retryable = True
    default_hint = "Another change to the same record was in progress; try again."


class SecretsError(AppError):
    """The secret store failed. Transient failures (unavailable, deadline) set `retryable`."""

    code = "secrets_error"
    status = 500
    default_hint = "The secret store did not complete the operation; check its permissions and availability."

    def __init__(self, message: str, *, retryable: bool | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        if retryable is not None:
            self.retryable = retryable


class SecretNotFound(SecretsError):
    """No such secret, or the version asked for is gone (deleted, disabled or destroyed)."""

    code = "secret_not_found"
    status = 404
    default_hint = "The stored SIS credentials are missing; reconnect the SIS to store them again."
