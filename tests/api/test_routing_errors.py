"""Requests the functions-framework's own routing turns away, before any sisbridge view runs, are
answered in the API's error shape too (found by fuzzing: a newline in a path segment, which the
framework's `<path:path>` rule cannot match, got Flask's HTML 404 page)."""

from __future__ import annotations

import pytest
from werkzeug.test import Client

from sisbridge.local_stack import functions_app


@pytest.fixture(scope="module")
def client() -> Client:
    return Client(functions_app())


@pytest.mark.parametrize("path", [
    "/export/courses/%0A/exports",  # a newline in a segment
    "/export/courses/a%0Ab/link",
    "/connect/robots.txt",  # the framework's own 404 routes
    "/disconnect/favicon.ico",
])
def test_paths_the_framework_refuses_get_a_json_404(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    error = response.get_json()["error"]
    assert error["code"] == "not_found" and error["message"].startswith("no such path: ")
    assert set(error) <= {"code", "message", "hint", "details"}


def test_the_views_still_answer(client: Client) -> None:
    assert client.get("/export/health").get_json() == {"status": "ok"}
    response = client.delete("/export/health")
    assert response.status_code == 405 and response.headers["Allow"] == "GET, HEAD"
