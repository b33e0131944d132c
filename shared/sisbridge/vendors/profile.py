"""What sisbridge knows about one SIS, as data: versions, URLs, auth, limits, admin steps.

A profile never holds code paths. The client and the exporter switch on its fields, so a new
vendor is a new entry in `registry.py`. Facts that could not be verified are listed in `unknowns`
and fall back to generic OneRoster behaviour; they are never presented as vendor facts.
"""

from __future__ import annotations

import enum
import fnmatch
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

ONEROSTER_MARKER = "/ims/oneroster"


class OneRosterVersion(enum.Enum):
    V1P1 = "1.1"
    V1P2 = "1.2"


class AuthMethod(enum.Enum):
    OAUTH2 = "oauth2"  # client credentials, bearer token
    OAUTH1 = "oauth1"  # 2-legged OAuth 1.0a signed requests, no token


class CredentialPlacement(enum.Enum):
    BASIC = "basic"  # client_id:secret in HTTP Basic on the token request (the spec's preference)
    FORM = "form"  # client_id and client_secret in the form body (Aspen)


class Layout12(enum.Enum):
    """How a vendor lays out the 1.2 service bases under `/ims/oneroster`."""

    SPLIT = "split"  # /rostering/v1p2 and /gradebook/v1p2 (the spec)
    FLAT = "flat"  # /v1p2 for every service (Skyward Qmlativ)


class CategorySource(enum.Enum):
    """Where a class's gradebook categories are read (1.1 has no standard class-scoped route)."""

    CLASS_ROUTE = "class_route"  # GET /classes/{c}/categories (1.2 standard; some 1.1 providers)
    ALL = "all"  # GET /categories, filtered by nothing (Google's 1.1 option A)
    METADATA_FILTER = "metadata_filter"  # GET /categories?filter=metadata.classId='{c}' (Aspen)


class Partnership(enum.Enum):
    PARTNER = "partner"  # listed by Google as an SIS grade export partner
    NOT_LISTED = "not_listed"
    GENERIC = "generic"


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoints:
    """The URLs of one connection, derived from what the admin typed."""

    version: OneRosterVersion
    host_root: str  # scheme://host[/path] in front of the vendor prefix
    rostering: str  # base of roster reads, no trailing slash
    gradebook: str  # base of gradebook reads and writes, no trailing slash
    token_url: str | None  # None for OAuth 1.0a


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    title_max_length: int | None = None  # None: unknown
    category_title_max_length: int | None = None
    page_size: int = 100  # the page size sisbridge asks for
    max_page_size: int | None = None  # the largest page the vendor documents
    max_concurrency: int = 4  # parallel requests sisbridge allows itself per connection
    supports_delete: bool = True
    category_required: bool = False
    grading_period_required: bool = False
    whole_number_points: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class VendorProfile:
    id: str
    name: str
    versions: tuple[OneRosterVersion, ...]  # preferred first
    auth_methods: tuple[AuthMethod, ...]  # preferred first
    path_prefix: str = ""  # between the host and /ims/oneroster, e.g. "/campus/api"
    layout_1p2: Layout12 = Layout12.SPLIT
    token_path: str | None = "/token"  # relative to the host root; None when token_url is fixed
    token_url: str | None = None  # absolute, vendor-hosted token service (Capita SIMS)
    token_relative_to_base: bool = False  # token_path hangs off the OneRoster base (Aeries)
    credentials_in: CredentialPlacement = CredentialPlacement.BASIC
    extra_headers: tuple[str, ...] = ()  # header names the vendor may require, e.g. X-Vendor-Authorization
    score_date_format: str = "date"  # "date" (YYYY-MM-DD, the spec) or "datetime"
    category_source: CategorySource = CategorySource.CLASS_ROUTE
    default_category_title: str | None = None  # fallback category when Classroom has none
    limits: Limits = field(default_factory=Limits)
    saas_host_patterns: tuple[str, ...] = ()  # fnmatch patterns of vendor-hosted hosts
    partnership: Partnership = Partnership.GENERIC
    partnership_text: str = ""
    licence: str | None = None  # what the district must license for grade write-back
    credential_steps: tuple[str, ...] = ()  # the admin's step-by-step to get host URL, key, secret
    host_url_example: str = ""
    unknowns: tuple[str, ...] = ()  # facts not verified; generic behaviour is used instead
    sources: tuple[str, ...] = ()

    @property
    def default_version(self) -> OneRosterVersion:
        return self.versions[0]

    @property
    def default_auth(self) -> AuthMethod:
        return self.auth_methods[0]

    def is_saas_host(self, host_url: str) -> bool:
        host = (urlsplit(host_url).hostname or "").lower()
        return any(fnmatch.fnmatch(host, pattern) for pattern in self.saas_host_patterns)

    def host_root(self, host_url: str) -> str:
        """The URL in front of the vendor prefix, from whatever form the admin typed.

        Admins paste the bare host, the vendor's application URL, or the full OneRoster URL
        (`…/ims/oneroster/v1p1/`). Everything from `/ims/oneroster` on, and the vendor prefix if
        the admin included it, is cut so the derived bases never double a segment.
        """
        parts = urlsplit(host_url.strip())
        path = parts.path.rstrip("/")
        lowered = path.lower()
        if ONEROSTER_MARKER in lowered:
            path = path[: lowered.index(ONEROSTER_MARKER)]
        if self.path_prefix and path.lower().endswith(self.path_prefix.lower()):
            path = path[: -len(self.path_prefix)]
        return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, "", "")).rstrip("/")

    def endpoints(
        self,
        host_url: str,
        *,
        version: OneRosterVersion | None = None,
        auth: AuthMethod | None = None,
        token_url: str | None = None,
    ) -> Endpoints:
        version = version or self.default_version
        auth = auth or self.default_auth
        root = self.host_root(host_url)
        oneroster = f"{root}{self.path_prefix}{ONEROSTER_MARKER}"
        if version is OneRosterVersion.V1P1:
            rostering = gradebook = f"{oneroster}/v1p1"
        elif self.layout_1p2 is Layout12.FLAT:
            rostering = gradebook = f"{oneroster}/v1p2"
        else:
            rostering, gradebook = f"{oneroster}/rostering/v1p2", f"{oneroster}/gradebook/v1p2"
        if auth is AuthMethod.OAUTH1:
            token = None
        elif token_url:
            token = token_url
        elif self.token_url:
            token = self.token_url
        elif self.token_relative_to_base:
            token = f"{rostering}{self.token_path}"
        else:
            token = f"{root}{self.token_path}"
        return Endpoints(version=version, host_root=root, rostering=rostering, gradebook=gradebook, token_url=token)

    def scopes(self, version: OneRosterVersion) -> tuple[str, ...]:
        """The scopes Google's conformance suites request: roster reads and gradebook read/write/delete."""
        prefix = f"https://purl.imsglobal.org/spec/or/{'v1p1' if version is OneRosterVersion.V1P1 else 'v1p2'}/scope/"
        return tuple(prefix + s for s in ("roster.readonly", "gradebook.readonly", "gradebook.createput", "gradebook.delete"))
