"""``sharegpt``: ``{"conversations": [{"from", "value"}]}`` (LLaMA-Factory's sharegpt
formatting; axolotl ``chat_template`` with its keys mapped).

A system prompt is the conversation's first turn (``{"from": "system"}``), and there is no
``system`` column: axolotl adds a system turn for every row whose record has that key, even
``""`` (and ``datasets`` gives every row the key once one row has it), while both trainers
take a leading system turn as the system prompt. Files from elsewhere may carry ``system``;
``check`` warns when it is empty.
"""

from __future__ import annotations

from typing import Any

from loratui.core.export.formats.base import Example, Record, RecordFormat, Turns


class ShareGptFormat(RecordFormat):
    name = "sharegpt"
    note = (
        'ShareGPT conversations (`{"conversations": [{"from", "value"}]}`, a system prompt as '
        "a leading `system` turn)"
    )
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
    llamafactory = {"formatting": "sharegpt", "columns": {"messages": "conversations"}}

    def write(self, ex: Example) -> Record:
        assert self.turns is not None
        conv = [{"from": self.turns.roles["system"], "value": ex.system}] if ex.system else []
        for i, (role, content) in enumerate(ex.turns):
            value = ex.user_with_input(content) if i == 0 else content
            conv.append({"from": self.turns.roles[role], "value": value})
        return {"conversations": conv}

    def record_text(self, rec: Record) -> str:
        parts = [rec.get("system") or ""] if rec.get("system") else []
        parts += [str(m.get("value") or "") for m in rec.get("conversations") or []]
        return "\n".join(parts)

    def main_field(self, rec: Record) -> tuple[Any, str]:
        return rec["conversations"][-1], "value"

    def problems(self, rec: Any) -> list[tuple[str, str]]:
        out = super().problems(rec)
        if isinstance(rec, dict) and isinstance(rec.get("system"), str):
            if not rec["system"].strip():
                out.append(
                    (
                        "empty_system",
                        "'system' is empty: axolotl adds an empty system turn for it; "
                        "leave the key out",
                    )
                )
        return out


FORMAT = ShareGptFormat()
