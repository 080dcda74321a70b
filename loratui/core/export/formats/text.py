"""``text``: ``{"text": ...}``, plain text for continued pre-training.

A document chunk is the record as it is (no template); a records row gives its text, or its
conversation's texts joined by blank lines.

LLaMA-Factory pre-training (``stage: pt``) joins the texts (an end-of-text token after
each), cuts them into ``cutoff_len`` blocks and drops the remainder: a validation file
shorter than one block gives no eval sample at all ("Cannot find sufficient samples"), so
the export leaves it out of ``dataset_info.json`` then (``unusable_eval``).
"""

from __future__ import annotations

import math
from typing import Any

from loratui.core.export.formats.base import Example, Record, RecordFormat

APPROX_MARGIN = 1.25  # the approx count can be this far below a real tokenizer's


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

    def unusable_eval(self, tokens: int, records: int, block: int, approx: bool) -> dict[str, str]:
        need = math.ceil(block * (APPROX_MARGIN if approx else 1.0))
        have = tokens + records  # LLaMA-Factory adds an end-of-text token to each text
        if have >= need:
            return {}
        counted = f"about {have} (approx count)" if approx else str(have)
        return {
            "llamafactory": (
                f"the validation text is {counted} tokens, less than one cutoff_len block "
                f"({block}, max_seq_len{', with a margin for the approx count' if approx else ''}"
                "): LLaMA-Factory pre-training packs text into cutoff_len blocks, drops the "
                "remainder and would find no eval sample, so dataset_info.json has no "
                "validation entry; raise validation_fraction or lower cutoff_len to use one"
            )
        }


FORMAT = TextFormat()
