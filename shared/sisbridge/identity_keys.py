"""Where the token verifier gets the public keys it trusts.

`KeySource` is the port. `RemoteJwks` reads a JWKS over HTTPS (Google's certs in production) and
caches it for the response's `Cache-Control: max-age`. `LocalKeys` is the embedded stack's own
issuer: an ES256 key kept in the key directory (created on first use, file mode 0600) that mints
Google-ID-token-shaped JWTs, so `make run` needs no Google account.
"""

from __future__ import annotations

import abc
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, KeySetSerialization

from sisbridge.config import LOCAL_AUDIENCE
from sisbridge.errors import IdentityUnavailable, InvalidConfiguration

if TYPE_CHECKING:
    import httpx2

__all__ = ["LOCAL_ALGORITHM", "LOCAL_ISSUER", "KeySource", "LocalKeys", "RemoteJwks"]

logger = logging.getLogger(__name__)

LOCAL_ISSUER = "sisbridge-local"
LOCAL_ALGORITHM = "ES256"
LOCAL_KEY_FILE = "local-identity-es256.jwk.json"
DEFAULT_MAX_AGE = 3600.0  # when the JWKS response gives no max-age
MAX_CACHE_AGE = 24 * 3600.0
MAX_JWKS_BYTES = 1024 * 1024
RETRY_AFTER_SECONDS = 5.0
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)\"?\s*(?:,|$)", re.IGNORECASE)


class KeySource(abc.ABC):
    """The public keys a verifier trusts."""

    @abc.abstractmethod
    def key_set(self, *, refresh: bool = False) -> KeySet:
        """The current keys. `refresh=True` asks for a re-read because a token named an unknown
        `kid`; a source may answer from its cache when it re-read very recently."""


class RemoteJwks(KeySource):
    """A JWKS fetched with httpx2 and cached.

    The cache lives for the response's `max-age` (1 h without one). A refresh asked for because
    of an unknown `kid` re-fetches at most once per `refresh_cooldown` seconds, so made-up key ids
    cannot turn every request into a fetch. When a fetch fails, the last keys keep serving;
    with none, `IdentityUnavailable` (503, retryable) is raised. Thread-safe.
    """

    def __init__(
        self,
        url: str,
        *,
        client: httpx2.Client | None = None,
        timeout: float = 5.0,
        refresh_cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._client = client
        self._timeout = timeout
        self._cooldown = refresh_cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: KeySet | None = None
        self._fetched_at = 0.0
        self._expires_at = 0.0

    def key_set(self, *, refresh: bool = False) -> KeySet:
        with self._lock:
            now = self._clock()
            if self._keys is not None:
                if not refresh and now < self._expires_at:
                    return self._keys
                if refresh and now - self._fetched_at < self._cooldown:
                    return self._keys
            try:
                keys, max_age = self._fetch()
            except _FetchFailed as exc:
                if self._keys is None:
                    raise IdentityUnavailable(
                        "sign-in keys could not be fetched", retry_after=RETRY_AFTER_SECONDS
                    ) from exc
                logger.warning("JWKS fetch from %s failed (%s); using the keys fetched before", self.url, exc)
                self._fetched_at, self._expires_at = now, now + self._cooldown
                return self._keys
            self._keys, self._fetched_at, self._expires_at = keys, now, now + max_age
            return keys

    def _fetch(self) -> tuple[KeySet, float]:
        import httpx2  # deferred: only google mode pays for the import, at the first request

        try:
            if self._client is not None:
                response = self._client.get(self.url, headers={"Accept": "application/json"})
            else:
                with httpx2.Client(timeout=self._timeout, follow_redirects=False) as client:
                    response = client.get(self.url, headers={"Accept": "application/json"})
        except httpx2.HTTPError as exc:
            raise _FetchFailed(type(exc).__name__) from exc
        if response.status_code != 200:
            raise _FetchFailed(f"HTTP {response.status_code}")
        if len(response.content) > MAX_JWKS_BYTES:
            raise _FetchFailed("response too large")
        try:
            document = json.loads(response.content)
            keys = KeySet.import_key_set(_public_only(document))
        except (ValueError, TypeError, KeyError, JoseError) as exc:
            raise _FetchFailed("not a JWKS") from exc
        return keys, _max_age(response.headers.get("Cache-Control"))


class _FetchFailed(Exception):
    """Internal: why a JWKS fetch gave nothing usable (never leaves this module)."""


def _public_only(document: Any) -> KeySetSerialization:
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise ValueError("no keys array")
    private = {"d", "p", "q", "dp", "dq", "qi", "k"}
    return {"keys": [key for key in document["keys"] if isinstance(key, dict) and not private & key.keys()]}


def _max_age(cache_control: str | None) -> float:
    match = _MAX_AGE.search(cache_control or "")
    if match is None:
        return DEFAULT_MAX_AGE
    return min(float(match.group(1)), MAX_CACHE_AGE)


class LocalKeys(KeySource):
    """The local stack's token issuer: one ES256 key in `key_dir`, made on first use.

    Thread-safe, and safe against two processes creating the key at once (the file is written
    aside and hard-linked into place, so no one ever reads half a key).
    """

    def __init__(self, key_dir: Path | str) -> None:
        self.key_dir = Path(key_dir)
        self._lock = threading.Lock()
        self._key: ECKey | None = None
        self._public: KeySet | None = None

    @property
    def path(self) -> Path:
        return self.key_dir / LOCAL_KEY_FILE

    def key_set(self, *, refresh: bool = False) -> KeySet:
        if self._public is None:
            self._public = KeySet([ECKey.import_key(self._private_key().as_dict(private=False))])
        return self._public

    def public_jwks(self) -> KeySetSerialization:
        """The public half as a JWKS document, e.g. to serve at a local `/certs`."""
        return self.key_set().as_dict()

    def mint_token(
        self,
        email: str,
        *,
        name: str | None = None,
        hd: str | None = None,
        audience: str = LOCAL_AUDIENCE,
        ttl: int = 3600,
        subject: str | None = None,
        now: int | None = None,
    ) -> str:
        """Sign a JWT shaped like a Google ID token for `email`.

        Args:
            email: the account; lower-cased.
            name: optional display name.
            hd: the Workspace domain; None means the email's domain, "" leaves `hd` out
                (a personal account, which sisbridge refuses).
            audience: `aud`; the local verifier expects `config.LOCAL_AUDIENCE` unless
                `SISBRIDGE_AUDIENCE` says otherwise.
            ttl: seconds until `exp`.
            subject: `sub`; by default a stable number derived from the email.
            now: `iat` as a Unix time (tests); the current time by default.

        Returns:
            The compact JWT.
        """
        email = email.strip().lower()
        local, _, domain = email.partition("@")
        if not local or not domain or "@" in domain:
            raise ValueError(f"not an email address: {email!r}")
        issued = int(time.time()) if now is None else now
        claims: dict[str, Any] = {
            "iss": LOCAL_ISSUER,
            "aud": audience,
            "sub": subject or str(int(hashlib.sha256(email.encode()).hexdigest(), 16))[:21],
            "email": email,
            "email_verified": True,
            "iat": issued,
            "exp": issued + ttl,
        }
        domain_claim = domain if hd is None else hd.strip().lower()
        if domain_claim:
            claims["hd"] = domain_claim
        if name:
            claims["name"] = name
        key = self._private_key()
        return jwt.encode({"alg": LOCAL_ALGORITHM, "kid": key.kid}, claims, key, algorithms=[LOCAL_ALGORITHM])

    def _private_key(self) -> ECKey:
        with self._lock:
            if self._key is None:
                if not self.path.exists():
                    self._create()
                self._key = self._load()
            return self._key

    def _create(self) -> None:
        self.key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = ECKey.generate_key("P-256", parameters={"alg": LOCAL_ALGORITHM, "use": "sig"}, auto_kid=True)
        fd, temp = tempfile.mkstemp(dir=self.key_dir, prefix=".tmp-", suffix=".json")  # created 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(key.as_dict(private=True), out)
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(temp, self.path)
            except FileExistsError:
                pass  # another process made it first; use theirs
        finally:
            os.unlink(temp)
        logger.info("created the local identity signing key in %s", self.key_dir)

    def _load(self) -> ECKey:
        mode = self.path.stat().st_mode & 0o777
        if mode & 0o077:
            os.chmod(self.path, 0o600)
            logger.warning("tightened %s from mode %o to 600", self.path, mode)
        try:
            key = ECKey.import_key(json.loads(self.path.read_text(encoding="utf-8")))
        except (ValueError, TypeError, KeyError, JoseError) as exc:
            raise InvalidConfiguration(
                f"the local signing key {self.path} is unreadable",
                hint="Delete the file; a new key is made on the next start (older tokens stop working).",
            ) from exc
        if not key.is_private or key.get("crv") != "P-256":
            raise InvalidConfiguration(
                f"the local signing key {self.path} is not a private P-256 key",
                hint="Delete the file; a new key is made on the next start.",
            )
        key.ensure_kid()
        return key
