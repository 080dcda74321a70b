"""The demo project exports a sensible dataset in every format (issue 11, item 12: the default
template dropped every first chunk, and the demo's short documents gave one record)."""

from __future__ import annotations

from tests.conftest import CLI

FORMATS = ("text", "prompt-completion", "messages", "sharegpt", "alpaca")


def test_the_demo_exports_every_chunk_in_every_format(cli: CLI) -> None:
    cli.run("demo", "--no-open", check=True)
    cli.run("process", "demo", timeout=300)
    done = cli.json("status", "demo")["states"]["done"]
    assert done == 5  # the encrypted sample waits for its password
    counts = {}
    for fmt in FORMATS:
        out = cli.json("export", "demo", "--format", fmt)
        counts[fmt] = out["records"]["train"] + out["records"]["validation"]
        assert "no_previous" not in out["dropped"], (fmt, out["dropped"])
    # every chunk is a record, whatever the layout: at least one per document
    assert counts["text"] >= done
    assert set(counts.values()) == {counts["text"]}, counts
