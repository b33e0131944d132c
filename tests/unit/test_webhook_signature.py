"""Webhook signatures: fresh, matching and constant-time, or refused."""

from __future__ import annotations

import pytest

from sisbridge.errors import Unauthenticated
from sisbridge.webhook_signature import sign, verify

SECRET, BODY, T = "whsec_test", b'{"course_id":"600000000001"}', 1_796_000_000


def test_a_fresh_signature_of_the_exact_body_is_accepted() -> None:
    verify(sign(SECRET, BODY, timestamp=T), BODY, SECRET, now=T + 10)


@pytest.mark.parametrize("header, now, reason", [
    (None, T, "missing"),
    ("v1=abc", T, "malformed"),
    ("t=abc,v1=abc", T, "malformed"),
    (sign(SECRET, BODY, timestamp=T), T + 301, "too old"),
    (sign(SECRET, BODY, timestamp=T), T - 301, "too old"),
    (sign("other", BODY, timestamp=T), T, "does not match"),
    (sign(SECRET, BODY + b" ", timestamp=T), T, "does not match"),
])
def test_bad_signatures_are_refused_with_a_reason(header: str | None, now: int, reason: str) -> None:
    with pytest.raises(Unauthenticated, match=reason):
        verify(header, BODY, SECRET, now=now)


def test_any_of_several_signatures_may_match_during_rotation() -> None:
    good = sign(SECRET, BODY, timestamp=T).split(",")[1]
    verify(f"t={T},v1={'0' * 64},{good}", BODY, SECRET, now=T)
