"""The SIS sandbox over loopback HTTP, driven with raw httpx2 and oauthlib (never sisbridge's client).

Fixtures (`sis.url`, `sis.state`, `sis.http`) are in tests/sandbox/conftest.py; every test starts
from the seeded district with knobs at their defaults and no live tokens.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx2
import pytest
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256, SIGNATURE_PLAINTEXT
from oauthlib.oauth1 import Client as OAuth1Client

from sisbridge.sandbox import runner, seed
from sisbridge.sandbox.sis import ROSTER_ONLY_KEY, ROSTER_ONLY_SECRET, SandboxConfig, create_app
from sisbridge.vendors import PROFILES, AuthMethod, CredentialPlacement, OneRosterVersion

V11, V12 = OneRosterVersion.V1P1, OneRosterVersion.V1P2
GOOGLE_SCOPES = ("roster.readonly", "gradebook.readonly", "gradebook.createput", "gradebook.delete")
ALG = "cls-alg1-p1"  # Ada Lovelace's Algebra class: semester 1, students stu-200001..stu-200012
ALG_STUDENTS = seed.SECTIONS[0].students
OPEN_GP = "gp-2027-q2"  # a grading period of semester 1


def scope(version: OneRosterVersion, *names: str) -> str:
    prefix = f"https://purl.imsglobal.org/spec/or/{'v1p1' if version is V11 else 'v1p2'}/scope/"
    return " ".join(prefix + n for n in (names or GOOGLE_SCOPES))


@dataclass
class Conn:
    """A bearer-authenticated connection to one vendor/version of the sandbox."""

    http: httpx2.Client
    version: OneRosterVersion
    rostering: str
    gradebook: str
    token_url: str
    headers: dict[str, str]

    def r(self, path: str, **params: Any) -> httpx2.Response:
        return self.http.get(self.rostering + path, params=params or None, headers=self.headers)

    def g(self, path: str, **params: Any) -> httpx2.Response:
        return self.http.get(self.gradebook + path, params=params or None, headers=self.headers)

    def put(self, path: str, body: Any) -> httpx2.Response:
        content = body if isinstance(body, str | bytes) else json.dumps(body)
        return self.http.put(self.gradebook + path, content=content,
                             headers=self.headers | {"Content-Type": "application/json"})

    def delete(self, path: str) -> httpx2.Response:
        return self.http.delete(self.gradebook + path, headers=self.headers)


def token_request(http: httpx2.Client, vendor: str, token_url: str, *, key: str = seed.ACCESS_KEY,
                  secret: str = seed.SECRET_CODE, scopes: str, placement: CredentialPlacement | None = None,
                  headers: dict[str, str] | None = None) -> httpx2.Response:
    data = {"grant_type": "client_credentials", "scope": scopes}
    if (placement or PROFILES[vendor].credentials_in) is CredentialPlacement.FORM:
        return http.post(token_url, data=data | {"client_id": key, "client_secret": secret}, headers=headers)
    return http.post(token_url, data=data, auth=(key, secret), headers=headers)


def connect(http: httpx2.Client, url: str, state: Any, vendor: str, version: OneRosterVersion | None = None,
            *, key: str = seed.ACCESS_KEY, secret: str = seed.SECRET_CODE, scopes: str | None = None) -> Conn:
    version = version or PROFILES[vendor].default_version
    eps = state.endpoints(url, vendor, version)
    r = token_request(http, vendor, eps.token_url, key=key, secret=secret, scopes=scopes or scope(version))
    assert r.status_code == 200, r.text
    return Conn(http, version, eps.rostering, eps.gradebook, eps.token_url,
                {"Authorization": "Bearer " + r.json()["access_token"]})


def line_item(cls: str = ALG, **changes: Any) -> dict[str, Any]:
    """A complete lineItem body (every field any vendor requires); a change of None drops the field."""
    body = {"title": "Homework 1", "description": "Chapter 1 exercises",
            "assignDate": "2026-10-20T08:00:00.000Z", "dueDate": "2026-10-27T23:59:00.000Z",
            "class": {"sourcedId": cls}, "school": {"sourcedId": seed.SCHOOL_ID},
            "category": {"sourcedId": f"cat-{cls}-1"}, "gradingPeriod": {"sourcedId": OPEN_GP},
            "resultValueMin": 0, "resultValueMax": 100}
    return {"lineItem": {k: v for k, v in (body | changes).items() if v is not None}}


def result(li: str, student_id: str = ALG_STUDENTS[0], **changes: Any) -> dict[str, Any]:
    """A complete result body; a change of None drops the field."""
    body = {"lineItem": {"sourcedId": li}, "student": {"sourcedId": student_id},
            "scoreStatus": "fully graded",
            "score": 87.5, "scoreDate": "2026-10-28", "comment": ""}
    return {"result": {k: v for k, v in (body | changes).items() if v is not None}}


def assert_imsx(r: httpx2.Response, status: int, minor: str, text: str | None = None) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["imsx_codeMajor"] == "failure" and body["imsx_severity"] == "error"
    field = body["imsx_CodeMinor"]["imsx_codeMinorField"][0]
    assert field == {"imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": minor}
    if text is not None:
        assert text in body["imsx_description"], body["imsx_description"]


def raw(http: httpx2.Client, url: str, vendor: str, kind: str) -> dict[str, dict[str, Any]]:
    r = http.get(f"{url}/_sandbox/{vendor}/gradebook")
    assert r.status_code == 200
    return {o["sourcedId"]: o for o in r.json()[kind]}


@dataclass
class Sis:
    """The freshly reset sandbox: raw HTTP client, server URL and the in-process SisSandbox."""

    http: httpx2.Client
    url: str
    state: Any

    def connect(self, vendor: str, version: OneRosterVersion | None = None, **kw: Any) -> Conn:
        return connect(self.http, self.url, self.state, vendor, version, **kw)


@pytest.fixture
def sis(sis_http: httpx2.Client, sis_url: str, sis_state: Any) -> Sis:
    return Sis(sis_http, sis_url, sis_state)


@pytest.fixture(params=[("oneroster_1p1", V11), ("oneroster_1p2", V12)], ids=["v1p1", "v1p2"])
def conn(request: pytest.FixtureRequest, sis: Sis) -> Conn:
    """The generic 1.1 and 1.2 SIS in turn."""
    return sis.connect(*request.param)


# ================================================================== token endpoint and bearer
def test_token_basic_auth_grants_requested_scopes(sis: Sis) -> None:
    r = token_request(sis.http, "oneroster_1p2", f"{sis.url}/oneroster_1p2/token", scopes=scope(V12))
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600 and body["access_token"]
    assert body["scope"].split() == scope(V12).split()
    assert r.headers["cache-control"] == "no-store"


def test_token_credential_placement_follows_the_profile(sis: Sis) -> None:
    aspen = f"{sis.url}/aspen/oauth/rest/v2.0/auth"
    assert token_request(sis.http, "aspen", aspen, scopes=scope(V11)).status_code == 200  # form body
    r = token_request(sis.http, "aspen", aspen, scopes=scope(V11), placement=CredentialPlacement.BASIC)
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    ic = f"{sis.url}/infinite_campus/campus/oauth2/token?appName=district"
    assert token_request(sis.http, "infinite_campus", ic, scopes=scope(V12)).status_code == 200
    r = token_request(sis.http, "infinite_campus", ic, scopes=scope(V12), placement=CredentialPlacement.FORM)
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    generic = f"{sis.url}/oneroster_1p1/token"  # generic profiles take either
    for placement in CredentialPlacement:
        r = token_request(sis.http, "oneroster_1p1", generic, scopes=scope(V11), placement=placement)
        assert r.status_code == 200


@pytest.mark.parametrize(("key", "secret"), [(seed.ACCESS_KEY, "wrong"), ("nobody", seed.SECRET_CODE)])
def test_token_bad_credentials_are_invalid_client(sis: Sis, key: str, secret: str) -> None:
    r = token_request(sis.http, "oneroster_1p2", f"{sis.url}/oneroster_1p2/token", key=key, secret=secret,
                      scopes=scope(V12))
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"


@pytest.mark.parametrize(("data", "error"), [
    ({"scope": scope(V12)}, "invalid_request"),
    ({"grant_type": "password", "scope": scope(V12)}, "unsupported_grant_type"),
    ({"grant_type": "client_credentials"}, "invalid_scope"),
    ({"grant_type": "client_credentials", "scope": scope(V12).replace(" ", ",")}, "invalid_scope"),
    ({"grant_type": "client_credentials", "scope": "roster.readonly"}, "invalid_scope"),
])
def test_token_request_errors(sis: Sis, data: dict[str, str], error: str) -> None:
    r = sis.http.post(f"{sis.url}/oneroster_1p2/token", data=data, auth=(seed.ACCESS_KEY, seed.SECRET_CODE))
    assert r.status_code == 400 and r.json()["error"] == error


def test_roster_only_credentials_get_403_on_gradebook(sis: Sis) -> None:
    c = sis.connect("oneroster_1p2", key=ROSTER_ONLY_KEY, secret=ROSTER_ONLY_SECRET)
    assert c.r("/classes").status_code == 200
    assert_imsx(c.g(f"/classes/{ALG}/lineItems"), 403, "forbidden", "gradebook.readonly")
    assert_imsx(c.put("/lineItems/li-x", line_item()), 403, "forbidden")


def test_each_gradebook_operation_needs_its_scope(sis: Sis) -> None:
    c = sis.connect("oneroster_1p1", scopes=scope(V11, "gradebook.readonly"))
    assert c.g("/lineItems").status_code == 200
    assert_imsx(c.r("/classes"), 403, "forbidden", "roster.readonly")
    assert_imsx(c.put("/lineItems/li-x", line_item()), 403, "forbidden", "gradebook.createput")
    assert_imsx(c.delete(f"/lineItems/li-sis-{ALG}"), 403, "forbidden", "gradebook.delete")


def test_scopes_are_per_version(sis: Sis) -> None:
    c = sis.connect("infinite_campus", V11, scopes=scope(V12))
    assert_imsx(c.r("/classes"), 403, "forbidden", "/v1p1/scope/roster.readonly")


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer not-a-token", "Basic c2FuZGJveDpzZWNyZXQ="])
def test_oneroster_calls_need_a_valid_token(sis: Sis, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    r = sis.http.get(f"{sis.url}/oneroster_1p2/ims/oneroster/rostering/v1p2/classes", headers=headers)
    assert_imsx(r, 401, "unauthorisedrequest")
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_token_expires_after_ttl(sis: Sis) -> None:
    sis.state.config.token_ttl_s = 1
    c = sis.connect("oneroster_1p2")
    assert c.r("/classes").status_code == 200
    time.sleep(1.2)
    assert_imsx(c.r("/classes"), 401, "unauthorisedrequest", "expired")
    assert sis.connect("oneroster_1p2").r("/classes").status_code == 200


def test_revoke_tokens_forces_a_refetch(sis: Sis) -> None:
    c = sis.connect("aspen")
    assert c.r("/classes").status_code == 200
    assert sis.http.post(f"{sis.url}/_sandbox/revoke-tokens").json() == {"revoked": 1}
    assert_imsx(c.r("/classes"), 401, "unauthorisedrequest")
    assert sis.connect("aspen").r("/classes").status_code == 200


def test_a_token_is_only_good_for_its_vendor(sis: Sis) -> None:
    aspen = sis.connect("aspen")
    r = sis.http.get(f"{sis.url}/aeries/ims/oneroster/v1p1/classes", headers=aspen.headers)
    assert_imsx(r, 401, "unauthorisedrequest", "another SIS")


def test_infinite_campus_vendor_header_is_optional_but_checked(sis: Sis) -> None:
    c = sis.connect("infinite_campus")
    assert c.r("/classes").status_code == 200
    ok = c.headers | {"X-Vendor-Authorization": seed.VENDOR_KEY}
    assert sis.http.get(c.rostering + "/classes", headers=ok).status_code == 200
    bad = c.headers | {"X-Vendor-Authorization": "someone:else"}
    assert_imsx(sis.http.get(c.rostering + "/classes", headers=bad), 401, "unauthorisedrequest")
    aspen = sis.connect("aspen")  # other vendors ignore the header
    odd = aspen.headers | {"X-Vendor-Authorization": "x"}
    assert sis.http.get(aspen.rostering + "/classes", headers=odd).status_code == 200


# ================================================================== OAuth 1.0a
def _oauth1(http: httpx2.Client, method: str, url: str, *, key: str = seed.ACCESS_KEY,
            secret: str = seed.SECRET_CODE, method_name: str = SIGNATURE_HMAC_SHA256,
            body: str | None = None, timestamp: str | None = None) -> tuple[str, dict[str, str]]:
    client = OAuth1Client(key, client_secret=secret, signature_method=method_name, timestamp=timestamp)
    headers = {"Content-Type": "application/json"} if body is not None else None
    uri, signed, _ = client.sign(url, http_method=method, body=body, headers=headers)
    return uri, signed


@pytest.mark.parametrize("vendor", ["skyward", "oneroster_1p1"])
@pytest.mark.parametrize("method_name", [SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256])
def test_oauth1_signed_reads_and_writes(sis: Sis, vendor: str, method_name: str) -> None:
    base = f"{sis.url}/{vendor}/ims/oneroster/v1p1"
    email = seed.TEACHERS[0].email
    uri, headers = _oauth1(sis.http, "GET", f"{base}/teachers?filter={quote(f'email={email!r}')}&limit=10000",
                           method_name=method_name)
    r = sis.http.get(uri, headers=headers)
    assert r.status_code == 200, r.text
    assert [u["sourcedId"] for u in r.json()["users"]] == ["tch-1001"]
    body = json.dumps(line_item())  # the JSON body is not part of the signature
    uri, headers = _oauth1(sis.http, "PUT", f"{base}/lineItems/li-oauth1", method_name=method_name, body=body)
    assert sis.http.put(uri, content=body, headers=headers).status_code == 201


def test_oauth1_bad_signature_replay_and_clock(sis: Sis) -> None:
    url = f"{sis.url}/oneroster_1p1/ims/oneroster/v1p1/classes?limit=5"
    uri, headers = _oauth1(sis.http, "GET", url, secret="wrong")
    assert_imsx(sis.http.get(uri, headers=headers), 401, "unauthorisedrequest", "Invalid OAuth signature")
    uri, headers = _oauth1(sis.http, "GET", url)
    assert sis.http.get(uri, headers=headers).status_code == 200
    assert_imsx(sis.http.get(uri, headers=headers), 401, "unauthorisedrequest", "nonce")  # replayed
    uri, headers = _oauth1(sis.http, "GET", url, timestamp=str(int(time.time()) - 3600))
    assert_imsx(sis.http.get(uri, headers=headers), 401, "unauthorisedrequest", "timestamp")
    uri, headers = _oauth1(sis.http, "GET", url)
    tampered = uri.replace("limit=5", "limit=6")  # the query string is signed
    assert_imsx(sis.http.get(tampered, headers=headers), 401, "unauthorisedrequest", "signature")
    uri, headers = _oauth1(sis.http, "GET", url, method_name=SIGNATURE_PLAINTEXT)
    assert_imsx(sis.http.get(uri, headers=headers), 401, "unauthorisedrequest",
                "Unsupported signature method")


def test_oauth1_only_where_the_profile_allows_it(sis: Sis) -> None:
    for path in ("/skyward/ims/oneroster/v1p2/classes", "/aspen/ims/oneroster/v1p1/classes"):
        url = sis.url + path
        uri, headers = _oauth1(sis.http, "GET", url)
        assert_imsx(sis.http.get(uri, headers=headers), 401, "unauthorisedrequest", "OAuth 2")


def test_oauth1_roster_only_consumer(sis: Sis) -> None:
    base = f"{sis.url}/oneroster_1p1/ims/oneroster/v1p1"
    kw = {"key": ROSTER_ONLY_KEY, "secret": ROSTER_ONLY_SECRET}
    uri, headers = _oauth1(sis.http, "GET", f"{base}/classes", **kw)
    assert sis.http.get(uri, headers=headers).status_code == 200
    uri, headers = _oauth1(sis.http, "GET", f"{base}/lineItems", **kw)
    assert_imsx(sis.http.get(uri, headers=headers), 403, "forbidden")


# ================================================================== rostering reads
COLLECTIONS = [
    ("/teachers", "users", 3), ("/students", "users", 30), ("/users", "users", 33),
    ("/classes", "classes", 4),
    ("/schools", "orgs", 1), ("/orgs", "orgs", 2), ("/terms", "academicSessions", 3),
    ("/gradingPeriods", "academicSessions", 4), ("/academicSessions", "academicSessions", 7),
    ("/courses", "courses", 4), ("/teachers/tch-1001/classes", "classes", 2),
    ("/students/stu-200011/classes", "classes", 3), ("/users/tch-1002/classes", "classes", 1),
    (f"/classes/{ALG}/students", "users", 12), (f"/classes/{ALG}/teachers", "users", 1),
    ("/schools/org-hs-001/classes", "classes", 4),
    ("/terms/as-2027-s1/gradingPeriods", "academicSessions", 2),
    ("/terms/as-2027/gradingPeriods", "academicSessions", 4),
]
SINGLES = [
    ("/teachers/tch-1001", "user"), ("/students/stu-200001", "user"), ("/users/stu-200001", "user"),
    (f"/classes/{ALG}", "class"), ("/schools/org-hs-001", "org"), ("/orgs/org-district", "org"),
    ("/terms/as-2027-s1", "academicSession"), ("/academicSessions/gp-2027-q1", "academicSession"),
    ("/gradingPeriods/gp-2027-q1", "academicSession"), ("/courses/crs-alg1", "course"),
]


@pytest.mark.parametrize(("path", "envelope", "count"), COLLECTIONS)
def test_rostering_collections(conn: Conn, path: str, envelope: str, count: int) -> None:
    r = conn.r(path, limit=10000)
    assert r.status_code == 200, r.text
    assert list(r.json()) == [envelope]
    assert len(r.json()[envelope]) == count and r.headers["x-total-count"] == str(count)


@pytest.mark.parametrize(("path", "envelope"), SINGLES)
def test_rostering_singles(conn: Conn, path: str, envelope: str) -> None:
    r = conn.r(path)
    assert r.status_code == 200, r.text
    assert list(r.json()) == [envelope] and r.json()[envelope]["sourcedId"] == path.rsplit("/", 1)[1]


def test_object_shapes(conn: Conn) -> None:
    klass = conn.r(f"/classes/{ALG}").json()["class"]
    assert klass["terms"][0]["sourcedId"] == "as-2027-s1" and klass["terms"][0]["type"] == "academicSession"
    assert klass["course"]["sourcedId"] == "crs-alg1" and klass["school"]["sourcedId"] == seed.SCHOOL_ID
    assert klass["classCode"] == "ALG1-P1" and klass["title"] == "Algebra I - Period 1"
    assert klass["school"]["href"].startswith("/oneroster_1p")
    user = conn.r("/teachers/tch-1001").json()["user"]
    assert user["email"] == seed.TEACHERS[0].email
    assert (user["givenName"], user["familyName"]) == ("Ada", "Lovelace")
    if conn.version is V11:
        assert user["role"] == "teacher" and "roles" not in user
    else:
        assert user["roles"][0]["role"] == "teacher" and "role" not in user
    gp = conn.r("/terms/as-2027-s1/gradingPeriods").json()["academicSessions"][0]
    assert gp["type"] == "gradingPeriod" and gp["parent"]["sourcedId"] == "as-2027-s1"
    assert gp.keys() >= {"title", "startDate", "endDate", "schoolYear"}


@pytest.mark.parametrize(("path", "text"), [
    ("/teachers/stu-200001", "teacher"), ("/students/tch-1001", "student"), ("/classes/cls-nope", "class"),
    ("/terms/gp-2027-q1", "term"), ("/gradingPeriods/as-2027-s1", "gradingPeriod"),
    ("/schools/org-district", "school"),
    ("/classes/cls-nope/students", "class"), ("/nope", "No OneRoster endpoint"),
])
def test_rostering_not_found(conn: Conn, path: str, text: str) -> None:
    assert_imsx(conn.r(path), 404, "unknownobject", text)


def test_unsupported_method_is_405(conn: Conn) -> None:
    r = conn.http.post(conn.gradebook + "/lineItems", json={}, headers=conn.headers)
    minor = "unsupportedoperation" if conn.version is V11 else "unsupported"
    assert_imsx(r, 405, minor)
    assert r.headers["allow"] == "GET"


def test_teacher_lookup_by_email_is_exact(conn: Conn) -> None:
    email = seed.TEACHERS[0].email
    assert _ids(conn.r("/teachers", filter=f"email='{email}'")) == ["tch-1001"]
    assert conn.r("/teachers", filter=f"email='{email.upper()}'").json()["users"] == []
    r = conn.r("/teachers/tch-1001/classes", filter="status='active'", limit=10000)
    assert {c["sourcedId"] for c in r.json()["classes"]} == {ALG, "cls-geo-p3"}


# ================================================================== filter, sort, fields, paging
def test_link_next_walks_every_page(conn: Conn) -> None:
    url, seen, sizes = conn.rostering + "/students?limit=7", [], []
    while url:
        r = conn.http.get(url, headers=conn.headers)
        assert r.status_code == 200 and r.headers["x-total-count"] == "30"
        page = r.json()["users"]
        sizes.append(len(page))
        seen += [u["sourcedId"] for u in page]
        links = r.headers["link"]
        assert 'rel="first"' in links and 'rel="last"' in links
        url = r.links.get("next", {}).get("url")
    assert sizes == [7, 7, 7, 7, 2]
    assert seen == [s.sourced_id for s in seed.STUDENTS]


def test_filtered_paging_keeps_the_filter(conn: Conn) -> None:
    expected = [s.sourced_id for s in seed.STUDENTS if s.family != "Garcia"]
    flt = quote("familyName!='Garcia'")
    url, seen = f"{conn.rostering}/students?filter={flt}&limit=4", []
    while url:
        r = conn.http.get(url, headers=conn.headers)
        assert r.headers["x-total-count"] == str(len(expected))
        seen += [u["sourcedId"] for u in r.json()["users"]]
        url = r.links.get("next", {}).get("url")
    assert seen == expected
    r = conn.r("/students", limit=7, offset=28)
    assert len(r.json()["users"]) == 2 and "next" not in r.links and "prev" in r.links


def _ids(r: httpx2.Response, envelope: str = "users") -> list[str]:
    assert r.status_code == 200, r.text
    return [o["sourcedId"] for o in r.json()[envelope]]


@pytest.mark.parametrize(("flt", "pick"), [
    ("givenName='Maya'", lambda s: s.given == "Maya"),
    ("givenName=Maya", lambda s: s.given == "Maya"),
    ("givenName~'MA'", lambda s: "ma" in s.given.lower()),
    ("sourcedId>='stu-200025'", lambda s: s.sourced_id >= "stu-200025"),
    ("sourcedId>'stu-200025'", lambda s: s.sourced_id > "stu-200025"),
    ("sourcedId<'stu-200003'", lambda s: s.sourced_id < "stu-200003"),
    ("sourcedId<='stu-200003'", lambda s: s.sourced_id <= "stu-200003"),
    ("sourcedId!='stu-200001'", lambda s: s.sourced_id != "stu-200001"),
    ("givenName='Maya' OR givenName='Liam'", lambda s: s.given in ("Maya", "Liam")),
    ("givenName='Maya' AND familyName='Garcia'", lambda s: s.given == "Maya" and s.family == "Garcia"),
    ("orgs.sourcedId='org-hs-001'", lambda s: True),
])
def test_filter_operators(sis: Sis, flt: str, pick: Any) -> None:
    c = sis.connect("oneroster_1p1")
    expected = [s.sourced_id for s in seed.STUDENTS if pick(s)]
    assert expected or flt.startswith("givenName='Maya' AND")
    assert _ids(c.r("/students", filter=flt, limit=10000)) == expected


@pytest.mark.parametrize("flt", [
    "nope='x'", "email.domain='x'", "givenName", "givenName=='x'",
    "givenName='a' AND familyName='b' OR sourcedId='c'", "givenName='a' and familyName='b'",
])
def test_bad_filters(conn: Conn, flt: str) -> None:
    assert_imsx(conn.r("/students", filter=flt), 400, "invalid_filter_field")


def test_dotted_and_gradebook_filters(conn: Conn) -> None:
    for flt in ("metadata.classId='cls-cs-p2'", "metadata.classId=cls-cs-p2"):
        r = conn.g("/categories", filter=flt)
        assert [c["title"] for c in r.json()["categories"]] == ["Labs", "Projects", "Exams"]
    assert _ids(conn.r("/classes", filter="terms.sourcedId='as-2027-s2'"), "classes") == ["cls-bio-p4"]
    assert _ids(conn.r("/classes", filter=f"sourcedId='{ALG}'"), "classes") == [ALG]
    geo = conn.g("/lineItems", filter="class.sourcedId='cls-geo-p3'")
    assert _ids(geo, "lineItems") == ["li-sis-cls-geo-p3"]
    assert len(_ids(conn.g("/results", filter="score>'9'"), "results")) == 4  # the seeded 10s
    assert_imsx(conn.g("/results", filter="grade>'9'"), 400, "invalid_filter_field")


def test_sort_fields_and_limits(conn: Conn) -> None:
    r = conn.r("/students", sort="familyName", orderBy="desc", limit=100)
    families = [u["familyName"] for u in r.json()["users"]]
    assert families == sorted((s.family for s in seed.STUDENTS), reverse=True)
    assert_imsx(conn.r("/students", sort="shoeSize"), 400, "invalid_sort_field")
    assert_imsx(conn.r("/students", sort="familyName", orderBy="sideways"), 400, "invalid_sort_field")
    users = conn.r("/teachers", fields="sourcedId,email").json()["users"]
    assert users and all(set(u) == {"sourcedId", "email"} for u in users)
    assert set(conn.r("/teachers/tch-1001", fields="email").json()["user"]) == {"email"}
    assert_imsx(conn.r("/teachers", fields="sourcedId,shoeSize"), 400, "invalid_selection_field")
    assert len(conn.r("/students", limit=10000).json()["users"]) == 30
    for bad in ({"limit": 0}, {"limit": "abc"}, {"limit": -5}, {"offset": -1}, {"offset": "x"}):
        assert_imsx(conn.r("/students", **bad), 400, "invaliddata")


# ================================================================== gradebook writes
def test_put_line_item_create_and_update_codes(conn: Conn) -> None:
    r = conn.put("/lineItems/li-1", line_item())
    assert r.status_code == 201
    if conn.version is V11:
        echoed = r.json()["lineItem"]
        assert echoed["sourcedId"] == "li-1" and echoed["status"] == "active" and echoed["dateLastModified"]
        assert echoed["class"] == {"href": f"{urlsplit(conn.rostering).path}/classes/{ALG}", "sourcedId": ALG,
                                   "type": "class"}
    else:
        assert r.content == b""
    r = conn.put("/lineItems/li-1", line_item(title="Homework 1 (revised)"))
    assert r.status_code == 200 and r.json()["lineItem"]["title"] == "Homework 1 (revised)"
    got = conn.g("/lineItems/li-1").json()["lineItem"]
    assert got["title"] == "Homework 1 (revised)" and got["resultValueMax"] == 100
    assert "li-1" in _ids(conn.g(f"/classes/{ALG}/lineItems"), "lineItems")


def test_put_result_create_and_update_codes(conn: Conn) -> None:
    assert conn.put("/lineItems/li-1", line_item()).status_code == 201
    r = conn.put("/results/res-1", result("li-1"))
    assert r.status_code == 201
    assert (r.json()["result"]["score"] == 87.5) if conn.version is V11 else (r.content == b"")
    r = conn.put("/results/res-1", result("li-1", score=90))
    assert r.status_code == 200 and r.json()["result"]["score"] == 90
    assert _ids(conn.g(f"/classes/{ALG}/lineItems/li-1/results"), "results") == ["res-1"]
    assert _ids(conn.g(f"/classes/{ALG}/students/{ALG_STUDENTS[0]}/results"), "results") == [
        f"res-sis-{ALG}-{ALG_STUDENTS[0]}", "res-1"]
    assert "res-1" in _ids(conn.g(f"/classes/{ALG}/results"), "results")
    assert conn.g("/results/res-1").json()["result"]["score"] == 90


def test_lenient_inputs_are_stored_canonically(conn: Conn) -> None:
    body = line_item(resultValueMin="0", resultValueMax="100", dueDate="2026-10-27",
                     **{"class": {"href": "x", "sourcedId": ALG, "type": "class"}})
    body["lineItem"]["sourcedId"] = "li-1"
    assert conn.put("/lineItems/li-1", body).status_code == 201
    got = conn.g("/lineItems/li-1").json()["lineItem"]
    assert got["resultValueMin"] == 0 and got["resultValueMax"] == 100 and got["dueDate"] == "2026-10-27"
    for n, date in enumerate(("2026-10-28", "2026-10-28T10:15:00.000Z", "2026-10-28T10:15:00+02:00")):
        student = ALG_STUDENTS[n]
        body = result("li-1", student, score="72.5", scoreDate=date)
        assert conn.put(f"/results/r-{n}", body).status_code == 201
        got = conn.g(f"/results/r-{n}").json()["result"]
        assert got["score"] == 72.5 and got["scoreDate"] == date


def test_extra_credit_and_exempt_round_trip(conn: Conn) -> None:
    assert conn.put("/lineItems/li-1", line_item()).status_code == 201
    assert conn.put("/results/res-1", result("li-1", score=300)).status_code == 201
    assert conn.g("/results/res-1").json()["result"]["score"] == 300
    assert conn.put("/results/res-1", result("li-1", score=80, scoreStatus="exempt")).status_code == 200
    got = conn.g(f"/classes/{ALG}/lineItems/li-1/results").json()["results"][0]
    assert got["scoreStatus"] == "exempt" and got["score"] == 80


def test_delete_codes_and_disappearance(sis: Sis, conn: Conn) -> None:
    vendor = urlsplit(conn.rostering).path.split("/")[1]
    assert conn.put("/lineItems/li-1", line_item()).status_code == 201
    assert conn.put("/results/res-1", result("li-1")).status_code == 201
    r = conn.delete("/results/res-1")
    if conn.version is V11:
        assert r.status_code == 200 and r.json()["imsx_codeMajor"] == "success"
    else:
        assert r.status_code == 204 and r.content == b""
    assert_imsx(conn.g("/results/res-1"), 404, "unknownobject")
    assert "res-1" not in _ids(conn.g("/results", limit=10000), "results")
    assert_imsx(conn.delete("/results/res-1"), 404, "unknownobject")
    assert raw(sis.http, sis.url, vendor, "results")["res-1"]["_deleted"] is True
    assert conn.put("/results/res-1", result("li-1")).status_code == 201  # re-created
    assert conn.delete("/lineItems/li-1").status_code in (200, 204)
    assert "li-1" not in _ids(conn.g(f"/classes/{ALG}/lineItems"), "lineItems")
    assert_imsx(conn.g("/results/res-1"), 404, "unknownobject")  # its results went with it
    assert_imsx(conn.delete("/lineItems/li-nope"), 404, "unknownobject")


def test_aeries_refuses_delete(sis: Sis) -> None:
    c = sis.connect("aeries")
    assert_imsx(c.delete(f"/lineItems/li-sis-{ALG}"), 405, "unsupportedoperation", "does not support DELETE")
    assert c.g(f"/lineItems/li-sis-{ALG}").status_code == 200


def test_categories_put_get_delete(conn: Conn) -> None:
    category = {"title": "Labs", "metadata": {"classId": ALG}}
    body = {"category": category | ({"weight": 0.25} if conn.version is V12 else {})}
    assert conn.put("/categories/cat-new", body).status_code == 201
    assert conn.put("/categories/cat-new", body).status_code == 200
    assert "cat-new" in _ids(conn.g(f"/classes/{ALG}/categories"), "categories")
    assert conn.g("/categories/cat-new").json()["category"]["title"] == "Labs"
    assert conn.delete("/categories/cat-new").status_code in (200, 204)
    assert_imsx(conn.g("/categories/cat-new"), 404, "unknownobject")
    r = conn.put("/categories/cat-x", {"category": {"title": ""}})
    assert_imsx(r, 400, "invaliddata", "title is required")
    assert_imsx(conn.g("/classes/cls-nope/categories"), 404, "unknownobject")


def test_seeded_sis_items_record_client_writes(sis: Sis, conn: Conn) -> None:
    vendor = urlsplit(conn.rostering).path.split("/")[1]
    seeded = raw(sis.http, sis.url, vendor, "lineItems")[f"li-sis-{ALG}"]
    assert seeded["_origin"] == "seed" and seeded["_clientWrites"] == 0 and seeded["title"] == "Participation"
    assert len(_ids(conn.g(f"/classes/{ALG}/lineItems/li-sis-{ALG}/results"), "results")) == 2
    assert conn.put("/lineItems/li-1", line_item()).status_code == 201
    assert raw(sis.http, sis.url, vendor, "lineItems")[f"li-sis-{ALG}"]["_clientWrites"] == 0
    touched = line_item(gradingPeriod={"sourcedId": "gp-2027-q1"})
    assert conn.put(f"/lineItems/li-sis-{ALG}", touched).status_code == 200
    assert raw(sis.http, sis.url, vendor, "lineItems")[f"li-sis-{ALG}"]["_clientWrites"] == 1


# ================================================================== write validation
BOTH = (V11, V12)
LINE_ITEM_ERRORS = [
    (BOTH, {"title": None}, "lineItem.title is required"),
    (BOTH, {"title": ""}, "lineItem.title is required"),
    (BOTH, {"title": 42}, "title must be a string"),
    (BOTH, {"assignDate": None}, "assignDate is required"),
    ((V12,), {"dueDate": None}, "dueDate is required"),
    (BOTH, {"class": None}, "class is required"),
    ((V11,), {"resultValueMin": None}, "resultValueMin is required"),
    ((V12,), {"school": None}, "school is required"),
    ((V12,), {"category": None}, "category is required"),
    (BOTH, {"class": {"sourcedId": "cls-nope"}}, "not a known class"),
    (BOTH, {"class": ALG}, "GUIDRef"),
    (BOTH, {"category": {"sourcedId": "cat-nope"}}, "not a known category"),
    (BOTH, {"category": {"sourcedId": f"cat-{ALG}-1", "type": "academicSession"}}, "expected category"),
    (BOTH, {"category": {"sourcedId": OPEN_GP}}, "not a known category"),
    (BOTH, {"category": {"sourcedId": "cat-cls-geo-p3-1"}}, "belongs to class"),
    (BOTH, {"resultValueMin": 10, "resultValueMax": 5}, "greater than resultValueMax"),
    (BOTH, {"resultValueMax": "lots"}, "resultValueMax must be a number"),
    (BOTH, {"resultValueMax": True}, "resultValueMax must be a number"),
    (BOTH, {"assignDate": "2026-13-01"}, "ISO 8601"),
    (BOTH, {"dueDate": "10/27/2026"}, "ISO 8601"),
    (BOTH, {"assignDate": "2026-10-20 08:00"}, "ISO 8601"),
    (BOTH, {"gradingPeriod": {"sourcedId": "as-2027-s1"}}, "is not a gradingPeriod"),
    (BOTH, {"gradingPeriod": {"sourcedId": "gp-nope"}}, "is not a gradingPeriod"),
    (BOTH, {"gradingPeriod": {"sourcedId": "gp-2027-q3"}}, "not in a term of class"),
    (BOTH, {"school": {"sourcedId": seed.ORG_ID}}, "is not the school"),
    (BOTH, {"metadata": "x"}, "metadata must be an object"),
]


@pytest.mark.parametrize(("versions", "changes", "text"), LINE_ITEM_ERRORS)
def test_line_item_validation(conn: Conn, versions: tuple[OneRosterVersion, ...], changes: dict[str, Any],
                              text: str) -> None:
    r = conn.put("/lineItems/li-bad", line_item(**changes))
    if conn.version in versions:
        assert_imsx(r, 400, "invaliddata", text)
        assert_imsx(conn.g("/lineItems/li-bad"), 404, "unknownobject")
    else:
        assert r.status_code == 201, r.text  # the other version does not require it


@pytest.mark.parametrize(("body", "text"), [
    ("{not json", "not JSON"),
    (json.dumps({"lineItems": line_item()["lineItem"]}), '{"lineItem": {...}}'),
    (json.dumps(line_item()["lineItem"]), '{"lineItem": {...}}'),
    (json.dumps({"lineItem": [line_item()["lineItem"]]}), '{"lineItem": {...}}'),
    (json.dumps({"lineItem": line_item()["lineItem"] | {"sourcedId": "li-other"}}), "does not match"),
])
def test_body_shape_errors(conn: Conn, body: str, text: str) -> None:
    assert_imsx(conn.put("/lineItems/li-1", body), 400, "invaliddata", text)


def test_class_of_a_line_item_cannot_change(conn: Conn) -> None:
    assert conn.put("/lineItems/li-1", line_item()).status_code == 201
    moved = line_item("cls-geo-p3", category={"sourcedId": "cat-cls-geo-p3-1"})
    assert_imsx(conn.put("/lineItems/li-1", moved), 400, "invaliddata", "cannot change")


RESULT_ERRORS = [
    (BOTH, {"lineItem": None}, "result.lineItem is required"),
    (BOTH, {"lineItem": {"sourcedId": "li-nope"}}, "not a known lineItem"),
    (BOTH, {"student": None}, "result.student is required"),
    (BOTH, {"student": {"sourcedId": "stu-nope"}}, "not a known student"),
    (BOTH, {"student": {"sourcedId": "tch-1001"}}, "not a known student"),
    (BOTH, {"student": {"sourcedId": "stu-200030"}}, "not enrolled in class"),
    (BOTH, {"student": {"sourcedId": ALG_STUDENTS[1], "type": "class"}}, "expected user or student"),
    (BOTH, {"scoreStatus": None}, "scoreStatus is required"),
    (BOTH, {"scoreStatus": "graded"}, "is not one of"),
    (BOTH, {"scoreStatus": "missing"}, "is not one of"),
    (BOTH, {"scoreStatus": "Fully Graded"}, "is not one of"),
    ((V11,), {"scoreStatus": "ext:late"}, "is not one of"),
    (BOTH, {"scoreStatus": "ext:bad value"}, "is not one of"),
    (BOTH, {"score": "abc"}, "score must be a number"),
    (BOTH, {"score": False}, "score must be a number"),
    (BOTH, {"score": None}, "score is required"),
    (BOTH, {"scoreDate": None}, "scoreDate is required"),
    (BOTH, {"scoreDate": "yesterday"}, "ISO 8601"),
    (BOTH, {"scoreDate": "2026-02-30"}, "ISO 8601"),
    ((V12,), {"late": True}, 'late must be the string "true" or "false"'),
    ((V12,), {"missing": "yes"}, 'missing must be the string "true" or "false"'),
    ((V12,), {"class": {"sourcedId": "cls-geo-p3"}}, "is not the class of lineItem"),
]


@pytest.mark.parametrize(("versions", "changes", "text"), RESULT_ERRORS)
def test_result_validation(conn: Conn, versions: tuple[OneRosterVersion, ...], changes: dict[str, Any],
                           text: str) -> None:
    assert conn.put("/lineItems/li-1", line_item()).status_code == 201
    r = conn.put("/results/res-bad", result("li-1", **changes))
    if conn.version in versions:
        assert_imsx(r, 400, "invaliddata", text)
    else:
        assert r.status_code == 201, r.text


def test_result_accepts_v1p2_extensions(sis: Sis) -> None:
    c = sis.connect("oneroster_1p2")
    assert c.put("/lineItems/li-1", line_item()).status_code == 201
    body = result("li-1", score=None, textScore="B+", scoreStatus="ext:reviewed",
                  late="true", missing="false")
    assert c.put("/results/res-1", body).status_code == 201
    got = c.g("/results/res-1").json()["result"]
    assert got["textScore"] == "B+" and "score" not in got and got["scoreStatus"] == "ext:reviewed"
    assert got["late"] == "true" and got["missing"] == "false"


def test_one_result_per_student_and_line_item(conn: Conn) -> None:
    assert conn.put("/lineItems/li-1", line_item()).status_code == 201
    assert conn.put("/results/res-1", result("li-1")).status_code == 201
    assert_imsx(conn.put("/results/res-2", result("li-1")), 400, "invaliddata", "already has result 'res-1'")
    assert conn.delete("/results/res-1").status_code in (200, 204)
    assert conn.put("/results/res-2", result("li-1")).status_code == 201


def test_vendor_limits(sis: Sis) -> None:
    ic = sis.connect("infinite_campus")
    # Over-long titles are stored cut to the vendor limit (what Google's suite measures).
    assert ic.put("/lineItems/li-1", line_item(title="x" * 51)).status_code == 201
    assert len(ic.g("/lineItems/li-1").json()["lineItem"]["title"]) == 50
    aspen = sis.connect("aspen")
    assert_imsx(aspen.put("/lineItems/li-1", line_item(category=None)), 400, "invaliddata",
                "category is required")
    no_period_holds_it = {"gradingPeriod": None, "dueDate": "2030-01-10T00:00:00.000Z"}
    assert_imsx(aspen.put("/lineItems/li-1", line_item(**no_period_holds_it)), 400, "invaliddata",
                "gradingPeriod is required")
    for version in (V11, V12):
        sky = sis.connect("skyward", version)
        assert_imsx(sky.put("/lineItems/li-1", line_item(**no_period_holds_it)), 400, "invaliddata",
                    "gradingPeriod is required")
        # Without a grading period the SIS files the item under the one holding its due date.
        assert sky.put("/lineItems/li-2", line_item(gradingPeriod=None)).status_code in (200, 201)
        assert sky.g("/lineItems/li-2").json()["lineItem"]["gradingPeriod"]["sourcedId"] == OPEN_GP
        assert_imsx(sky.put("/lineItems/li-1", line_item(resultValueMax=99.5)), 400, "invaliddata",
                    "whole number")
    generic = sis.connect("oneroster_1p1")
    lax = line_item(category=None, gradingPeriod=None, title="y" * 200)
    assert generic.put("/lineItems/li-1", lax).status_code == 201


def test_closed_grading_period_refuses_writes(sis: Sis, conn: Conn) -> None:
    sis.state.config.closed_grading_periods = ("gp-2027-q1",)
    closed = "Grading period Quarter 1 is closed"
    assert_imsx(conn.put("/lineItems/li-1", line_item(gradingPeriod={"sourcedId": "gp-2027-q1"})), 400,
                "invaliddata", closed)
    sis_li = f"li-sis-{ALG}"  # seeded in Quarter 1
    assert_imsx(conn.put("/results/res-1", result(sis_li, ALG_STUDENTS[5])), 400, "invaliddata", closed)
    assert_imsx(conn.delete(f"/results/res-sis-{ALG}-{ALG_STUDENTS[0]}"), 400, "invaliddata", closed)
    assert_imsx(conn.put(f"/lineItems/{sis_li}", line_item()), 400, "invaliddata", closed)  # moving it out
    assert conn.put("/lineItems/li-2", line_item()).status_code == 201  # Quarter 2 is open
    assert conn.put("/results/res-2", result("li-2")).status_code == 201
    r = sis.http.put(f"{sis.url}/_sandbox/knobs", json={"closed_grading_periods": [OPEN_GP]})
    assert r.status_code == 200 and r.json()["closed_grading_periods"] == [OPEN_GP]
    assert_imsx(conn.put("/results/res-2", result("li-2", score=99)), 400, "invaliddata",
                "Grading period Quarter 2 is closed")


@pytest.mark.parametrize("version", [V11, V12])
def test_skyward_serialises_numbers_as_strings(sis: Sis, version: OneRosterVersion) -> None:
    sky = sis.connect("skyward", version)
    r = sky.put("/lineItems/li-1", line_item())
    if version is V11:
        assert r.json()["lineItem"]["resultValueMax"] == "100"
    got = sky.g("/lineItems/li-1").json()["lineItem"]
    assert got["resultValueMin"] == "0" and got["resultValueMax"] == "100"
    assert sky.put("/results/res-1", result("li-1", score=87.5)).status_code == 201
    assert sky.g("/results/res-1").json()["result"]["score"] == "87.5"
    assert all(isinstance(x["score"], str) for x in sky.g(f"/classes/{ALG}/results").json()["results"])
    # Filters compare numbers as numbers ("9" > "80" as text would match the seeded 9s too).
    assert _ids(sky.g("/results", filter="score>'80'"), "results") == ["res-1"]
    generic = sis.connect("oneroster_1p1")
    assert generic.g(f"/lineItems/li-sis-{ALG}").json()["lineItem"]["resultValueMax"] == 10


# ================================================================== knobs, faults, stats
def test_fault_rate_one_gives_only_500_and_429(sis: Sis) -> None:
    c = sis.connect("oneroster_1p2")
    sis.state.config.fault_rate = 1.0
    sis.state.config.retry_after_s = 7
    statuses = []
    for _ in range(24):
        r = c.r("/classes")
        statuses.append(r.status_code)
        assert r.headers["retry-after"] == "7"
        assert_imsx(r, r.status_code, {500: "internal_server_error", 429: "server_busy"}[r.status_code])
    assert set(statuses) == {500, 429}
    assert token_request(sis.http, "oneroster_1p2", c.token_url, scopes=scope(V12)).status_code == 200
    assert sis.http.get(f"{sis.url}/_sandbox/stats").status_code == 200


def test_fault_sequence_is_seeded(sis: Sis) -> None:
    def run() -> list[int]:
        c = sis.connect("aspen")
        sis.state.config.fault_rate = 0.5
        return [c.r("/classes").status_code for _ in range(30)]

    first = run()
    sis.state.reset()
    assert sis.state.config.fault_rate == 0.0  # reset restores the start-up knobs
    assert run() == first and {200, 500, 429} <= set(first)


def test_latency_applies_to_oneroster_only(sis: Sis) -> None:
    c = sis.connect("oneroster_1p2")
    sis.state.config.latency_ms = 200
    t = time.perf_counter()
    assert c.r("/classes").status_code == 200
    assert time.perf_counter() - t >= 0.2
    t = time.perf_counter()
    assert token_request(sis.http, "oneroster_1p2", c.token_url, scopes=scope(V12)).status_code == 200
    assert sis.http.get(f"{sis.url}/_sandbox/stats").status_code == 200
    assert time.perf_counter() - t < 0.2


def test_concurrency_limit_answers_429(sis: Sis) -> None:
    c = sis.connect("skyward")
    sis.state.config.max_concurrency = 2
    sis.state.config.latency_ms = 400
    barrier, statuses, retry_after = threading.Barrier(6), [], []

    def call() -> None:
        with httpx2.Client(timeout=10) as http:
            barrier.wait()
            r = http.get(c.rostering + "/classes", headers=c.headers)
            statuses.append(r.status_code)
            retry_after.append(r.headers.get("retry-after"))

    threads = [threading.Thread(target=call) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 1 <= statuses.count(200) <= 2 and statuses.count(429) >= 4, statuses
    assert {ra for s, ra in zip(statuses, retry_after, strict=True) if s == 429} == {"1"}
    stats = sis.state.stats()
    assert stats["max_in_flight_by_vendor"]["skyward"] >= 3 and stats["max_in_flight"] >= 3
    assert stats["requests"]["skyward"]["GET"]["429"] == statuses.count(429)


def test_knobs_over_http(sis: Sis) -> None:
    knobs = {"fault_rate": 1.0, "latency_ms": 5, "max_concurrency": 3}
    r = sis.http.put(f"{sis.url}/_sandbox/knobs", json=knobs)
    assert r.status_code == 200 and r.json()["fault_rate"] == 1.0
    assert sis.state.config.latency_ms == 5 and sis.state.config.max_concurrency == 3
    for bad in ({"fault_rate": 2}, {"shoe_size": 1}, {"latency_ms": -1}, {"max_concurrency": 0}, [1]):
        assert sis.http.put(f"{sis.url}/_sandbox/knobs", json=bad).status_code == 400
    assert sis.http.get(f"{sis.url}/_sandbox/knobs").json()["fault_rate"] == 1.0
    assert sis.http.post(f"{sis.url}/_sandbox/reset").status_code == 200
    assert sis.state.config.fault_rate == 0.0 and sis.state.config.max_concurrency is None


def test_stats_count_requests_by_vendor_method_status(sis: Sis) -> None:
    c = sis.connect("aspen")
    c.r("/classes")
    c.r("/classes")
    c.r("/classes/nope")
    c.put("/lineItems/li-1", line_item())
    stats = sis.http.get(f"{sis.url}/_sandbox/stats").json()
    assert stats["requests"] == {"aspen": {"GET": {"200": 2, "404": 1}, "PUT": {"201": 1}}}
    assert stats["total"] == 4 and stats["token_requests"] == {"aspen": {"200": 1}}
    assert stats["max_in_flight"] == 1
    sis.http.post(f"{sis.url}/_sandbox/reset")
    assert sis.state.stats()["total"] == 0


def test_admin_gradebook_view(sis: Sis) -> None:
    view = sis.http.get(f"{sis.url}/_sandbox/oneroster_1p1/gradebook").json()
    assert len(view["categories"]) == 12 and len(view["lineItems"]) == 4 and len(view["results"]) == 8
    assert all(o["_origin"] == "seed" and o["_deleted"] is False for o in view["lineItems"])
    assert sis.http.get(f"{sis.url}/_sandbox/nope/gradebook").status_code == 404


# ================================================================== vendor path flavours
EXPECTED_PATHS = {
    ("infinite_campus", V12): ("/infinite_campus/campus/api/ims/oneroster/rostering/v1p2",
                               "/infinite_campus/campus/api/ims/oneroster/gradebook/v1p2",
                               "/infinite_campus/campus/oauth2/token"),
    ("infinite_campus", V11): ("/infinite_campus/campus/api/ims/oneroster/v1p1",
                               "/infinite_campus/campus/api/ims/oneroster/v1p1",
                               "/infinite_campus/campus/oauth2/token"),
    ("skyward", V11): ("/skyward/ims/oneroster/v1p1", "/skyward/ims/oneroster/v1p1", "/skyward/token"),
    ("skyward", V12): ("/skyward/ims/oneroster/v1p2", "/skyward/ims/oneroster/v1p2", "/skyward/token"),
    ("aspen", V11): ("/aspen/ims/oneroster/v1p1", "/aspen/ims/oneroster/v1p1", "/aspen/oauth/rest/v2.0/auth"),
    ("aeries", V11): ("/aeries/ims/oneroster/v1p1", "/aeries/ims/oneroster/v1p1",
                      "/aeries/ims/oneroster/v1p1/token"),
    ("capita_sims", V11): ("/capita_sims/ims/oneroster/v1p1", "/capita_sims/ims/oneroster/v1p1",
                           "/capita_sims/connect/token"),
    ("oneroster_1p1", V11): ("/oneroster_1p1/ims/oneroster/v1p1", "/oneroster_1p1/ims/oneroster/v1p1",
                             "/oneroster_1p1/token"),
    ("oneroster_1p2", V12): ("/oneroster_1p2/ims/oneroster/rostering/v1p2",
                             "/oneroster_1p2/ims/oneroster/gradebook/v1p2", "/oneroster_1p2/token"),
}


def test_every_profile_version_is_covered() -> None:
    assert set(EXPECTED_PATHS) == {(p.id, v) for p in PROFILES.values() for v in p.versions}


@pytest.mark.parametrize(("vendor", "version"), list(EXPECTED_PATHS), ids=lambda x: getattr(x, "value", x))
def test_vendor_flavour_end_to_end(sis: Sis, vendor: str, version: OneRosterVersion) -> None:
    profile = PROFILES[vendor]
    token_url = f"{sis.url}/capita_sims/connect/token" if vendor == "capita_sims" else None
    eps = profile.endpoints(f"{sis.url}/{vendor}", version=version, token_url=token_url,
                            auth=AuthMethod.OAUTH2)
    paths = tuple(urlsplit(u).path for u in (eps.rostering, eps.gradebook, eps.token_url or ""))
    assert paths == EXPECTED_PATHS[(vendor, version)]
    assert sis.state.endpoints(sis.url, vendor, version) == eps
    c = sis.connect(vendor, version)
    assert len(_ids(c.r("/classes", limit=10000), "classes")) == 4
    assert f"li-sis-{ALG}" in _ids(c.g(f"/classes/{ALG}/lineItems", limit=10000), "lineItems")
    assert len(_ids(c.g(f"/classes/{ALG}/categories"), "categories")) == 3
    assert c.put("/lineItems/li-flavour", line_item()).status_code == 201
    assert c.put("/results/res-flavour", result("li-flavour")).status_code in (200, 201)
    assert c.g("/lineItems/li-flavour").json()["lineItem"]["title"] == "Homework 1"
    r = c.delete("/lineItems/li-flavour")
    assert r.status_code == (405 if not profile.limits.supports_delete else 200 if version is V11 else 204)
    if eps.rostering != eps.gradebook:  # split layout: each service only under its own base
        assert_imsx(c.g(f"/classes/{ALG}"), 404, "unknownobject")
        assert_imsx(c.r("/lineItems"), 404, "unknownobject")


def test_vendors_have_independent_districts(sis: Sis) -> None:
    aspen = sis.connect("aspen")
    aeries = sis.connect("aeries")
    assert aspen.put("/lineItems/li-1", line_item()).status_code == 201
    assert_imsx(aeries.g("/lineItems/li-1"), 404, "unknownobject")
    ic11 = sis.connect("infinite_campus", V11)
    ic12 = sis.connect("infinite_campus", V12)
    assert ic12.put("/lineItems/li-2", line_item()).status_code == 201
    assert ic11.g("/lineItems/li-2").status_code == 200  # one SIS, two API versions


def test_vendors_listing(sis: Sis) -> None:
    listing = sis.http.get(f"{sis.url}/_sandbox/vendors").json()
    assert set(listing) == set(PROFILES)
    assert listing["capita_sims"]["versions"]["1.1"]["token_url"] == f"{sis.url}/capita_sims/connect/token"
    assert listing["skyward"]["versions"]["1.2"]["gradebook"] == f"{sis.url}/skyward/ims/oneroster/v1p2"


def test_root_vendor_shares_state_with_its_mount(sis: Sis) -> None:
    app = create_app(SandboxConfig(vendors=("aspen", "aeries"), root_vendor="aspen"))
    server = runner.start(app)
    try:
        r = token_request(sis.http, "aspen", f"{server.url}/oauth/rest/v2.0/auth", scopes=scope(V11))
        assert r.status_code == 200
        headers = {"Authorization": "Bearer " + r.json()["access_token"]}
        root = f"{server.url}/ims/oneroster/v1p1"
        assert len(sis.http.get(f"{root}/classes", headers=headers).json()["classes"]) == 4
        put = sis.http.put(f"{root}/lineItems/li-root", content=json.dumps(line_item()), headers=headers)
        assert put.status_code == 201
        mounted = f"{server.url}/aspen/ims/oneroster/v1p1/lineItems/li-root"
        assert sis.http.get(mounted, headers=headers).status_code == 200
        unserved = f"{server.url}/skyward/ims/oneroster/v1p1/classes"
        assert sis.http.get(unserved, headers=headers).status_code == 404
    finally:
        server.stop()


def test_config_is_checked() -> None:
    with pytest.raises(ValueError, match="unknown vendors"):
        create_app(SandboxConfig(vendors=("nope",)))
    with pytest.raises(ValueError, match="root_vendor"):
        create_app(SandboxConfig(vendors=("aspen",), root_vendor="aeries"))
