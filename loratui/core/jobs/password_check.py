"""Whether a password opens a document, tried before it is stored.

Why: the unlock dialog said "password accepted" and re-queued the file, and only the
extraction found out that the password was wrong. The stored copy is now opened with the
password first, in a worker process (a hostile file must not hang or crash the app), so
a wrong password is answered at once and nothing is stored.
"""

from __future__ import annotations

import asyncio

from loratui.core.errors import LoratuiError
from loratui.core.extract import kinds
from loratui.core.ingest import content_store
from loratui.core.jobs.pool import ExtractionPool, open_with
from loratui.core.store import settings as settings_mod
from loratui.core.store.models import Document, Project

REFUSED = ("wrong_password", "encrypted")


def check(project: Project, doc: Document, password: str) -> None:
    """Raise ``wrong_password`` when ``password`` does not open ``doc``'s stored file.

    Other failures (a damaged file, a time limit) are left to the extraction, which
    reports them on the document; a document not yet recognised is not checked.
    """
    known = kinds.find(doc.kind)
    if known is None or not known.takes_password or not doc.sha256:
        return
    path = content_store.store_path(project, doc.sha256)
    if not path.exists():
        return
    limits = settings_mod.effective(project.settings)
    pool = ExtractionPool.from_settings(1, limits)

    async def attempt() -> None:
        await pool.run(open_with, str(path), known.name, password, limits)

    try:
        asyncio.run(attempt())
    except LoratuiError as err:
        if err.code in REFUSED:
            raise known.error("wrong_password") from None
    finally:
        pool.close(kill=True)
