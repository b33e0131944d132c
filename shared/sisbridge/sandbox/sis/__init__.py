"""A strict OneRoster 1.1 + 1.2 SIS over real HTTP, one independent seeded district per vendor.

    from sisbridge.sandbox.sis import SandboxConfig, create_app
    app = create_app(SandboxConfig(latency_ms=20, max_concurrency=8))
    sandbox = app.extensions["sis_sandbox"]   # .reset(), .config (live knobs), .stats(), .gradebook(v)

Vendor `v` lives at host URL `{server}/{v}`; its bases and token path come from its
`VendorProfile`. Credentials: `seed.ACCESS_KEY`/`seed.SECRET_CODE` (every scope) and
`ROSTER_ONLY_KEY`/`ROSTER_ONLY_SECRET` (roster scopes only). Admin routes live under `/_sandbox/`.
"""

from .app import create_app
from .config import ROSTER_ONLY_KEY, ROSTER_ONLY_SECRET, Knobs, SandboxConfig
from .state import Mount, SisSandbox

__all__ = [
    "ROSTER_ONLY_KEY", "ROSTER_ONLY_SECRET", "Knobs", "Mount", "SandboxConfig", "SisSandbox", "create_app",
]
