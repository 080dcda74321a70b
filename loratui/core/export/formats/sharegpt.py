"""``sharegpt``: ``{"conversations": [{"from", "value"}], "system"}`` (LLaMA-Factory's
sharegpt formatting; axolotl ``chat_template`` with its keys mapped)."""

from __future__ import annotations

from typing import Any

from loratui.core.export.formats.base import Example, Record, RecordFormat, Turns


class ShareGptFormat(RecordFormat):
    name = "sharegpt"
    note = 'ShareGPT conversations (`{"conversations": [{"from", "value"}], "system"}`)'
    keys = ("conversations",)
    optional = ("system",)
    turns = Turns(
        "conversations", "from", "value", {"system": "system", "user": "human", "assistant": "gpt"}
    )
    axolotl = {
        "type": "chat_template",
        "field_messages": "conversations",
        "message_property_mappings": {"role": "from", "content": "value"},
    }
    llamafactory = {
        "formatting": "sharegpt",
        "columns": {"messages": "conversations", "system": "system"},
    }

    def write(self, ex: Example) -> Record:
        assert self.turns is not None
        conv = []
        for i, (role, content) in enumerate(ex.turns):
            value = ex.user_with_input(content) if i == 0 else content
            conv.append({"from": self.turns.roles[role], "value": value})
        return {"conversations": conv, "system": ex.system}

    def record_text(self, rec: Record) -> str:
        parts = [rec.get("system") or ""] if rec.get("system") else []
        parts += [str(m.get("value") or "") for m in rec.get("conversations") or []]
        return "\n".join(parts)

    def main_field(self, rec: Record) -> tuple[Any, str]:
        return rec["conversations"][-1], "value"


FORMAT = ShareGptFormat()
