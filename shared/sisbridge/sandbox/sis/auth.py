"""Authentication: the OAuth 2 client-credentials token endpoint, bearer checks, and OAuth 1.0a.

OAuth 1.0a signatures are verified with oauthlib's RFC 5849 primitives (a different library from
the authlib signer the sisbridge client uses, so a shared bug cannot hide itself): parameters are
collected from the Authorization header and the query string only (the JSON body is never
signed in OneRoster), normalised, and checked with HMAC-SHA1 or HMAC-SHA256.
Secrets and tokens are never logged.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from oauthlib.oauth1.rfc5849 import signature

from sisbridge.vendors import CredentialPlacement, OneRosterVersion, Partnership, VendorProfile

from .config import CLIENTS, Knobs
from .imsx import ImsxError

SCOPE_PREFIX = {
    OneRosterVersion.V1P1: "https://purl.imsglobal.org/spec/or/v1p1/scope/",
    OneRosterVersion.V1P2: "https://purl.imsglobal.org/spec/or/v1p2/scope/",
}
KNOWN_SCOPES = frozenset({
    "roster-core.readonly", "roster.readonly", "roster-demographics.readonly", "resource.readonly",
    "resource-core.readonly", "gradebook-core.readonly", "gradebook.readonly", "gradebook.createput",
    "gradebook.createpost", "gradebook.delete",
    "assessment.readonly", "assessment.createput", "assessment.delete",
})
OAUTH1_SKEW_S = 600  # accepted clock difference, either way
_NONCE_TTL_S = 2 * OAUTH1_SKEW_S
_VERIFY: dict[str, Callable[..., bool]] = {
    "HMAC-SHA1": signature.verify_hmac_sha1,
    "HMAC-SHA256": signature.verify_hmac_sha256,
}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling and with which scopes (full scope URIs)."""

    vendor: str
    client_id: str
    scopes: frozenset[str]
    expires_at: float | None = None  # monotonic deadline of a bearer token


@dataclass(frozen=True, slots=True)
class TokenReply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


def _oauth_error(status: int, error: str, description: str) -> TokenReply:
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="sisbridge-sandbox"'
    return TokenReply(status, {"error": error, "error_description": description}, headers)


def unauthorised(description: str, *, oauth1: bool = False) -> ImsxError:
    challenge = 'OAuth realm="sisbridge-sandbox"' if oauth1 else 'Bearer realm="sisbridge-sandbox"'
    return ImsxError(401, "unauthorisedrequest", description, headers={"WWW-Authenticate": challenge})


def require_scope(principal: Principal, version: OneRosterVersion, names: tuple[str, ...]) -> None:
    """403 `forbidden` unless the caller holds one of `names` for this OneRoster version."""
    prefix = SCOPE_PREFIX[version]
    if not any(prefix + n in principal.scopes for n in names):
        raise ImsxError(403, "forbidden", f"Access token lacks scope {prefix + names[0]}")


class Authenticator:
    """Issues and checks bearer tokens (per vendor) and verifies OAuth 1.0a signatures."""

    def __init__(self, knobs: Knobs) -> None:
        self._knobs = knobs
        self._lock = threading.Lock()
        self._tokens: dict[str, Principal] = {}
        self._nonces: dict[tuple[str, str], float] = {}

    def revoke_all(self) -> int:
        with self._lock:
            count = len(self._tokens)
            self._tokens.clear()
        return count

    # -- OAuth 2 client credentials ---------------------------------------------------------
    def issue(self, profile: VendorProfile, form: Mapping[str, str],
              basic: tuple[str, str] | None) -> TokenReply:
        """Answer a client-credentials token request; `basic` is (id, secret) from HTTP Basic."""
        if form.get("grant_type") is None:
            return _oauth_error(400, "invalid_request", "grant_type is required")
        if form["grant_type"] != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "Only client_credentials is supported")
        in_form = form.get("client_id") is not None or form.get("client_secret") is not None
        if in_form and basic:
            return _oauth_error(400, "invalid_request",
                                "Client credentials sent both in Basic auth and in the form")
        generic = profile.partnership is Partnership.GENERIC
        wants_form = profile.credentials_in is CredentialPlacement.FORM
        if in_form and not (wants_form or generic):
            return _oauth_error(401, "invalid_client",
                                f"{profile.name} expects client credentials in HTTP Basic auth")
        if basic and wants_form:
            return _oauth_error(401, "invalid_client",
                                f"{profile.name} expects client_id and client_secret in the form body")
        client_id, secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
        known = CLIENTS.get(client_id)
        if known is None or not hmac.compare_digest(known[0].encode(), secret.encode()):
            return _oauth_error(401, "invalid_client", "Unknown client or wrong secret")
        requested = form.get("scope", "").split()
        if not requested:
            return _oauth_error(400, "invalid_scope", "scope is required (space-separated scope URIs)")
        granted = []
        for scope in requested:
            prefix = next((p for p in SCOPE_PREFIX.values() if scope.startswith(p)), None)
            if prefix is None or scope[len(prefix):] not in KNOWN_SCOPES:
                return _oauth_error(400, "invalid_scope", f"Unknown scope {scope!r}")
            if scope[len(prefix):] in known[1]:
                granted.append(scope)
        if not granted:
            return _oauth_error(400, "invalid_scope",
                                "None of the requested scopes is granted to this client")
        token, ttl = secrets.token_urlsafe(32), self._knobs.token_ttl_s
        now = time.monotonic()
        with self._lock:
            if len(self._tokens) > 1000:  # drop expired tokens now and then
                self._tokens = {t: p for t, p in self._tokens.items() if (p.expires_at or 0) > now}
            self._tokens[token] = Principal(profile.id, client_id, frozenset(granted), now + ttl)
        body = {"access_token": token, "token_type": "bearer", "expires_in": ttl, "scope": " ".join(granted)}
        return TokenReply(200, body, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    def bearer(self, vendor: str, token: str) -> Principal:
        with self._lock:
            principal = self._tokens.get(token)
            if principal is not None and (principal.expires_at or 0) <= time.monotonic():
                del self._tokens[token]
                raise unauthorised("Access token expired")
        if principal is None:
            raise unauthorised("Unknown or revoked access token")
        if principal.vendor != vendor:
            raise unauthorised("Access token was issued for another SIS")
        return principal

    # -- OAuth 1.0a, 2-legged ---------------------------------------------------------------
    def oauth1(self, vendor: str, *, method: str, url: str, query: str, authorization: str) -> Principal:
        try:
            header = signature.collect_parameters(headers={"Authorization": authorization},
                                                  exclude_oauth_signature=False)
            params = signature.collect_parameters(uri_query=query, headers={"Authorization": authorization})
        except ValueError:
            raise unauthorised("Malformed OAuth 1.0a request", oauth1=True) from None
        oauth = dict(header)
        if len(oauth) != len(header):
            raise unauthorised("Duplicate OAuth parameters", oauth1=True)
        required = ("oauth_consumer_key", "oauth_signature_method", "oauth_timestamp", "oauth_nonce",
                    "oauth_signature")
        missing = [k for k in required if not oauth.get(k)]
        if missing:
            raise unauthorised(f"Missing OAuth parameters: {', '.join(missing)}", oauth1=True)
        if oauth.get("oauth_version", "1.0") != "1.0" or oauth.get("oauth_token"):
            raise unauthorised("Expected 2-legged OAuth 1.0 (no oauth_token)", oauth1=True)
        verify = _VERIFY.get(oauth["oauth_signature_method"])
        if verify is None:
            raise unauthorised(f"Unsupported signature method {oauth['oauth_signature_method']!r}",
                               oauth1=True)
        known = CLIENTS.get(oauth["oauth_consumer_key"])
        if known is None:
            raise unauthorised("Unknown consumer key", oauth1=True)
        stamp = oauth["oauth_timestamp"]
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > OAUTH1_SKEW_S:
            raise unauthorised("oauth_timestamp is missing or more than 10 minutes off", oauth1=True)
        # The attributes oauthlib's verify_hmac_* read from a request.
        request = SimpleNamespace(uri=url, http_method=method, params=params,
                                  signature=oauth["oauth_signature"])
        if not verify(request, client_secret=known[0]):
            raise unauthorised("Invalid OAuth signature", oauth1=True)
        key, now = (oauth["oauth_consumer_key"], oauth["oauth_nonce"]), time.time()
        with self._lock:
            if len(self._nonces) > 10_000:
                self._nonces = {k: t for k, t in self._nonces.items() if t > now - _NONCE_TTL_S}
            seen = self._nonces.get(key)
            if seen is not None and seen > now - _NONCE_TTL_S:
                raise unauthorised("oauth_nonce already used", oauth1=True)
            self._nonces[key] = now
        scopes = frozenset(SCOPE_PREFIX[OneRosterVersion.V1P1] + s for s in known[1])
        return Principal(vendor, oauth["oauth_consumer_key"], scopes)
