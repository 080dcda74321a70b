"""Project settings with defaults: limits, workers and drop-folder behaviour.

Stored as JSON on the project row; only values that differ from the defaults need be kept.
"""

from __future__ import annotations

import os
from typing import Any

from loratui.core.errors import LoratuiError

DEFAULTS: dict[str, Any] = {
    "max_file_mb": 200,
    "max_docx_inflated_mb": 500,
    "task_timeout_s": 60.0,
    "max_worker_memory_mb": 2048,
    "max_attempts": 3,
    "pdf_pages_per_task": 25,
    "workers": 0,  # 0: one per CPU
    "lease_s": 120.0,
    "backoff_base_s": 2.0,
    "pdf_engine": "pypdfium2",  # or pypdf; the other one takes over when it fails (kinds/pdf.py)
    "watch_settle_s": 2.0,
    "watch_rescan_s": 60.0,
    "watch_after": "keep",  # keep, move
    "watch_poll": False,
    "drop_group_writable": False,
    "ocr": "auto",  # auto, off, force (OCR needs the optional extra: extract/ocr.py)
    "ocr_timeout_s": 300.0,  # a page read by OCR is its own task, with this limit
}

# Settings whose value is one of a few words: anything else is refused when it is set.
CHOICES: dict[str, tuple[str, ...]] = {
    "ocr": ("auto", "off", "force"),
    "pdf_engine": ("pypdfium2", "pypdf"),
    "watch_after": ("keep", "move"),
}

# What each setting does, in a line (the TUI's settings screen shows it for the focused row).
DESCRIPTIONS: dict[str, str] = {
    "max_file_mb": "files larger than this (MB) are refused when added",
    "max_docx_inflated_mb": "a .docx that unpacks to more than this (MB) is refused",
    "task_timeout_s": "seconds one extraction task may run before its process is killed",
    "max_worker_memory_mb": "memory (MB) one extraction process may use",
    "max_attempts": "tries before a document is marked failed",
    "pdf_pages_per_task": "pages of a PDF extracted in one task (big PDFs run in parallel)",
    "workers": "extraction processes; 0: one per CPU",
    "lease_s": "seconds a claimed job is held before another worker may take it back",
    "backoff_base_s": "seconds before the first retry (doubles each time)",
    "pdf_engine": "the library that reads PDF text",
    "watch_settle_s": "seconds a dropped file must stay unchanged before it is taken",
    "watch_rescan_s": "seconds between full rescans of the drop folder",
    "watch_after": "what happens to a taken file: keep it, or move it to .done/ or .failed/",
    "watch_poll": "poll the drop folder instead of inotify (network file systems)",
    "drop_group_writable": "let the folder's group drop files in (mode 0770 instead of 0700)",
    "ocr": "read scanned pages with OCR: auto (pages without text), off, or force",
    "ocr_timeout_s": "seconds OCR may spend on one page",
}


def effective(stored: dict[str, Any] | None) -> dict[str, Any]:
    """Defaults overlaid with what the project stored."""
    merged = dict(DEFAULTS)
    merged.update(stored or {})
    return merged


def workers(value: int | None) -> int:
    """Worker processes to run: the given number, else one per CPU."""
    if value and value > 0:
        return int(value)
    return max(1, os.cpu_count() or 1)


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parse ``key=value`` into a typed pair, checking the key and the value's type."""
    if "=" not in text:
        raise LoratuiError("invalid", f"expected key=value, got {text!r}")
    key, raw = text.split("=", 1)
    key = key.strip()
    if key not in DEFAULTS:
        raise LoratuiError(
            "invalid", f"unknown setting {key!r}", "known settings: " + ", ".join(sorted(DEFAULTS))
        )
    default = DEFAULTS[key]
    try:
        if isinstance(default, bool):
            low = raw.strip().lower()
            if low not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                raise ValueError(raw)
            value: Any = low in ("true", "1", "yes", "on")
        elif isinstance(default, int):
            value = int(raw)
        elif isinstance(default, float):
            value = float(raw)
        else:
            value = raw.strip()
    except ValueError as exc:
        raise LoratuiError(
            "invalid", f"{key} must be a {type(default).__name__}, got {raw!r}"
        ) from exc
    if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
        raise LoratuiError("invalid", f"{key} must not be negative")
    if key in CHOICES and value not in CHOICES[key]:
        raise LoratuiError(
            "invalid", f"{key} must be one of {', '.join(CHOICES[key])}, got {raw.strip()!r}"
        )
    return key, value
