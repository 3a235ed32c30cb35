"""Shared test setup: the repo root on sys.path, and fixtures that build small stores."""
from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

DATA = Path(__file__).resolve().parent / "data"
