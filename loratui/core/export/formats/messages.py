"""``messages``: ``{"messages": [{"role", "content"}]}``, the OpenAI chat layout (TRL,
axolotl ``chat_template``, LLaMA-Factory with role/content tags)."""

from __future__ import annotations

from typing import Any

from loratui.core.export.formats.base import Example, Record, RecordFormat, Turns


class MessagesFormat(RecordFormat):
    name = "messages"
    note = 'chat conversations (`{"messages": [{"role", "content"}]}`)'
    keys = ("messages",)
    trl_ready = True
    turns = Turns(
        "messages",
        "role",
        "content",
        {"system": "system", "user": "user", "assistant": "assistant"},
    )
    axolotl = {"type": "chat_template", "field_messages": "messages"}
    llamafactory = {
        "formatting": "sharegpt",
        "columns": {"messages": "messages"},
        "tags": {
            "role_tag": "role",
            "content_tag": "content",
            "user_tag": "user",
            "assistant_tag": "assistant",
            "system_tag": "system",
        },
    }

    def write(self, ex: Example) -> Record:
        msgs = [{"role": "system", "content": ex.system}] if ex.system else []
        for i, (role, content) in enumerate(ex.turns):
            msgs.append(
                {"role": role, "content": ex.user_with_input(content) if i == 0 else content}
            )
        return {"messages": msgs}

    def record_text(self, rec: Record) -> str:
        return "\n".join(str(m.get("content") or "") for m in rec.get("messages") or [])

    def main_field(self, rec: Record) -> tuple[Any, str]:
        return rec["messages"][-1], "content"


FORMAT = MessagesFormat()
