"""The request key: what makes two requests the same request, so an answer is paid once.

``request_key`` is the SHA-256 (hex) of this JSON, keys sorted, no spaces, UTF-8::

    {"key": 1,                            # the layout of this JSON; bumped if it changes
     "template": TEMPLATE_VERSION,        # PromptTemplate.version(): both prompts' words
     "text": TEXT_SHA256,                 # text_sha256(chunk): the chunk's exact characters
     "variables": {...},                  # the other placeholders' values (title, heading,
                                          #   pairs_per_chunk): they are in the prompt too
     "model": MODEL,                      # the model name as sent
     "sampling": {...},                   # Sampling.as_dict(): temperature, top_p,
                                          #   max_tokens, seed (absent when none is sent)
     "response_format": MODE}             # the setting (auto, json_schema, json_object, none)

The response format is the *setting*, not what ``auto`` settles on with a given server: the
key must be known before the first request, to look it up in the ledger. A judge request
uses the same function with its own template version and the SHA-256 of the chunk and the
pair it judges (``judge.subject_sha256``).

Everything else (the base URL, the API key, concurrency, timeouts, the gates) leaves the
answer unchanged and is not part of the key: pointing the same model at another host does
not pay again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from loratui.core.generation.settings import GenerationSettings, Sampling

KEY_LAYOUT = 1


def text_sha256(text: str) -> str:
    """SHA-256 (hex) of ``text`` as UTF-8, exactly as given (no normalisation)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def request_key(
    *,
    template_version: str,
    text_hash: str,
    model: str,
    sampling: Sampling,
    response_format: str,
    variables: Mapping[str, str | int] | None = None,
) -> str:
    """The ledger key of one request (see the module docstring for the exact layout)."""
    body = {
        "key": KEY_LAYOUT,
        "template": template_version,
        "text": text_hash,
        "variables": {k: str(v) for k, v in (variables or {}).items()},
        "model": model,
        "sampling": sampling.as_dict(),
        "response_format": response_format,
    }
    data = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def chunk_request_key(
    settings: GenerationSettings, model: str, text: str, *, title: str = "", heading: str = ""
) -> str:
    """The key of the pair request for one chunk under ``settings`` (``model`` resolved:
    the name actually sent, never empty)."""
    return request_key(
        template_version=settings.prompt_template().version(),
        text_hash=text_sha256(text),
        model=model,
        sampling=settings.sampling(),
        response_format=settings.response_format,
        variables={"title": title, "heading": heading, "pairs_per_chunk": settings.pairs_per_chunk},
    )
