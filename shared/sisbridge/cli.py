"""The `sisbridge` command: local sandboxes, and later the local stack and its tokens."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence

from sisbridge.vendors import PROFILES


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sisbridge", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    sandbox = commands.add_parser("sandbox", help="serve the SIS and Classroom sandboxes on loopback")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8700)
    sandbox.add_argument("--vendor", choices=sorted(PROFILES), help="also serve this SIS flavour at the root")
    sandbox.add_argument("--latency-ms", type=int, default=0, help="added to every OneRoster request")
    sandbox.add_argument("--faults", type=_fraction, default=0.0, help="share of requests answered 500 or 429")
    sandbox.add_argument("--max-concurrency", type=int, default=None, help="429 above this many requests in flight")
    return parser


def _serve_until_stopped(start_message: str, server_stop: object) -> None:
    print(start_message, flush=True)
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    stopped.wait()
    server_stop()  # type: ignore[operator]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "sandbox":
        from sisbridge.sandbox import stack

        options = stack.SandboxOptions(
            host=args.host,
            port=args.port,
            vendor=args.vendor,
            latency_ms=args.latency_ms,
            fault_rate=args.faults,
            max_concurrency=args.max_concurrency,
        )
        server = stack.start(options)
        _serve_until_stopped(stack.describe(server.url, options), server.stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
