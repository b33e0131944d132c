"""docs/openapi.yaml describes exactly the routes the functions register: same methods and paths
(each router's table, `sisbridge.http.Router._routes`), same path parameters, public exactly where
the view does not authenticate, every error answer in the one error shape, and the error codes the
code can raise."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

import sisbridge.errors as errors
from sisbridge.api import connect, disconnect, export
from sisbridge.http import Router

ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = ROOT / "docs" / "openapi.yaml"
ROUTERS: tuple[Router, ...] = (connect.router, export.router, disconnect.router)
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
# How a view proves who is calling; a view without any of these is public.
AUTH_CALLS = ("authenticate(", "_service_caller(", "webhook_signature.verify(")


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return yaml.safe_load(SPEC_PATH.read_text())


def served() -> dict[tuple[str, str], Any]:
    """(method, OpenAPI path) → view, from each router's own table."""
    routes = {}
    for router in ROUTERS:
        for route in router._routes:
            path = "/" + "/".join((router.function_name, *route.segments))
            routes[(route.method.lower(), path)] = route.view
    return routes


def documented(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(method, path): op for path, item in spec["paths"].items()
            for method, op in item.items() if method in METHODS}


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def test_it_is_openapi_3_1(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1.")
    assert {"signIn", "serviceOidc", "webhookSignature"} <= set(spec["components"]["securitySchemes"])
    assert spec["components"]["securitySchemes"]["signIn"]["scheme"] == "bearer"


def test_every_served_route_is_documented_and_nothing_else() -> None:
    spec = yaml.safe_load(SPEC_PATH.read_text())
    routes, ops = set(served()), set(documented(spec))
    assert sorted(routes - ops) == [], "served but not in docs/openapi.yaml"
    assert sorted(ops - routes) == [], "in docs/openapi.yaml but not served"


def test_path_parameters_match(spec: dict[str, Any]) -> None:
    for (method, path), op in documented(spec).items():
        in_path = set(re.findall(r"\{([^}]+)\}", path))
        params = [resolve(spec, p) for p in (spec["paths"][path].get("parameters", []) + op.get("parameters", []))]
        declared = {p["name"] for p in params if p["in"] == "path"}
        assert declared == in_path, f"{method.upper()} {path}"
        view = served()[(method, path)]
        assert set(inspect.signature(view).parameters) - {"request"} == in_path, f"{method.upper()} {path}"


def test_routes_are_public_exactly_where_the_view_does_not_authenticate(spec: dict[str, Any]) -> None:
    default = spec.get("security", [])
    for key, view in served().items():
        op = documented(spec)[key]
        security = op.get("security", default)
        authenticates = any(call in inspect.getsource(view) for call in AUTH_CALLS)
        assert bool(security) == authenticates, f"{key[0].upper()} {key[1]}: security {security}"


def test_every_error_answer_uses_the_error_shape(spec: dict[str, Any]) -> None:
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    assert set(error["properties"]["error"]["required"]) == {"code", "message", "hint"}
    for (method, path), op in documented(spec).items():
        for status, response in op["responses"].items():
            body = resolve(spec, response)
            schema = body.get("content", {}).get("application/json", {}).get("schema")
            assert schema is not None, f"{method.upper()} {path} {status}: no JSON body documented"
            if int(status) >= 400:
                assert schema == {"$ref": "#/components/schemas/Error"}, f"{method.upper()} {path} {status}"
        assert any(200 <= int(s) < 300 for s in op["responses"]), f"{method.upper()} {path}: no success"


def test_authenticated_routes_document_401(spec: dict[str, Any]) -> None:
    default = spec.get("security", [])
    for (method, path), op in documented(spec).items():
        if op.get("security", default):
            assert "401" in op["responses"], f"{method.upper()} {path}"


def test_the_error_codes_are_the_codes_the_code_raises(spec: dict[str, Any]) -> None:
    codes = {cls.code for _, cls in inspect.getmembers(errors, inspect.isclass)
             if issubclass(cls, errors.AppError)}
    documented_codes = set(spec["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"])
    assert documented_codes == codes


def test_the_sis_ids_are_the_vendor_profiles(spec: dict[str, Any]) -> None:
    from sisbridge.vendors import PROFILES

    assert spec["components"]["schemas"]["SisId"]["enum"] == list(PROFILES)
