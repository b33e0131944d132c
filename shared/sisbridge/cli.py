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

    serve = commands.add_parser("serve", help="the local stack: functions on one port, plus the sandboxes")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--sandbox-port", type=int, default=8700, help="0 to run without the sandboxes")

    token = commands.add_parser("token", help="print a sign-in token the local stack accepts")
    token.add_argument("--email", required=True)
    token.add_argument("--name", default=None)
    token.add_argument("--admin", action="store_true", help="also make this person an admin of their domain")
    token.add_argument("--ttl", type=int, default=8 * 3600, help="seconds the token stays valid")
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
    elif args.command == "serve":
        _serve_local(args)
    elif args.command == "token":
        print(_token(args))
    return 0


def _serve_local(args: argparse.Namespace) -> None:
    from sisbridge import local_stack
    from sisbridge.sandbox import stack

    import os

    servers = []
    lines = []
    if args.sandbox_port:  # Classroom is read from this sandbox unless told otherwise
        os.environ.setdefault("SISBRIDGE_CLASSROOM_API_URL", f"http://{args.host}:{args.sandbox_port}/classroom")
        options = stack.SandboxOptions(host=args.host, port=args.sandbox_port)
        sandbox = stack.start(options)
        servers.append(sandbox)
        lines += [stack.describe(sandbox.url, options), ""]
    functions = local_stack.start(host=args.host, port=args.port)
    servers.append(functions)
    lines += [
        f"Console: {functions.url}/  (local sign-in as admin@district.example or ada.lovelace@district.example)",
        f"Functions on {functions.url}: /connect, /export, /disconnect",
        "API token: .venv/bin/sisbridge token --email admin@district.example --admin",
    ]
    _serve_until_stopped("\n".join(lines), lambda: [s.stop() for s in reversed(servers)])


def _token(args: argparse.Namespace) -> str:
    from sisbridge import bootstrap
    from sisbridge.config import IdentityMode, Settings
    from sisbridge.errors import InvalidConfiguration
    from sisbridge.identity_keys import LocalKeys
    from sisbridge.local_stack import apply_local_defaults
    from sisbridge.repositories import TenantRepository
    from sisbridge.services.access import grant_admin

    apply_local_defaults()
    settings = Settings.from_env()
    if settings.identity_mode is not IdentityMode.LOCAL:
        raise InvalidConfiguration("sisbridge token only works with local sign-in (SISBRIDGE_IDENTITY=local).")
    email = args.email.strip().lower()
    if args.admin:
        grant_admin(TenantRepository(bootstrap.build_store(settings)), email)  # no log set-up: stdout is the token
    return LocalKeys(settings.key_dir).mint_token(email, name=args.name, audience=settings.audience, ttl=args.ttl)


if __name__ == "__main__":
    sys.exit(main())
