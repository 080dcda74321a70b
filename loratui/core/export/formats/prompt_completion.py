"""``prompt-completion``: ``{"prompt": ..., "completion": ...}`` (TRL trains on the
completion only); the system prompt and every turn but the last make the prompt."""

from __future__ import annotations

from typing import Any

from loratui.core.export.formats.base import Example, Record, RecordFormat


class PromptCompletionFormat(RecordFormat):
    name = "prompt-completion"
    note = 'prompt/completion pairs (`{"prompt", "completion"}`)'
    keys = ("prompt", "completion")
    axolotl = {
        "type": {
            "field_instruction": "prompt",
            "field_output": "completion",
            "format": "{instruction}",
            "no_input_format": "{instruction}",
        }
    }
    # LLaMA-Factory's alpaca formatting, the prompt as instruction and no input
    llamafactory = {"columns": {"prompt": "prompt", "response": "completion"}}

    def write(self, ex: Example) -> Record:
        prompt_parts = [ex.system] if ex.system else []
        for i, (_, content) in enumerate(ex.turns[:-1]):
            prompt_parts.append(ex.user_with_input(content) if i == 0 else content)
        return {"prompt": "\n\n".join(prompt_parts), "completion": ex.turns[-1][1]}

    def record_text(self, rec: Record) -> str:
        return f"{rec.get('prompt') or ''}\n{rec.get('completion') or ''}"

    def main_field(self, rec: Record) -> tuple[Any, str]:
        return rec, "completion"


FORMAT = PromptCompletionFormat()
