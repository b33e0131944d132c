"""Who is calling: the caller's identity from `Authorization: Bearer <Google ID token>`.

`TokenVerifier.verify(token) -> Caller` checks the JWT with joserfc: the signature against a
`KeySource` (Google's JWKS, or the local stack's own key), `iss`, `aud`, `exp`/`nbf`/`iat` with
60 s of leeway, `email_verified`, and the Workspace domain `hd`. Every failure is an
`Unauthenticated` (401) with a plain message and a hint; no message ever repeats the token.

Identity only reports claims. Whether a caller is an admin of its tenant is decided elsewhere.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

from sisbridge.config import IdentityMode, Settings
from sisbridge.errors import Unauthenticated
from sisbridge.identity_keys import LOCAL_ALGORITHM, LOCAL_ISSUER, KeySource, LocalKeys, RemoteJwks

__all__ = [
    "LOCAL_ISSUER",
    "Caller",
    "KeySource",
    "LocalKeys",
    "RemoteJwks",
    "TokenVerifier",
    "verifier_from_settings",
]

GOOGLE_ALGORITHMS = ("RS256",)
DEFAULT_LEEWAY = 60
MAX_TOKEN_CHARS = 8192
_SIGN_IN_AGAIN = "Sign in again with your school Google account."


@dataclass(frozen=True, slots=True, kw_only=True)
class Caller:
    """A verified caller. `tenant` is the Google Workspace domain (`hd`) the account belongs to."""

    email: str  # lower-case
    tenant: str  # lower-case Workspace domain
    subject: str  # the issuer's stable account id (`sub`)
    issuer: str
    name: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


class TokenVerifier:
    """Checks bearer JWTs against one key source, issuer list and audience.

    Args:
        keys: where the trusted public keys come from.
        issuers: accepted `iss` values.
        audience: the one accepted `aud` (Google: the OAuth client id).
        algorithms: accepted `alg` values; never "none" or an HMAC.
        leeway: seconds of clock skew allowed on `exp`, `nbf` and `iat`.
        clock: Unix time now (tests pass a fixed one).
    """

    def __init__(
        self,
        keys: KeySource,
        *,
        issuers: Collection[str],
        audience: str,
        algorithms: Collection[str] = GOOGLE_ALGORITHMS,
        leeway: int = DEFAULT_LEEWAY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        unsafe = {a for a in algorithms if a == "none" or a.startswith("HS")}
        if unsafe or not algorithms:
            raise ValueError(f"unsafe or no algorithms for a public-key verifier: {sorted(unsafe)}")
        if not audience or not issuers:
            raise ValueError("a verifier needs an audience and at least one issuer")
        self.keys = keys
        self.issuers = tuple(issuers)
        self.audience = audience
        self.algorithms = tuple(algorithms)
        self.leeway = leeway
        self._clock = clock

    def verify(self, token: str) -> Caller:
        """The caller a token proves, or `Unauthenticated` saying what is wrong with it."""
        return _caller(self.verified_claims(token))

    def verify_service(self, token: str, *, email: str) -> str:
        """For service-to-service calls (Cloud Tasks, Cloud Scheduler): the token must be valid and
        belong to the one service account `email`. Returns that email."""
        claims = self.verified_claims(token)
        if str(claims.get("email", "")).lower() != email.lower():
            raise Unauthenticated("this route only accepts sisbridge's own invoker service account",
                                  hint="Call it through Cloud Tasks or Cloud Scheduler with the invoker account.")
        return email

    def verified_claims(self, token: str) -> dict[str, Any]:
        """Signature, issuer, audience, times and email verification checked; any claim set."""
        header = _header(token)
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in self.algorithms:
            raise Unauthenticated(
                "the sign-in token is signed with an algorithm sisbridge does not accept", hint=_SIGN_IN_AGAIN
            )
        keys = self.keys.key_set()
        if not _knows(keys, kid, alg):
            keys = self.keys.key_set(refresh=True)
            if not _knows(keys, kid, alg):
                raise Unauthenticated(
                    "the sign-in token was signed by a key sisbridge does not know",
                    hint="Sign in again; if it keeps failing, the token comes from another issuer.",
                )
        try:
            claims = jwt.decode(token, keys, algorithms=list(self.algorithms)).claims
        except BadSignatureError:
            raise Unauthenticated("the sign-in token's signature is not valid", hint=_SIGN_IN_AGAIN) from None
        except (JoseError, ValueError, TypeError, KeyError):
            raise Unauthenticated("the sign-in token could not be read", hint=_SIGN_IN_AGAIN) from None
        self._check_claims(claims)
        return dict(claims)

    def _check_claims(self, claims: dict[str, Any]) -> None:
        registry = jwt.JWTClaimsRegistry(
            now=int(self._clock()),
            leeway=self.leeway,
            iss={"essential": True, "values": list(self.issuers)},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise Unauthenticated("the sign-in token has expired", hint="Sign in again.") from None
        except MissingClaimError as exc:
            raise Unauthenticated(
                f"the sign-in token lacks the claims: {exc.claim}", hint=_SIGN_IN_AGAIN
            ) from None
        except JoseError as exc:
            raise _claim_problem(getattr(exc, "claim", "")) from None
        aud = claims.get("aud")
        if aud != self.audience and aud != [self.audience]:
            raise Unauthenticated(
                "the sign-in token was issued for another application",
                hint="Sign in to sisbridge itself; a token obtained for another app cannot be reused.",
            )
        verified = claims.get("email_verified", True)
        if verified is not True and verified != "true":
            raise Unauthenticated(
                "the account's email address is not verified",
                hint="Verify the address with Google, then sign in again.",
            )


def _header(token: str) -> dict[str, Any]:
    malformed = Unauthenticated("the sign-in token is malformed", hint=_SIGN_IN_AGAIN)
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
        raise malformed
    try:
        header = jws.extract_compact(token.encode("ascii")).headers()
    except (JoseError, ValueError, TypeError, KeyError, IndexError):
        raise malformed from None
    if not isinstance(header, dict):
        raise malformed
    return header


def _knows(keys: KeySet, kid: Any, alg: str) -> bool:
    if kid is not None and not isinstance(kid, str):
        return False
    try:
        keys.get_by_kid(kid, {"alg": alg, "use": "sig"})
    except InvalidKeyIdError:
        return False
    return True


def _claim_problem(claim: str) -> Unauthenticated:
    if claim == "iss":
        return Unauthenticated(
            "the sign-in token was not issued by a trusted issuer",
            hint="Sign in with Google; tokens from other issuers are not accepted.",
        )
    if claim in ("nbf", "iat"):
        return Unauthenticated(
            "the sign-in token is not valid yet", hint="Check this computer's clock, then sign in again."
        )
    return Unauthenticated(f"the sign-in token has an invalid '{claim}' claim", hint=_SIGN_IN_AGAIN)


def _caller(claims: dict[str, Any]) -> Caller:
    email = claims.get("email")
    if not isinstance(email, str) or email.count("@") != 1:
        raise Unauthenticated(
            "the sign-in token carries no email address",
            hint="Sign in again and allow sisbridge to see your email address.",
        )
    hd = claims.get("hd")
    if not isinstance(hd, str) or not hd.strip():
        raise Unauthenticated(
            "personal accounts cannot use sisbridge",
            hint="Sign in with your school's Google Workspace account, not a personal Gmail account.",
        )
    name = claims.get("name")
    return Caller(
        email=email.strip().lower(),
        tenant=hd.strip().lower(),
        subject=str(claims["sub"]),
        issuer=str(claims["iss"]),
        name=name if isinstance(name, str) and name else None,
        claims=MappingProxyType(dict(claims)),
    )


def verifier_from_settings(settings: Settings) -> TokenVerifier:
    """Google mode: Google's JWKS, issuers and the configured audience. Local mode: only the
    local stack's key and issuer (`LocalKeys(settings.key_dir)`)."""
    if settings.identity_mode is IdentityMode.GOOGLE:
        return TokenVerifier(
            RemoteJwks(settings.jwks_url),
            issuers=settings.issuers,
            audience=settings.audience,
            algorithms=GOOGLE_ALGORITHMS,
        )
    return TokenVerifier(
        LocalKeys(settings.key_dir),
        issuers=(LOCAL_ISSUER,),
        audience=settings.audience,
        algorithms=(LOCAL_ALGORITHM,),
    )
