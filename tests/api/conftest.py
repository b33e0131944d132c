"""The API suites import `tests.api.stack` and `tests.infra.tools`, so the repository root must be
importable (as it is under `python -m pytest`, but not under a bare `pytest`)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
