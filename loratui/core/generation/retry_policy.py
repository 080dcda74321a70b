"""How long to wait before the next try: the server's ``Retry-After``, else a backoff.

``Retry-After`` is honoured in both forms (RFC 9110): a number of seconds, or an HTTP date.
A wait longer than ``MAX_RETRY_AFTER_S`` is not waited for: the request gives up with the
server's figure in its message, rather than sleep unseen for an hour.

The backoff is exponential with "equal jitter": try n waits between half and all of
``base * 2**(n-1)`` (capped at ``MAX_BACKOFF_S``), so many requests failing together do not
come back together, and none comes back at once.
"""

from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime

MAX_RETRY_AFTER_S = 600.0
MAX_BACKOFF_S = 60.0


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (``now``: epoch seconds), or ``None``
    when there is none or it cannot be read. A date in the past is 0."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None or when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds or seconds == float("inf"):  # NaN, inf
        return None
    return max(0.0, seconds)


def backoff_seconds(
    attempt: int, base: float, rng: random.Random | None = None, cap: float = MAX_BACKOFF_S
) -> float:
    """The wait after failed try number ``attempt`` (1-based): equal-jitter exponential."""
    ceiling = min(cap, base * 2 ** max(0, attempt - 1))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)
