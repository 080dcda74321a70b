"""The fake model server as a separate process, as phase 2's kill tests and the benchmark
run it: it prints its URL, serves the fault plan, reports counts at /_stats, stops on TERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import httpx

from loratui.core.generation.client import ChatClient
from loratui.core.generation.settings import GenerationSettings
from loratui.core.generation.templates import BUILTIN
from tests.conftest import REPO

MESSAGES = BUILTIN["qa"].render(text="One fact. Two facts. Three facts.", title="T")


async def test_the_server_runs_as_a_process_with_a_fault_plan() -> None:
    plan = {"steps": [{"fault": "error500"}], "models": ["m1"], "api_key": "k"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.openai_server",
            "--port",
            "0",
            "--plan",
            json.dumps(plan),
        ],  # fmt: skip
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:") and line.endswith("/v1")
        url = line.removeprefix("listening on ")
        cfg = GenerationSettings(base_url=url, model="m1", retry_backoff_s=0.01)
        async with ChatClient(cfg, api_key="k") as client:
            first = await client.chat(MESSAGES)
            again = await client.chat(MESSAGES)
        assert first.attempts == 2 and again.attempts == 1
        stats = httpx.get(url.removesuffix("/v1") + "/_stats").json()
        assert stats["chat_requests"] == 3 and stats["replies"] == ["error500", "ok", "ok"]
        assert stats["max_in_flight"] == 1 and stats["in_flight"] == 0
        assert list(stats["by_prompt"].values()) == [3]  # one prompt, asked three times
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
