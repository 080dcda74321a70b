"""The generation modules a settings screen or a CLI listing needs load no heavy library."""

from __future__ import annotations

import subprocess
import sys

LIGHT = [
    "loratui.core.generation",
    "loratui.core.generation.templates",
    "loratui.core.generation.settings",
    "loratui.core.generation.request_key",
    "loratui.core.generation.failures",
    "loratui.core.generation.gates",
    "loratui.core.generation.support",
    "loratui.core.generation.words",
]
HEAVY = ("httpx", "pydantic", "json_repair", "numpy", "textual")


def test_light_generation_modules_load_no_client_or_parser_library() -> None:
    code = (
        "import importlib, sys\n"
        f"for m in {LIGHT!r}:\n"
        "    importlib.import_module(m)\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
