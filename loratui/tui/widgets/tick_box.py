"""A checkbox that reads ticked or unticked without colour: ``[x]`` or ``[ ]``.

Textual's ``Checkbox`` always draws its ``X`` and shows the state by colour alone, so with
``NO_COLOR``, a monochrome terminal or a colour-blind user every box looked ticked: the
export form's redaction boxes looked on while the saved configuration had redaction off.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox


class TickBox(Checkbox):
    """``Checkbox`` drawn as ``[x] label`` / ``[ ] label``."""

    BUTTON_LEFT = "["
    BUTTON_RIGHT = "]"

    @property
    def _button(self) -> Content:
        style = self.get_visual_style("toggle--button")
        return Content.assemble(
            self.BUTTON_LEFT, ("x" if self.value else " ", style), self.BUTTON_RIGHT
        )

    def render(self) -> Content:
        if not self._label:  # no label: just the box (the base class pads an empty label)
            return self._button
        return super().render()
