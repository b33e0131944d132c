"""Stage one deployable source bundle per Cloud Function: `make package`.

    build/<fn>/main.py            functions/<fn>/main.py, the entry point `<fn>`
    build/<fn>/sisbridge/         shared/sisbridge without the sandboxes, tests and caches
    build/<fn>/requirements.txt   requirements.txt, the pinned deploy manifest
    build/<fn>.zip                the same files, zipped reproducibly (what infra/ uploads)

Cloud Functions installs `requirements.txt` next to `main.py` and imports `main`, so the shared
package travels inside each bundle. The zip is byte-for-byte the same for the same sources (sorted
entries, fixed timestamps and modes), so Terraform's `filemd5` changes only when the code does.

Standard library only:  python3 infra/stage.py [--out build] [connect export disconnect]
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import os
import shutil
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ("connect", "export", "disconnect")
PACKAGE = "sisbridge"
# Never shipped: the SIS/Classroom sandboxes (local and test servers), tests, caches, editor files.
EXCLUDED_DIRS = ("sandbox", "tests", "__pycache__", ".mypy_cache", ".pytest_cache")
EXCLUDED_FILES = ("*.pyc", "*.pyo", "*~", ".DS_Store", "test_*.py", "*_test.py")
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold


def _shipped(relative: Path) -> bool:
    if any(part in EXCLUDED_DIRS for part in relative.parts[:-1]):
        return False
    return not any(fnmatch.fnmatch(relative.name, pattern) for pattern in EXCLUDED_FILES)


def bundle_files(function: str, root: Path = ROOT) -> dict[str, Path]:
    """Archive name → source file for one function's bundle."""
    main = root / "functions" / function / "main.py"
    if not main.is_file():
        raise FileNotFoundError(f"no entry point {main}")
    files = {"main.py": main, "requirements.txt": root / "requirements.txt"}
    package = root / "shared" / PACKAGE
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        if path.is_file() and _shipped(relative):
            files[f"{PACKAGE}/{relative.as_posix()}"] = path
    return files


def stage(function: str, out: Path, root: Path = ROOT) -> Path:
    """Write build/<fn>/ and build/<fn>.zip afresh; return the zip's path."""
    files = bundle_files(function, root)
    folder = out / function
    shutil.rmtree(folder, ignore_errors=True)
    for name, source in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    archive = out / f"{function}.zip"
    partial = archive.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, files[name].read_bytes())
    partial.replace(archive)
    return archive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("functions", nargs="*", metavar="function", help=f"default: {' '.join(FUNCTIONS)}")
    parser.add_argument("--out", type=Path, default=ROOT / "build", help="default: build/")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.functions) - set(FUNCTIONS))
    if unknown:
        parser.error(f"unknown function {unknown[0]!r}; choose from {', '.join(FUNCTIONS)}")
    args.out.mkdir(parents=True, exist_ok=True)
    for function in args.functions or FUNCTIONS:
        archive = stage(function, args.out)
        digest = hashlib.md5(archive.read_bytes()).hexdigest()  # what Terraform's filemd5 names it by
        with zipfile.ZipFile(archive) as zf:
            count = len(zf.namelist())
        shown = os.path.relpath(archive) if archive.is_relative_to(Path.cwd()) else archive
        print(f"{shown}: {count} files, {archive.stat().st_size // 1024} KiB, md5 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
