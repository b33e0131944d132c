"""Opening a OneRoster client for a tenant's connection, and the live checks behind Authorize."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from sisbridge.bootstrap import Deps
from sisbridge.errors import AppError, SisError, SisForbidden, SisNotFound
from sisbridge.netguard import check_destination
from sisbridge.oneroster import OneRosterClient, RetryPolicy, Service
from sisbridge.ports.secrets import secret_name
from sisbridge.repositories import Check, Connection
from sisbridge.vendors import AuthMethod, OneRosterVersion, VendorProfile, get_profile


def credential_secret_name(tenant: str) -> str:
    return secret_name(f"tenant-{tenant}-sis")


# Authorize is interactive: an admin waits for it, within the function's timeout.
AUTHORIZE_RETRY = RetryPolicy(max_attempts=2, max_elapsed_s=15.0)
AUTHORIZE_TIMEOUT_S = 10.0


def open_client(conn: Connection, credentials: Mapping[str, str], deps: Deps, *,
                interactive: bool = False) -> OneRosterClient:
    profile = get_profile(conn.sis)
    endpoints = profile.endpoints(conn.host_url, auth=conn.auth_method, token_url=conn.token_url)
    return OneRosterClient(
        endpoints, profile, access_key=credentials["access_key"], secret_code=credentials["secret_code"],
        auth=conn.auth_method, transport=deps.sis_transport,
        timeout=min(deps.sis_timeout_s, AUTHORIZE_TIMEOUT_S) if interactive else deps.sis_timeout_s,
        retry=deps.sis_retry or (AUTHORIZE_RETRY if interactive else None),
        max_concurrency=deps.sis_max_concurrency,
    )


def _expected_url(profile: VendorProfile, version: OneRosterVersion) -> str:
    if version is OneRosterVersion.V1P1:
        return "/ims/oneroster/v1p1"
    return "/ims/oneroster" if profile.layout_1p2.value == "split" else "/ims/oneroster/v1p2"


def _explain(exc: AppError, conn: Connection, check: str) -> AppError:
    """Add what the admin should do, in terms of this vendor, to the SIS's answer."""
    profile = get_profile(conn.sis)
    version = profile.default_version
    if isinstance(exc, SisForbidden):
        licence = f" {profile.name} needs the {profile.licence} licence for grade write-back." if profile.licence else ""
        scope = "gradebook (read, create/put, delete)" if check == "gradebook" else "roster read"
        exc.hint = (f"The SIS accepted the credentials but refused the {scope} scope.{licence} "
                    "Grant the application those permissions in the SIS, then Authorize again.")
    elif isinstance(exc, SisNotFound):
        example = profile.host_url_example or "https://sis.example.org"
        should_be = (f"The host URL should be like {example} (sisbridge adds "
                     f"{profile.path_prefix}{_expected_url(profile, version)}), or the full OneRoster URL "
                     f"ending in {_expected_url(profile, version)}.")
        exc.hint = f"The SIS has no OneRoster API at {exc.url or conn.host_url}. {should_be}"
        if check == "token" and (conn.token_url or profile.token_url):
            exc.hint = (f"The token URL {exc.url or conn.token_url} does not exist. Check it against the "
                        "token URL your SIS documents.")
        elif check == "token":  # derived from the host URL, so the host URL is what is wrong
            derived = exc.url or profile.endpoints(conn.host_url, auth=conn.auth_method).token_url
            exc.hint = (f"The token URL sisbridge derives from the host URL ({derived}) does not exist, so "
                        f"the host URL is likely wrong. {should_be}")
    return exc


async def authorize_checks(conn: Connection, credentials: Mapping[str, str],
                           deps: Deps) -> tuple[list[Check], AppError | None]:
    """Run the checks in order and stop at the first failure: each failure names itself."""
    profile = get_profile(conn.sis)
    endpoints = profile.endpoints(conn.host_url, auth=conn.auth_method, token_url=conn.token_url)
    checks: list[Check] = []

    def passed(name: str, message: str) -> None:
        checks.append(Check(name=name, ok=True, message=message))

    def address() -> None:
        for url, field in ((endpoints.rostering, "host_url"), (endpoints.token_url, "token_url")):
            if url:
                check_destination(url, allow_insecure=deps.settings.allow_insecure_sis,
                                  resolver=deps.resolver, field=field)

    try:
        address()
        passed("address", f"The host resolves to an address sisbridge may call ({endpoints.host_root}).")
    except AppError as exc:
        checks.append(Check(name="address", ok=False, message=exc.message))
        return checks, exc

    async with open_client(conn, credentials, deps, interactive=True) as sis:
        steps: list[tuple[str, str, Callable[[], Awaitable[object]]]] = []
        if conn.auth_method is AuthMethod.OAUTH2:
            steps.append(("token", f"The SIS issued an access token at {endpoints.token_url}.", sis.authenticate))

        async def first(path: str, key: str, service: Service) -> None:
            pages = sis.iter_collection(path, key, {"limit": 1}, service=service)
            async for _ in pages:
                break
            await pages.aclose()  # type: ignore[attr-defined]

        steps.append(("roster", "Roster read (teachers) succeeded.",
                      lambda: first("/teachers", "users", Service.ROSTERING)))
        steps.append(("gradebook", "Gradebook read (line items) succeeded: the gradebook scope is granted.",
                      lambda: first("/lineItems", "lineItems", Service.GRADEBOOK)))
        for name, message, step in steps:
            try:
                await step()
            except SisError as exc:
                checks.append(Check(name=name, ok=False, message=exc.message))
                return checks, _explain(exc, conn, name)
            passed(name, message)
    return checks, None
