"""PUT N results into the SIS sandbox at latency L with concurrency C, and compare the wall time
with the bound N·L/C and with a sequential one-request-at-a-time loop, all in one run.

    python -m bench.oneroster_puts [--n 5000] [--latency-ms 20] [--concurrency 8] [--sequential-n 500]

The sequential loop runs `--sequential-n` requests (default 500, ~11 s) and its per-request time
is scaled to N; pass `--sequential-n N` to time the whole sequential loop as well.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime

from sisbridge.oneroster import GUIDRef, LineItem, OneRosterClient, Result, ScoreStatus
from sisbridge.sandbox import seed
from sisbridge.vendors import PROFILES, OneRosterVersion

from .sandbox_process import sandbox

VENDOR = "oneroster_1p2"
SECTION = seed.SECTIONS[2]  # 20 students


def _client(url: str, concurrency: int) -> OneRosterClient:
    profile = PROFILES[VENDOR]
    endpoints = profile.endpoints(f"{url}/{VENDOR}", version=OneRosterVersion.V1P2)
    return OneRosterClient(endpoints, profile, access_key=seed.ACCESS_KEY, secret_code=seed.SECRET_CODE,
                           max_concurrency=concurrency)


def _line_item(n: int) -> LineItem:
    now = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    return LineItem(sourced_id=f"bench-li-{n:04d}", title=f"Bench {n}", assign_date=now, due_date=now,
                    class_=GUIDRef(sourced_id=SECTION.class_sourced_id),
                    school=GUIDRef(sourced_id=seed.SCHOOL_ID),
                    category=GUIDRef(sourced_id=f"cat-{SECTION.class_sourced_id}-1"),
                    result_value_min=0.0, result_value_max=100.0)


def _results(first_item: int, count: int) -> list[Result]:
    students = SECTION.students
    out = []
    for i in range(count):
        item, student = first_item + i // len(students), students[i % len(students)]
        out.append(Result(sourced_id=f"bench-r-{item:04d}-{student}", line_item=GUIDRef(sourced_id=f"bench-li-{item:04d}"),
                          student=GUIDRef(sourced_id=student), score=float(i % 101),
                          score_status=ScoreStatus.FULLY_GRADED, score_date=datetime(2026, 11, 3, tzinfo=UTC)))
    return out


async def run(n: int, latency_ms: int, concurrency: int, sequential_n: int) -> dict[str, float]:
    per_item = len(SECTION.students)
    items_needed = -(-n // per_item) + -(-sequential_n // per_item)
    with sandbox("--latency-ms", str(latency_ms), "--max-concurrency", str(concurrency)) as url:
        async with _client(url, concurrency) as sis:
            await sis.authenticate()
            await asyncio.gather(*(sis.put_line_item(_line_item(i)) for i in range(items_needed)))

            batch = _results(0, n)
            start = time.perf_counter()
            await asyncio.gather(*(sis.put_result(r) for r in batch))
            concurrent_s = time.perf_counter() - start
            rejected = sis.stats.retries

            seq = _results(-(-n // per_item), sequential_n)
            start = time.perf_counter()
            for r in seq:
                await sis.put_result(r)
            sequential_s = time.perf_counter() - start
    bound_s = n * latency_ms / 1000 / concurrency
    sequential_full_s = sequential_s / sequential_n * n
    return {"n": n, "latency_ms": latency_ms, "concurrency": concurrency, "wall_s": concurrent_s,
            "bound_s": bound_s, "ratio_to_bound": concurrent_s / bound_s, "sequential_n": sequential_n,
            "sequential_s_for_n": sequential_full_s, "speedup_vs_sequential": sequential_full_s / concurrent_s,
            "retries": rejected}


def report(r: dict[str, float]) -> str:
    return "\n".join([
        f"OneRoster result PUTs: N={r['n']:.0f}, latency L={r['latency_ms']:.0f} ms, concurrency C={r['concurrency']:.0f}",
        f"  concurrent wall time        {r['wall_s']:8.2f} s",
        f"  bound N·L/C                 {r['bound_s']:8.2f} s   ratio {r['ratio_to_bound']:.3f}x  (target <= 1.15x)",
        f"  sequential loop (scaled from {r['sequential_n']:.0f} timed requests) {r['sequential_s_for_n']:8.2f} s"
        f"   speedup {r['speedup_vs_sequential']:.1f}x",
        f"  retries (429/5xx)           {r['retries']:8.0f}",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--sequential-n", type=int, default=500)
    args = parser.parse_args()
    print(report(asyncio.run(run(args.n, args.latency_ms, args.concurrency, args.sequential_n))), flush=True)


if __name__ == "__main__":
    main()
