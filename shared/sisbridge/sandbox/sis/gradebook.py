"""Gradebook routes (both versions): categories, lineItems and results — GET, PUT, DELETE.

Status codes, chosen to match what Google's conformance suites and the MS provider demo expect:
  PUT    1.1: 201 + echoed object on create, 200 + object on update
         1.2: 201 with an empty body on create, 200 + object on update
  DELETE 1.1: 200 with an imsx success body;  1.2: 204
         unknown id 404 `unknownobject`; a vendor without DELETE (Aeries) 405 (checked in app.py)
Deleting a lineItem also deletes its results. Writes into a closed grading period, including
deletes, are refused with 400 "Grading period <title> is closed".
"""

from __future__ import annotations

from .context import GRADEBOOK_DELETE, GRADEBOOK_READ, GRADEBOOK_WRITE, Ctx, Reply, route
from .imsx import not_found, success_body
from .store import CLIENT
from .validation import (
    WriteContext,
    check_line_item_open,
    parse_body,
    validate_category,
    validate_line_item,
    validate_result,
)

_PLURAL = {"category": "categories", "lineItem": "lineItems", "result": "results"}
_VALIDATE = {"category": validate_category, "lineItem": validate_line_item, "result": validate_result}


def _write_context(ctx: Ctx) -> WriteContext:
    return WriteContext(version=ctx.version, profile=ctx.profile, roster=ctx.roster, gradebook=ctx.gradebook,
                        bases=ctx.bases, closed_grading_periods=tuple(ctx.knobs.closed_grading_periods))


def _class(ctx: Ctx, class_id: str) -> None:
    if class_id not in ctx.roster.classes:
        raise not_found("class", class_id)


def _list(ctx: Ctx, kind: str, index: str | None = None, key: object = None) -> Reply:
    table = ctx.gradebook.table(kind)
    with ctx.gradebook.lock:
        items = table.all() if index is None else table.where(index, key)
    return ctx.many(kind, _PLURAL[kind], items)


def _get_one(ctx: Ctx, kind: str, sourced_id: str) -> Reply:
    with ctx.gradebook.lock:
        obj = ctx.gradebook.table(kind).get(sourced_id)
    if obj is None:
        raise not_found(kind, sourced_id)
    return ctx.one(kind, obj)


def _put(ctx: Ctx, kind: str, sourced_id: str) -> Reply:
    body = parse_body(ctx.request.get_data(), kind, sourced_id)
    gb = ctx.gradebook
    with gb.lock:
        stored, class_id = _VALIDATE[kind](_write_context(ctx), body, sourced_id)
        created = gb.table(kind).put(stored, origin=CLIENT, class_id=class_id)
    if created and ctx.v12:
        return Reply(201)
    return Reply(201 if created else 200, {kind: ctx.out(kind, stored)})


def _delete(ctx: Ctx, kind: str, sourced_id: str) -> Reply:
    gb = ctx.gradebook
    with gb.lock:
        rec = gb.table(kind).record(sourced_id)
        if rec is None:
            raise not_found(kind, sourced_id)
        wctx = _write_context(ctx)
        if kind == "lineItem":
            check_line_item_open(wctx, rec.obj)
            gb.delete_line_item(sourced_id)
        else:
            if kind == "result":
                check_line_item_open(wctx, gb.line_items.get(rec.obj["lineItem"]["sourcedId"]))
            gb.table(kind).delete(sourced_id)
    if ctx.v12:
        return Reply(204)
    return Reply(200, success_body(f"Deleted {kind} {sourced_id}"))


# -- categories --------------------------------------------------------------------------------
@route("GET", "/categories", "gradebook", GRADEBOOK_READ)
def get_categories(ctx: Ctx) -> Reply:
    return _list(ctx, "category")


@route("GET", "/classes/{c}/categories", "gradebook", GRADEBOOK_READ)
def get_categories_for_class(ctx: Ctx, class_id: str) -> Reply:
    _class(ctx, class_id)
    return _list(ctx, "category", "class", class_id)


@route("GET", "/categories/{id}", "gradebook", GRADEBOOK_READ)
def get_category(ctx: Ctx, sourced_id: str) -> Reply:
    return _get_one(ctx, "category", sourced_id)


@route("PUT", "/categories/{id}", "gradebook", GRADEBOOK_WRITE)
def put_category(ctx: Ctx, sourced_id: str) -> Reply:
    return _put(ctx, "category", sourced_id)


@route("DELETE", "/categories/{id}", "gradebook", GRADEBOOK_DELETE)
def delete_category(ctx: Ctx, sourced_id: str) -> Reply:
    return _delete(ctx, "category", sourced_id)


# -- lineItems ---------------------------------------------------------------------------------
@route("GET", "/lineItems", "gradebook", GRADEBOOK_READ)
def get_line_items(ctx: Ctx) -> Reply:
    return _list(ctx, "lineItem")


@route("GET", "/lineItems/{id}", "gradebook", GRADEBOOK_READ)
def get_line_item(ctx: Ctx, sourced_id: str) -> Reply:
    return _get_one(ctx, "lineItem", sourced_id)


@route("PUT", "/lineItems/{id}", "gradebook", GRADEBOOK_WRITE)
def put_line_item(ctx: Ctx, sourced_id: str) -> Reply:
    return _put(ctx, "lineItem", sourced_id)


@route("DELETE", "/lineItems/{id}", "gradebook", GRADEBOOK_DELETE)
def delete_line_item(ctx: Ctx, sourced_id: str) -> Reply:
    return _delete(ctx, "lineItem", sourced_id)


@route("GET", "/classes/{c}/lineItems", "gradebook", GRADEBOOK_READ)
def get_line_items_for_class(ctx: Ctx, class_id: str) -> Reply:
    _class(ctx, class_id)
    return _list(ctx, "lineItem", "class", class_id)


# -- results -----------------------------------------------------------------------------------
@route("GET", "/results", "gradebook", GRADEBOOK_READ)
def get_results(ctx: Ctx) -> Reply:
    return _list(ctx, "result")


@route("GET", "/results/{id}", "gradebook", GRADEBOOK_READ)
def get_result(ctx: Ctx, sourced_id: str) -> Reply:
    return _get_one(ctx, "result", sourced_id)


@route("PUT", "/results/{id}", "gradebook", GRADEBOOK_WRITE)
def put_result(ctx: Ctx, sourced_id: str) -> Reply:
    return _put(ctx, "result", sourced_id)


@route("DELETE", "/results/{id}", "gradebook", GRADEBOOK_DELETE)
def delete_result(ctx: Ctx, sourced_id: str) -> Reply:
    return _delete(ctx, "result", sourced_id)


@route("GET", "/classes/{c}/results", "gradebook", GRADEBOOK_READ)
def get_results_for_class(ctx: Ctx, class_id: str) -> Reply:
    _class(ctx, class_id)
    return _list(ctx, "result", "class", class_id)


@route("GET", "/classes/{c}/lineItems/{li}/results", "gradebook", GRADEBOOK_READ)
def get_results_for_line_item_for_class(ctx: Ctx, class_id: str, line_item_id: str) -> Reply:
    _class(ctx, class_id)
    with ctx.gradebook.lock:
        rec = ctx.gradebook.line_items.record(line_item_id)
    if rec is None or rec.class_id != class_id:
        raise not_found("lineItem", line_item_id)
    return _list(ctx, "result", "lineItem", line_item_id)


@route("GET", "/classes/{c}/students/{s}/results", "gradebook", GRADEBOOK_READ)
def get_results_for_student_for_class(ctx: Ctx, class_id: str, student_id: str) -> Reply:
    _class(ctx, class_id)
    if ctx.roster.roles.get(student_id) != "student":
        raise not_found("student", student_id)
    return _list(ctx, "result", "class_student", (class_id, student_id))

