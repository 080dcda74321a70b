"""Errors as values a user can act on: a stable code, a one-line message and a hint.

Every failure the engine reports (on a document, a job or a command) uses a code from
``CATALOGUE``. ``permanent`` codes fail at once; the others are retried with backoff. The
wording here is general: a document kind words its own errors (``DocumentKind.errors``:
"the PDF is encrypted", the DOCX inflation limit).

A hint is worded for where it is shown: ``hint`` for the command line, ``tui_hint`` (when
the fix is done differently in the full-screen app: a key, not a command) for the TUI.
Each shell picks its own (``LoratuiError.hint_for``, ``worded_hint`` for stored hints),
so the CLI never tells the user to press a key and the TUI never to run a command it
offers itself.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorInfo:
    code: str
    message: str
    hint: str
    permanent: bool = True
    tui_hint: str = ""  # the TUI's wording, when it differs from the command line's


_URL_HINT = (
    "OpenAI-compatible servers answer under /v1: vLLM http://HOST:8000/v1, "
    "llama-server http://HOST:8080/v1, Ollama http://HOST:11434/v1"
)

# Only the document's preview asks for a password (on Files, `p` pauses the queue).
UNLOCK_TUI_HINT = (
    "open the file (enter on Files), then press `p` in its preview to give its password"
)
RETRY_PASSWORD_TUI_HINT = "press `p` in the file's preview again and give the right password"

CATALOGUE: dict[str, ErrorInfo] = {
    e.code: e
    for e in [
        ErrorInfo(
            "unsupported",
            "this kind of file is not supported",
            "convert the file to a kind loratui reads (README: 'CLI reference: ingest')",
        ),
        ErrorInfo(
            "type_mismatch",
            "the file's content does not match its extension",
            "check the file: it may be mis-named or damaged; rename it to its real type",
        ),
        ErrorInfo(
            "empty",
            "the file is empty",
            "the upload may have failed; copy the file again",
        ),
        ErrorInfo(
            "corrupt",
            "the file is damaged and cannot be read",
            "open it in its usual program and save or export it again, then re-add it",
        ),
        ErrorInfo(
            "encrypted",
            "the document is encrypted and needs a password",
            "give its password with `loratui unlock PROJECT DOC --password-stdin`",
            tui_hint=UNLOCK_TUI_HINT,
        ),
        ErrorInfo(
            "wrong_password",
            "the password given for this document is wrong",
            "run `loratui unlock PROJECT DOC --password-stdin` again with the right password",
            tui_hint=RETRY_PASSWORD_TUI_HINT,
        ),
        ErrorInfo(
            "too_large",
            "the file is over the size limit",
            "raise the limit with `loratui settings PROJECT max_file_mb=N`, or split the file",
            tui_hint="raise max_file_mb in the project's settings, or split the file",
        ),
        ErrorInfo(
            "zip_bomb",
            "the file would inflate far beyond the limit (possible zip bomb)",
            "if you trust the file, raise the inflation limit in the project settings",
        ),
        ErrorInfo(
            "timeout",
            "the work took longer than its time limit",
            "extraction: raise `task_timeout_s` in the project settings and retry, or split "
            "the document; generation: raise request_timeout_s, or lower --concurrency or "
            "max_tokens",
            permanent=False,
        ),
        ErrorInfo(
            "memory",
            "extraction ran out of memory",
            "raise `max_worker_memory_mb` in the project settings and retry",
            permanent=False,
        ),
        ErrorInfo(
            "crashed",
            "the worker process extracting this file died",
            "retry the file; if it keeps crashing, the file is probably malformed",
            permanent=False,
        ),
        ErrorInfo(
            "io_error",
            "the stored file could not be read",
            "check the disk and the project folder's permissions, then retry",
            permanent=False,
        ),
        ErrorInfo(
            "locked",
            "the database was busy for too long",
            "another loratui process holds the database; retry in a moment",
            permanent=False,
        ),
        ErrorInfo(
            "internal",
            "loratui hit an unexpected error",
            "see the traceback in the log (`loratui log PROJECT`) and report it",
            permanent=False,
            tui_hint="open the file (enter on Files), press `t` in its preview for the "
            "traceback, and report it",
        ),
        ErrorInfo(
            "not_found",
            "no such item",
            "list what exists with `loratui projects`",
            tui_hint="pick one from the list",
        ),
        ErrorInfo("invalid", "the request is not valid", "see `loratui --help`"),
        ErrorInfo("exists", "that already exists", "choose another name"),
        ErrorInfo(
            "cancelled",
            "cancelled by the user",
            "retry it to process it again (`loratui retry PROJECT DOC`)",
            tui_hint="press `r` on the file in Files to process it again",
        ),
        ErrorInfo(
            "archive_unsafe",
            "the archive holds paths or entries that could write outside its folder",
            "only restore archives written by `loratui archive`; this one was refused whole",
        ),
        ErrorInfo(
            "archive_corrupt",
            "the archive is damaged or does not match its manifest",
            "nothing was restored; get an intact copy of the archive and try again",
        ),
        ErrorInfo(
            "db_damaged",
            "the loratui database is damaged",
            "restore your projects from their archives (`loratui --home NEW restore FILE`), or "
            "let SQLite recover what it can: `sqlite3 loratui.db .recover | sqlite3 recovered.db`",
        ),
        ErrorInfo(
            "db_busy",
            "the loratui database stayed locked by another process",
            "another loratui command or app holds it; wait for it to finish, or stop it",
            permanent=False,
        ),
        # ---- the Ray engine (core/scale) ----
        ErrorInfo(
            "ray_missing",
            "the ray engine needs Ray, which is not installed",
            "pip install 'loratui[ray]'",
        ),
        ErrorInfo(
            "ray_unreachable",
            "the Ray cluster cannot be reached",
            "check --address and that the cluster runs (`ray status`)",
        ),
        ErrorInfo(
            "store_unreachable",
            "a Ray node cannot read the project store",
            "put the loratui home on storage every node mounts at the same path",
        ),
        # ---- model servers (Q/A generation: core/generation/failures.py) ----
        ErrorInfo(
            "server_unreachable",
            "the model server cannot be reached",
            "start the model server, or check --base-url; " + _URL_HINT,
            tui_hint="start the model server, or check the endpoint; " + _URL_HINT,
        ),
        ErrorInfo(
            "unauthorized",
            "the model server refused the request: no API key or a wrong one",
            "set LORATUI_API_KEY or OPENAI_API_KEY to a key the server accepts",
        ),
        ErrorInfo(
            "model_not_found",
            "the model server does not serve this model",
            "check --model against the names the server lists (`/v1/models`)",
            tui_hint="pick a model the server lists (Models asks it again)",
        ),
        ErrorInfo(
            "rate_limited",
            "the model server kept answering 'too many requests'",
            "lower --concurrency, or run generate again later: stored answers are kept",
            permanent=False,
        ),
        ErrorInfo(
            "server_error",
            "the model server failed to answer",
            "see the model server's log; run generate again to retry what failed",
            permanent=False,
        ),
        ErrorInfo(
            "bad_response",
            "the model server's reply is not an OpenAI chat completion",
            "check that --base-url points at an OpenAI-compatible API; " + _URL_HINT,
            permanent=False,
        ),
        ErrorInfo(
            "bad_request",
            "the model server rejected the request",
            "read the server's message above; a prompt longer than the model's context needs "
            "a smaller chunk_tokens (export settings) or max_tokens",
        ),
        ErrorInfo(
            "usage",
            "the command line is not valid",
            "run `loratui COMMAND --help` for the arguments it takes",
        ),
        ErrorInfo(
            "tampered",
            "the audit trail does not verify: an event was edited, removed or inserted",
            "run `loratui log PROJECT --json` to inspect the events around the one named",
        ),
    ]
}


class LoratuiError(Exception):
    """An error with a code, a message and a hint; the CLI exits 1 and prints all three."""

    def __init__(
        self,
        code: str,
        message: str | None = None,
        hint: str | None = None,
        tui_hint: str | None = None,
    ) -> None:
        entry = info(code)
        self.code = code
        self.message = message or entry.message
        self.hint = hint if hint is not None else entry.hint
        # a hint of the caller's own is shown as it is, unless it brings a TUI wording
        if tui_hint is None:
            tui_hint = entry.tui_hint if self.hint == entry.hint else ""
        self.tui_hint = tui_hint or self.hint
        super().__init__(self.message)

    def __reduce__(self):  # noqa: ANN204 - keep code and hints across process boundaries
        state = {k: v for k, v in self.__dict__.items() if k == "library_notes"}
        return (type(self), (self.code, self.message, self.hint, self.tui_hint), state or None)

    def hint_for(self, shell: str) -> str:
        """The hint worded for ``shell``: ``"tui"`` or ``"cli"``."""
        return self.tui_hint if shell == "tui" else self.hint

    @property
    def permanent(self) -> bool:
        return info(self.code).permanent

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "hint": self.hint}


def from_os_error(exc: OSError, doing: str) -> LoratuiError:
    """``exc`` (a failed write or read) as ``io_error``, with a hint for a full disk."""
    import errno

    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return LoratuiError(
            "io_error",
            f"{doing}: the disk is full{where}",
            "free some disk space (`df -h`; `loratui where PROJECT` shows what uses it), "
            "then run it again",
        )
    return LoratuiError("io_error", f"{doing}: {exc.strerror or exc}{where}")


def worded_hint(
    code: str | None, hint: str | None, shell: str, own: tuple[ErrorInfo, ...] = ()
) -> str | None:
    """A stored hint (documents keep the command line's) as ``shell`` shows it: the TUI
    wording of ``code`` from ``own`` (a document kind's ``errors``) or the catalogue, when
    ``hint`` is that entry's command-line wording; any other hint is shown as it is."""
    if shell != "tui" or not code or not hint:
        return hint
    for entry in (*(e for e in own if e.code == code), CATALOGUE.get(code)):
        if entry is not None and entry.hint == hint:
            return entry.tui_hint or hint
    return hint


def info(code: str) -> ErrorInfo:
    """The catalogue entry for ``code`` (``internal`` for unknown codes)."""
    return CATALOGUE.get(code, CATALOGUE["internal"])
