"""Routes of the `export` function. Only the health check exists until the export pipeline lands."""

from __future__ import annotations

from typing import Any

from flask import Request

from sisbridge.http import Router

router = Router("export")


@router.route("GET", "/health")
def health(request: Request) -> Any:
    return {"status": "ok"}
