"""`OneRosterClient`: the one async OneRoster 1.1/1.2 client, configured by a `VendorProfile`.

    async with OneRosterClient(profile.endpoints(host_url), profile,
                               access_key=key, secret_code=secret) as sis:
        async for teacher in sis.teachers_by_email("ada@district.example"):
            ...
        outcome = await sis.put_line_item(item)          # WriteOutcome.CREATED / UPDATED

Collection reads are async iterators that page transparently (`paging.py`); writes are PUT and
DELETE on sourcedIds the caller chose. Every failure is a `sisbridge.errors.SisError`.
"""

from __future__ import annotations

import asyncio
import enum
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

import httpx2
from authlib.common.security import is_secure_transport

from sisbridge.errors import InvalidRequest, SisInvalidData, SisNotFound, SisProtocolError
from sisbridge.vendors import AuthMethod, CategorySource, Endpoints, OneRosterVersion, VendorProfile

from .auth import SIGNATURE_HMAC_SHA256, Authenticator, ClientCredentials, OAuth1Signer
from .errors import Redactor, StatusInfo, error_for_response, failure_in_success
from .filters import Filter, eq
from .models import AcademicSession, Category, LineItem, Result, SisClass, User
from .paging import Page, iterate_pages, parse_link_header, parse_total_count
from .retry import RetryPolicy
from .stats import ClientStats
from .transport import Reply, Sender
from .wire import (
    ACADEMIC_SESSIONS,
    CATEGORIES,
    CLASSES,
    LINE_ITEMS,
    RESULTS,
    USERS,
    Kind,
    request_body,
    unwrap_many,
    unwrap_one,
)

__all__ = ["DeleteOutcome", "OneRosterClient", "Service", "WriteOutcome"]

T = TypeVar("T")
Params = Mapping[str, str | int | Filter | None]


class Service(enum.Enum):
    ROSTERING = "rostering"
    GRADEBOOK = "gradebook"


class WriteOutcome(enum.Enum):
    CREATED = "created"  # 201
    UPDATED = "updated"  # 200 or 204 (and any other 2xx)


class DeleteOutcome(enum.Enum):
    DELETED = "deleted"  # 200/204, or 404 after a retry (the lost first attempt had deleted it)
    ALREADY_ABSENT = "already_absent"  # 404 on the first attempt


def _seg(sourced_id: str) -> str:
    return quote(str(sourced_id), safe="")


class OneRosterClient:
    """One SIS connection: its endpoints, its vendor profile and its credentials.

    `auth` picks OAuth 2 client credentials or OAuth 1.0a (`signature_method` HMAC-SHA256 or
    HMAC-SHA1); `extra_headers` (e.g. X-Vendor-Authorization) go on every API request.
    `transport` is shared by API and token requests (tests and the bench pass their own).
    At most `max_concurrency` requests are on the wire at once (default: the profile's).
    `sleep` and `rand` drive the retry backoff and are injectable for fast tests. `stats`
    counts requests, retries, token fetches and statuses.
    """

    def __init__(
        self,
        endpoints: Endpoints,
        profile: VendorProfile,
        *,
        access_key: str,
        secret_code: str,
        auth: AuthMethod | None = None,
        signature_method: str = SIGNATURE_HMAC_SHA256,
        extra_headers: Mapping[str, str] | None = None,
        transport: httpx2.AsyncBaseTransport | None = None,
        timeout: float | httpx2.Timeout = 30.0,
        retry: RetryPolicy | None = None,
        max_concurrency: int | None = None,
        page_size: int | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        """`auth` defaults to OAuth 1.0a when `endpoints` has no token URL, else OAuth 2."""
        self.endpoints = endpoints
        self.profile = profile
        self.version: OneRosterVersion = endpoints.version
        self.page_size = page_size or profile.limits.page_size
        self.stats = ClientStats()
        auth = auth or (AuthMethod.OAUTH1 if endpoints.token_url is None else AuthMethod.OAUTH2)
        headers = {k: v for k, v in (extra_headers or {}).items() if v}
        redactor = Redactor([secret_code, *headers.values()])
        self.max_concurrency = max_concurrency or profile.limits.max_concurrency
        semaphore = asyncio.Semaphore(self.max_concurrency)
        timeouts = timeout if isinstance(timeout, httpx2.Timeout) else httpx2.Timeout(timeout)
        authenticator: Authenticator
        if auth is AuthMethod.OAUTH2:
            if not endpoints.token_url:
                raise InvalidRequest("OAuth 2 needs a token URL", field="token_url")
            authenticator = ClientCredentials(
                token_url=endpoints.token_url, client_id=access_key, client_secret=secret_code,
                scopes=profile.scopes(self.version), placement=profile.credentials_in, transport=transport,
                timeout=timeouts, redactor=redactor, stats=self.stats, semaphore=semaphore)
        else:
            if not is_secure_transport(endpoints.rostering):
                raise InvalidRequest("OAuth 1.0a signatures need an https host URL", field="host_url")
            authenticator = OAuth1Signer(consumer_key=access_key, consumer_secret=secret_code,
                                         signature_method=signature_method)
        self.auth_method = auth
        http = httpx2.AsyncClient(
            transport=transport, timeout=timeouts,
            headers={"Accept": "application/json", "User-Agent": "sisbridge-oneroster", **headers})
        self._sender = Sender(http=http, authenticator=authenticator, semaphore=semaphore,
                              retry=retry or RetryPolicy(), redactor=redactor, stats=self.stats,
                              timeout_s=timeouts.read, sleep=sleep, rand=rand)

    async def __aenter__(self) -> OneRosterClient:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def authenticate(self) -> None:
        """Obtain a token now (OAuth 2) so a bad key, secret or token URL shows up on its own."""
        await self._sender.authenticator.auth()

    async def aclose(self) -> None:
        await self._sender.authenticator.aclose()
        await self._sender.http.aclose()

    # ---- generic reads --------------------------------------------------------------------------

    def _url(self, service: Service, path: str) -> str:
        base = self.endpoints.gradebook if service is Service.GRADEBOOK else self.endpoints.rostering
        return f"{base}/{path.lstrip('/')}"

    async def get(self, path: str, key: str, *, service: Service = Service.ROSTERING,
                  aliases: tuple[str, ...] = ()) -> Mapping[str, Any]:
        """GET one object and return it unwrapped from its `{key: {...}}` envelope."""
        operation = f"GET {path}"
        reply = await self._sender.send("GET", self._url(service, path), operation=operation)
        body = self._sender.json(reply, operation)
        try:
            return unwrap_one(body, key, aliases)
        except SisProtocolError as exc:
            raise self._sender.reframe(exc, reply, operation) from exc

    async def iter_collection(self, path: str, key: str, params: Params | None = None, *,
                              service: Service = Service.ROSTERING,
                              aliases: tuple[str, ...] = ()) -> AsyncIterator[Mapping[str, Any]]:
        """Every raw object of a collection, across pages, unwrapped from `{key: [...]}`."""
        operation = f"GET {path}"

        async def fetch(page_url: str) -> Page:
            reply = await self._sender.send("GET", page_url, operation=operation)
            body = self._sender.json(reply, operation)
            try:
                items = unwrap_many(body, key, aliases)
            except SisProtocolError as exc:
                raise self._sender.reframe(exc, reply, operation) from exc
            headers = reply.response.headers
            return Page(items=items, links=parse_link_header(headers.get("Link"), page_url),
                        total=parse_total_count(headers.get("X-Total-Count")))

        async for item in iterate_pages(fetch, self._url(service, path), params or {},
                                        limit=self.page_size, what=path):
            yield item

    async def _one(self, kind: Kind[T], service: Service, path: str) -> T:
        raw = await self.get(path, kind.singular, service=service, aliases=kind.singular_aliases)
        try:
            return kind.parse(raw)
        except SisProtocolError as exc:
            raise SisProtocolError(f"The SIS answer to GET {path} is not OneRoster: {exc.message}",
                                   url=self._sender.redactor.url(self._url(service, path)),
                                   **exc.details) from exc

    async def _many(self, kind: Kind[T], service: Service, path: str,
                    params: Params | None = None) -> AsyncIterator[T]:
        async for raw in self.iter_collection(path, kind.plural, params, service=service,
                                              aliases=kind.plural_aliases):
            try:
                yield kind.parse(raw)
            except SisProtocolError as exc:
                raise SisProtocolError(f"The SIS answer to GET {path} is not OneRoster: {exc.message}",
                                       url=self._sender.redactor.url(self._url(service, path)),
                                       **exc.details) from exc

    # ---- rostering ------------------------------------------------------------------------------

    def teachers_by_email(self, email: str) -> AsyncIterator[User]:
        return self._many(USERS, Service.ROSTERING, "/teachers", {"filter": eq("email", email)})

    def classes_for_teacher(self, teacher_id: str, active_only: bool = True) -> AsyncIterator[SisClass]:
        params = {"filter": eq("status", "active")} if active_only else {}
        return self._many(CLASSES, Service.ROSTERING, f"/teachers/{_seg(teacher_id)}/classes", params)

    async def get_class(self, class_id: str) -> SisClass:
        return await self._one(CLASSES, Service.ROSTERING, f"/classes/{_seg(class_id)}")

    def students_for_class(self, class_id: str) -> AsyncIterator[User]:
        return self._many(USERS, Service.ROSTERING, f"/classes/{_seg(class_id)}/students")

    def terms(self) -> AsyncIterator[AcademicSession]:
        return self._many(ACADEMIC_SESSIONS, Service.ROSTERING, "/terms")

    async def get_term(self, term_id: str) -> AcademicSession:
        return await self._one(ACADEMIC_SESSIONS, Service.ROSTERING, f"/terms/{_seg(term_id)}")

    def grading_periods_for_term(self, term_id: str) -> AsyncIterator[AcademicSession]:
        return self._many(ACADEMIC_SESSIONS, Service.ROSTERING, f"/terms/{_seg(term_id)}/gradingPeriods")

    # ---- gradebook reads ------------------------------------------------------------------------

    async def categories_for_class(self, class_id: str) -> AsyncIterator[Category]:
        """Per `profile.category_source`; on 1.1 a missing class route falls back to `/categories`.

        From `/categories` (not class-scoped), a category whose `metadata.classId` names another
        class is skipped: it cannot belong to this one.
        """
        source = self.profile.category_source
        if source is CategorySource.METADATA_FILTER:
            async for cat in self._many(CATEGORIES, Service.GRADEBOOK, "/categories",
                                        {"filter": eq("metadata.classId", class_id)}):
                yield cat
            return
        if source is CategorySource.CLASS_ROUTE:
            started = False
            try:
                async for cat in self._many(CATEGORIES, Service.GRADEBOOK,
                                            f"/classes/{_seg(class_id)}/categories"):
                    started = True
                    yield cat
                return
            except SisNotFound:
                if started or self.version is not OneRosterVersion.V1P1:
                    raise
        async for cat in self._many(CATEGORIES, Service.GRADEBOOK, "/categories"):
            owner = (cat.metadata or {}).get("classId")
            if owner is None or str(owner) == class_id:
                yield cat

    def line_items_for_class(self, class_id: str) -> AsyncIterator[LineItem]:
        return self._many(LINE_ITEMS, Service.GRADEBOOK, f"/classes/{_seg(class_id)}/lineItems")

    def results_for_line_item(self, class_id: str, line_item_id: str) -> AsyncIterator[Result]:
        return self._many(RESULTS, Service.GRADEBOOK,
                          f"/classes/{_seg(class_id)}/lineItems/{_seg(line_item_id)}/results")

    async def get_line_item(self, line_item_id: str) -> LineItem:
        return await self._one(LINE_ITEMS, Service.GRADEBOOK, f"/lineItems/{_seg(line_item_id)}")

    async def get_result(self, result_id: str) -> Result:
        return await self._one(RESULTS, Service.GRADEBOOK, f"/results/{_seg(result_id)}")

    async def get_category(self, category_id: str) -> Category:
        return await self._one(CATEGORIES, Service.GRADEBOOK, f"/categories/{_seg(category_id)}")

    # ---- writes ---------------------------------------------------------------------------------

    async def _put(self, kind: Kind[Any], obj: LineItem | Result | Category) -> WriteOutcome:
        body = request_body(obj, self.version, self.profile)  # validates first: InvalidRequest
        path = f"/{kind.plural}/{_seg(obj.sourced_id)}"
        operation = f"PUT {path}"
        url = self._url(Service.GRADEBOOK, path)
        reply = await self._sender.send("PUT", url, operation=operation, json=body)
        # The echoed body (MSD, Aspen) or its absence (1.2) changes nothing: the status says it all,
        # unless the body is an imsx failure status dressed up as a success.
        refusal = failure_in_success(reply.response)
        if refusal is not None:
            raise self._refused(refusal, reply, operation)
        return WriteOutcome.CREATED if reply.response.status_code == 201 else WriteOutcome.UPDATED

    def _refused(self, info: StatusInfo, reply: Reply, operation: str) -> SisInvalidData:
        redactor = self._sender.redactor
        said = redactor.text(info.description)[:500] if info.description else None
        status = reply.response.status_code
        tail = f": {said}" if said else ""
        return SisInvalidData(
            f"The SIS refused {operation} (HTTP {status} with an imsx failure status){tail}",
            http_status=status, sis_description=said, code_minor=info.code_minor,
            url=redactor.url(reply.response.request.url))

    async def put_line_item(self, item: LineItem) -> WriteOutcome:
        return await self._put(LINE_ITEMS, item)

    async def put_result(self, result: Result) -> WriteOutcome:
        return await self._put(RESULTS, result)

    async def put_category(self, category: Category) -> WriteOutcome:
        return await self._put(CATEGORIES, category)

    async def _delete(self, kind: Kind[Any], sourced_id: str) -> DeleteOutcome:
        path = f"/{kind.plural}/{_seg(sourced_id)}"
        operation = f"DELETE {path}"
        if not self.profile.limits.supports_delete:
            raise SisInvalidData(f"{self.profile.name} does not support deleting {kind.plural}; "
                                 f"{operation} was not sent", code_minor="unsupportedoperation",
                                 hint="Remove the item in the SIS by hand, or leave it in place.")
        reply = await self._sender.send("DELETE", self._url(Service.GRADEBOOK, path), operation=operation,
                                        accept=(404,))
        if reply.response.status_code != 404:
            refusal = failure_in_success(reply.response)
            if refusal is None:
                return DeleteOutcome.DELETED
            if (refusal.code_minor or "").replace(" ", "").lower() != "unknownobject":
                raise self._refused(refusal, reply, operation)
        if self._is_html(reply):  # a web server's 404 page: the path is wrong, not the object gone
            raise error_for_response(reply.response, operation=operation, redactor=self._sender.redactor)
        return DeleteOutcome.DELETED if reply.attempts > 1 else DeleteOutcome.ALREADY_ABSENT

    @staticmethod
    def _is_html(reply: Reply) -> bool:
        ctype = reply.response.headers.get("Content-Type", "").lower()
        return "html" in ctype or reply.response.content.lstrip()[:1] == b"<"

    async def delete_line_item(self, line_item_id: str) -> DeleteOutcome:
        return await self._delete(LINE_ITEMS, line_item_id)

    async def delete_result(self, result_id: str) -> DeleteOutcome:
        return await self._delete(RESULTS, result_id)

    async def delete_category(self, category_id: str) -> DeleteOutcome:
        return await self._delete(CATEGORIES, category_id)
