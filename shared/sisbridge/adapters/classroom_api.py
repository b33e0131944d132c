"""`ClassroomSource` over the Classroom REST API v1, with httpx2 (sync).

One adapter for both worlds: on Google Cloud `base_url` is `https://classroom.googleapis.com` and
every request carries a bearer token for the user we act as (`credentials_factory(email)`, normally
`DelegatedCredentials`); for `make run` and the tests it points at the Classroom sandbox, and then no
Google credential is ever sent, whatever factory was given.

Wire handling:
  * lists follow `nextPageToken` to the end (same filters on every page, `pageSize` 100);
  * Google's error body `{"error": {"code", "message", "status"}}` becomes a `ClassroomError`:
    404 → `ClassroomNotFound`, 401/403 → `ClassroomForbidden`, 429 → `ClassroomRateLimited`,
    5xx/timeouts/connection failures → `ClassroomUnavailable`, anything else (400 INVALID_ARGUMENT,
    a body that is not JSON) → `ClassroomBadResponse`;
  * 429 and 5xx are retried with full-jitter exponential backoff (or `Retry-After`), bounded by
    `ClassroomRetry.max_attempts` and `max_elapsed_s`;
  * responses are untrusted: optional fields may be missing (`late` only when true, no `maxPoints`
    on ungraded work, empty lists omitted), unknown enum values read as `UNSPECIFIED`, ids may be
    numbers. A missing id or a grade that is not a number is `ClassroomBadResponse`: silently reading
    a bad grade as "no grade" would clear it in the SIS.
"""

from __future__ import annotations

import copy
import enum
import logging
import math
import random
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import httpx2

from sisbridge.errors import (
    ClassroomBadResponse,
    ClassroomError,
    ClassroomForbidden,
    ClassroomNotFound,
    ClassroomRateLimited,
    ClassroomUnavailable,
    InvalidConfiguration,
)
from sisbridge.ports.classroom import (
    ClassroomSource,
    Course,
    CourseState,
    CourseWork,
    CourseWorkState,
    GradeCategory,
    GradingPeriod,
    Person,
    Submission,
    SubmissionState,
    WorkType,
)

__all__ = ["CLASSROOM_SCOPES", "ClassroomApiSource", "ClassroomRetry", "DelegatedCredentials", "is_google"]

logger = logging.getLogger(__name__)

CLASSROOM_SCOPES = (
    "https://www.googleapis.com/auth/classroom.courses.readonly",
    "https://www.googleapis.com/auth/classroom.rosters.readonly",
    "https://www.googleapis.com/auth/classroom.coursework.students.readonly",
    "https://www.googleapis.com/auth/classroom.profile.emails",
)
PAGE_SIZE = 100  # Classroom's (and the sandbox's) largest page
MAX_PAGES = 10_000  # a server that never stops paging is a bad response, not an endless loop
DUE_WITHOUT_TIME = dtime(23, 59)
E = TypeVar("E", bound=enum.Enum)

CredentialsFactory = Callable[[str], str]  # user email → bearer access token


def is_google(base_url: str) -> bool:
    """Whether `base_url` is a Google API endpoint (https, a googleapis.com host)."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and (host == "googleapis.com" or host.endswith(".googleapis.com"))


@dataclass(frozen=True, slots=True, kw_only=True)
class ClassroomRetry:
    max_attempts: int = 5  # including the first
    max_elapsed_s: float = 60.0  # no retry starts that would end after this
    base_delay_s: float = 0.5  # first backoff ceiling; doubles per attempt
    max_delay_s: float = 16.0
    max_retry_after_s: float = 30.0

    def delay(self, error: ClassroomError, *, attempt: int, elapsed: float, rand: float) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None to give up."""
        if not error.retryable or attempt >= self.max_attempts:
            return None
        asked = getattr(error, "retry_after", None)
        if asked is not None:
            wait = min(float(asked), self.max_retry_after_s)
        else:
            wait = min(self.max_delay_s, self.base_delay_s * 2.0 ** (attempt - 1)) * min(max(rand, 0.0), 1.0)
        return None if elapsed + wait > self.max_elapsed_s else wait


class ClassroomApiSource(ClassroomSource):
    """Reads Classroom over HTTP. Thread-safe; `as_user` views share one connection pool."""

    def __init__(
        self,
        base_url: str,
        *,
        credentials_factory: CredentialsFactory | None = None,
        transport: httpx2.BaseTransport | None = None,
        timeout: float = 30.0,
        retry: ClassroomRetry = ClassroomRetry(),
        page_size: int = PAGE_SIZE,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._google = is_google(self._base)
        if self._google and credentials_factory is None:
            raise InvalidConfiguration(
                "Google Classroom needs a credentials_factory (sisbridge.adapters.classroom_api."
                "DelegatedCredentials) to act as each teacher"
            )
        # Never hand a Google token to anything but Google.
        self._factory = credentials_factory if self._google else None
        self._http = httpx2.Client(transport=transport, timeout=timeout, follow_redirects=False)
        self._owns_http = True
        self._timeout = timeout
        self._retry = retry
        self._page_size = page_size
        self._sleep = sleep
        self._rand = rand
        self._subject: str | None = None

    def as_user(self, email: str) -> ClassroomApiSource:
        view = copy.copy(self)
        view._owns_http = False
        view._subject = email.strip().lower()
        return view

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    # ---------------------------------------------------------------------------- reads
    def _courses_for_teacher(self, teacher_email: str) -> list[Course]:
        return [_course(c) for c in self._list("/v1/courses", "courses", {"teacherId": teacher_email})]

    def _get_course(self, course_id: str) -> Course:
        return _course(self._send(f"/v1/courses/{_seg(course_id)}", {}))

    def _members(self, course_id: str, role: str) -> list[Person]:
        return [_person(m) for m in self._list(f"/v1/courses/{_seg(course_id)}/{role}", role, {})]

    def _course_work(self, course_id: str) -> list[CourseWork]:
        raw = self._list(
            f"/v1/courses/{_seg(course_id)}/courseWork", "courseWork", {"courseWorkStates": ["PUBLISHED"]}
        )
        works = (_course_work(w, course_id) for w in raw)
        return [w for w in works if w.state is CourseWorkState.PUBLISHED]

    def _submissions(self, course_id: str) -> list[Submission]:
        path = f"/v1/courses/{_seg(course_id)}/courseWork/-/studentSubmissions"
        return [_submission(s, course_id) for s in self._list(path, "studentSubmissions", {})]

    def _grading_periods(self, course_id: str) -> list[GradingPeriod]:
        body = self._send(f"/v1/courses/{_seg(course_id)}/gradingPeriodSettings", {})
        return [_grading_period(p) for p in _objects(body.get("gradingPeriods"), "gradingPeriods")]

    def _is_teacher(self, course_id: str, email: str) -> bool:
        try:
            self._send(f"/v1/courses/{_seg(course_id)}/teachers/{_seg(email)}", {})
        except ClassroomNotFound:
            return False
        return True

    # ---------------------------------------------------------------------------- HTTP
    def _list(self, path: str, key: str, params: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """Every item of a paged list, following nextPageToken with the same filters."""
        items: list[Mapping[str, Any]] = []
        seen: set[str] = set()
        token: str | None = None
        while True:
            page = self._send(
                path, {**params, "pageSize": self._page_size, **({"pageToken": token} if token else {})}
            )
            items += _objects(page.get(key), key)
            token = page.get("nextPageToken") or None
            if token is None:
                return items
            if not isinstance(token, str) or token in seen or len(seen) >= MAX_PAGES:
                shown = _shown(path)
                raise ClassroomBadResponse(f"Classroom's paging of {shown} does not end", path=shown)
            seen.add(token)

    def _send(self, path: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(path, params)
            except ClassroomError as exc:
                wait = self._retry.delay(
                    exc, attempt=attempt, elapsed=time.monotonic() - started, rand=self._rand()
                )
                if wait is None:
                    exc.details["attempts"] = attempt
                    raise
                logger.warning(
                    "Classroom GET %s failed (%s, attempt %d); retrying in %.2f s",
                    _shown(path),
                    exc.code,
                    attempt,
                    wait,
                )
                self._sleep(wait)

    def _attempt(self, path: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
        shown = _shown(path)
        headers = {"Accept": "application/json"}
        if self._factory is not None:
            if self._subject is None:
                raise RuntimeError("reading Google Classroom needs a user: call as_user(email) first")
            headers["Authorization"] = f"Bearer {self._factory(self._subject)}"
        try:
            response = self._http.get(self._base + path, params=params, headers=headers)
        except httpx2.TimeoutException as exc:
            raise ClassroomUnavailable(
                f"Classroom did not answer GET {shown} within {self._timeout:g} s", path=shown
            ) from exc
        except httpx2.TransportError as exc:
            raise ClassroomUnavailable(
                f"Classroom could not be reached for GET {shown}: {exc}", path=shown
            ) from exc
        if response.status_code != 200:
            raise _error_for(response, shown)
        try:
            body = response.json()
        except ValueError as exc:
            raise ClassroomBadResponse(
                f"Classroom answered GET {shown} with something not JSON", path=shown
            ) from exc
        if not isinstance(body, dict):
            raise ClassroomBadResponse(
                f"Classroom answered GET {shown} with JSON that is not an object", path=shown
            )
        return body


def _seg(value: str) -> str:
    return quote(value, safe="@")


def _shown(path: str) -> str:
    """`path` for logs and error messages: emails (a teacher's, or a student's to is_teacher) masked."""
    return _EMAIL.sub("<email>", path)


_EMAIL = re.compile(r"[^/?&=]+@[^/?&=]+")


# ------------------------------------------------------------------------------ errors
_ERRORS: Mapping[int, type[ClassroomError]] = {
    401: ClassroomForbidden,
    403: ClassroomForbidden,
    404: ClassroomNotFound,
    429: ClassroomRateLimited,
}


def _error_for(response: httpx2.Response, path: str) -> ClassroomError:
    code = response.status_code
    status = message = None
    try:
        body = response.json()
    except ValueError:
        body = None
    error = _obj(body, "error")
    status = error.get("status") if isinstance(error.get("status"), str) else None
    message = error["message"][:500] if isinstance(error.get("message"), str) else None
    kind = _ERRORS.get(code) or (ClassroomUnavailable if code >= 500 else ClassroomBadResponse)
    text = f"Classroom answered GET {path} with {code}{' ' + status if status else ''}"
    kwargs: dict[str, Any] = dict(http_status=code, google_status=status, google_message=message, path=path)
    if kind is ClassroomRateLimited:
        kwargs["retry_after"] = _retry_after(response.headers.get("Retry-After"))
    return kind(f"{text}: {message}" if message else text, **kwargs)


def _retry_after(value: str | None) -> float | None:
    try:
        seconds = float(value) if value else None
    except ValueError:
        return None
    return seconds if seconds is not None and math.isfinite(seconds) and seconds >= 0 else None


# ------------------------------------------------------------------------------ parsing
def _obj(raw: Any, key: str) -> Mapping[str, Any]:
    """`raw[key]` when both are JSON objects, else an empty one."""
    value = raw.get(key) if isinstance(raw, dict) else None
    return value if isinstance(value, dict) else {}


def _objects(value: Any, key: str) -> list[Mapping[str, Any]]:
    if value is None:
        return []  # Google omits empty lists
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ClassroomBadResponse(f"Classroom's {key} is not a list of objects")
    return value


def _text(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return str(value)
    return value if isinstance(value, str) and value else None


def _id(raw: Mapping[str, Any], key: str, what: str) -> str:
    value = _text(raw, key)
    if value is None:
        raise ClassroomBadResponse(f"Classroom sent {what} without {key}")
    return value


def _enum(kind: type[E], value: Any) -> E:
    try:
        return kind(value)
    except ValueError:
        return kind["UNSPECIFIED"]


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("z", "Z")
    head, dot, frac = text.partition(".")
    if dot:  # at most microseconds: Google may send nanoseconds
        digits = "".join(c for c in frac if c.isdigit())
        text = f"{head}.{digits[:6]}{frac[len(digits) :]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _date(value: Any) -> date | None:
    if not isinstance(value, dict):
        return None
    parts: list[Any] = [value.get(k) for k in ("year", "month", "day")]
    if not all(isinstance(p, int) and not isinstance(p, bool) for p in parts):
        return None
    try:
        return date(*parts)
    except ValueError:
        return None


def _due(due_date: Any, due_time: Any) -> datetime | None:
    day = _date(due_date)
    if day is None:
        return None
    if not isinstance(due_time, dict):
        return datetime.combine(day, DUE_WITHOUT_TIME, tzinfo=UTC)
    fields = [due_time.get(k, 0) for k in ("hours", "minutes", "seconds")]
    if not all(isinstance(f, int) and not isinstance(f, bool) for f in fields):
        return datetime.combine(day, DUE_WITHOUT_TIME, tzinfo=UTC)
    hours, minutes, seconds = fields
    return datetime.combine(day, dtime(0), tzinfo=UTC) + timedelta(
        hours=hours, minutes=minutes, seconds=seconds
    )


def _points(value: Any, what: str) -> float | None:
    """A grade or maxPoints: a finite number (or numeric string), None when absent."""
    if value is None:
        return None
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is None or not math.isfinite(number) or number < 0:
        raise ClassroomBadResponse(f"Classroom sent {what} {value!r}, which is not a number of points")
    return number


def _course(raw: Mapping[str, Any]) -> Course:
    categories = _obj(raw, "gradebookSettings").get("gradeCategories")
    return Course(
        id=_id(raw, "id", "a course"),
        name=_text(raw, "name") or "",
        section=_text(raw, "section"),
        owner_id=_text(raw, "ownerId"),
        state=_enum(CourseState, raw.get("courseState")),
        grade_categories=tuple(
            _category(c)
            for c in (categories if isinstance(categories, list) else [])
            if isinstance(c, dict) and _text(c, "id")
        ),
    )


def _category(raw: Mapping[str, Any]) -> GradeCategory:
    weight, denominator = raw.get("weight"), raw.get("defaultGradeDenominator")
    number = (int, float)
    return GradeCategory(
        id=_id(raw, "id", "a grade category"),
        name=_text(raw, "name") or "",
        weight=weight / 1_000_000 if isinstance(weight, number) and not isinstance(weight, bool) else None,
        default_grade_denominator=int(denominator)
        if isinstance(denominator, number) and not isinstance(denominator, bool)
        else None,
    )


def _person(raw: Mapping[str, Any]) -> Person:
    profile = _obj(raw, "profile")
    name = _obj(profile, "name")
    email = _text(profile, "emailAddress")
    user_id = _text(raw, "userId") or _text(profile, "id")
    if user_id is None:
        raise ClassroomBadResponse("Classroom sent a course member without userId")
    return Person(
        user_id=user_id,
        email=email.strip().lower() if email else None,
        given_name=_text(name, "givenName"),
        family_name=_text(name, "familyName"),
        full_name=_text(name, "fullName"),
    )


def _course_work(raw: Mapping[str, Any], course_id: str) -> CourseWork:
    category = _obj(raw, "gradeCategory")
    max_points = _points(raw.get("maxPoints"), "maxPoints")
    return CourseWork(
        id=_id(raw, "id", "courseWork"),
        course_id=_text(raw, "courseId") or course_id,
        title=_text(raw, "title") or "",
        description=_text(raw, "description"),
        state=_enum(CourseWorkState, raw.get("state")),
        max_points=max_points or None,  # 0 and absent both mean ungraded
        due=_due(raw.get("dueDate"), raw.get("dueTime")),
        created=_timestamp(raw.get("creationTime")),
        updated=_timestamp(raw.get("updateTime")),
        grade_category_id=_text(category, "id"),
        grade_category_name=_text(category, "name"),
        grading_period_id=_text(raw, "gradingPeriodId"),
        work_type=_enum(WorkType, raw.get("workType")),
    )


def _submission(raw: Mapping[str, Any], course_id: str) -> Submission:
    return Submission(
        id=_id(raw, "id", "a submission"),
        course_id=_text(raw, "courseId") or course_id,
        course_work_id=_id(raw, "courseWorkId", "a submission"),
        user_id=_id(raw, "userId", "a submission"),
        state=_enum(SubmissionState, raw.get("state")),
        assigned_grade=_points(raw.get("assignedGrade"), "assignedGrade"),
        draft_grade=_points(raw.get("draftGrade"), "draftGrade"),
        late=raw.get("late") is True,
        updated=_timestamp(raw.get("updateTime")),
    )


def _grading_period(raw: Mapping[str, Any]) -> GradingPeriod:
    start, end = _date(raw.get("startDate")), _date(raw.get("endDate"))
    if start is None or end is None:
        raise ClassroomBadResponse("Classroom sent a grading period without valid startDate and endDate")
    return GradingPeriod(
        id=_id(raw, "id", "a grading period"), title=_text(raw, "title") or "", start=start, end=end
    )


# ------------------------------------------------------------------------------ credentials
class DelegatedCredentials:
    """A `credentials_factory` for Google: an access token for a Workspace user, by domain-wide delegation.

    The grant is signed in one of two ways:
      * with a service account key: `service_account_info` is the parsed JSON key file;
      * keyless, as on Cloud Functions: `source_credentials` (default: the runtime's, from
        `google.auth.default()`) ask the IAM Credentials API to sign for `service_account_email`,
        which needs `roles/iam.serviceAccountTokenCreator` on that account.
    Either way a Workspace admin must authorise the service account's client id for
    `CLASSROOM_SCOPES` (Admin console › Security › API controls › Domain-wide delegation).

    Constructing it does no I/O. Credentials are cached per user; google-auth refreshes a token
    shortly before it expires. Failures become `ClassroomForbidden` (delegation refused) or
    `ClassroomUnavailable` (Google's token service unreachable, retryable).
    """

    def __init__(
        self,
        *,
        service_account_email: str | None = None,
        service_account_info: Mapping[str, Any] | None = None,
        source_credentials: Any = None,
        scopes: Sequence[str] = CLASSROOM_SCOPES,
        request: Any = None,
    ) -> None:
        if (service_account_email is None) == (service_account_info is None):
            raise InvalidConfiguration("give exactly one of service_account_email and service_account_info")
        self._email = service_account_email
        self._info = dict(service_account_info) if service_account_info is not None else None
        self._source = source_credentials
        self._scopes = tuple(scopes)
        self._request = request
        self._lock = threading.Lock()
        self._cache: dict[str, Any] = {}

    def credentials_for(self, subject_email: str) -> Any:
        """google-auth credentials acting as `subject_email` (built once, not yet refreshed)."""
        subject = subject_email.strip().lower()
        with self._lock:
            if subject not in self._cache:
                self._cache[subject] = self._build(subject)
            return self._cache[subject]

    def __call__(self, subject_email: str) -> str:
        from google.auth import exceptions as auth_exc

        credentials = self.credentials_for(subject_email)
        with self._lock:
            if not credentials.valid:
                try:
                    credentials.refresh(self._transport())
                except auth_exc.RefreshError as exc:
                    if getattr(exc, "retryable", False):
                        raise ClassroomUnavailable(f"Google's token service failed: {exc}") from exc
                    raise ClassroomForbidden(
                        f"Google refused to let the service account act as {subject_email}: {exc}"
                    ) from exc
                except auth_exc.TransportError as exc:
                    raise ClassroomUnavailable(f"Google's token service could not be reached: {exc}") from exc
            return str(credentials.token)

    def _build(self, subject: str) -> Any:
        from google.auth import impersonated_credentials
        from google.oauth2 import service_account

        if self._info is not None:
            return service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
                self._info, scopes=self._scopes, subject=subject
            )
        if self._source is None:
            import google.auth

            self._source, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
        return impersonated_credentials.Credentials(  # type: ignore[no-untyped-call]
            source_credentials=self._source,
            target_principal=self._email,
            target_scopes=list(self._scopes),
            subject=subject,
        )

    def _transport(self) -> Any:
        if self._request is None:
            from google.auth.transport.requests import Request

            self._request = Request()
        return self._request
