"""Errors in Google's JSON shape: `{"error": {"code": 404, "message": "...", "status": "NOT_FOUND"}}`.

ApiError(status, message)
  status: Status  →  HTTP code and the canonical `status` string
"""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass, replace
from typing import Any


class Status(enum.Enum):
    """google.rpc.Code names used by the sandbox, with HTTP code and canonical message."""

    INVALID_ARGUMENT = (400, "Request contains an invalid argument.")
    FAILED_PRECONDITION = (400, "Precondition check failed.")
    UNAUTHENTICATED = (401, "Request had invalid authentication credentials.")
    PERMISSION_DENIED = (403, "The caller does not have permission")
    NOT_FOUND = (404, "Requested entity was not found.")
    ALREADY_EXISTS = (409, "Requested entity already exists")
    RESOURCE_EXHAUSTED = (429, "Resource has been exhausted (e.g. check quota).")
    INTERNAL = (500, "Internal error encountered.")
    UNAVAILABLE = (503, "The service is currently unavailable.")

    @property
    def http(self) -> int:
        return self.value[0]

    @property
    def default_message(self) -> str:
        return self.value[1]

    @classmethod
    def for_http(cls, code: int) -> Status:
        """The first status with this HTTP code (400 → INVALID_ARGUMENT); unknown codes → INTERNAL."""
        return next((s for s in cls if s.http == code), cls.INTERNAL)


class ApiError(Exception):
    """A request the sandbox refuses, answered as Google would."""

    def __init__(self, status: Status, message: str | None = None) -> None:
        self.status = status
        self.message = message or status.default_message
        super().__init__(self.message)

    def to_json(self) -> dict[str, Any]:
        return {"error": {"code": self.status.http, "message": self.message, "status": self.status.name}}


def invalid(message: str) -> ApiError:
    return ApiError(Status.INVALID_ARGUMENT, message)


def not_found(message: str | None = None) -> ApiError:
    return ApiError(Status.NOT_FOUND, message)


@dataclass(frozen=True, slots=True)
class _Fault:
    status: Status
    remaining: int
    path: str
    message: str | None


class FaultQueue:
    """Injected failures: each answers the next `times` requests whose path contains `path`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[_Fault] = []

    def add(self, status: Status, *, times: int = 1, path: str = "", message: str | None = None) -> None:
        with self._lock:
            self._faults.append(_Fault(status, times, path, message))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, path: str) -> ApiError | None:
        """Consume the first fault matching `path`, if any."""
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.path in path:
                    if fault.remaining <= 1:
                        del self._faults[i]
                    else:
                        self._faults[i] = replace(fault, remaining=fault.remaining - 1)
                    return ApiError(fault.status, fault.message)
        return None
