"""The OneRoster status shape (`imsx_StatusInfo`) and the exception every handler raises to send one."""

from __future__ import annotations

from typing import Any

from sisbridge.vendors import OneRosterVersion

# 1.1 and 1.2 name two minor codes differently; handlers use the 1.1 name and this maps it.
_V12_NAMES = {"unsupportedoperation": "unsupported"}


class ImsxError(Exception):
    """An error answer: HTTP status, imsx minor code and a human description."""

    def __init__(self, status: int, code_minor: str, description: str, *,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.code_minor = code_minor
        self.description = description
        self.headers = headers or {}


def status_body(description: str, code_minor: str, *, major: str = "failure", severity: str = "error",
                version: OneRosterVersion = OneRosterVersion.V1P1) -> dict[str, Any]:
    if version is OneRosterVersion.V1P2:
        code_minor = _V12_NAMES.get(code_minor, code_minor)
    return {
        "imsx_codeMajor": major,
        "imsx_severity": severity,
        "imsx_description": description,
        "imsx_CodeMinor": {"imsx_codeMinorField": [
            {"imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": code_minor},
        ]},
    }


def success_body(description: str) -> dict[str, Any]:
    return status_body(description, "fullsuccess", major="success", severity="status")


def invalid(description: str) -> ImsxError:
    """400 invaliddata: the write was refused; `description` says which field and why."""
    return ImsxError(400, "invaliddata", description)


def not_found(kind: str, sourced_id: str) -> ImsxError:
    return ImsxError(404, "unknownobject", f"Unknown {kind} {sourced_id!r}")
