"""The export pipeline's figures, measured in one run against the sandboxes in their own process.

- a class of 40 assignments × 35 students at SIS latency 50 ms, vendor concurrency 8: full export
  vs the bound N·L/C (N = SIS writes) and vs a sequential exporter (concurrency 1, timed on a
  smaller class and scaled per write);
- an unchanged re-export: SIS writes and document-store operations;
- peak memory of a worker exporting a 10,000-result class (its own process: RSS and Python heap);
- cold import time of each function's entry point.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2

from sisbridge import bootstrap
from sisbridge.adapters.local_secrets import LocalSecretStore
from sisbridge.adapters.sqlite_store import SqliteDocumentStore
from sisbridge.config import Settings
from sisbridge.identity import verifier_from_settings
from sisbridge.identity_keys import LocalKeys
from sisbridge.ports.store import DocumentStore
from sisbridge.ports.tasks import ExportReason, ExportTask
from sisbridge.sandbox import seed
from sisbridge.services import connect as connecting
from sisbridge.services import export as exports
from sisbridge.services import linking

from .sandbox_process import sandbox

VENDOR = "oneroster_1p2"
ADMIN = "admin@district.example"
ADA = seed.TEACHERS[0]
REPO = Path(__file__).resolve().parents[1]


class CountingStore:
    """Our own document-store port, wrapped to count the operations one export makes."""

    COUNTED = frozenset({"get", "create", "put", "update", "delete", "list", "transaction"})

    def __init__(self, inner: DocumentStore) -> None:
        self.inner, self.ops = inner, 0

    def __getattr__(self, name: str) -> Any:
        if name in self.COUNTED:
            self.ops += 1
        return getattr(self.inner, name)


def make_class(url: str, *, assignments: int, students: int, first: int, class_id: str) -> str:
    made = httpx2.post(f"{url}/classroom/_sandbox/courses", timeout=60, json={
        "teacher_email": ADA.email, "assignments": assignments, "students": students, "first_student": first,
        "name": f"Bench {class_id}"}).json()
    people = [{"sourced_id": f"bench-stu-{p['id']}", "email": p["emailAddress"],
               "given": p["name"]["givenName"], "family": p["name"]["familyName"]} for p in made["students"]]
    r = httpx2.post(f"{url}/_sandbox/{VENDOR}/classes", json={
        "class_sourced_id": class_id, "title": f"Bench {class_id}", "term": "as-2027-s1",
        "teacher": {"sourced_id": ADA.sourced_id, "email": ADA.email, "given": ADA.given, "family": ADA.family},
        "students": people})
    r.raise_for_status()
    return str(made["id"])


def world(url: str, tmp: Path, *, concurrency: int | None = None) -> bootstrap.Deps:
    settings = Settings.from_env({
        "SISBRIDGE_DATA_DIR": str(tmp / "data"), "SISBRIDGE_KEY_DIR": str(tmp / "keys"),
        "SISBRIDGE_ALLOW_INSECURE_SIS": "1", "SISBRIDGE_ADMINS": ADMIN,
        "SISBRIDGE_CLASSROOM_API_URL": f"{url}/classroom", "SISBRIDGE_LOG_LEVEL": "WARNING"})
    deps = bootstrap.Deps(settings=settings, store=CountingStore(SqliteDocumentStore(str(tmp / "db.sqlite3"))),  # type: ignore[arg-type]
                          secrets=LocalSecretStore(tmp / "data" / "secrets", tmp / "keys" / "secrets.key"),
                          verifier=verifier_from_settings(settings), sis_max_concurrency=concurrency)
    keys = LocalKeys(settings.key_dir)
    admin = deps.verifier.verify(keys.mint_token(ADMIN, audience=settings.audience))
    connecting.connect(admin, connecting.ConnectRequest(sis=VENDOR, host_url=f"{url}/{VENDOR}",
                       access_key=seed.ACCESS_KEY, secret_code=seed.SECRET_CODE), deps)
    connecting.authorize(admin, deps)
    return deps


def export(deps: bootstrap.Deps, course_id: str, class_id: str, run: str) -> tuple[float, Any]:
    keys = LocalKeys(deps.settings.key_dir)
    ada = deps.verifier.verify(keys.mint_token(ADA.email, audience=deps.settings.audience))
    if deps.links.get(ada.tenant, course_id) is None:
        linking.link(ada, course_id, class_id, deps)
    started = time.perf_counter()
    result = exports.run_task(ExportTask(tenant=ada.tenant, course_id=course_id, reason=ExportReason.TEACHER,
                                         run_id=run), deps)
    return time.perf_counter() - started, result


def naive_sequential_s_per_write(deps: bootstrap.Deps, course_id: str, class_id: str) -> float:
    """A sequential exporter of the common GET-before-PUT kind (read each item, then write it, one
    request at a time), over the same plan; seconds per written item."""
    import asyncio

    from sisbridge.domain import ItemKind, Ledger, plan_export
    from sisbridge.errors import SisNotFound
    from sisbridge.services.export_inputs import read_inputs
    from sisbridge.services.gate import ready_connection
    from sisbridge.services.sis_session import open_client

    keys = LocalKeys(deps.settings.key_dir)
    ada = deps.verifier.verify(keys.mint_token(ADA.email, audience=deps.settings.audience))
    linking.link(ada, course_id, class_id, deps)
    link = deps.links.get(ada.tenant, course_id)
    conn, creds = ready_connection(ada.tenant, deps)

    async def go() -> float:
        async with open_client(conn, creds, deps) as sis:
            plan = plan_export(await read_inputs(link, conn, sis, deps), Ledger.empty(class_id))  # type: ignore[arg-type]
            started = time.perf_counter()
            for op in plan.operations:
                try:
                    await (sis.get_line_item if op.kind is ItemKind.LINE_ITEM else sis.get_result)(op.sourced_id)
                except SisNotFound:
                    pass
                await (sis.put_line_item(op.payload) if op.kind is ItemKind.LINE_ITEM  # type: ignore[arg-type]
                       else sis.put_result(op.payload))  # type: ignore[arg-type]
            return (time.perf_counter() - started) / len(plan.operations)

    return asyncio.run(go())


def sis_writes(url: str) -> int:
    by_method = httpx2.get(f"{url}/_sandbox/stats").json()["requests"].get(VENDOR, {})
    return sum(sum(v.values()) for m, v in by_method.items() if m in ("PUT", "DELETE", "POST"))


def class_figures(latency_ms: int = 50, concurrency: int = 8) -> list[str]:
    out = []
    with sandbox("--latency-ms", str(latency_ms)) as url, tempfile.TemporaryDirectory() as tmp:
        big = make_class(url, assignments=40, students=35, first=1, class_id="bench-big")
        small = make_class(url, assignments=4, students=35, first=1, class_id="bench-small")
        naive = make_class(url, assignments=4, students=35, first=1, class_id="bench-naive")
        deps = world(url, Path(tmp) / "a", concurrency=concurrency)
        before = sis_writes(url)
        wall, run = export(deps, big, "bench-big", "bench-full")
        writes = sis_writes(url) - before
        bound = writes * latency_ms / 1000 / concurrency
        seq_deps = world(url, Path(tmp) / "b", concurrency=1)
        before = sis_writes(url)
        seq_wall, _ = export(seq_deps, small, "bench-small", "bench-seq")
        seq_writes = sis_writes(url) - before
        seq_per_write = seq_wall / max(1, seq_writes)
        naive_deps = world(url, Path(tmp) / "c", concurrency=1)
        naive_per_write = naive_sequential_s_per_write(naive_deps, naive, "bench-naive")
        out += [
            f"Full export, 40 assignments x 35 students, SIS latency {latency_ms} ms, vendor concurrency {concurrency}",
            f"  run state {run.state.value}, {writes} SIS writes, wall {wall:.2f} s (reads of Classroom and SIS included)",
            f"  bound N·L/C {bound:.2f} s          ratio {wall / bound:.3f}x  (target <= 1.10x)",
            f"  sisbridge at concurrency 1 {seq_per_write * writes:.1f} s (timed on {seq_writes} writes, scaled)"
            f"   speedup {seq_per_write * writes / wall:.1f}x  (at most C = {concurrency}x by construction)",
            f"  sequential GET-before-PUT exporter {naive_per_write * writes:.1f} s (timed on 144 items, scaled)"
            f"   speedup {naive_per_write * writes / wall:.1f}x  (target >= 10x)",
        ]
        store: CountingStore = deps.store  # type: ignore[assignment]
        store.ops, before = 0, sis_writes(url)
        wall2, run2 = export(deps, big, "bench-big", "bench-again")
        out += [f"Unchanged re-export: {sis_writes(url) - before} SIS writes (target 0), {store.ops} store operations "
                f"for the class, {wall2:.2f} s, counts {dict((k, v) for k, v in run2.counts.items() if v)}"]
        for tasks in (deps.tasks, seq_deps.tasks, naive_deps.tasks):
            tasks.close()  # type: ignore[union-attr]
    return out


def memory_figure() -> str:
    """A worker process exports a 100 x 100 class (10,000 results) and reports its own peaks."""
    code = (
        "import json, resource, tracemalloc, tempfile, pathlib\n"
        "from bench import export_class as b\n"
        "from bench.sandbox_process import sandbox\n"
        "with sandbox() as url, tempfile.TemporaryDirectory() as tmp:\n"
        "    course = b.make_class(url, assignments=100, students=100, first=1, class_id='bench-10k')\n"
        "    deps = b.world(url, pathlib.Path(tmp))\n"
        "    base = int([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0].split()[1]) / 1024\n"
        "    tracemalloc.start()\n"
        "    wall, run = b.export(deps, course, 'bench-10k', 'bench-mem')\n"
        "    peak = tracemalloc.get_traced_memory()[1]\n"
        "    print(json.dumps({'rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'base_mb': base,\n"
        "                      'heap_mb': peak / 2**20, 'wall': wall, 'writes': run.counts['created'],\n"
        "                      'state': run.state.value}))\n"
        "    deps.tasks.close()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=900)
    if done.returncode:
        return "Peak memory: the worker failed: " + done.stderr[-500:]
    m = json.loads(done.stdout.strip().splitlines()[-1])
    return (f"Peak memory, 10,000-result class ({m['writes']} items written, {m['state']}, {m['wall']:.1f} s): "
            f"worker peak RSS {m['rss_mb']:.0f} MB, of which {m['rss_mb'] - m['base_mb']:.0f} MB added by the export "
            f"over the {m['base_mb']:.0f} MB of the loaded process; Python heap peak {m['heap_mb']:.0f} MB "
            f"(target <= 128 MB)")


def import_figures() -> list[str]:
    out = []
    for fn in ("connect", "export", "disconnect"):
        times = []
        for _ in range(3):
            done = subprocess.run(
                [sys.executable, "-c", "import time; t = time.perf_counter(); import main; "
                 "print(time.perf_counter() - t)"],
                cwd=REPO / "functions" / fn, env={"PYTHONPATH": str(REPO / "shared"), "PATH": "/usr/bin:/bin"},
                capture_output=True, text=True, timeout=60)
            times.append(float(done.stdout.strip() or "nan"))
        out.append(f"Cold import of functions/{fn}/main.py: {min(times):.3f} s best of 3 (target <= 0.4 s)")
    return out


def main() -> None:
    for line in (*class_figures(), memory_figure(), *import_figures()):
        print(line, flush=True)


if __name__ == "__main__":
    main()
