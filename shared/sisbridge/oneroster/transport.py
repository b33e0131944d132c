"""One request to the SIS, end to end: credentials, the concurrency gate, retries, error mapping.

`Sender.send` is the only place a OneRoster API request goes on the wire. Per attempt it gets
credentials from the `Authenticator`, holds the semaphore only while the request is in flight
(never while sleeping for backoff), answers one 401 with fresh credentials, and turns every
non-2xx answer or transport failure into a `SisError`. Retryable errors are retried per the
`RetryPolicy`, sleeping through the injectable `sleep`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any

import httpx2
from authlib.common.errors import AuthlibBaseError

from sisbridge.errors import InvalidRequest, SisError, SisProtocolError

from .auth import Authenticator
from .errors import Redactor, error_for_response, error_for_transport, protocol_error
from .retry import RetryPolicy
from .stats import ClientStats

__all__ = ["Reply", "Sender"]

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Reply:
    response: httpx2.Response
    attempts: int  # 1 when the first attempt answered


class Sender:
    def __init__(
        self,
        *,
        http: httpx2.AsyncClient,
        authenticator: Authenticator,
        semaphore: asyncio.Semaphore,
        retry: RetryPolicy,
        redactor: Redactor,
        stats: ClientStats,
        timeout_s: float | None,
        sleep: Sleep = asyncio.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.http = http
        self.authenticator = authenticator
        self.semaphore = semaphore
        self.retry = retry
        self.redactor = redactor
        self.stats = stats
        self.timeout_s = timeout_s
        self.sleep = sleep
        self.rand = rand

    async def send(self, method: str, url: str, *, operation: str, json: Any = None,
                   accept: Collection[int] = ()) -> Reply:
        """Send with retries; 2xx and statuses in `accept` are returned, the rest raised as SisError."""
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._attempt(method, url, operation=operation, json=json)
                if response.is_success or response.status_code in accept:
                    return Reply(response, attempt)
                raise error_for_response(response, operation=operation, redactor=self.redactor)
            except SisError as exc:
                delay = self.retry.delay_after(exc, attempt=attempt, elapsed=time.monotonic() - started,
                                               rand=self.rand())
                if delay is None:
                    if attempt > 1:
                        exc.details.setdefault("attempts", attempt)
                    raise
                self.stats.retries += 1
                logger.info("retrying %s after %s (attempt %d of %d, waiting %.2f s)", operation, exc.code,
                            attempt, self.retry.max_attempts, delay)
                await self.sleep(delay)

    async def _attempt(self, method: str, url: str, *, operation: str, json: Any) -> httpx2.Response:
        auth = await self.authenticator.auth()
        response = await self._on_wire(self.http.build_request(method, url, json=json), auth, operation)
        if response.status_code == 401 and await self.authenticator.reauthenticate(auth):
            auth = await self.authenticator.auth()
            response = await self._on_wire(self.http.build_request(method, url, json=json), auth, operation)
        return response

    async def _on_wire(self, request: httpx2.Request, auth: httpx2.Auth, operation: str) -> httpx2.Response:
        async with self.semaphore:
            self.stats.requests += 1
            self.stats.in_flight += 1
            self.stats.max_in_flight = max(self.stats.max_in_flight, self.stats.in_flight)
            try:
                response = await self.http.send(request, auth=auth)
            except httpx2.HTTPError as exc:
                error = error_for_transport(exc, operation=operation, url=request.url, redactor=self.redactor,
                                            timeout=self.timeout_s)
                self.stats.failures[error.code] += 1
                raise error from exc
            except AuthlibBaseError as exc:  # e.g. OAuth 1.0a refuses to sign a non-https URL
                raise InvalidRequest(f"Cannot sign {operation}: {exc.description or exc.error}",
                                     field="host_url") from exc
            finally:
                self.stats.in_flight -= 1
        self.stats.by_status[response.status_code] += 1
        return response

    def json(self, reply: Reply, operation: str) -> Any:
        """The decoded JSON body, or SisProtocolError (HTML login pages, proxies, empty bodies)."""
        try:
            return reply.response.json()
        except ValueError:
            what = "an empty body" if not reply.response.content else "a body that is not JSON"
            ctype = reply.response.headers.get("Content-Type", "no content type")
            raise protocol_error(f"{what} ({ctype}) where JSON was expected", operation=operation,
                                 response=reply.response, redactor=self.redactor) from None

    def reframe(self, exc: SisProtocolError, reply: Reply, operation: str) -> SisProtocolError:
        """A wire-parsing error, restated with the request it came from."""
        return SisProtocolError(
            f"The SIS answer to {operation} is not OneRoster: {exc.message}",
            http_status=reply.response.status_code, url=self.redactor.url(reply.response.request.url),
            **exc.details,
        )
