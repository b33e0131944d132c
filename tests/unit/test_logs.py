from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from sisbridge import logs

SECRET = "s3cr3t-VALUE-9f8e"
TRACE = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def log(capsys: pytest.CaptureFixture[str]) -> Iterator[logging.Logger]:
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    handler = logs.setup_logging("DEBUG", project="demo-proj")
    capsys.readouterr()
    yield logging.getLogger("sisbridge.test")
    root.removeHandler(handler)
    for h in before[0]:
        if h not in root.handlers:
            root.addHandler(h)
    root.setLevel(before[1])


def lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    out = capsys.readouterr().out
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def request(headers: dict[str, str]) -> Request:
    return Request(EnvironBuilder(path="/x", headers=list(headers.items())).get_environ())


def test_one_json_line_with_cloud_logging_fields(
    log: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    log.warning("exported %d results for %s", 3, "class-1")
    (entry,) = lines(capsys)
    assert entry["severity"] == "WARNING"
    assert entry["message"] == "exported 3 results for class-1"
    assert entry["logger"] == "sisbridge.test"
    assert entry["time"].endswith("Z")
    assert (
        entry["logging.googleapis.com/sourceLocation"]["function"]
        == "test_one_json_line_with_cloud_logging_fields"
    )


@pytest.mark.parametrize(
    ("level", "severity"),
    [
        (logging.DEBUG, "DEBUG"),
        (logging.INFO, "INFO"),
        (logging.ERROR, "ERROR"),
        (logging.CRITICAL, "CRITICAL"),
        (25, "DEFAULT"),
    ],
)
def test_severity_names(
    log: logging.Logger, capsys: pytest.CaptureFixture[str], level: int, severity: str
) -> None:
    log.log(level, "x")
    assert lines(capsys)[0]["severity"] == severity


def test_trace_from_cloud_trace_header_and_bound_keys(
    log: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    req = request({"X-Cloud-Trace-Context": f"{TRACE}/123;o=1", "X-CloudTasks-TaskName": "task-7"})
    with logs.bind_request(req):
        with logs.bind(
            tenant="school.edu", run_id="r1", course_id="c1", class_sourced_id="k1", vendor="aspen"
        ):
            log.info("inside")
        logs.append_keys(tenant="later.edu")
        log.info("after")
    log.info("outside")
    inside, after, outside = lines(capsys)
    assert inside["logging.googleapis.com/trace"] == f"projects/demo-proj/traces/{TRACE}"
    assert inside["logging.googleapis.com/spanId"] == f"{123:016x}"
    assert inside["logging.googleapis.com/trace_sampled"] is True
    assert inside["task_name"] == "task-7"
    assert {k: inside[k] for k in ("tenant", "run_id", "course_id", "class_sourced_id", "vendor")} == {
        "tenant": "school.edu",
        "run_id": "r1",
        "course_id": "c1",
        "class_sourced_id": "k1",
        "vendor": "aspen",
    }
    assert after["tenant"] == "later.edu" and "run_id" not in after
    assert (
        "tenant" not in outside
        and "logging.googleapis.com/trace" not in outside
        and "task_name" not in outside
    )


def test_traceparent_is_the_fallback_and_no_project_gives_a_plain_trace_id(
    capsys: pytest.CaptureFixture[str],
) -> None:
    handler = logs.setup_logging("INFO")
    try:
        with logs.bind_request(request({"traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"})):
            logging.getLogger("t").info("x")
        (entry,) = lines(capsys)
        assert entry["trace_id"] == TRACE and "logging.googleapis.com/trace" not in entry
        assert entry["logging.googleapis.com/spanId"] == "00f067aa0ba902b7"
    finally:
        logging.getLogger().removeHandler(handler)


@pytest.mark.parametrize(
    ("cloud", "expected"),
    [
        (f"{TRACE}/1;o=0", (TRACE, f"{1:016x}", False)),
        (TRACE, (TRACE, None, False)),
        ("not-a-trace", None),
        ("", None),
    ],
)
def test_parse_trace_header(cloud: str, expected: tuple[str, str | None, bool] | None) -> None:
    assert logs.parse_trace_header(cloud) == expected


def test_unknown_context_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="student_name"):
        with logs.bind(student_name="Ada"):
            pass


def test_exceptions_become_stack_trace(log: logging.Logger, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        raise RuntimeError(f"boom with client_secret={SECRET}")
    except RuntimeError:
        log.exception("export failed")
    (entry,) = lines(capsys)
    assert entry["severity"] == "ERROR" and entry["message"] == "export failed"
    assert "Traceback" in entry["stack_trace"] and "RuntimeError: boom" in entry["stack_trace"]
    assert SECRET not in json.dumps(entry)


@pytest.mark.parametrize(
    "message",
    [
        f"secret={SECRET}",
        f"secret_code={SECRET} next",
        f"token url https://sis/x?access_token={SECRET}&page=2",
        f'{{"client_secret": "{SECRET}", "id": 1}}',
        f"{{'password': '{SECRET}'}}",
        f"Connection(access_key='{SECRET}', host='h')",
        f"Authorization: Bearer {SECRET}",
        f"authorization=Basic {SECRET}",
        f"sending bearer {SECRET} to the SIS",
        f'header Authorization: OAuth oauth_consumer_key="{SECRET}", oauth_signature="{SECRET}"',
        f"clientSecret: {SECRET}",
        "id token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
    ],
)
def test_secrets_never_reach_the_output(
    log: logging.Logger, capsys: pytest.CaptureFixture[str], message: str
) -> None:
    log.info(message)
    log.info("%s", message)  # also when the secret arrives as an argument
    out = capsys.readouterr().out
    assert SECRET not in out and "c2lnbmF0dXJl" not in out
    assert "[redacted]" in out


def test_credential_named_json_fields_are_masked(
    log: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    log.info(
        "saved",
        extra={"json_fields": {"vendor_id": "aspen", "secret_code": SECRET, "nested": {"token": SECRET}}},
    )
    (entry,) = lines(capsys)
    assert entry["vendor_id"] == "aspen"
    assert entry["secret_code"] == "[redacted]" and entry["nested"] == {"token": "[redacted]"}


def test_ordinary_text_is_left_alone() -> None:
    text = "token_url=https://sis/token tokens=3 passwords reset for 2 teachers, max_tokens=5"
    assert logs.redact(text) == text


def test_setup_is_idempotent(log: logging.Logger, capsys: pytest.CaptureFixture[str]) -> None:
    again = logs.setup_logging("INFO", project="demo-proj")
    assert sum(h is again for h in logging.getLogger().handlers) == 1
    log.info("once")
    log.debug("filtered by the new level")
    assert [e["message"] for e in lines(capsys)] == ["once"]


def test_unformattable_arguments_do_not_lose_the_record(
    log: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    log.info("%d apples", "many")
    (entry,) = lines(capsys)
    assert "apples" in entry["message"]
