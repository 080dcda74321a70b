"""``loratui generate`` and ``loratui pairs`` as real processes against the fake OpenAI
server running as a process too: kill -9 mid-run and resume, a dead endpoint, the JSON
output, review from scripts, the settings saved and the key never stored."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CLI, REPO
from tests.export_support import page_text

GENERATE_KEYS = {
    "chunks",
    "done",
    "failed",
    "quarantined",
    "pairs",
    "kept",
    "rejected",
    "requests",
    "retries",
    "tokens_in",
    "tokens_out",
    "seconds",
}


class ServerProcess:
    """tests/support/openai_server.py as a subprocess (its own GIL, like a real server)."""

    def __init__(self, plan: dict) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.openai_server", "--plan", json.dumps(plan)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        assert line.startswith("listening on "), line
        self.url = line.split()[-1]

    def stats(self) -> dict:
        root = self.url.rsplit("/v1", 1)[0]
        with urllib.request.urlopen(f"{root}/_stats", timeout=10) as r:
            return json.loads(r.read())

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture
def server() -> Iterator[ServerProcess]:
    s = ServerProcess({"default": {"fault": "slow", "delay": 0.15}})
    yield s
    s.stop()


def make_project(cli: CLI, tmp_path: Path, name: str, files: int) -> None:
    src = tmp_path / f"{name}-src"
    src.mkdir()
    rng = random.Random(11)
    for i in range(files):
        (src / f"note-{i:03d}.txt").write_text(page_text(rng, 2) + "\n", encoding="utf-8")
    cli.run("new", name, check=True)
    cli.run("add", name, str(src), check=True)
    cli.run("process", name, "--workers", "1", check=True)


def db_rows(home: Path, sql: str) -> list[tuple]:
    db = sqlite3.connect(f"file:{home / 'loratui.db'}?mode=ro", uri=True, timeout=30)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def test_kill_9_mid_run_then_finish_asks_only_what_was_in_flight(
    tmp_path: Path, server: ServerProcess
) -> None:
    cli = CLI(tmp_path / "home")
    make_project(cli, tmp_path, "k", 36)
    args = ["generate", "k", "--base-url", server.url, "--concurrency", "4", "--json"]
    kills = 0
    rng = random.Random(5)
    for _ in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-m", "loratui", "--home", str(cli.home), *args],
            env=cli.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # kill once this run has had a few answers: mid-run, whatever the machine's speed
        before = server.stats()["chat_requests"]
        wanted = before + rng.randint(3, 8)
        deadline = time.monotonic() + 60
        while server.stats()["chat_requests"] < wanted and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.1))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(30)
    assert kills == 3
    done = cli.json(*args[:-1], timeout=120)
    assert set(done) >= GENERATE_KEYS
    assert done["chunks"] == 36 and done["done"] == 36 and done["failed"] == 0
    # every chunk has its pairs, each job is done, nothing is left running
    states = db_rows(cli.home, "SELECT state, COUNT(*) FROM job WHERE kind = 'generate' GROUP BY 1")
    assert states == [("done", 36)]
    per_chunk = db_rows(
        cli.home, "SELECT document_id, chunk, COUNT(*) FROM generatedpair GROUP BY 1, 2"
    )
    assert len(per_chunk) == 36 and {n for _, _, n in per_chunk} == {3}
    # no answered request was asked again: only what was in flight at a kill (at most
    # `concurrency` each time) was asked twice
    stats = server.stats()
    asked = stats["by_prompt"]
    assert len(asked) == 36, (
        db_rows(cli.home, "SELECT key, state, attempts FROM generationrequest"),
        stats["replies"],
    )
    again = sum(n - 1 for n in asked.values())
    assert again <= 4 * kills, asked
    assert stats["max_in_flight"] <= 4
    ledger = db_rows(cli.home, "SELECT state, COUNT(*) FROM generationrequest GROUP BY 1")
    assert ledger == [("answered", 36)]
    runs = db_rows(cli.home, "SELECT state FROM generationrun ORDER BY id")
    assert runs[-1] == ("done",) and len(runs) == kills + 1
    # a last run asks nothing
    before = server.stats()["chat_requests"]
    last = cli.json(*args[:-1])
    assert last["requests"] == 0 and last["done"] == 36
    assert server.stats()["chat_requests"] == before


def test_a_dead_endpoint_fails_fast_with_a_hint_and_changes_nothing(tmp_path: Path) -> None:
    cli = CLI(tmp_path / "home")
    make_project(cli, tmp_path, "dead", 2)
    started = time.monotonic()
    proc = cli.run("generate", "dead", "--base-url", "http://127.0.0.1:9/v1", "--model", "m")
    took = time.monotonic() - started
    assert proc.returncode == 1 and took < 3.0, (took, proc.stderr)
    assert "error[server_unreachable]" in proc.stderr
    assert "hint: start the model server" in proc.stderr
    assert db_rows(cli.home, "SELECT COUNT(*) FROM generationconfig") == [(0,)]
    assert db_rows(cli.home, "SELECT COUNT(*) FROM job WHERE kind = 'generate'") == [(0,)]
    as_json = cli.run("generate", "dead", "--base-url", "http://127.0.0.1:9/v1", "--json")
    assert json.loads(as_json.stdout)["error"]["code"] == "server_unreachable"


def test_generate_saves_settings_keeps_no_key_and_pairs_review(tmp_path: Path) -> None:
    cli = CLI(tmp_path / "home")
    make_project(cli, tmp_path, "rev", 3)
    key = "sk-test-KEY-7f3a9-never-stored"
    srv = ServerProcess({"api_key": key})
    try:
        env_cli = CLI(cli.home)
        env = env_cli.env()
        env["LORATUI_API_KEY"] = key
        proc = subprocess.run(
            [sys.executable, "-m", "loratui", "--home", str(cli.home), "generate", "rev",
             "--base-url", srv.url, "--pairs-per-chunk", "2", "--json"],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        out = json.loads(proc.stdout)
        assert out["chunks"] == 3 and out["pairs"] == 6
        # without the key: 401 at the preflight, exit 1 with the hint
        refused = cli.run("generate", "rev")
        assert refused.returncode == 1 and "error[unauthorized]" in refused.stderr
        assert "LORATUI_API_KEY" in refused.stderr
    finally:
        srv.stop()
    for path in cli.home.rglob("*"):
        if path.is_file():
            assert key.encode() not in path.read_bytes(), path
    saved = cli.json("genconfig", "rev")["settings"]
    assert saved["base_url"] == srv.url and saved["pairs_per_chunk"] == 2
    pairs = cli.json("pairs", "rev")
    assert len(pairs) == 6
    assert set(pairs[0]) >= {
        "id", "document_id", "chunk", "question", "answer", "state", "reason", "model",
        "template", "created_at",
    }  # fmt: skip
    a, b, c = (p["id"] for p in pairs[:3])
    cli.run("pairs", "rev", "--reject", str(a), str(b), "--reason", "too vague", check=True)
    cli.run("pairs", "rev", "--accept", str(b), check=True)
    cli.run("pairs", "rev", "--edit", str(c), "--answer", "A better answer here.", check=True)
    rejected = cli.json("pairs", "rev", "--state", "rejected")
    assert [(p["id"], p["reason"]) for p in rejected] == [(a, "too vague")]
    edited = cli.json("pairs", "rev", "--state", "edited")
    assert edited[0]["answer"] == "A better answer here."
    missing = cli.run("pairs", "rev", "--accept", "99999")
    assert missing.returncode == 1 and "error[not_found]" in missing.stderr
    events = [e["kind"] for e in cli.json("log", "rev")]
    assert {"generation.started", "generation.done", "pair.rejected", "pair.edited"} <= set(events)
    # the export takes kept and edited pairs
    v = cli.json("export", "rev", "--format", "alpaca", "--set", "sources=pairs")
    assert v["records"]["train"] + v["records"]["validation"] == 5


def test_genconfig_round_trips_the_prompts(tmp_path: Path) -> None:
    cli = CLI(tmp_path / "home")
    cli.run("new", "g", check=True)
    toml = tmp_path / "gen.toml"
    cli.run("genconfig", "g", "--write", str(toml), check=True)
    text = toml.read_text()
    assert "user_prompt = '''" in text and "{text}" in text
    toml.write_text(text.replace("pairs_per_chunk = 3", "pairs_per_chunk = 5"))
    cli.run("genconfig", "g", "--load", str(toml), check=True)
    assert cli.json("genconfig", "g")["settings"]["pairs_per_chunk"] == 5
    bad = cli.run("genconfig", "g", "--set", "user_prompt=no placeholder")
    assert bad.returncode == 1 and "{text}" in bad.stderr
    assert os.stat(toml).st_mode & 0o077 == 0
