"""The command palette (ctrl+p): app-wide commands plus those of the screen you are on.

A screen offers its own commands by defining ``palette_commands()`` returning
``(title, help, callback)`` tuples, so the palette always matches what the screen can do.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from loratui.tui.shell import Shell

PaletteCommand = tuple[str, str, Callable[[], object]]


class LoratuiCommands(Provider):
    def _commands(self) -> list[PaletteCommand]:
        app = cast(Shell, self.app)
        screen = self.screen
        commands: list[PaletteCommand] = []
        own = getattr(screen, "palette_commands", None)
        if callable(own):
            commands.extend(own())
        if app.project_id is not None:
            for name, label in (
                ("dashboard", "Go to dashboard"),
                ("files", "Go to files (queue)"),
                ("export", "Go to export form"),
                ("versions", "Go to dataset versions"),
                ("log", "Go to activity log"),
                ("generate", "Go to Q/A generation"),
                ("pairs", "Go to generated pairs"),
                ("settings", "Go to project settings"),
            ):
                help_text = f"open the {name} screen of the project"
                commands.append((label, help_text, partial(app.action_section, name)))
            commands.append(("Add files", "add files or folders by path", app.action_add_files))
            commands.append(
                ("Toggle log panel", "show the live log at the bottom", app.action_toggle_log_panel)
            )
        commands.append(("Projects", "back to the list of projects", app.action_projects))
        commands.append(("Help", "keys of this screen", app.action_help))
        commands.append(("Change theme", "pick the colours", app.action_change_theme))
        commands.append(("Quit", "stop the worker cleanly and quit", app.action_quit))
        return commands

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
