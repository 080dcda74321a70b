"""QuietFooter: Textual's Footer, rebuilt only when the keys it shows change.

Textual's Footer recomposes (every FooterKey unmounted, created, styled and drawn again)
each time its screen publishes "bindings updated": on every focus change, screen stack
change and ``refresh_bindings`` call, several times while a screen opens, mostly to show the
same keys. Each rebuild costs ~20 ms of event-loop time. This one coalesces the requests
into one per refresh and skips it when the shown bindings are the same as last time.
"""

from __future__ import annotations

from collections.abc import Hashable

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer


class QuietFooter(Footer):
    """A Footer that recomposes only when what it would show differs (see module doc)."""

    # compact, every key has margin-right: 1, the docked command palette key too; that
    # column at the right edge showed the first letter of the key scrolled under it
    # ("^p palettel") whenever the keys overflowed
    DEFAULT_CSS = """
    QuietFooter.-compact FooterKey.-command-palette {
        margin-right: 0;
        padding-right: 1;
    }
    """

    _shown: Hashable | None = None  # the bindings of the last compose
    _pending = False

    def _signature(self) -> Hashable:
        """Everything Footer.compose reads that can change while the app runs."""
        app = self.app
        keys = tuple(
            (
                binding.key,
                binding.action,
                binding.description,
                binding.show,
                binding.group,
                enabled,
                tooltip,
                app.get_key_display(binding),
            )
            for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
        )
        return (keys, self.show_command_palette, app.ENABLE_COMMAND_PALETTE)

    def compose(self) -> ComposeResult:
        self._shown = self._signature() if self._bindings_ready else None
        yield from super().compose()

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or self._pending:
            return
        if self.is_attached and screen is self.screen:
            self._pending = True
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        self._pending = False
        if not self.is_attached or self._signature() == self._shown:
            return
        await self.recompose()
