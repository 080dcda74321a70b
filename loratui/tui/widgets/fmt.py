"""Small, deterministic formatters for the screens (sizes, counts, stored timestamps).

Times are always formatted from stored values, never from ``now()``, so the same data
renders the same screen (snapshot tests depend on it).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any


def human_bytes(n: int | float | None) -> str:
    """1536 -> '1.5 KB'."""
    if n is None:
        return "-"
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(value) < 1024 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def count(n: int | float | None) -> str:
    """12345 -> '12,345'; None -> '-'."""
    if n is None:
        return "-"
    return f"{int(n):,}"


def when(ts: float | None) -> str:
    """A stored epoch time as 'YYYY-MM-DD HH:MM:SS' in UTC (the same on every machine)."""
    if not ts:
        return "-"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def clock(ts: float | None) -> str:
    """A stored epoch time as 'HH:MM:SS' in UTC, for log lines."""
    if not ts:
        return "--:--:--"
    return datetime.fromtimestamp(ts, UTC).strftime("%H:%M:%S")


def seconds(s: float | None) -> str:
    """0.4 -> '0.40 s', 75 -> '1 min 15 s'."""
    if s is None:
        return "-"
    if s < 60:
        return f"{s:.2f} s"
    minutes, rest = divmod(int(round(s)), 60)
    return f"{minutes} min {rest} s"


def export_sample(records: list[Any]) -> str:
    """The sample records as the JSONL lines they would be written as."""
    if not records:
        return "no records: check the filters, the selection, and that documents are done"
    return "\n\n".join(json.dumps(r, ensure_ascii=False) for r in records)


def export_estimate(estimate: dict[str, Any]) -> str:
    """The export form's estimate in one line: documents, records (and their split), tokens;
    ``≈`` before the figures scaled up from a sample."""
    approx = "" if estimate.get("exact", True) else "≈"
    parts = [f"{count(estimate.get('documents', 0))} documents"]
    if "records" in estimate:
        split = ""
        if estimate.get("validation"):
            split = (
                f" ({approx}{count(estimate.get('train', 0))} train, "
                f"{approx}{count(estimate['validation'])} validation)"
            )
        parts.append(f"{approx}{count(estimate['records'])} records{split}")
    if "tokens" in estimate:
        parts.append(f"{approx}{count(estimate['tokens'])} tokens")
    return " · ".join(parts)
