"""The deploy bundles `make package` builds (infra/stage.py): what each holds, that it is
reproducible, and that Cloud Functions' build would accept it: its pinned requirements install into
a fresh venv, and `main` imports and serves from the bundle folder alone, with a cloud
configuration, without connecting anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest

from tests.infra.terraform import ROOT

pytestmark = pytest.mark.slow

FUNCTIONS = ("connect", "export", "disconnect")
# As infra/ sets them, for a made-up project; plus what the runtime itself sets.
CLOUD_ENV = {
    "SISBRIDGE_STORE": "firestore",
    "SISBRIDGE_SECRETS": "secretmanager",
    "SISBRIDGE_TASKS": "cloudtasks",
    "SISBRIDGE_IDENTITY": "google",
    "SISBRIDGE_AUDIENCE": "123456789012-abc.apps.googleusercontent.com",
    "GOOGLE_CLOUD_PROJECT": "demo-sisbridge",
    "SISBRIDGE_REGION": "us-central1",
    "SISBRIDGE_ADMINS": "admin@district.example",
    "SISBRIDGE_TASKS_QUEUE": "sisbridge-exports",
    "SISBRIDGE_WORKER_URL": "https://sisbridge.district.example/export/tasks/run",
    "SISBRIDGE_INVOKER_EMAIL": "sisbridge-invoker@demo-sisbridge.iam.gserviceaccount.com",
    "SISBRIDGE_CLASSROOM_SA_EMAIL": "sisbridge-classroom@demo-sisbridge.iam.gserviceaccount.com",
    "SISBRIDGE_LOG_LEVEL": "INFO",
    "PORT": "8080",
}
# One request per function that needs no backend: the route table and the edge work, deps stay unbuilt.
SMOKE = {"connect": ("GET", "/partners", 200), "export": ("GET", "/health", 200), "disconnect": ("GET", "/", 405)}

PROBE = textwrap.dedent("""
    import sys
    import main
    entry = getattr(main, sys.argv[1])                      # what the build checks: the entry point exists
    assert callable(entry)
    from functions_framework import create_app              # what the runtime does with it
    app = create_app(target=sys.argv[1], source="main.py")
    method, path, status = sys.argv[2], sys.argv[3], int(sys.argv[4])
    response = app.test_client().open(path, method=method)
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    from sisbridge.config import Settings
    settings = Settings.from_env()                          # the cloud configuration is accepted
    assert settings.on_cloud
    assert not [m for m in sys.modules if m.startswith("sisbridge.sandbox")]
    import sisbridge
    print("ok", sisbridge.__file__)
""")


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build")
    done = subprocess.run([sys.executable, str(ROOT / "infra" / "stage.py"), "--out", str(out)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_a_bundle_holds_the_entry_point_the_package_and_the_pinned_manifest(bundles: Path, fn: str) -> None:
    folder = bundles / fn
    assert (folder / "main.py").read_bytes() == (ROOT / "functions" / fn / "main.py").read_bytes()
    manifest = (folder / "requirements.txt").read_text()
    assert manifest == (ROOT / "requirements.txt").read_text()
    pins = [line.split("#")[0].strip() for line in manifest.splitlines()]
    assert all("==" in pin for pin in pins if pin), "every deploy requirement is pinned"
    shipped = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    expected = {"main.py", "requirements.txt"} | {
        f"sisbridge/{p.relative_to(ROOT / 'shared' / 'sisbridge').as_posix()}"
        for p in (ROOT / "shared" / "sisbridge").rglob("*")
        if p.is_file() and "sandbox" not in p.parts and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }
    assert shipped == expected
    assert not any("/sandbox/" in name or "__pycache__" in name or "/tests/" in name for name in shipped)
    with zipfile.ZipFile(bundles / f"{fn}.zip") as archive:
        assert sorted(archive.namelist()) == sorted(shipped)
        assert archive.read("main.py") == (folder / "main.py").read_bytes()


def test_bundles_are_reproducible(bundles: Path, tmp_path: Path) -> None:
    again = subprocess.run([sys.executable, str(ROOT / "infra" / "stage.py"), "--out", str(tmp_path)],
                           capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert again.returncode == 0, again.stderr
    for fn in FUNCTIONS:  # same bytes → same filemd5 → Terraform deploys nothing new
        assert (tmp_path / f"{fn}.zip").read_bytes() == (bundles / f"{fn}.zip").read_bytes()


@pytest.fixture(scope="module")
def deploy_python(bundles: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with only the bundle's requirements (pip, with this machine's cache)."""
    manifests = {(bundles / fn / "requirements.txt").read_text() for fn in FUNCTIONS}
    assert len(manifests) == 1, "the three bundles ship one manifest"
    home = tmp_path_factory.mktemp("deploy-venv")
    venv.create(home, with_pip=True, clear=True)
    python = home / "bin" / "python"
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-r", str(bundles / "export" / "requirements.txt")],
        capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        reason = f"pip could not install the deploy manifest:\n{done.stderr[-2000:]}"
        if os.environ.get("CI") or "ResolutionImpossible" in done.stderr or "No matching distribution" in done.stderr:
            pytest.fail(reason)
        pytest.skip(reason)
    return python


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_a_bundle_imports_and_serves_from_its_own_folder(deploy_python: Path, bundles: Path, fn: str) -> None:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("SISBRIDGE_", "GOOGLE_", "FIRESTORE_", "SECRET_MANAGER_", "CLOUD_TASKS_",
                                  "PYTHON", "VIRTUAL_ENV", "K_", "FUNCTION_"))}
    env.update(CLOUD_ENV, K_SERVICE=fn, K_REVISION=f"{fn}-00001-abc", FUNCTION_TARGET=fn,
               GCE_METADATA_HOST="127.0.0.1:9", NO_GCE_CHECK="True")  # nothing may reach a metadata server
    method, path, status = SMOKE[fn]
    done = subprocess.run([str(deploy_python), "-c", PROBE, fn, method, path, str(status)], cwd=bundles / fn,
                          env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("ok "), done.stdout
    imported_from = Path(done.stdout.split(" ", 1)[1].strip())
    assert imported_from.is_relative_to(bundles / fn), f"sisbridge came from {imported_from}, not the bundle"
