"""Signed webhook calls: `X-Sisbridge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.

The timestamp is signed with the body, so a captured call cannot be replayed after the tolerance
window, and the comparison is constant-time. Several `v1=` values may be sent while a secret is
being rotated; any one matching is enough.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from sisbridge.errors import Unauthenticated

HEADER = "X-Sisbridge-Signature"
TOLERANCE_S = 300


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(header: str | None, body: bytes, secret: str, *, now: float | None = None,
           tolerance_s: int = TOLERANCE_S) -> None:
    """Raise Unauthenticated unless `header` is a valid, fresh signature of `body` under `secret`."""
    hint = f"Sign the raw body as {HEADER}: t=<unix time>,v1=<hex HMAC-SHA256(secret, \"<t>.<body>\")>."
    if not header:
        raise Unauthenticated(f"The {HEADER} header is missing.", hint=hint)
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value.strip().lower())
    if timestamp is None or not candidates:
        raise Unauthenticated(f"The {HEADER} header is malformed.", hint=hint)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        raise Unauthenticated("The webhook signature is too old or from the future.",
                              hint=f"Sign each call when it is sent; the clock may be off by at most {tolerance_s} s.")
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        raise Unauthenticated("The webhook signature does not match.",
                              hint="Use the current webhook secret (rotating it replaces the old one).")
