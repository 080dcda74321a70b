"""``text``: ``{"text": ...}``, plain text for continued pre-training.

A document chunk is the record as it is (no template); a records row gives its text, or its
conversation's texts joined by blank lines.
"""

from __future__ import annotations

from typing import Any

from loratui.core.export.formats.base import Example, Record, RecordFormat


class TextFormat(RecordFormat):
    name = "text"
    note = 'plain text records (`{"text"}`) for continued pre-training'
    keys = ("text",)
    templated = False
    trl_ready = True
    axolotl = {"type": "completion"}
    llamafactory = {"columns": {"prompt": "text"}}

    def render(self, ex: Example) -> Record | None:
        return {"text": ex.as_text()}

    def record_text(self, rec: Record) -> str:
        return str(rec.get("text") or "")

    def main_field(self, rec: Record) -> tuple[Any, str]:
        return rec, "text"


FORMAT = TextFormat()
