"""Tool venvs: checkov, python-hcl2 and schemathesis each live in their own venv, pinned in
requirements-tools.txt, because their dependency trees clash with the app's (schemathesis needs
pytest<9.2; the app runs 9.2.0). A venv is built on first use, and rebuilt when its pins change.

`requirements-tools.txt` is split into sections, one per venv: a line `# [<venv dir>] <what for>`
starts one, and the requirement lines up to the next section are its pins.

In CI (`CI` set) a tool that cannot be installed fails the test that needs it; on a developer's
machine it skips with the reason. Standard library only (pytest is imported where it is used), so
this also runs as a script: `python tests/infra/tools.py [.venv-checkov ...]` builds the venvs.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "requirements-tools.txt"
CHECKOV = ".venv-checkov"
HCL2 = ".venv-hcl2"
SCHEMATHESIS = ".venv-schemathesis"
_SECTION = re.compile(r"^#\s*\[(?P<venv>\.venv-[A-Za-z0-9_-]+)\]")


class ToolUnavailable(RuntimeError):
    """The tool's venv cannot be built here; the message says why."""


def sections(text: str | None = None) -> dict[str, list[str]]:
    """venv dir → its requirement lines (comments and blank lines dropped)."""
    text = REQUIREMENTS.read_text() if text is None else text
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in text.splitlines():
        match = _SECTION.match(raw.strip())
        if match:
            current = found.setdefault(match["venv"], [])
            continue
        line = raw.split("#", 1)[0].strip()
        if line and current is not None:
            current.append(line)
    return found


def venv(name: str, *, timeout: float = 900) -> Path:
    """ROOT/<name>, built from its section of requirements-tools.txt unless already current."""
    pins = sections().get(name)
    if not pins:
        raise ToolUnavailable(f"requirements-tools.txt has no section [{name}]")
    path = ROOT / name
    marker = path / f".installed-{hashlib.sha256(chr(10).join(pins).encode()).hexdigest()[:16]}"
    if marker.exists():
        return path
    lock_path = Path(tempfile.gettempdir()) / f"sisbridge-{name.lstrip('.')}-{os.getuid()}.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another test run may be building it right now
        if marker.exists():
            return path
        shutil.rmtree(path, ignore_errors=True)
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as requirements:
            requirements.write("\n".join(pins) + "\n")
        pip = [str(path / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        try:
            for step in ([sys.executable, "-m", "venv", str(path)], [*pip, "-r", requirements.name]):
                try:
                    done = subprocess.run(step, capture_output=True, text=True, timeout=timeout,
                                          stdin=subprocess.DEVNULL)
                except (OSError, subprocess.SubprocessError) as exc:
                    shutil.rmtree(path, ignore_errors=True)
                    raise ToolUnavailable(f"cannot build {name}: {exc}") from exc
                if done.returncode != 0:
                    shutil.rmtree(path, ignore_errors=True)
                    tail = "\n".join(done.stderr.splitlines()[-15:])
                    raise ToolUnavailable(f"cannot build {name} ({' '.join(step[-2:])} exited "
                                          f"{done.returncode}):\n{tail}")
        finally:
            os.unlink(requirements.name)
        marker.touch()
    return path


def executable(name: str, program: str) -> Path:
    path = venv(name) / "bin" / program
    if not path.exists():
        raise ToolUnavailable(f"{name} has no {program}")
    return path


def require(name: str, program: str) -> Path:
    """The tool for a test: fails in CI, skips elsewhere, when it cannot be had."""
    import pytest

    try:
        return executable(name, program)
    except ToolUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{program} is required in CI: {exc}")
        pytest.skip(f"{program} unavailable ({name} could not be built): {exc}")


def main(argv: list[str]) -> int:
    for name in argv or list(sections()):
        try:
            print(venv(name))
        except ToolUnavailable as exc:
            print(exc, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
