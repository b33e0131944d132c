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
    ├─ SecretsError               "secrets_error"         500 secret store failed; retryable if transient
    │  └─ SecretNotFound          "secret_not_found"      404 no such secret or version
    ├─ ClassroomError             "classroom_error"       502 (Google Classroom answered badly, or not at all)
    │  ├─ ClassroomNotFound       "classroom_not_found"   404 no such course, or the user cannot see it
    │  ├─ ClassroomForbidden      "classroom_forbidden"   403 401/403: no access, delegation or API disabled
    │  ├─ ClassroomBadResponse    "classroom_bad_response" 502 not Classroom's JSON, or it refused our request
    │  ├─ ClassroomRateLimited    "classroom_rate_limited" 503 429 RESOURCE_EXHAUSTED, retryable
    │  └─ ClassroomUnavailable    "classroom_unavailable" 503 5xx, timeout or no connection, retryable
    ├─ QueueError                 "queue_error"           500 task queue failed; retryable if transient
    └─ ExportError                (linking and exporting refused for a reason the user can fix)
       ├─ SisNotReady             "sis_not_ready"         409 no authorized SIS connection (none, error, disconnected)
       ├─ ExportsDisabled         "exports_disabled"      403 the admin turned teacher exports off
       ├─ TeacherNotInSis         "teacher_not_in_sis"    404 no (or several) SIS teachers with the caller's email
       ├─ ClassNotOwned           "class_not_yours"       403 the SIS class is not one of the teacher's classes
       ├─ CourseNotLinked         "course_not_linked"     404 the course has no linked SIS class
       └─ ExportInProgress        "export_in_progress"    503 another run holds the class, retryable
"""

from __future__ import annotations

from typing import Any


def _given(**values: Any) -> dict[str, Any]:
    """The upstream's own words for an error body: only what it actually said."""
    return {k: v for k, v in values.items() if v is not None}


class AppError(Exception):
    """Base of every error sisbridge raises on purpose."""

    code = "error"
    status = 500
    retryable = False
    default_hint = ""

    def __init__(self, message: str, *, hint: str | None = None, retryable: bool | None = None,
                 **details: Any) -> None:
        """`retryable` overrides the class's default for one failure (a transient store error)."""
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint
        self.details = details
        if retryable is not None:
            self.retryable = retryable

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message, "hint": self.hint}
        if self.details:
            body["details"] = self.details
        return body


class InvalidRequest(AppError):
    """The caller sent something we cannot use; never retried."""

    code = "invalid_request"
    status = 400
    default_hint = "Correct the field named in details.field (see the API reference) and send it again."


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
        if sis := _given(http_status=self.http_status, description=self.sis_description, code_minor=self.code_minor):
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


class SecretNotFound(SecretsError):
    """No such secret, or the version asked for is gone (deleted, disabled or destroyed)."""

    code = "secret_not_found"
    status = 404
    default_hint = "The stored SIS credentials are missing; reconnect the SIS to store them again."


class ClassroomError(AppError):
    """Google Classroom refused a request or did not answer. Carries Google's own status and words.

    Only `adapters/classroom_api` raises it; `http_status` is Classroom's HTTP status, `google_status`
    the canonical code name from its error body (`NOT_FOUND`, `PERMISSION_DENIED`, …).
    """

    code = "classroom_error"
    status = 502

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        http_status: int | None = None,
        google_status: str | None = None,
        google_message: str | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message, hint=hint, **details)
        self.http_status = http_status
        self.google_status = google_status
        self.google_message = google_message

    def to_dict(self) -> dict[str, Any]:
        body = super().to_dict()
        if google := _given(http_status=self.http_status, status=self.google_status, message=self.google_message):
            body["classroom"] = google
        return body


class ClassroomNotFound(ClassroomError):
    """Classroom does not know the course (or user), or will not show it to the user we act as."""

    code = "classroom_not_found"
    status = 404
    default_hint = "Check the course still exists in Google Classroom and the teacher is still in it."


class ClassroomForbidden(ClassroomError):
    """401/403: the user we act as may not read this, or the service account cannot act as them."""

    code = "classroom_forbidden"
    status = 403
    default_hint = (
        "Check the teacher still teaches the course, that the Classroom API is enabled, and that the "
        "Workspace admin granted sisbridge's service account domain-wide delegation for its scopes."
    )


class ClassroomBadResponse(ClassroomError):
    """Classroom answered with something we cannot read, or refused our request as malformed (400)."""

    code = "classroom_bad_response"
    status = 502
    default_hint = "Google Classroom answered unexpectedly; this is retried on the next export."


class ClassroomRateLimited(ClassroomError):
    """429 RESOURCE_EXHAUSTED: a Classroom quota is spent for now. Retryable."""

    code = "classroom_rate_limited"
    status = 503
    retryable = True
    default_hint = "Google Classroom is throttling requests; sisbridge retries with backoff, nothing to do."

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ClassroomUnavailable(ClassroomError):
    """5xx, a timeout or a failed connection. Retryable."""

    code = "classroom_unavailable"
    status = 503
    retryable = True
    default_hint = "Google Classroom did not answer; sisbridge retries, and the next export gets the rest."


class QueueError(AppError):
    """The task queue did not accept a task. Transient failures (unavailable, deadline) set `retryable`."""

    code = "queue_error"
    status = 500
    default_hint = "The task queue did not accept the export; transient failures are retried."


class ExportError(AppError):
    """Linking or exporting cannot go ahead for a reason a teacher or admin can fix."""

    code = "export_error"
    status = 409


class SisNotReady(ExportError):
    code = "sis_not_ready"
    status = 409
    default_hint = "Ask your administrator to connect and authorize the SIS in sisbridge."


class ExportsDisabled(ExportError):
    code = "exports_disabled"
    status = 403
    default_hint = (
        "Your administrator turned off \"Enable classwork and grade exporting\"; ask them to turn it on."
    )


class TeacherNotInSis(ExportError):
    code = "teacher_not_in_sis"
    status = 404
    default_hint = "The SIS must list you as a teacher with the same email as your Google account; ask your SIS administrator."


class ClassNotOwned(ExportError):
    code = "class_not_yours"
    status = 403
    default_hint = "Pick one of your own active SIS classes from the candidates list."


class CourseNotLinked(ExportError):
    code = "course_not_linked"
    status = 404
    default_hint = "Link the course to its SIS class first."


class ExportInProgress(ExportError):
    code = "export_in_progress"
    status = 503
    retryable = True
    retry_after = 30
    default_hint = "Another export of this class is running; this one runs right after it."
