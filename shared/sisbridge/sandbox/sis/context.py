"""What a OneRoster handler gets (`Ctx`) and returns (`Reply`), the route type, and response shaping.

Handlers are plain functions `handler(ctx, *path_params) -> Reply`; `app.py` turns a `Reply` into
an HTTP response. Collection replies carry `X-Total-Count` and a `Link` header built on the
request's own URL, so a client that follows `rel="next"` walks every page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Request

from sisbridge.vendors import OneRosterVersion, VendorProfile

from .config import Knobs
from .query import link_header, parse_fields, run_query, select_fields
from .roster import Bases, Roster
from .store import Gradebook

if TYPE_CHECKING:
    from .state import VendorState

Obj = dict[str, Any]

# How a vendor serialises numbers in gradebook GETs (Tools4ever's Skyward map types these as strings).
NUMBERS_AS_STRINGS: dict[str, frozenset[str]] = {
    "skyward": frozenset({"resultValueMin", "resultValueMax", "score"}),
}


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: Any = None  # JSON-able; None sends an empty body
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Ctx:
    vendor: VendorState
    version: OneRosterVersion
    request: Request
    knobs: Knobs

    @property
    def profile(self) -> VendorProfile:
        return self.vendor.profile

    @property
    def roster(self) -> Roster:
        return self.vendor.rosters[self.version]

    @property
    def bases(self) -> Bases:
        return self.vendor.bases[self.version]

    @property
    def gradebook(self) -> Gradebook:
        return self.vendor.gradebook

    @property
    def v12(self) -> bool:
        return self.version is OneRosterVersion.V1P2

    def out(self, kind: str, obj: Obj) -> Obj:
        """The object as this vendor puts it on the wire."""
        as_strings = NUMBERS_AS_STRINGS.get(self.profile.id)
        if as_strings and kind in ("lineItem", "result"):
            return {k: str(v) if k in as_strings and isinstance(v, int | float) else v
                    for k, v in obj.items()}
        return obj

    def many(self, kind: str, envelope: str, items: list[Obj]) -> Reply:
        """A collection reply: filter, sort, fields, paging, X-Total-Count and Link."""
        args = self.request.args
        selection = parse_fields(args, kind)
        page = run_query(items, args, kind)
        body = {envelope: [select_fields(self.out(kind, o), selection) for o in page.items]}
        link = link_header(self.request.base_url, list(args.items(multi=True)), page)
        return Reply(200, body, (("X-Total-Count", str(page.total)), ("Link", link)))

    def one(self, kind: str, obj: Obj) -> Reply:
        return Reply(200, {kind: select_fields(self.out(kind, obj), parse_fields(self.request.args, kind))})


Handler = Callable[..., Reply]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    pattern: tuple[str, ...]  # literal segments, or "*" for a path parameter
    handler: Handler
    service: str  # "rostering" | "gradebook"
    scopes: tuple[str, ...]  # any one of these (without the version prefix) is enough

    def match(self, segments: list[str]) -> list[str] | None:
        if len(segments) != len(self.pattern):
            return None
        params = []
        for want, got in zip(self.pattern, segments, strict=True):
            if want == "*":
                params.append(got)
            elif want != got:
                return None
        return params


def route(method: str, path: str, service: str, scopes: tuple[str, ...]) -> Callable[[Handler], Handler]:
    """Register the decorated handler in `ROUTES` under `method path` ("{x}" marks a parameter)."""
    pattern = tuple("*" if seg.startswith("{") else seg for seg in path.strip("/").split("/"))

    def register(handler: Handler) -> Handler:
        ROUTES.append(Route(method, pattern, handler, service, scopes))
        return handler

    return register


ROUTES: list[Route] = []
ROSTER_READ = ("roster.readonly", "roster-core.readonly")
GRADEBOOK_READ = ("gradebook.readonly", "gradebook-core.readonly")
GRADEBOOK_WRITE = ("gradebook.createput",)
GRADEBOOK_DELETE = ("gradebook.delete",)
