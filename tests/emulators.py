"""Start, reset and stop the local Google emulators that the contract tests run against.

* Firestore: Google's own emulator jar from the gcloud SDK, run with `java` directly (so the PID
  we hold is the JVM's), gRPC on a free loopback port. Clients find it through
  `FIRESTORE_EMULATOR_HOST`. Reset: DELETE .../documents.
* Secret Manager: `drongo server` (REST only) from its own venv `.venv-drongo`, created on first
  use, because drongo registers a pytest plugin and must stay out of the app venv. The official
  client reaches it on `transport="rest"`. Reset: POST /drongo/reset.

Only the standard library is used, so this module also runs as a script for a local stack:

    .venv/bin/python tests/emulators.py [firestore] [secretmanager]   # prints the env to export
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
FIRESTORE_PROJECT = "demo-sisbridge"  # the demo- prefix marks a project that exists nowhere
SECRETS_PROJECT = "demo-sisbridge"
DRONGO_VERSION = "0.8.0"
DRONGO_VENV = ROOT / ".venv-drongo"
_JAR = Path("platform/cloud-firestore-emulator/cloud-firestore-emulator.jar")
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class EmulatorUnavailable(RuntimeError):
    """The emulator cannot be started on this machine; the message says why."""


@dataclass
class Emulator:
    name: str
    host: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    startup_seconds: float
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def stop(self) -> None:
        """Stop our own process (by its PID only) and close its log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http(method: str, url: str, *, timeout: float = 5.0) -> tuple[int, bytes]:
    request = urllib.request.Request(url, method=method, data=b"" if method in ("POST", "PUT") else None)
    try:
        with _NO_PROXY.open(request, timeout=timeout) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return int(exc.code), exc.read()


def _start(name: str, argv: list[str], *, probe: str, log_dir: Path, timeout: float) -> Emulator:
    """Run `argv` (which must contain the placeholder {port}) until `probe` answers 200."""
    last = ""
    for _ in range(3):  # a free port can be taken between probing and binding: try another
        port = free_port()
        log_path = log_dir / f"{name}-{port}.log"
        log = open(log_path, "wb")  # closed by Emulator.stop
        started = time.monotonic()
        try:
            process = subprocess.Popen(
                [a.replace("{port}", str(port)) for a in argv],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C in pytest does not hit it mid-teardown
            )
        except OSError as exc:
            log.close()
            raise EmulatorUnavailable(f"cannot run {argv[0]}: {exc}") from exc
        emulator = Emulator(name, "127.0.0.1", port, process, log_path, 0.0, log)
        while time.monotonic() - started < timeout and process.poll() is None:
            try:
                if http("GET", emulator.url + probe, timeout=1.0)[0] == 200:
                    emulator.startup_seconds = time.monotonic() - started
                    return emulator
            except OSError:
                pass
            time.sleep(0.05)
        last = emulator.log_tail()
        emulator.stop()
        if "address already in use" not in last.lower():
            break
    raise EmulatorUnavailable(f"{name} emulator did not answer within {timeout:.0f} s; its log ends:\n{last}")


# ------------------------------------------------------------------------------------ Firestore


def firestore_jar() -> Path:
    """The emulator jar shipped with the gcloud SDK (apt package google-cloud-cli-firestore-emulator)."""
    roots: list[Path] = []
    gcloud = shutil.which("gcloud")
    if gcloud:
        roots.append(Path(os.path.realpath(gcloud)).parents[1])  # <sdk root>/bin/gcloud
    roots += [Path("/usr/lib/google-cloud-sdk"), Path("/usr/share/google-cloud-sdk")]
    for root in roots:
        if (root / _JAR).is_file():
            return root / _JAR
    if gcloud:  # an unusual layout: ask gcloud itself
        try:
            out = subprocess.run(
                [gcloud, "info", "--format=value(installation.sdk_root)"],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
                stdin=subprocess.DEVNULL,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out and (Path(out) / _JAR).is_file():
            return Path(out) / _JAR
    raise EmulatorUnavailable(
        "the Firestore emulator jar is not installed (apt package google-cloud-cli-firestore-emulator)"
    )


def start_firestore(log_dir: Path) -> Emulator:
    java = shutil.which("java")
    if java is None:
        raise EmulatorUnavailable("java (11 or newer) is not on PATH; the Firestore emulator needs it")
    argv = [
        java,
        "-Duser.language=en",
        "-cp",
        str(firestore_jar()),
        "com.google.cloud.datastore.emulator.firestore.CloudFirestore",
        "start",
        "--host=127.0.0.1",
        "--port={port}",
    ]
    return _start("firestore", argv, probe="/", log_dir=log_dir, timeout=60)


def reset_firestore(emulator: Emulator, project: str = FIRESTORE_PROJECT) -> None:
    url = f"{emulator.url}/emulator/v1/projects/{project}/databases/(default)/documents"
    status, body = http("DELETE", url, timeout=30)
    if status != 200:
        raise RuntimeError(f"resetting the Firestore emulator gave {status}: {body[:200]!r}")


# --------------------------------------------------------------------------- Secret Manager


def drongo_executable() -> Path:
    """`.venv-drongo/bin/drongo`, creating the venv (pinned drongo) on first use."""
    executable = DRONGO_VENV / "bin" / "drongo"
    marker = DRONGO_VENV / f".installed-drongo-{DRONGO_VERSION}"
    if marker.exists() and executable.exists():
        return executable
    lock_path = Path(tempfile.gettempdir()) / f"sisbridge-drongo-venv-{os.getuid()}.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another test run may be building it right now
        if marker.exists() and executable.exists():
            return executable
        shutil.rmtree(DRONGO_VENV, ignore_errors=True)
        steps = [
            [sys.executable, "-m", "venv", str(DRONGO_VENV)],
            [
                str(DRONGO_VENV / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                f"drongo=={DRONGO_VERSION}",
            ],
        ]
        for step in steps:
            try:
                done = subprocess.run(
                    step, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL
                )
            except (OSError, subprocess.SubprocessError) as exc:
                raise EmulatorUnavailable(f"cannot build {DRONGO_VENV}: {exc}") from exc
            if done.returncode != 0:
                shutil.rmtree(DRONGO_VENV, ignore_errors=True)
                raise EmulatorUnavailable(
                    f"cannot build {DRONGO_VENV} ({' '.join(step[-2:])} exited {done.returncode}):\n"
                    f"{done.stderr[-2000:]}"
                )
        marker.touch()
    return executable


def start_drongo(log_dir: Path) -> Emulator:
    argv = [str(drongo_executable()), "server", "--host", "127.0.0.1", "--port", "{port}"]
    return _start("drongo", argv, probe="/drongo/health", log_dir=log_dir, timeout=30)


def reset_drongo(emulator: Emulator) -> None:
    status, body = http("POST", f"{emulator.url}/drongo/reset")
    if status != 200:
        raise RuntimeError(f"resetting drongo gave {status}: {body[:200]!r}")


# -------------------------------------------------------------------------------------- script


def main(argv: list[str]) -> int:
    wanted = argv or ["firestore", "secretmanager"]
    log_dir = Path(tempfile.mkdtemp(prefix="sisbridge-emulators-"))
    running: list[Emulator] = []
    try:
        for name in wanted:
            if name == "firestore":
                emulator = start_firestore(log_dir)
                print(f"export FIRESTORE_EMULATOR_HOST={emulator.address}", flush=True)
            elif name == "secretmanager":
                emulator = start_drongo(log_dir)
                print(f"export SECRET_MANAGER_EMULATOR_HOST={emulator.address}", flush=True)
            else:
                print(f"unknown emulator {name!r}; choose firestore, secretmanager", file=sys.stderr)
                return 2
            running.append(emulator)
            print(f"# {name} up in {emulator.startup_seconds:.2f} s, log {emulator.log_path}", flush=True)
        print(f"export GOOGLE_CLOUD_PROJECT={FIRESTORE_PROJECT}\n# Ctrl-C stops them", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        while all(e.process.poll() is None for e in running):
            time.sleep(0.5)
        return 1  # one of them died
    except EmulatorUnavailable as exc:
        print(exc, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for emulator in running:
            emulator.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


# ------------------------------------------------------------------------------ Cloud Tasks
# gcloud-tasks-emulator (gRPC only) from its own venv `.venv-tasks`: it pins protobuf<5, which the
# app venv cannot share. Queues are in-memory; tests make their own and delete them afterwards.

TASKS_VERSION = "0.6.2"
TASKS_VENV = ROOT / ".venv-tasks"
TASKS_PROJECT = "demo-test"
TASKS_LOCATION = "us-central1"
TASKS_QUEUE = f"projects/{TASKS_PROJECT}/locations/{TASKS_LOCATION}/queues/exports"
TASKS_MAX_RETRIES = 3  # a failing task is delivered 1 + 3 times, then dropped (the default retries forever)


def venv_tool(venv: Path, requirement: str, executable: str) -> Path:
    """`<venv>/bin/<executable>`, creating the venv with `requirement` on first use (locked)."""
    path = venv / "bin" / executable
    marker = venv / f".installed-{requirement.replace('==', '-')}"
    if marker.exists() and path.exists():
        return path
    lock_path = Path(tempfile.gettempdir()) / f"sisbridge-{venv.name}-{os.getuid()}.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another test run may be building it right now
        if marker.exists() and path.exists():
            return path
        shutil.rmtree(venv, ignore_errors=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        for step in ([sys.executable, "-m", "venv", str(venv)], [*pip, requirement]):
            try:
                done = subprocess.run(
                    step, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL
                )
            except (OSError, subprocess.SubprocessError) as exc:
                raise EmulatorUnavailable(f"cannot build {venv}: {exc}") from exc
            if done.returncode != 0:
                shutil.rmtree(venv, ignore_errors=True)
                failed = f"{' '.join(step[-2:])} exited {done.returncode}"
                raise EmulatorUnavailable(f"cannot build {venv} ({failed}):\n{done.stderr[-2000:]}")
        marker.touch()
    return path


def tasks_emulator_executable() -> Path:
    return venv_tool(TASKS_VENV, f"gcloud-tasks-emulator=={TASKS_VERSION}", "gcloud-tasks-emulator")


def _tcp_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def start_cloud_tasks(log_dir: Path, *, queues: tuple[str, ...] = (TASKS_QUEUE,)) -> Emulator:
    """The tasks emulator on a free port with `queues` created; ready once its gRPC port accepts.

    It listens on [::]:port (all interfaces, IPv4 and IPv6); clients use 127.0.0.1:port.
    """
    executable = tasks_emulator_executable()
    last = ""
    for _ in range(3):  # a free port can be taken between probing and binding: try another
        port = free_port()
        argv = [str(executable), "start", "-p", str(port), "--max-retries", str(TASKS_MAX_RETRIES)]
        for queue in queues:
            argv += ["-d", queue]
        log_path = log_dir / f"cloud-tasks-{port}.log"
        log = open(log_path, "wb")  # closed by Emulator.stop
        started = time.monotonic()
        try:
            process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        except OSError as exc:
            log.close()
            raise EmulatorUnavailable(f"cannot run {executable}: {exc}") from exc
        emulator = Emulator("cloud-tasks", "127.0.0.1", port, process, log_path, 0.0, log)
        while time.monotonic() - started < 30 and process.poll() is None:
            if _tcp_open(emulator.host, port):
                emulator.startup_seconds = time.monotonic() - started
                return emulator
            time.sleep(0.05)
        last = emulator.log_tail()
        emulator.stop()
        if "address already in use" not in last.lower() and "failed to bind" not in last.lower():
            break
    raise EmulatorUnavailable(f"cloud-tasks emulator did not listen within 30 s; its log ends:\n{last}")
