from __future__ import annotations

import base64
import hashlib
import hmac
import json
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.wrappers import Response

from sisbridge.config import Settings
from sisbridge.errors import IdentityUnavailable, InvalidConfiguration, Unauthenticated
from sisbridge.identity import (
    LOCAL_ISSUER,
    Caller,
    LocalKeys,
    RemoteJwks,
    TokenVerifier,
    verifier_from_settings,
)
from sisbridge.sandbox import runner

AUDIENCE = "1234-abc.apps.googleusercontent.com"
ISSUERS = ("https://accounts.google.com", "accounts.google.com")


def rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"alg": "RS256", "use": "sig"}, auto_kid=True)


@pytest.fixture(scope="module")
def keys() -> dict[str, RSAKey]:
    return {"current": rsa_key(), "next": rsa_key(), "stranger": rsa_key()}


@dataclass
class JwksServer:
    """A loopback stand-in for https://www.googleapis.com/oauth2/v3/certs."""

    published: list[RSAKey]
    cache_control: str = "public, max-age=3600, must-revalidate"
    status: int = 200
    hits: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def __call__(self, environ: Any, start_response: Any) -> Any:
        with self.lock:
            self.hits += 1
            document = {"keys": [k.as_dict(private=False) for k in self.published]}
            response = Response(json.dumps(document), status=self.status, content_type="application/json")
            response.headers["Cache-Control"] = self.cache_control
        return response(environ, start_response)


@pytest.fixture(scope="module")
def jwks_running(keys: dict[str, RSAKey]) -> Iterator[JwksServer]:
    server = JwksServer(published=[keys["current"]])
    running = runner.start(server)
    server.url = running.url + "/oauth2/v3/certs"
    yield server
    running.stop()


@pytest.fixture
def jwks(jwks_running: JwksServer, keys: dict[str, RSAKey]) -> JwksServer:
    """The module's server, reset to Google's usual answer for each test."""
    server = jwks_running
    server.published, server.cache_control, server.status, server.hits = (
        [keys["current"]],
        "public, max-age=3600",
        200,
        0,
    )
    return server


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": "https://accounts.google.com",
        "aud": AUDIENCE,
        "azp": AUDIENCE,
        "sub": "110169484474386276334",
        "email": "Ada.Lovelace@School.EDU",
        "email_verified": True,
        "hd": "School.edu",
        "name": "Ada Lovelace",
        "iat": now,
        "exp": now + 3600,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(key: RSAKey, body: dict[str, Any], *, kid: str | None = None) -> str:
    return jwt.encode({"alg": "RS256", "kid": kid or key.kid}, body, key, algorithms=["RS256"])


def verifier(server: JwksServer, clock: Clock | None = None) -> TokenVerifier:
    source = RemoteJwks(server.url, clock=clock or time.monotonic)
    return TokenVerifier(source, issuers=ISSUERS, audience=AUDIENCE)


def rejected(v: TokenVerifier, token: str) -> Unauthenticated:
    with pytest.raises(Unauthenticated) as caught:
        v.verify(token)
    err = caught.value
    assert err.status == 401 and err.code == "unauthenticated" and err.hint
    if len(token) >= 8:  # the error never repeats the token
        assert token not in json.dumps(err.to_dict()) and token not in str(err)
    return err


# --- Google mode -----------------------------------------------------------------------------


def test_a_google_id_token_gives_the_caller(jwks: JwksServer, keys: dict[str, RSAKey]) -> None:
    caller = verifier(jwks).verify(sign(keys["current"], claims()))
    assert caller == Caller(
        email="ada.lovelace@school.edu",
        tenant="school.edu",
        subject="110169484474386276334",
        issuer="https://accounts.google.com",
        name="Ada Lovelace",
    )
    assert caller.claims["azp"] == AUDIENCE
    assert "claims" not in repr(caller)


def test_both_google_issuer_spellings_are_accepted(jwks: JwksServer, keys: dict[str, RSAKey]) -> None:
    assert (
        verifier(jwks).verify(sign(keys["current"], claims(iss="accounts.google.com"))).tenant == "school.edu"
    )


def test_keys_are_cached(jwks: JwksServer, keys: dict[str, RSAKey]) -> None:
    v = verifier(jwks)
    for _ in range(3):
        v.verify(sign(keys["current"], claims()))
    assert jwks.hits == 1


def test_cache_lives_for_max_age(jwks: JwksServer, keys: dict[str, RSAKey]) -> None:
    jwks.cache_control = "public, max-age=100"
    clock = Clock()
    v = verifier(jwks, clock)
    token = sign(keys["current"], claims())
    v.verify(token)
    clock.now += 99
    v.verify(token)
    assert jwks.hits == 1
    clock.now += 2
    v.verify(token)
    assert jwks.hits == 2


def test_an_unknown_kid_triggers_one_refetch_after_rotation(
    jwks: JwksServer, keys: dict[str, RSAKey]
) -> None:
    clock = Clock()
    v = verifier(jwks, clock)
    v.verify(sign(keys["current"], claims()))
    jwks.published = [keys["current"], keys["next"]]  # Google publishes the next key
    clock.now += 60
    assert v.verify(sign(keys["next"], claims())).email == "ada.lovelace@school.edu"
    assert jwks.hits == 2


def test_a_kid_unknown_after_refetch_is_rejected_and_not_refetched_again_at_once(
    jwks: JwksServer, keys: dict[str, RSAKey]
) -> None:
    clock = Clock()
    v = verifier(jwks, clock)
    v.verify(sign(keys["current"], claims()))
    clock.now += 60
    err = rejected(v, sign(keys["stranger"], claims()))
    assert "key" in err.message
    assert jwks.hits == 2
    rejected(v, sign(keys["stranger"], claims(), kid="made-up"))
    assert jwks.hits == 2  # within the cooldown: answered from the cache


def test_bad_signature(jwks: JwksServer, keys: dict[str, RSAKey]) -> None:
    forged = sign(keys["stranger"], claims(), kid=keys["current"].kid)  # claims to be Google's key
    assert "signature" in rejected(verifier(jwks), forged).message


def test_tampered_payload(jwks: JwksServer, keys: dict[str, RSAKey]) -> None:
    header, _, signature = sign(keys["current"], claims()).split(".")
    payload = (
        base64.urlsafe_b64encode(json.dumps(claims(email="boss@school.edu")).encode()).rstrip(b"=").decode()
    )
    assert "signature" in rejected(verifier(jwks), f"{header}.{payload}.{signature}").message


def test_wrong_issuer(jwks: JwksServer, keys: dict[str, RSAKey]) -> None:
    err = rejected(verifier(jwks), sign(keys["current"], claims(iss="https://evil.example")))
    assert "issuer" in err.message


@pytest.mark.parametrize("aud", ["someone-else.apps.googleusercontent.com", ["other", AUDIENCE]])
def test_wrong_audience(jwks: JwksServer, keys: dict[str, RSAKey], aud: Any) -> None:
    err = rejected(verifier(jwks), sign(keys["current"], claims(aud=aud)))
    assert "another application" in err.message


def test_expired_beyond_the_leeway(jwks: JwksServer, keys: dict[str, RSAKey]) -> None:
    now = int(time.time())
    err = rejected(verifier(jwks), sign(keys["current"], claims(iat=now - 4000, exp=now - 61)))
    assert "expired" in err.message and err.hint == "Sign in again."


def test_expired_within_the_leeway_is_accepted(jwks: JwksServer, keys: dict[str, RSAKey]) -> None:
    now = int(time.time())
    assert verifier(jwks).verify(sign(keys["current"], claims(iat=now - 3600, exp=now - 30)))


@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_not_yet_valid(jwks: JwksServer, keys: dict[str, RSAKey], claim: str) -> None:
    err = rejected(verifier(jwks), sign(keys["current"], claims(**{claim: int(time.time()) + 600})))
    assert "not valid yet" in err.message


@pytest.mark.parametrize("missing", ["exp", "iat", "sub", "iss"])
def test_missing_required_claims(jwks: JwksServer, keys: dict[str, RSAKey], missing: str) -> None:
    err = rejected(verifier(jwks), sign(keys["current"], claims(**{missing: None})))
    assert missing in err.message


def test_a_personal_account_without_hd_is_refused(jwks: JwksServer, keys: dict[str, RSAKey]) -> None:
    err = rejected(verifier(jwks), sign(keys["current"], claims(hd=None, email="ada@gmail.com")))
    assert err.message == "personal accounts cannot use sisbridge"


def test_unverified_email_is_refused(jwks: JwksServer, keys: dict[str, RSAKey]) -> None:
    assert (
        "not verified"
        in rejected(verifier(jwks), sign(keys["current"], claims(email_verified=False))).message
    )


def test_no_email_is_refused(jwks: JwksServer, keys: dict[str, RSAKey]) -> None:
    assert "email" in rejected(verifier(jwks), sign(keys["current"], claims(email=None))).message


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_alg_none_is_refused(jwks: JwksServer, keys: dict[str, RSAKey]) -> None:
    token = f"{_b64({'alg': 'none', 'kid': keys['current'].kid})}.{_b64(claims())}."
    assert "algorithm" in rejected(verifier(jwks), token).message
    assert jwks.hits == 0  # refused before any key is fetched


def test_hmac_signed_with_the_public_key_is_refused(jwks: JwksServer, keys: dict[str, RSAKey]) -> None:
    # The classic confusion attack: HS256 keyed with the RSA public key the attacker can download.
    secret = keys["current"].as_pem(private=False)
    signing_input = f"{_b64({'alg': 'HS256', 'kid': keys['current'].kid})}.{_b64(claims())}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    assert "algorithm" in rejected(verifier(jwks), token).message


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b.c", "a.b", "....", "eyJhbGciOiJSUzI1NiJ9.e30", "!!!.@@@.###", "x" * 9000 + ".a.b"],
)
def test_malformed_tokens(jwks: JwksServer, token: str) -> None:
    rejected(verifier(jwks), token)


def test_no_keys_and_no_jwks_is_a_retryable_503(jwks: JwksServer, keys: dict[str, RSAKey]) -> None:
    jwks.status = 500
    with pytest.raises(IdentityUnavailable) as caught:
        verifier(jwks).verify(sign(keys["current"], claims()))
    assert caught.value.status == 503 and caught.value.retryable and caught.value.retry_after


def test_unreachable_jwks_is_a_retryable_503(keys: dict[str, RSAKey]) -> None:
    v = TokenVerifier(RemoteJwks("http://127.0.0.1:9/certs", timeout=1), issuers=ISSUERS, audience=AUDIENCE)
    with pytest.raises(IdentityUnavailable):
        v.verify(sign(keys["current"], claims()))


def test_cached_keys_keep_serving_when_a_refetch_fails(jwks: JwksServer, keys: dict[str, RSAKey]) -> None:
    jwks.cache_control = "max-age=10"
    clock = Clock()
    v = verifier(jwks, clock)
    token = sign(keys["current"], claims())
    v.verify(token)
    jwks.status = 503
    clock.now += 11
    assert v.verify(token).tenant == "school.edu"
    assert jwks.hits == 2


def test_verifier_refuses_unsafe_algorithm_lists(jwks: JwksServer) -> None:
    for algorithms in (["none"], ["HS256"], []):
        with pytest.raises(ValueError):
            TokenVerifier(RemoteJwks(jwks.url), issuers=ISSUERS, audience=AUDIENCE, algorithms=algorithms)


def test_verifier_from_settings_google_mode(jwks: JwksServer, keys: dict[str, RSAKey]) -> None:
    settings = Settings.from_env(
        {"SISBRIDGE_IDENTITY": "google", "SISBRIDGE_AUDIENCE": AUDIENCE, "SISBRIDGE_JWKS_URL": jwks.url}
    )
    assert verifier_from_settings(settings).verify(sign(keys["current"], claims())).tenant == "school.edu"


# --- local mode ------------------------------------------------------------------------------


def local_settings(tmp_path: Path) -> Settings:
    return Settings.from_env(
        {"SISBRIDGE_KEY_DIR": str(tmp_path / "keys"), "SISBRIDGE_DATA_DIR": str(tmp_path / "data")}
    )


def test_local_key_is_made_on_first_use_private_to_the_owner(tmp_path: Path) -> None:
    local = LocalKeys(tmp_path / "keys")
    assert not (tmp_path / "keys").exists()  # nothing happens at construction
    local.mint_token("ada@school.edu")
    assert stat.S_IMODE(local.path.stat().st_mode) == 0o600
    assert list(local.key_dir.iterdir()) == [local.path]  # no temp file left behind
    jwks = local.public_jwks()
    assert len(jwks["keys"]) == 1 and "d" not in jwks["keys"][0]
    assert jwks == LocalKeys(tmp_path / "keys").public_jwks()  # reused, not remade


def test_local_token_round_trip(tmp_path: Path) -> None:
    settings = local_settings(tmp_path)
    token = LocalKeys(settings.key_dir).mint_token("Teacher@District.org", name="T. Teacher")
    caller = verifier_from_settings(settings).verify(token)
    assert (caller.email, caller.tenant, caller.name, caller.issuer) == (
        "teacher@district.org",
        "district.org",
        "T. Teacher",
        LOCAL_ISSUER,
    )
    assert caller.subject.isdigit() and len(caller.subject) <= 21


def test_local_token_with_explicit_hd_and_subject(tmp_path: Path) -> None:
    settings = local_settings(tmp_path)
    token = LocalKeys(settings.key_dir).mint_token("ada@alias.school.edu", hd="school.edu", subject="42")
    caller = verifier_from_settings(settings).verify(token)
    assert caller.tenant == "school.edu" and caller.subject == "42"


def test_local_personal_account_is_refused(tmp_path: Path) -> None:
    settings = local_settings(tmp_path)
    token = LocalKeys(settings.key_dir).mint_token("ada@gmail.com", hd="")
    assert (
        rejected(verifier_from_settings(settings), token).message == "personal accounts cannot use sisbridge"
    )


def test_local_verifier_checks_audience_and_expiry(tmp_path: Path) -> None:
    settings = local_settings(tmp_path)
    local = LocalKeys(settings.key_dir)
    v = verifier_from_settings(settings)
    rejected(v, local.mint_token("ada@school.edu", audience="another-app"))
    rejected(v, local.mint_token("ada@school.edu", now=int(time.time()) - 7200, ttl=3600))


def test_local_verifier_trusts_only_its_own_key_and_issuer(tmp_path: Path, keys: dict[str, RSAKey]) -> None:
    v = verifier_from_settings(local_settings(tmp_path))
    rejected(v, sign(keys["current"], claims(iss=LOCAL_ISSUER, aud="sisbridge-local")))  # RS256: not accepted
    other = LocalKeys(tmp_path / "elsewhere").mint_token("ada@school.edu")
    assert "key" in rejected(v, other).message


def test_google_verifier_does_not_trust_local_tokens(tmp_path: Path, jwks: JwksServer) -> None:
    token = LocalKeys(tmp_path / "keys").mint_token("ada@school.edu", audience=AUDIENCE)
    rejected(verifier(jwks), token)


def test_a_corrupt_local_key_is_a_configuration_error(tmp_path: Path) -> None:
    local = LocalKeys(tmp_path / "keys")
    local.key_dir.mkdir()
    local.path.write_text("{not json")
    with pytest.raises(InvalidConfiguration):
        local.mint_token("ada@school.edu")


def test_mint_token_wants_an_email(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        LocalKeys(tmp_path).mint_token("not-an-email")


def test_local_key_creation_is_safe_across_threads(tmp_path: Path) -> None:
    sources = [LocalKeys(tmp_path / "keys") for _ in range(8)]
    tokens: list[str] = []
    threads = [
        threading.Thread(target=lambda s=s: tokens.append(s.mint_token("ada@school.edu"))) for s in sources
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [p.name for p in (tmp_path / "keys").iterdir()] == ["local-identity-es256.jwk.json"]
    v = verifier_from_settings(local_settings(tmp_path))
    assert all(v.verify(token).email == "ada@school.edu" for token in tokens)
