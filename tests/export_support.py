"""Fixture data for the export tests: documents inserted as Document + Page rows, prose,
records files stored where ingest keeps originals, and a tiny BPE tokenizer trained here."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

from loratui.core.ingest import add as ingest
from loratui.core.projects import workspace
from loratui.core.store import home as home_mod
from loratui.core.store.db import write_txn
from loratui.core.store.models import DONE, Document, Page, Project

WORDS = (
    "river mountain engine harvest library window signal garden orbit canvas lantern "
    "market bridge forest ledger compass harbor meadow circuit thunder velvet glacier "
    "archive beacon cedar delta ember falcon granite horizon island jasmine kettle "
    "lagoon marble nectar oasis pepper quartz raven saddle timber umbrella valley "
    "walnut yarrow zephyr anchor basalt cobalt dune estuary fjord geyser"
).split()


def sentence(rng: random.Random, lo: int = 8, hi: int = 18) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(lo, hi))]
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random, sentences: int = 4) -> str:
    return " ".join(sentence(rng) for _ in range(sentences))


def page_text(rng: random.Random, paragraphs: int = 3) -> str:
    return "\n\n".join(paragraph(rng) for _ in range(paragraphs))


def add_doc(
    project: Project,
    name: str,
    pages: list[str],
    *,
    kind: str = "pdf",
    tags: list[str] | None = None,
    excluded: bool = False,
    state: str = DONE,
) -> Document:
    """A processed document with ``pages``, inserted directly (what extraction would store)."""
    body = "\f".join(pages).encode("utf-8")
    sha = hashlib.sha256(name.encode() + b"\0" + body).hexdigest()
    with write_txn():
        doc = Document.create(
            project=project,
            name=name,
            sha256=sha,
            size=len(body),
            kind=kind,
            state=state,
            pages=len(pages),
            pages_done=len(pages),
            chars=sum(len(p) for p in pages),
            tokens=sum(len(p) for p in pages) // 4,
            text_sha256=hashlib.sha256(body).hexdigest(),
            tags=tags or [],
            excluded=excluded,
        )
        for number, text in enumerate(pages, start=1):
            Page.create(document=doc, number=number, text=text, chars=len(text))
    return doc


def add_records_file(project: Project, name: str, content: str) -> Document:
    """A records document whose original is stored where ingest keeps it."""
    data = content.encode("utf-8")
    sha = hashlib.sha256(data).hexdigest()
    with write_txn():
        doc = Document.create(
            project=project,
            name=name,
            sha256=sha,
            size=len(data),
            kind="records",
            state=DONE,
            pages=1,
            pages_done=1,
            chars=len(content),
            tokens=len(content) // 4,
        )
        Page.create(document=doc, number=1, text=content, chars=len(content))
    path = ingest.stored_path(doc)
    home_mod.ensure_private_dir(path.parent)
    home_mod.write_private(path, data)
    return doc


def corpus_project(name: str = "corpus", docs: int = 6, pages: int = 4, seed: int = 7) -> Project:
    """A project of ``docs`` distinct documents of ``pages`` pages of prose."""
    project = workspace.create_project(name)
    rng = random.Random(seed)
    for i in range(docs):
        add_doc(project, f"report-{i:02d}.pdf", [page_text(rng) for _ in range(pages)])
    return project


def train_bpe(path: Path, vocab_size: int = 300) -> Path:
    """Train a tiny byte-level BPE on fixture prose and save it as ``tokenizer.json``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    rng = random.Random(1)
    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["[UNK]"],
        show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator([paragraph(rng) for _ in range(200)], trainer=trainer)
    tok.save(str(path))
    return path
