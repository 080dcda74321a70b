"""The PDFium engine (the default) against pypdf: speed and which one extracts better.

    python benchmarks/bench_pdfium.py [--quick] [--files N] [--max-pages P]

Speed: every PDF of the generated corpus is read whole with each engine module
(``loratui.core.extract.pdf`` and ``.pdfium``, the functions the workers call), file by file
and engine after engine in this process; ``pdfium_speedup = pypdf seconds / pdfium
seconds`` (the issue asks for the engine only if this is >= 5).

Quality, two ways:
- generated PDFs: we know every word we drew (``make_corpus.truth_words``), so each engine
  gets a word recall and precision against that truth;
- the real documents in ``../shared/corpus/real`` (when present; not with ``--quick``): how
  many each engine
  reads, page counts against the manifest, word agreement (Jaccard) between the engines,
  raw control characters or U+FFFD in the output (unmapped glyphs), and the time each took
  (``pdfium_speedup_real``).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter
from pathlib import Path

import benchlib
import make_corpus

REAL = benchlib.REPO.parent / "shared" / "corpus" / "real"
WORDS = re.compile(r"\w+")
BAD_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\ufffd]")


def read_all(engine, path: Path, password: str | None = None) -> list[str]:  # noqa: ANN001
    n = engine.count_pages(str(path), "pdf", password, {})
    return [t for _, t in engine.extract_pages(str(path), "pdf", 1, n, password, {})]


def timed(engines: list, paths: list[Path]) -> list[tuple[float, int, list[list[str]]]]:  # noqa: ANN001
    """Each file read by every engine in turn (so a noisy neighbour hits both alike);
    per engine: (seconds, pages, texts)."""
    seconds = [0.0] * len(engines)
    texts: list[list[list[str]]] = [[] for _ in engines]
    for path in paths:
        for i, engine in enumerate(engines):
            start = time.perf_counter()
            texts[i].append(read_all(engine, path))
            seconds[i] += time.perf_counter() - start
    return [(seconds[i], sum(len(t) for t in texts[i]), texts[i]) for i in range(len(engines))]


def truth_scores(corpus_dir: Path, rows: list[dict], texts: list[list[str]]) -> dict[str, float]:
    meta = benchlib.manifest(corpus_dir)
    specs = {s.index: s for s in make_corpus.plan(meta["count"], meta["seed"], meta["max_pages"])}
    hit = want = got = 0
    for row, pages in zip(rows, texts, strict=True):
        truth = Counter(make_corpus.truth_words(specs[row["index"]], row["blocks"], row["pages"]))
        found = Counter(WORDS.findall(" ".join(pages)))
        hit += sum((truth & found).values())
        want += sum(truth.values())
        got += sum(found.values())
    return {"recall": hit / want if want else 0.0, "precision": hit / got if got else 0.0}


def real_corpus(pypdf_engine, pdfium_engine) -> dict | None:  # noqa: ANN001
    from loratui.core.errors import LoratuiError

    if not (REAL / "manifest.json").exists():
        return None
    entries = [e for e in json.loads((REAL / "manifest.json").read_text())["files"]]
    entries = [e for e in entries if e["file"].endswith(".pdf")]
    out = {
        "files": len(entries),
        "read": {"pypdf": 0, "pypdfium2": 0},
        "pages_match": {"pypdf": 0, "pypdfium2": 0},
        "bad_chars": {"pypdf": 0, "pypdfium2": 0},
        "chars": {"pypdf": 0, "pypdfium2": 0},
        "seconds": {"pypdf": 0.0, "pypdfium2": 0.0},
    }
    jaccards = []
    differ = []
    for e in entries:
        path = REAL / e["file"]
        words = {}
        for name, engine in (("pypdf", pypdf_engine), ("pypdfium2", pdfium_engine)):
            start = time.perf_counter()
            try:
                pages = read_all(engine, path, e.get("password"))
            except LoratuiError:
                pages = None
            out["seconds"][name] += time.perf_counter() - start
            if pages is None:
                continue
            text = " ".join(pages)
            out["read"][name] += 1
            out["pages_match"][name] += len(pages) == e["pages"]
            out["bad_chars"][name] += len(BAD_CHARS.findall(text))
            out["chars"][name] += len(text)
            words[name] = {w.lower() for w in WORDS.findall(text)}
        if len(words) == 2 and (words["pypdf"] or words["pypdfium2"]):
            a, b = words["pypdf"], words["pypdfium2"]
            j = len(a & b) / len(a | b)
            jaccards.append(j)
            if j < 0.9:
                differ.append({"file": Path(e["file"]).name[:60], "jaccard": round(j, 3)})
    out["mean_jaccard"] = sum(jaccards) / len(jaccards) if jaccards else None
    out["differ"] = differ
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="CI size (the quick ingest corpus)")
    ap.add_argument("--files", type=int, default=None, help="corpus size (default 1000)")
    ap.add_argument("--max-pages", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    from loratui.core.extract import pdf as pypdf_engine
    from loratui.core.extract import pdfium as pdfium_engine  # (a core dependency)

    n = args.files or (24 if args.quick else 1000)
    max_pages = args.max_pages or (6 if args.quick else 200)
    corpus_dir = benchlib.corpus(n, args.seed, max_pages)
    rows = [r for r in benchlib.manifest(corpus_dir)["files"] if r["kind"] == "pdf"]
    paths = [corpus_dir / r["file"] for r in rows]
    read_all(pypdf_engine, paths[0])  # warm both engines up (imports, first-call set-up)
    read_all(pdfium_engine, paths[0])

    (pypdf_s, pages, pypdf_texts), (pdfium_s, pages2, pdfium_texts) = timed(
        [pypdf_engine, pdfium_engine], paths
    )
    generated = {
        "pypdf": truth_scores(corpus_dir, rows, pypdf_texts),
        "pypdfium2": truth_scores(corpus_dir, rows, pdfium_texts),
    }
    real = None if args.quick else real_corpus(pypdf_engine, pdfium_engine)
    result = {
        "bench": "pdfium",
        "pdf_files": len(paths),
        "pages": pages,
        "pages_pdfium": pages2,
        "pypdf_s": pypdf_s,
        "pdfium_s": pdfium_s,
        "pypdf_pages_per_s": pages / pypdf_s,
        "pdfium_pages_per_s": pages2 / pdfium_s,
        "pdfium_speedup": pypdf_s / pdfium_s,
        "pdfium_speedup_real": real["seconds"]["pypdf"] / real["seconds"]["pypdfium2"]
        if real
        else None,
        "generated_quality": generated,
        "real_corpus": real,
    }
    benchlib.emit(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
