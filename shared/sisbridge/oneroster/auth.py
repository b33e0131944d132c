"""How requests to the SIS are authenticated: OAuth 2 client credentials or 2-legged OAuth 1.0a.

Both are built on authlib's httpx integration. An `Authenticator` hands the client an
`httpx2.Auth` per attempt and says whether a 401 is worth one retry with fresh credentials:

* `ClientCredentials`: a bearer token fetched with authlib's `AsyncOAuth2Client`
  (`client_secret_basic` or `client_secret_post`, scopes space-joined), cached, refetched
  `leeway` seconds before it expires and once after a 401. A lock makes concurrent first
  requests share one token fetch. Token endpoint failures become `SisError`s here.
* `OAuth1Signer`: authlib's `OAuth1Auth`, no token; HMAC-SHA256 (registered below) or HMAC-SHA1.
  Query parameters are signed, the JSON body is not (no body hash); every attempt, retries
  included, is signed afresh with a new nonce and timestamp.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import time
from abc import ABC, abstractmethod
from collections.abc import Generator, Sequence
from typing import Any

import httpx2
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuth1Auth, OAuth2Auth
from authlib.integrations.httpx_client.utils import build_request
from authlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_TYPE_HEADER
from authlib.oauth1.rfc5849.client_auth import ClientAuth
from authlib.oauth1.rfc5849.signature import generate_signature_base_string
from authlib.oauth1.rfc5849.util import escape

from sisbridge.errors import SisAuthRejected, SisError, SisForbidden, SisNotFound, SisProtocolError
from sisbridge.vendors import CredentialPlacement

from .errors import Redactor, error_for_response, error_for_transport, parse_status_info
from .stats import ClientStats

__all__ = [
    "SIGNATURE_HMAC_SHA1",
    "SIGNATURE_HMAC_SHA256",
    "Authenticator",
    "ClientCredentials",
    "OAuth1Signer",
]

SIGNATURE_HMAC_SHA256 = "HMAC-SHA256"


def _sign_hmac_sha256(client: Any, request: Any) -> str:
    """RFC 5849 §3.4.2 with SHA-256: authlib builds the base string, we only swap the digest."""
    base_string = generate_signature_base_string(request)
    key = f"{escape(client.client_secret or '')}&{escape(client.token_secret or '')}"
    digest = hmac.new(key.encode("utf-8"), base_string.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


if SIGNATURE_HMAC_SHA256 not in ClientAuth.SIGNATURE_METHODS:
    ClientAuth.register_signature_method(SIGNATURE_HMAC_SHA256, _sign_hmac_sha256)


class Authenticator(ABC):
    """Supplies credentials for each attempt; one per client."""

    @abstractmethod
    async def auth(self) -> httpx2.Auth:
        """The auth for the next attempt (may fetch a token)."""

    async def reauthenticate(self, used: httpx2.Auth) -> bool:
        """After a 401 with `used`: drop what failed; True if one retry with new credentials makes sense."""
        return False

    def secrets(self) -> Sequence[str]:
        """Strings that must never appear in an error (current token)."""
        return ()

    async def aclose(self) -> None:
        return None


class _SigningAuth(OAuth1Auth):  # type: ignore[misc]  # authlib ships no type hints
    """authlib's OAuth1Auth, but keeping the request body.

    authlib 1.9.10's `ClientAuth.prepare` returns `b""` as the body of any request that is not
    form-encoded, so a signed PUT would arrive empty. The signature is computed exactly as
    authlib does (JSON bodies are not signed); only the original content is put back.
    """

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
        url, headers, _ = self.prepare(request.method, str(request.url), request.headers, b"")
        content = request.content
        headers["Content-Length"] = str(len(content))
        yield build_request(url=url, headers=headers, body=content, initial_request=request)


class OAuth1Signer(Authenticator):
    def __init__(self, *, consumer_key: str, consumer_secret: str,
                 signature_method: str = SIGNATURE_HMAC_SHA256) -> None:
        if signature_method not in (SIGNATURE_HMAC_SHA256, SIGNATURE_HMAC_SHA1):
            raise ValueError(f"unsupported OAuth 1.0a signature method {signature_method!r}")
        self.signature_method = signature_method
        self._auth = _SigningAuth(consumer_key, consumer_secret, signature_method=signature_method,
                                  signature_type=SIGNATURE_TYPE_HEADER)

    async def auth(self) -> httpx2.Auth:
        return self._auth  # stateless: each send runs auth_flow, i.e. a fresh nonce and timestamp


_BASIC_OR_POST = {
    CredentialPlacement.BASIC: "client_secret_basic",
    CredentialPlacement.FORM: "client_secret_post",
}


class ClientCredentials(Authenticator):
    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        scopes: Sequence[str],
        placement: CredentialPlacement = CredentialPlacement.BASIC,
        transport: httpx2.AsyncBaseTransport | None = None,
        timeout: httpx2.Timeout | float = 30.0,
        redactor: Redactor | None = None,
        stats: ClientStats | None = None,
        semaphore: asyncio.Semaphore | None = None,
        leeway: int = 60,
    ) -> None:
        self.token_url = token_url
        self._redactor = redactor or Redactor([client_secret])
        self._redactor.add(client_secret)
        self._stats = stats or ClientStats()
        self._semaphore = semaphore
        self._timeout = timeout
        self._lock = asyncio.Lock()
        self._token: dict[str, Any] | None = None
        self._oauth = AsyncOAuth2Client(
            client_id=client_id,
            client_secret=client_secret,
            token_endpoint_auth_method=_BASIC_OR_POST[placement],
            scope=" ".join(scopes),
            grant_type="client_credentials",
            token_endpoint=token_url,
            leeway=leeway,
            transport=transport,
            timeout=timeout,
        )
        self._oauth.register_compliance_hook("access_token_response", self._check_token_response)

    # -- token cache -----------------------------------------------------------------------------

    def _usable(self, token: dict[str, Any]) -> bool:
        expires_in = token.get("expires_in")
        leeway = self._oauth.leeway
        if isinstance(expires_in, int) and expires_in > 0:
            leeway = min(leeway, expires_in // 2)  # a 60 s token must not always count as expired
        return not token.is_expired(leeway=leeway)  # type: ignore[attr-defined]  # OAuth2Token

    async def auth(self) -> httpx2.Auth:
        token = self._token
        if token is None or not self._usable(token):
            token = await self._fresh_token()
        auth: httpx2.Auth = OAuth2Auth(token)
        return auth

    async def _fresh_token(self) -> dict[str, Any]:
        async with self._lock:
            token = self._token
            if token is not None and self._usable(token):
                return token  # fetched by another request while this one waited for the lock
            return await self._fetch()

    async def reauthenticate(self, used: httpx2.Auth) -> bool:
        used_token = getattr(used, "token", None) or {}
        async with self._lock:
            if self._token is not None and self._token.get("access_token") == used_token.get("access_token"):
                self._token = None  # the next auth() fetches; concurrent 401s share that one fetch
        self._stats.auth_refreshes += 1
        return True

    def secrets(self) -> Sequence[str]:
        token = self._token
        return (str(token["access_token"]),) if token else ()

    async def aclose(self) -> None:
        await self._oauth.aclose()

    # -- token endpoint --------------------------------------------------------------------------

    async def _fetch(self) -> dict[str, Any]:
        self._stats.token_fetches += 1
        self._stats.requests += 1
        operation = "the token request"
        gate: contextlib.AbstractAsyncContextManager[Any] = self._semaphore or contextlib.nullcontext()
        try:
            async with gate:  # the token request counts against the connection's concurrency too
                token: dict[str, Any] = await self._oauth.fetch_token(self.token_url,
                                                                      grant_type="client_credentials")
        except SisError:
            raise
        except httpx2.HTTPError as exc:
            timeout = self._timeout if isinstance(self._timeout, int | float) else self._timeout.read
            error = error_for_transport(exc, operation=operation, url=self.token_url, redactor=self._redactor,
                                        timeout=timeout)
            self._stats.failures[error.code] += 1
            raise error from exc
        except OAuthError as exc:  # a 2xx body carrying "error" (our hook lets those through)
            raise SisAuthRejected(f"The token endpoint refused the credentials: {exc.error}",
                                  url=self._redactor.url(self.token_url),
                                  sis_description=self._redactor.text(str(exc.description or ""))[:500]
                                  or None,
                                  code_minor=str(exc.error)) from exc
        self._redactor.add(str(token["access_token"]))
        self._token = token
        return token

    def _check_token_response(self, response: httpx2.Response) -> httpx2.Response:
        """Map failures to SisErrors and normalise a good answer before authlib reads it."""
        url = self._redactor.url(self.token_url)
        self._stats.by_status[response.status_code] += 1
        if not 200 <= response.status_code < 300:
            raise self._token_error(response, url)
        try:
            body = response.json()
        except ValueError:
            raise SisProtocolError(f"The token endpoint {url} did not answer JSON; check the token URL",
                                   http_status=response.status_code, url=url) from None
        if not isinstance(body, dict):
            raise SisProtocolError(f"The token endpoint {url} answered a JSON {type(body).__name__}, "
                                   "not a token", http_status=response.status_code, url=url)
        if "error" in body:
            return response  # authlib raises OAuthError, mapped in _fetch
        access_token = body.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise SisProtocolError(f"The token endpoint {url} answered without an access_token",
                                   http_status=response.status_code, url=url)
        token: dict[str, Any] = {"access_token": access_token, "token_type": "bearer"}
        try:
            expires_in = int(float(str(body.get("expires_in"))))
        except (ValueError, OverflowError):
            expires_in = 0
        if expires_in > 0:
            token["expires_in"] = expires_in
            token["expires_at"] = int(time.time()) + expires_in
        if isinstance(body.get("scope"), str):
            token["scope"] = body["scope"]
        return httpx2.Response(response.status_code, json=token, request=response.request)

    def _token_error(self, response: httpx2.Response, url: str) -> SisError:
        status = response.status_code
        try:
            info = parse_status_info(response.json())
        except ValueError:
            info = parse_status_info(response.content)
        said = self._redactor.text(info.description or "")[:500] if info else ""
        minor = info.code_minor if info else None
        common: dict[str, Any] = {"http_status": status, "sis_description": said or None,
                                  "code_minor": minor, "url": url}
        tail = f": {said}" if said else ""
        if status in (404, 405):
            return SisNotFound(f"The token URL {url} does not exist (HTTP {status}); check the token URL",
                               **common)
        if status == 403 or (status == 400 and minor == "invalid_scope"):
            return SisForbidden(f"The token endpoint {url} refused the scopes (HTTP {status}){tail}",
                                **common)
        if status in (400, 401):
            return SisAuthRejected(f"The token endpoint {url} refused the access key or secret "
                                   f"(HTTP {status}){tail}", **common)
        return error_for_response(response, operation="the token request", redactor=self._redactor,
                                  what=f"the token request to {url}")
