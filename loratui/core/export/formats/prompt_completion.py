"""``prompt-completion``: ``{"prompt": ..., "completion": ...}`` (TRL trains on the
completion only); the system prompt and every turn but the last make the prompt.

TRL and axolotl (through the custom instruct type below, ``format: "{instruction}"``) join
prompt and completion as they are, so the prompt always ends with one newline: without it
the prompt's last word and the answer's first merged ("...at this place.There is..."), and
in token terms the prompt was not a prefix of prompt + completion, so training started
inside a merged token. One ``\\n`` (never a space, never two newlines) keeps the prompt's
tokens a prefix with byte-level BPE tokenizers, whose pre-tokenizer joins runs of blank
lines and a space with the next word.
"""

from __future__ import annotations

from typing import Any

from loratui.core.export.formats.base import Example, Record, RecordFormat

SEPARATOR = "\n"


def end_prompt(prompt: str) -> str:
    """``prompt`` ending in exactly one ``SEPARATOR`` (trailing whitespace replaced)."""
    prompt = prompt.rstrip()
    return prompt + SEPARATOR if prompt else prompt


def joins_cleanly(prompt: str, completion: str) -> bool:
    """Whether a trainer that concatenates the two gets a word boundary between them."""
    return not prompt or not completion or prompt[-1].isspace() or completion[0].isspace()


class PromptCompletionFormat(RecordFormat):
    name = "prompt-completion"
    note = 'prompt/completion pairs (`{"prompt", "completion"}`)'
    keys = ("prompt", "completion")
    trl_ready = True
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
        return {"prompt": end_prompt("\n\n".join(prompt_parts)), "completion": ex.turns[-1][1]}

    def record_text(self, rec: Record) -> str:
        """What TRL tokenizes: prompt + completion, as they are (a newline between them when
        a file from elsewhere has none, as our own records do)."""
        prompt, completion = str(rec.get("prompt") or ""), str(rec.get("completion") or "")
        return (
            prompt + completion if joins_cleanly(prompt, completion) else f"{prompt}\n{completion}"
        )

    def main_field(self, rec: Record) -> tuple[Any, str]:
        return rec, "completion"

    def problems(self, rec: Any) -> list[tuple[str, str]]:
        out = super().problems(rec)
        if isinstance(rec, dict):
            prompt, completion = rec.get("prompt"), rec.get("completion")
            if isinstance(prompt, str) and isinstance(completion, str):
                if not joins_cleanly(prompt, completion):
                    out.append(
                        (
                            "no_separator",
                            "the prompt does not end with a newline or space and the "
                            "completion does not start with one: TRL and axolotl join them "
                            "as they are, so the last and first words merge",
                        )
                    )
        return out


FORMAT = PromptCompletionFormat()
