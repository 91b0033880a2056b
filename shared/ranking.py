"""The `hot` order for posts and questions: reddit's formula, stored in the row and indexed.

Engagement counts on a log scale (the 10th like matters as much as the first 10 together) and age
moves every score down at the same rate, so a score never needs recomputing as time passes —
only when likes or comments change. That is what lets `ORDER BY hot_score` use an index.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

EPOCH = datetime(2025, 1, 1)   # any fixed moment; a later one keeps the numbers small
DECADE_SECONDS = 45000         # 12.5 h newer is worth ten times the engagement


def hot_score(likes: int, comments: int, created_at: datetime) -> float:
    """log10(max(1, likes + 2·comments)) + seconds since the epoch / 45000 (comments weigh double)."""
    engagement = max(1, likes + 2 * comments)
    moment = created_at.astimezone(UTC).replace(tzinfo=None) if created_at.tzinfo else created_at
    return math.log10(engagement) + (moment - EPOCH).total_seconds() / DECADE_SECONDS
