"""schemathesis against the local stack, driven by docs/openapi.yaml: no 5xx, and every answer
(status, content type, headers, body) as the spec says; invalid input refused with a 4xx;
authentication enforced wherever the spec says it is; other methods answered 405 with `Allow`.

schemathesis runs as its CLI from its own venv (`.venv-schemathesis`, requirements-tools.txt): its
pytest plugin needs pytest<9.2, the project pins 9.2.0. The stack runs in this process
(tests/api/stack.py); each pass is one CLI run with one caller's token, and its JSON and HAR
reports are read back: the HAR lists every request sent.

Checks: all of schemathesis's except `positive_data_acceptance`, which expects every schema-valid
request to succeed; many are refused for reasons a schema cannot state (a host URL that does not
resolve, a course the caller does not teach, an SIS not connected yet), with documented 4xx codes.
"""

from __future__ import annotations

import collections
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.stack import COURSE_ID, Stack, running
from tests.infra import tools

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "docs" / "openapi.yaml"
# Fixed, so a failure replays the same way; FUZZ_SEED and FUZZ_EXAMPLES explore further by hand.
SEED = int(os.environ.get("FUZZ_SEED", "20261204"))
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))  # per operation and pass
MIN_REQUESTS = 1000
# (name, whose token, extra CLI arguments)
PASSES = [
    ("teacher", "teacher_token", ["--include-tag", "export"]),
    ("admin", "admin_token", []),
]
# Operations the passes must drive to a 2xx at least once, so the fuzzing reached the core logic
# and did not only collect 4xx answers at the door.
MUST_SUCCEED = {
    ("GET", "/connect"), ("POST", "/connect"), ("PUT", "/connect/permissions"), ("GET", "/connect/partners"),
    ("POST", "/connect/webhook-secret"), ("GET", "/connect/audit"), ("POST", "/disconnect"),
    ("GET", "/export/health"), ("GET", "/export/courses"), ("PUT", "/export/courses/{course_id}/link"),
    ("DELETE", "/export/courses/{course_id}/link"), ("POST", "/export/courses/{course_id}/exports"),
    ("GET", "/export/courses/{course_id}/exports"), ("GET", "/export/courses/{course_id}/exports/{run_id}"),
    ("GET", "/export/overview"), ("POST", "/export/schedule"),
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running(tmp_path_factory.mktemp("stack")) as running_stack:
        yield running_stack


def _template(url: str) -> str:
    """A request URL's path as the spec's path template."""
    path = re.sub(r"^https?://[^/]+", "", url).split("?", 1)[0]
    path = re.sub(r"^/export/courses/[^/]+", "/export/courses/{course_id}", path)
    return re.sub(r"^(/export/courses/\{course_id\}/exports)/[^/]+$", r"\1/{run_id}", path)


def _failures_section(output: str) -> str:
    """The CLI's FAILURES (or ERRORS) section: each failure with its request, answer and replay id."""
    match = re.search(r"^=+ (?:FAILURES|ERRORS) =+$(.*?)^=+ (?:WARNINGS|SUMMARY) =+$", output, re.S | re.M)
    return (match.group(1) if match else output)[-12000:]


def _run_pass(schemathesis: Path, stack: Stack, name: str, token: str, extra: list[str], examples: int,
              workdir: Path) -> dict[str, Any]:
    reports = workdir / name
    reports.mkdir(parents=True)
    command = [
        str(schemathesis), "--no-color", "run", str(SPEC), "--url", stack.url,
        "-H", f"Authorization: Bearer {token}",
        "--checks", "all", "--exclude-checks", "positive_data_acceptance",
        "--max-examples", str(examples), "--seed", str(SEED), "--workers", "1",
        "--request-timeout", "60", "--suppress-health-check", "too_slow",
        "--report", "json,har", "--report-dir", str(reports), *extra,
    ]
    # cwd: schemathesis keeps .hypothesis/ and .schemathesis/ in the working directory
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=1500,
                          stdin=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin", "HOME": str(workdir),
                                                         "NO_COLOR": "1"})
    output = (done.stdout + done.stderr).replace(token, "<token>")
    (reports / "output.txt").write_text(output)
    report_files = sorted(reports.glob("json-*.json"))
    har_files = sorted(reports.glob("har-*.json"))
    assert report_files and har_files, f"{name}: schemathesis wrote no report (exit {done.returncode}):\n{output[-4000:]}"
    report = json.loads(report_files[-1].read_text())
    entries = json.loads(har_files[-1].read_text())["log"]["entries"]
    return {"name": name, "exit": done.returncode, "output": output, "report": report, "entries": entries}


def test_the_local_stack_conforms_to_its_openapi_spec_under_fuzzing(stack: Stack, tmp_path: Path) -> None:
    schemathesis = tools.require(tools.SCHEMATHESIS, "schemathesis")
    results = []
    for name, token_attr, extra in PASSES:
        stack.set_up_district()  # a pass may disconnect or unlink: each starts from the same district
        results.append(_run_pass(schemathesis, stack, name, getattr(stack, token_attr), extra, EXAMPLES, tmp_path))

    summary = []
    outcomes: collections.Counter[tuple[str, str, int]] = collections.Counter()
    for result in results:
        report = result["report"]
        for entry in result["entries"]:
            outcomes[(entry["request"]["method"], _template(entry["request"]["url"]),
                      int(entry["response"]["status"]))] += 1
        summary.append(f"{result['name']}: {len(result['entries'])} requests, "
                       f"{report['test_cases']['generated']} test cases, exit {result['exit']}")
        failures = report.get("failures") or []
        errors = report.get("errors") or []
        assert result["exit"] == 0 and not failures and not errors, (
            f"{result['name']} pass: {failures or errors}\n{_failures_section(result['output'])}")

    requests = sum(len(r["entries"]) for r in results)
    print("\n".join(["schemathesis:", *summary, f"total: {requests} requests"]))
    assert requests >= MIN_REQUESTS, summary
    server_errors = {k: v for k, v in outcomes.items() if k[2] >= 500}
    assert not server_errors, server_errors
    succeeded = {(method, path) for method, path, status in outcomes if 200 <= status < 300}
    assert MUST_SUCCEED <= succeeded, f"never reached a 2xx: {sorted(MUST_SUCCEED - succeeded)}"


def test_the_spec_examples_point_at_the_seeded_district() -> None:
    """The spec's examples are what the fuzzing's example phase sends first: they must name the
    sandbox's course, so those requests reach the deep paths."""
    assert f'example: "{COURSE_ID}"' in SPEC.read_text()
