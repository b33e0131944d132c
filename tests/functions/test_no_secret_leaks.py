"""The SIS secret code (and the whole access key) never leave the secret store: not in logs,
responses, audit events, the database, or any other file sisbridge writes."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sisbridge import logs
from sisbridge.sandbox.sis import config as sandbox_clients

from .conftest import ADMIN, FLAVOURS, TEACHER, Flavour, Stack, StackFactory, connect_body, flavours

# The SIS sandbox runs in this process; its own loggers (oauthlib verifies OAuth 1.0a signatures
# there) are the SIS's logs, not sisbridge's, and may well show what the SIS received.
SIS_SIDE_LOGGERS = ("oauthlib", "sisbridge.sandbox", "waitress")
ACCESS_KEY = "AKleak-7f3c9a2e1b5d"
SECRET_CODE = "SCleak-9d8e7f6a5b4c3d2e1f0a"
WRONG_SECRET = "SCwrong-0a1b2c3d4e5f6a7b"


@pytest.fixture
def district_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the distinctive key with the SIS sandbox, with every scope, for this test."""
    monkeypatch.setitem(sandbox_clients.CLIENTS, ACCESS_KEY, (SECRET_CODE, sandbox_clients.ALL_SCOPES))


@pytest.fixture
def json_logs() -> Iterator[None]:
    """sisbridge's own JSON log lines on stdout, at DEBUG, as bootstrap.build() sets them up."""
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    handler = logs.setup_logging("DEBUG")
    yield
    root.removeHandler(handler)
    root.handlers[:] = before[0]
    root.setLevel(before[1])


def sisbridge_lines(out: str) -> list[str]:
    """Every stdout line but the SIS sandbox's own log records."""
    kept = []
    for line in out.splitlines():
        try:
            logger = str(json.loads(line).get("logger", ""))
        except ValueError:
            logger = ""
        if not logger.startswith(SIS_SIDE_LOGGERS):
            kept.append(line)
    return kept


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("flavour", **flavours(FLAVOURS))
def test_credentials_never_appear_outside_the_secret_store(
        make_stack: StackFactory, sis_server: str, flavour: Flavour, district_credentials: None,
        json_logs: None, capsys: pytest.CaptureFixture[str]) -> None:
    stack: Stack = make_stack()
    admin, teacher = stack.console(ADMIN), stack.console(TEACHER)
    good = connect_body(sis_server, flavour, access_key=ACCESS_KEY, secret_code=SECRET_CODE)
    wrong = connect_body(sis_server, flavour, access_key=ACCESS_KEY, secret_code=WRONG_SECRET)

    assert admin.connect(wrong).status_code == 201
    assert admin.authorize().status_code == 422
    assert admin.get().status_code == 200
    assert admin.connect(good).status_code == 201
    assert admin.authorize().status_code == 200
    assert admin.set_permissions(False).status_code == 200
    assert teacher.get().status_code == 403
    assert admin.get().status_code == 200
    assert admin.disconnect().status_code == 200
    assert admin.connect(good | {"host_url": good["host_url"] + "/wrong-path"}).status_code == 201
    assert admin.authorize().status_code == 422
    assert admin.get().status_code == 200
    assert admin.call("connect", "GET", "/audit").status_code == 200
    assert stack.has_credentials()  # the secret is stored (encrypted) while connected...

    out, err = capsys.readouterr()
    lines = sisbridge_lines(out)
    assert any('"logger": "sisbridge.http"' in line for line in lines)  # our log lines were captured
    places = {
        "logs": "\n".join(lines) + err,
        "responses": "\n".join(stack.functions.bodies),
        "audit": stack.audit_text(),
    }
    files = files_under(stack.root)
    assert any(p.suffix == ".enc" for p in files)
    assert any(p.name.startswith("sisbridge.sqlite3") for p in files)
    for path in files:
        places[str(path.relative_to(stack.root))] = path.read_bytes().decode("utf-8", "replace")
    for name, text in places.items():
        for secret in (SECRET_CODE, WRONG_SECRET, ACCESS_KEY):
            assert secret not in text, f"{secret} found in {name}"
    assert ACCESS_KEY[-4:] in places["responses"]  # only the masked key's last characters are shown

    assert admin.disconnect().status_code == 200
    assert not stack.has_credentials()  # ...and gone once disconnected
    assert [p for p in files_under(stack.root) if p.suffix == ".enc"] == []
