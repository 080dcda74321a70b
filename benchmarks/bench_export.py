"""Export: MB/s of extracted text written as a dataset version, and whether memory stays flat.

    python benchmarks/bench_export.py [--quick] [--small-mb S] [--large-mb L]

Two projects are filled through the real pipeline (``loratui add`` + ``loratui process``)
with generated Markdown documents of about 100 KB: S MB of text (default 10) and L MB
(default 100). Each is exported with the default configuration (text format, cleaning,
chunking, exact and MinHash near-duplicate removal, 10% validation split) twice: with the
``approx`` tokenizer and with a byte-level BPE tokenizer trained here on the fly with
``tokenizers`` and saved as a local ``tokenizer.json``. Every export runs in a fresh child
process that times ``run_export`` (with its default worker processes, one per core) and
reports its own peak RSS; this process samples the peak RSS of the child's whole tree
(it, the forkserver and the export workers) every 50 ms. Imports are outside the clock and
each peak belongs to one export. (The tree's peak includes the child's start-up imports,
which is why it is a little above the export's own.)

Reported: ``export_mb_per_s_approx`` and ``export_mb_per_s_bpe`` (text MB, 10^6 characters,
per second, at the large size; targets >= 50 and >= 5) and ``export_rss_ratio`` = peak RSS
at L / peak RSS at S with approx (target <= 1.3: streaming).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import benchlib
import make_corpus

DOC_WORDS = 15_000  # about 100 KB of Markdown per document


def _write_doc(args: tuple[int, str]) -> int:
    index, folder = args
    spec = make_corpus.Spec(
        index=index,
        kind="md",
        seed=random.Random(f"export-{index}").randrange(2**31),
        size=DOC_WORDS,
        org=make_corpus.ORGS[index % len(make_corpus.ORGS)],
        fonts=make_corpus.FONT_PAIRS[0],
        code=index % 3 == 0,
        wrap=False,
    )
    path = Path(folder) / f"doc-{index:05d}.md"
    make_corpus.render_md(spec, path)
    return path.stat().st_size


def text_corpus(total_mb: float) -> Path:
    """Markdown documents adding up to about ``total_mb`` MB, cached like the main corpus."""
    n = max(1, round(total_mb * 1e6 / 100_000))
    out = benchlib.cache_dir() / f"export-text-{n}-{benchlib.generator_hash()}"
    done = out / ".done"  # hidden: `loratui add` skips it
    if not done.exists():
        out.mkdir(parents=True, exist_ok=True)
        with Pool(os.cpu_count() or 1) as pool:
            pool.map(_write_doc, [(i, str(out)) for i in range(n)], chunksize=4)
        done.write_text(str(n))
    return out


def train_bpe(sample_dir: Path, out: Path, vocab_size: int = 8000) -> Path:
    """A byte-level BPE tokenizer (GPT-2 style) trained on a few of the documents."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    files = sorted(str(p) for p in sample_dir.glob("*.md"))[:10]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train(files, trainer)
    path = out / "tokenizer.json"
    tok.save(str(path))
    return path


def fill_project(home: Path, name: str, docs: Path) -> dict:
    benchlib.run_cli(home, "new", name)
    benchlib.run_cli(home, "add", name, str(docs))
    benchlib.run_cli(home, "process", name)
    _, status, _ = benchlib.run_cli(home, "status", name)
    return status


def child(home: str, project_name: str, tokenizer: str) -> None:
    """In a fresh process: one export, timed, with this process's peak RSS."""
    from loratui.core.export.config import ExportConfig
    from loratui.core.export.version import run_export
    from loratui.core.export.workers import default_workers
    from loratui.core.projects.workspace import get_project
    from loratui.core.store import home as home_mod

    home_mod.open_home(home)
    project = get_project(project_name)
    cfg = ExportConfig(tokenizer=tokenizer)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    cpu0 = time.process_time()
    version = run_export(project, cfg)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": seconds,
                "workers": default_workers(),
                "self_peak_rss_mb": peak / 1024,
                "cpu_s_writer": time.process_time() - cpu0,
                "rss_before_mb": base_rss / 1024,
                "records": version.records_train + version.records_validation,
                "tokens": version.tokens,
                "bytes": version.bytes,
                "dropped": version.dropped,
            }
        )
    )


def export_once(home: Path, project: str, tokenizer: str) -> dict:
    """One export in a child process; its process tree's RSS is sampled from here."""
    args = [__file__, "--child", str(home), project, tokenizer]
    run, tree = benchlib.run_child(args, home, f"export of {project} with {tokenizer}")
    # the whole tree: the writing process, the forkserver and the export workers
    run["peak_rss_mb"] = max(tree.peak_mb, run["self_peak_rss_mb"])
    run["cpu_s_tree"] = tree.cpu_s
    return run


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        child(*argv[1:4])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="CI size (0.2 MB and 0.6 MB)")
    ap.add_argument("--small-mb", type=float, default=None)
    ap.add_argument("--large-mb", type=float, default=None)
    args = ap.parse_args(argv)
    small_mb = args.small_mb or (0.2 if args.quick else 10)
    large_mb = args.large_mb or (0.6 if args.quick else 100)

    large_docs = text_corpus(large_mb)
    n_small = max(1, round(small_mb * 1e6 / 100_000))
    results: dict[str, dict] = {}
    with benchlib.scratch("export-") as tmp:
        small_docs = tmp / "small"
        small_docs.mkdir()
        for path in sorted(large_docs.glob("*.md"))[:n_small]:
            os.link(path, small_docs / path.name)
        bpe = train_bpe(large_docs, tmp)
        home = tmp / "home"
        sizes = {}
        for name, docs in (("small", small_docs), ("large", large_docs)):
            status = fill_project(home, name, docs)
            sizes[name] = status["chars"] / 1e6
        for name in ("small", "large"):
            for tok_name, tok in (("approx", "approx"), ("bpe", str(bpe))):
                run = export_once(home, name, tok)
                run["text_mb"] = sizes[name]
                run["mb_per_s"] = sizes[name] / run["seconds"]
                results[f"{name}_{tok_name}"] = run

    result = {
        "bench": "export",
        "small_text_mb": sizes["small"],
        "large_text_mb": sizes["large"],
        "export_mb_per_s_approx": results["large_approx"]["mb_per_s"],
        "export_mb_per_s_bpe": results["large_bpe"]["mb_per_s"],
        "export_mb_per_s_approx_small": results["small_approx"]["mb_per_s"],
        "export_mb_per_s_bpe_small": results["small_bpe"]["mb_per_s"],
        "export_rss_small_mb": results["small_approx"]["peak_rss_mb"],
        "export_rss_large_mb": results["large_approx"]["peak_rss_mb"],
        "export_rss_ratio": results["large_approx"]["peak_rss_mb"]
        / results["small_approx"]["peak_rss_mb"],
        "export_rss_ratio_bpe": results["large_bpe"]["peak_rss_mb"]
        / results["small_bpe"]["peak_rss_mb"],
        "runs": results,
    }
    benchlib.emit(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
