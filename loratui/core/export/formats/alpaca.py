"""``alpaca``: ``{"instruction", "input", "output", "system"}``, one instruction and one
answer (the last exchange of a conversation)."""

from __future__ import annotations

from typing import Any

from loratui.core.export.formats.base import Example, Record, RecordFormat


class AlpacaFormat(RecordFormat):
    name = "alpaca"
    note = 'Alpaca instructions (`{"instruction", "input", "output", "system"}`)'
    keys = ("instruction", "input", "output")
    optional = ("system",)
    axolotl = {"type": "alpaca"}
    llamafactory = {
        "columns": {
            "prompt": "instruction",
            "query": "input",
            "response": "output",
            "system": "system",
        }
    }

    def write(self, ex: Example) -> Record:
        instruction = ex.turns[-2][1] if len(ex.turns) >= 2 else ""
        return {
            "instruction": instruction,
            "input": ex.input,
            "output": ex.turns[-1][1],
            "system": ex.system,
        }

    def record_text(self, rec: Record) -> str:
        parts = [rec.get(k) or "" for k in ("system", "instruction", "input", "output")]
        return "\n".join(p for p in parts if p)

    def main_field(self, rec: Record) -> tuple[Any, str]:
        return rec, "output"


FORMAT = AlpacaFormat()
