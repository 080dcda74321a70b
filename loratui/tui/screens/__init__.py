"""The screens of the TUI; each reads through loratui.core and changes state only through it."""
