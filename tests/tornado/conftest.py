"""The Tornado suite starts servers with the shared helpers of ``tests.support``."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # so `tests.support` imports however pytest starts
