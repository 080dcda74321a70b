"""The five record layouts, and the trainer config entries that read them (see FORMATS.md).

Every source (document chunks through a template, rows of a records file) first becomes an
``Example``: a system prompt and alternating user/assistant turns, or a plain text. The
format then decides the exact JSON object written. Keys are always the same set within a
format (``alpaca`` and ``sharegpt`` always carry ``system``, empty when there is none) so
``datasets`` infers one schema for the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SHAREGPT_ROLES = {"user": "human", "assistant": "gpt", "system": "system"}


@dataclass
class Example:
    """One training example before it is given a format."""

    turns: list[tuple[str, str]] = field(default_factory=list)  # (user|assistant, content)
    system: str = ""
    input: str = ""  # alpaca's input column, kept apart when a records file has one
    text: str | None = None  # a plain text (the text format, or a records file's text column)

    def as_text(self) -> str:
        if self.text is not None:
            return self.text
        parts = [self.system] if self.system else []
        for i, (_, content) in enumerate(self.turns):
            parts.append(content)
            if i == 0 and self.input:
                parts.append(self.input)
        return "\n\n".join(p for p in parts if p)

    def user_with_input(self, content: str) -> str:
        return f"{content}\n{self.input}" if self.input else content


def render(ex: Example, fmt: str) -> dict[str, Any] | None:
    """The JSON object of ``ex`` in ``fmt``; ``None`` when the example cannot take that form."""
    if fmt == "text":
        text = ex.as_text()
        return {"text": text}
    if not ex.turns:
        if ex.text is None:
            return None
        return None  # a bare text has no prompt/answer to put in a chat format
    if ex.turns[-1][0] != "assistant" or ex.turns[0][0] != "user":
        return None
    if fmt == "prompt-completion":
        prompt_parts = [ex.system] if ex.system else []
        for i, (_, content) in enumerate(ex.turns[:-1]):
            prompt_parts.append(ex.user_with_input(content) if i == 0 else content)
        return {"prompt": "\n\n".join(prompt_parts), "completion": ex.turns[-1][1]}
    if fmt == "messages":
        msgs = [{"role": "system", "content": ex.system}] if ex.system else []
        for i, (role, content) in enumerate(ex.turns):
            msgs.append(
                {"role": role, "content": ex.user_with_input(content) if i == 0 else content}
            )
        return {"messages": msgs}
    if fmt == "sharegpt":
        conv = []
        for i, (role, content) in enumerate(ex.turns):
            value = ex.user_with_input(content) if i == 0 else content
            conv.append({"from": SHAREGPT_ROLES[role], "value": value})
        return {"conversations": conv, "system": ex.system}
    if fmt == "alpaca":
        # alpaca is one instruction and one answer: the last exchange of a conversation
        instruction = ex.turns[-2][1] if len(ex.turns) >= 2 else ""
        return {
            "instruction": instruction,
            "input": ex.input,
            "output": ex.turns[-1][1],
            "system": ex.system,
        }
    raise ValueError(f"unknown format {fmt!r}")


def record_text(rec: dict[str, Any], fmt: str) -> str:
    """All the text of a record, in order, joined by newlines: what its token count covers.

    For ``text`` this is exactly the text. Chat templates add a few tokens per turn that
    depend on the model; leave room for them in ``max_seq_len``.
    """
    if fmt == "text":
        return str(rec.get("text") or "")
    if fmt == "prompt-completion":
        return f"{rec.get('prompt') or ''}\n{rec.get('completion') or ''}"
    if fmt == "messages":
        return "\n".join(str(m.get("content") or "") for m in rec.get("messages") or [])
    if fmt == "sharegpt":
        parts = [rec.get("system") or ""] if rec.get("system") else []
        parts += [str(m.get("value") or "") for m in rec.get("conversations") or []]
        return "\n".join(parts)
    if fmt == "alpaca":
        parts = [rec.get(k) or "" for k in ("system", "instruction", "input", "output")]
        return "\n".join(p for p in parts if p)
    raise ValueError(f"unknown format {fmt!r}")


def main_field(rec: dict[str, Any], fmt: str) -> tuple[Any, Any]:
    """The container and key of the field that ``truncate`` shortens (the answer)."""
    if fmt == "text":
        return rec, "text"
    if fmt == "prompt-completion":
        return rec, "completion"
    if fmt == "messages":
        return rec["messages"][-1], "content"
    if fmt == "sharegpt":
        return rec["conversations"][-1], "value"
    return rec, "output"


# ---- trainer configuration entries ---------------------------------------------------


def axolotl_dataset(fmt: str, path: str) -> dict[str, Any]:
    """One entry of axolotl's ``datasets:`` list for a JSONL file in ``fmt``."""
    entry: dict[str, Any] = {"path": path, "ds_type": "json"}
    if fmt == "text":
        entry["type"] = "completion"
    elif fmt == "messages":
        entry["type"] = "chat_template"
        entry["field_messages"] = "messages"
    elif fmt == "sharegpt":
        entry["type"] = "chat_template"
        entry["field_messages"] = "conversations"
        entry["message_property_mappings"] = {"role": "from", "content": "value"}
    elif fmt == "alpaca":
        entry["type"] = "alpaca"
    elif fmt == "prompt-completion":
        entry["type"] = {
            "field_instruction": "prompt",
            "field_output": "completion",
            "format": "{instruction}",
            "no_input_format": "{instruction}",
        }
    return entry


def llamafactory_entry(fmt: str, file_name: str) -> dict[str, Any]:
    """One entry of LLaMA-Factory's ``dataset_info.json``."""
    if fmt == "alpaca":
        return {
            "file_name": file_name,
            "columns": {
                "prompt": "instruction",
                "query": "input",
                "response": "output",
                "system": "system",
            },
        }
    if fmt == "text":
        return {"file_name": file_name, "columns": {"prompt": "text"}}
    if fmt == "sharegpt":
        return {
            "file_name": file_name,
            "formatting": "sharegpt",
            "columns": {"messages": "conversations", "system": "system"},
        }
    if fmt == "messages":
        return {
            "file_name": file_name,
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
    # prompt-completion: the alpaca formatting with prompt as instruction, no input
    return {"file_name": file_name, "columns": {"prompt": "prompt", "response": "completion"}}
