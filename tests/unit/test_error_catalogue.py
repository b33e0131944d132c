"""Every error code a user can meet is documented in docs/operations.md with a cause and a fix."""

from __future__ import annotations

from pathlib import Path

import sisbridge.errors as errors

DOC = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()


def _all(cls: type) -> list[type]:
    return [c for s in cls.__subclasses__() for c in (s, *_all(s))]


def test_every_error_code_is_documented() -> None:
    codes = {c.code for c in _all(errors.AppError)}
    missing = sorted(code for code in codes if f"`{code}`" not in DOC)
    assert not missing, f"document these codes in docs/operations.md: {missing}"


def test_codes_are_unique_per_class_and_statuses_are_http() -> None:
    seen: dict[str, type] = {}
    for cls in _all(errors.AppError):
        assert 400 <= cls.status <= 599
        if cls.code in seen and "code" in vars(cls):
            raise AssertionError(f"{cls.__name__} reuses code {cls.code} of {seen[cls.code].__name__}")
        seen.setdefault(cls.code, cls)
