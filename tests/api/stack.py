"""The local stack for API fuzzing: the three functions exactly as `sisbridge serve` mounts them
(`local_stack.functions_app()`), over SQLite, local secrets and local sign-in keys in a temporary
folder, with the SIS and Classroom sandboxes on loopback; and a district already set up so the
deep routes have something to work on: the Infinite Campus sandbox connected and authorized, and
Ada Lovelace's Algebra course linked to her SIS class.

Nothing leaves the machine: host names resolve only to loopback (a fuzzed host URL fails its
address check), and the SIS transport refuses any destination that is not loopback.

    .venv/bin/python -m tests.api.stack      # serve it by hand; prints the URL and two tokens
"""

from __future__ import annotations

import ipaddress
import signal
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2

from sisbridge import bootstrap
from sisbridge.adapters.local_secrets import LocalSecretStore
from sisbridge.adapters.sqlite_store import SqliteDocumentStore
from sisbridge.config import Settings
from sisbridge.identity import verifier_from_settings
from sisbridge.identity_keys import LocalKeys
from sisbridge.local_stack import functions_app
from sisbridge.sandbox import runner, seed
from sisbridge.sandbox import stack as sandboxes

ADMIN = "admin@district.example"
TEACHER = seed.TEACHERS[0].email  # Ada Lovelace: teaches the Algebra and Geometry sections
SECTION = seed.SECTIONS[0]  # Algebra I - Period 1
COURSE_ID = SECTION.classroom_course_id
CLASS_ID = SECTION.class_sourced_id


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def loopback_resolver(host: str, port: int) -> list[str]:
    """The SSRF guard's resolver: loopback names and addresses only; anything else 'does not resolve'."""
    if host == "localhost":
        return ["127.0.0.1"]
    if _is_loopback(host):
        return [host.strip("[]")]
    raise OSError(f"fuzzing resolves no name but loopback ({host!r})")


class LoopbackTransport(httpx2.AsyncBaseTransport):
    """The SIS transport: a request to anything but loopback fails as a connection error would.

    Each request gets its own connection: the functions run every SIS conversation in its own
    event loop (`asyncio.run`), and a pooled connection belongs to the loop that opened it."""

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if not _is_loopback(request.url.host):
            raise httpx2.ConnectError(f"fuzzing reaches loopback only, not {request.url.host}", request=request)
        async with httpx2.AsyncHTTPTransport() as inner:
            response = await inner.handle_async_request(request)
            try:
                content = b"".join([chunk async for chunk in response.aiter_raw()])
            finally:
                await response.aclose()
        return httpx2.Response(response.status_code, headers=response.headers, content=content)


@dataclass(frozen=True)
class Stack:
    url: str  # the functions: {url}/connect, {url}/export, {url}/disconnect
    sandbox_url: str
    admin_token: str
    teacher_token: str
    deps: bootstrap.Deps

    def set_up_district(self) -> None:
        """Connect and authorize the Infinite Campus sandbox, and link Ada's Algebra course to her
        SIS class, through the API (again: a fuzzing pass may have disconnected or unlinked them)."""
        with httpx2.Client(base_url=self.url, timeout=60) as http:
            as_admin = {"Authorization": f"Bearer {self.admin_token}"}
            _check(http.post("/connect", headers=as_admin, json={
                "sis": "infinite_campus", "host_url": f"{self.sandbox_url}/infinite_campus",
                "access_key": seed.ACCESS_KEY, "secret_code": seed.SECRET_CODE}), 201, "POST /connect")
            _check(http.post("/connect/authorize", headers=as_admin), 200, "POST /connect/authorize")
            _check(http.put("/connect/permissions", headers=as_admin, json={"teacher_export_enabled": True}),
                   200, "PUT /connect/permissions")
            _check(http.put(f"/export/courses/{COURSE_ID}/link", json={"class_sourced_id": CLASS_ID},
                            headers={"Authorization": f"Bearer {self.teacher_token}"}), 200, "PUT link")


def _check(response: httpx2.Response, status: int, what: str) -> None:
    if response.status_code != status:
        raise RuntimeError(f"setting up the district: {what} answered {response.status_code}: {response.text}")


@contextmanager
def running(root: Path) -> Iterator[Stack]:
    sandbox = sandboxes.start(sandboxes.SandboxOptions(port=0))
    settings = Settings.from_env({
        "SISBRIDGE_DATA_DIR": str(root / "data"), "SISBRIDGE_KEY_DIR": str(root / "keys"),
        "SISBRIDGE_ALLOW_INSECURE_SIS": "1", "SISBRIDGE_ADMINS": ADMIN,
        "SISBRIDGE_CLASSROOM_API_URL": f"{sandbox.url}{sandboxes.CLASSROOM_PREFIX}",
        "SISBRIDGE_LOG_LEVEL": "ERROR",
    })
    (root / "data").mkdir(parents=True, exist_ok=True)
    deps = bootstrap.Deps(
        settings=settings, store=SqliteDocumentStore(str(root / "data" / "sisbridge.sqlite3")),
        secrets=LocalSecretStore(root / "data" / "secrets", root / "keys" / "secrets.key"),
        verifier=verifier_from_settings(settings), resolver=loopback_resolver,
        sis_transport=LoopbackTransport(), sis_timeout_s=10.0,
    )
    bootstrap.use(deps)
    functions = runner.start(functions_app())
    try:
        keys = LocalKeys(settings.key_dir)
        stack = Stack(url=functions.url, sandbox_url=sandbox.url, deps=deps,
                      admin_token=keys.mint_token(ADMIN, audience=settings.audience),
                      teacher_token=keys.mint_token(TEACHER, audience=settings.audience))
        stack.set_up_district()
        yield stack
    finally:
        bootstrap.use(None)
        functions.stop()
        assert deps.tasks is not None and deps.classroom is not None
        deps.tasks.close()
        deps.classroom.close()
        sandbox.stop()


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="sisbridge-fuzz-") as tmp, running(Path(tmp)) as stack:
        print(f"functions: {stack.url}\nadmin token: {stack.admin_token}\nteacher token: {stack.teacher_token}",
              flush=True)
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    return 0


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    sys.exit(main())
