"""The loratui Textual application (being built by the TUI issue)."""

from __future__ import annotations


def run_app(home: str | None = None) -> int:
    """Open the full-screen app on ``home``; return the exit code."""
    from loratui.core import home as home_mod

    home_mod.open_home(home)
    raise SystemExit("the TUI is not built yet")
