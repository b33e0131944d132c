"""Routes of the `disconnect` function (admins)."""

from __future__ import annotations

from typing import Any

from flask import Request

from sisbridge import bootstrap
from sisbridge.http import Router, authenticate
from sisbridge.services import disconnect as service

router = Router("disconnect")


@router.route("POST", "/")
def disconnect(request: Request) -> Any:
    deps = bootstrap.deps()
    return service.disconnect(authenticate(request, deps.verifier), deps)
