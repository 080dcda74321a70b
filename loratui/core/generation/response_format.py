"""What JSON mode to ask a server for, and how to tell that it refused the ask.

Servers differ: vLLM and SGLang take ``json_schema`` (constrained decoding against our
schema) and ``json_object``; llama-server takes both (schema support depends on the
version); LM Studio takes only ``json_schema``; older servers reject ``json_schema``. The
setting ``response_format`` is one of:

- ``json_schema``: always ask for our schema (a refusal is a ``bad_request``);
- ``json_object``: always ask for any JSON object;
- ``none``: send no ``response_format`` (the prompt alone asks for JSON);
- ``auto``: start with ``json_schema``; when the server answers 400/422 with a message that
  names the response format, step down to ``json_object``, then to ``none``, and remember
  the step for every later request of the client (``FormatLadder``).

Whatever the mode, the answer is parsed defensively (``parsing``): a server may accept the
field and ignore it.
"""

from __future__ import annotations

from typing import Any

MODES = ("json_schema", "json_object", "none")
_LADDER = {"json_schema": "json_object", "json_object": "none"}
_REFUSAL_WORDS = (
    "response_format",
    "response format",
    "responseformat",
    "json_schema",
    "json schema",
    "json_object",
    "grammar",
)


def payload(mode: str, schema: dict[str, Any] | None, name: str) -> dict[str, Any] | None:
    """The ``response_format`` field for ``mode`` (``None``: send none).

    Without a schema, ``json_schema`` falls back to ``json_object``.
    """
    if mode == "json_schema" and schema is not None:
        return {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}
    if mode in ("json_schema", "json_object"):
        return {"type": "json_object"}
    return None


def is_refusal(status: int, message: str) -> bool:
    """True when an error reply blames the response format (``message``: the server's)."""
    if status not in (400, 422):
        return False
    low = message.lower()
    return any(w in low for w in _REFUSAL_WORDS)


class FormatLadder:
    """The mode a client asks for now; ``auto`` steps down on refusals, once per mode."""

    def __init__(self, setting: str) -> None:
        self.setting = setting
        self.current = "json_schema" if setting == "auto" else setting

    def step_down(self, refused: str) -> str | None:
        """After ``refused`` was refused: the mode to try next, or ``None`` (no further
        step: the refusal is an error). Concurrent refusals of the same mode step once."""
        if self.setting != "auto":
            return None
        if MODES.index(self.current) > MODES.index(refused):
            return self.current  # another request already stepped past it
        nxt = _LADDER.get(refused)
        if nxt is not None:
            self.current = nxt
        return nxt
