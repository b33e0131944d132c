"""The OneRoster 1.1/1.2 wire protocol: one async client that a `VendorProfile` configures.

Modules: `models` (typed values), `wire` (JSON ↔ models, envelopes), `coerce` (lenient readers),
`filters` (filter and query encoding), `paging`, `auth` (OAuth 2 client credentials, OAuth 1.0a),
`retry` (policy and backoff), `errors` (HTTP → SisError), `transport` (one request, end to end),
`stats`, and `client`. No sisbridge domain imports: adapters map domain ↔ these values.
"""

from .auth import SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256
from .client import DeleteOutcome, OneRosterClient, Service, WriteOutcome
from .errors import Redactor, StatusInfo, parse_retry_after, parse_status_info
from .filters import Filter, encode_query, eq
from .models import (
    AcademicSession,
    Category,
    GUIDRef,
    LineItem,
    Org,
    Result,
    ScoreStatus,
    SessionType,
    SisClass,
    Status,
    User,
)
from .retry import NO_RETRY, RetryPolicy
from .stats import ClientStats
from .wire import (
    parse_academic_session,
    parse_category,
    parse_class,
    parse_line_item,
    parse_org,
    parse_result,
    parse_user,
    request_body,
    to_wire,
)

__all__ = [
    "NO_RETRY",
    "SIGNATURE_HMAC_SHA1",
    "SIGNATURE_HMAC_SHA256",
    "AcademicSession",
    "Category",
    "ClientStats",
    "DeleteOutcome",
    "Filter",
    "GUIDRef",
    "LineItem",
    "OneRosterClient",
    "Org",
    "Redactor",
    "Result",
    "RetryPolicy",
    "ScoreStatus",
    "Service",
    "SessionType",
    "SisClass",
    "Status",
    "StatusInfo",
    "User",
    "WriteOutcome",
    "encode_query",
    "eq",
    "parse_academic_session",
    "parse_category",
    "parse_class",
    "parse_line_item",
    "parse_org",
    "parse_result",
    "parse_retry_after",
    "parse_status_info",
    "parse_user",
    "request_body",
    "to_wire",
]
