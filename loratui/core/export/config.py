"""The export configuration: every choice of an export, with defaults and validation.

A project keeps named configurations in the ``ExportConfig`` table (only the values that
differ from the defaults matter, but the whole set is stored); each one can be written to and
read from a TOML file. A version stores the full configuration it was made with, and its
``config_hash`` identifies it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import tomli_w

from loratui.core.errors import LoratuiError
from loratui.core.export import formats
from loratui.core.store.db import write_txn
from loratui.core.store.models import ExportConfig as ExportConfigRow
from loratui.core.store.models import Project, now

SOURCES = ("all", "documents", "records", "pairs")
OVERLENGTH = ("split", "truncate", "drop")
NORMALIZE = ("NFKC", "NFC", "none")
REDACT_KINDS = ("email", "phone", "ip", "secret")
COLUMN_TARGETS = (
    "text",
    "prompt",
    "completion",
    "instruction",
    "input",
    "output",
    "system",
    "messages",
    "conversations",
)

DEFAULT_USER_TEMPLATE = "Continue this passage from {title}:\n\n{previous}"
# a document's first chunk has no {previous}: without this it would be dropped, and a short
# document (one chunk) would give no record at all
DEFAULT_FIRST_USER_TEMPLATE = "Write the opening passage of {title}."
DEFAULT_ASSISTANT_TEMPLATE = "{text}"
TEMPLATE_FIELDS = ("title", "heading", "text", "previous", "page", "source")


@dataclass
class ExportConfig:
    """What one export does. Field names are the TOML keys and the ``--set`` keys."""

    format: str = "text"
    # all, documents (chunks of text documents), records (records files), pairs (generated
    # question/answer pairs, kept or edited: ``loratui generate``)
    sources: str = "all"
    tags: list[str] = field(default_factory=list)  # only documents with one of these tags
    # tokenizer and lengths
    tokenizer: str = "approx"  # approx, a tokenizer.json, a model folder, or a cached model name
    chunk_tokens: int = 512
    chunk_overlap: int = 64
    max_seq_len: int = 2048
    overlength: str = "split"
    # cleaning
    normalize: str = "NFKC"
    fix_whitespace: bool = True
    unwrap_lines: bool = True
    dehyphenate: bool = True
    remove_repeated_lines: bool = True
    repeated_line_fraction: float = 0.5
    repeated_min_pages: int = 3
    # filters
    min_chars: int = 20
    max_chars: int = 0  # 0: no limit
    min_tokens: int = 0
    max_tokens: int = 0  # 0: no limit (max_seq_len still applies)
    dedup_exact: bool = True
    dedup_near: bool = True
    near_threshold: float = 0.85
    minhash_perm: int = 128
    redact: list[str] = field(default_factory=list)  # email, phone, ip, secret
    redact_placeholder: str = "[{KIND}]"
    # templates (chat and instruction formats from document chunks)
    system_prompt: str = ""
    user_template: str = DEFAULT_USER_TEMPLATE
    # the user turn of a document's first chunk when the templates use {previous}; empty:
    # first chunks are dropped (counted as no_previous)
    first_user_template: str = DEFAULT_FIRST_USER_TEMPLATE
    assistant_template: str = DEFAULT_ASSISTANT_TEMPLATE
    # records files: target field -> column in the file (empty: detect from the columns)
    columns: dict[str, str] = field(default_factory=dict)
    # split
    validation_fraction: float = 0.1
    seed: int = 42
    dataset_name: str = ""  # empty: derived from the project name

    # ---- conversion -------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExportConfig:
        """Build from a dict (TOML, the database); unknown keys are an ``invalid`` error."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise LoratuiError(
                "invalid",
                f"unknown export setting(s): {', '.join(unknown)}",
                "known settings: " + ", ".join(sorted(known)),
            )
        cfg = cls()
        for key, value in data.items():
            setattr(cfg, key, _coerce(key, value))
        return cfg

    def config_hash(self) -> str:
        body = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(body.encode("utf-8")).hexdigest()

    def with_changes(self, **changes: Any) -> ExportConfig:
        data = self.to_dict()
        data.update(changes)
        return ExportConfig.from_dict(data)

    # ---- validation -------------------------------------------------------------------

    def validate(self) -> dict[str, str]:
        """Every wrong field mapped to a message that says what is allowed."""
        err: dict[str, str] = {}

        def one_of(name: str, allowed: tuple[str, ...]) -> None:
            if getattr(self, name) not in allowed:
                err[name] = f"must be one of {', '.join(allowed)}"

        one_of("format", tuple(formats.names()))
        one_of("sources", SOURCES)
        one_of("overlength", OVERLENGTH)
        one_of("normalize", NORMALIZE)
        if not str(self.tokenizer).strip():
            err["tokenizer"] = (
                "give 'approx', a tokenizer.json path, a model folder or a model name"
            )
        if self.chunk_tokens < 16:
            err["chunk_tokens"] = "must be at least 16 tokens"
        if not 0 <= self.chunk_overlap <= self.chunk_tokens // 2:
            err["chunk_overlap"] = "must be 0 or more and at most half of chunk_tokens"
        if self.max_seq_len < 16:
            err["max_seq_len"] = "must be at least 16 tokens"
        elif self.chunk_tokens > self.max_seq_len:
            err["chunk_tokens"] = "must not exceed max_seq_len"
        if not 0.0 < self.repeated_line_fraction <= 1.0:
            err["repeated_line_fraction"] = "must be above 0 and at most 1 (share of pages)"
        if self.repeated_min_pages < 2:
            err["repeated_min_pages"] = "must be at least 2 pages"
        for name in ("min_chars", "max_chars", "min_tokens", "max_tokens"):
            if getattr(self, name) < 0:
                err[name] = "must be 0 or more (0 means no limit)"
        if self.max_chars and self.max_chars < self.min_chars:
            err["max_chars"] = "must be 0 (no limit) or at least min_chars"
        if self.max_tokens and self.max_tokens < self.min_tokens:
            err["max_tokens"] = "must be 0 (no limit) or at least min_tokens"
        if not 0.0 < self.near_threshold <= 1.0:
            err["near_threshold"] = "must be a Jaccard similarity above 0 and at most 1"
        if not 16 <= self.minhash_perm <= 1024:
            err["minhash_perm"] = "must be between 16 and 1024 permutations"
        bad = [k for k in self.redact if k not in REDACT_KINDS]
        if bad:
            err["redact"] = f"unknown kind(s) {', '.join(bad)}; use {', '.join(REDACT_KINDS)}"
        try:
            self.redact_placeholder.format(KIND="EMAIL", kind="email")
        except (KeyError, IndexError, ValueError):
            err["redact_placeholder"] = "may only use {KIND} or {kind}"
        for name in ("user_template", "first_user_template", "assistant_template", "system_prompt"):
            msg = _template_problem(getattr(self, name))
            if msg:
                err[name] = msg
        if "{previous}" in self.first_user_template:
            err["first_user_template"] = "must not use {previous}: a first chunk has none"
        fmt = formats.find(self.format)
        if fmt is None or fmt.templated:
            if not self.user_template.strip():
                err["user_template"] = "must not be empty for the chat and instruction formats"
            if not self.assistant_template.strip():
                err["assistant_template"] = "must not be empty for the chat and instruction formats"
        bad_cols = [k for k in self.columns if k not in COLUMN_TARGETS]
        if bad_cols:
            err["columns"] = (
                f"unknown target(s) {', '.join(bad_cols)}; use {', '.join(COLUMN_TARGETS)}"
            )
        if not 0.0 <= self.validation_fraction < 1.0:
            err["validation_fraction"] = "must be at least 0 and below 1"
        return err

    def check(self) -> ExportConfig:
        """Raise ``invalid`` listing every problem; return self when all is well."""
        problems = self.validate()
        if problems:
            text = "; ".join(f"{k}: {v}" for k, v in problems.items())
            raise LoratuiError(
                "invalid",
                f"the export configuration is not valid: {text}",
                "fix these values with --set key=value or in the TOML file",
            )
        return self


def _template_problem(template: str) -> str | None:
    import string

    try:
        names = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        return f"is not a valid template ({exc}); write literal braces as {{{{ and }}}}"
    bad = sorted({n for n in names if n not in TEMPLATE_FIELDS})
    if bad:
        return f"unknown field(s) {', '.join(bad)}; use {', '.join(TEMPLATE_FIELDS)}"
    return None


_FIELD_TYPES = {f.name: f for f in fields(ExportConfig)}


def _default_of(name: str) -> Any:
    f = _FIELD_TYPES[name]
    if f.default is not dataclasses.MISSING:
        return f.default
    return f.default_factory()  # type: ignore[misc]


def _coerce(name: str, value: Any) -> Any:
    """Check a value's type against the field's default and convert the lossless cases."""
    default = _default_of(name)
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
    elif isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif isinstance(default, float):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif isinstance(default, str):
        if isinstance(value, str):
            return value
    elif isinstance(default, list):
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
    elif isinstance(default, dict):
        if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
            return {str(k): v for k, v in value.items()}
    raise LoratuiError(
        "invalid",
        f"export setting {name} must be {_type_name(default)}, got {value!r}",
        f"default: {default!r}",
    )


def _type_name(default: Any) -> str:
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, int):
        return "a whole number"
    if isinstance(default, float):
        return "a number"
    if isinstance(default, list):
        return "a list of words"
    if isinstance(default, dict):
        return "a table of target = column"
    return "text"


def parse_assignment(text: str) -> tuple[str, Any]:
    """``key=value`` from the command line, typed by the field's default.

    Lists are comma-separated (``tags=a,b``); tables are ``target:column`` pairs
    (``columns=instruction:question,output:answer``); a JSON value is accepted too.
    """
    if "=" not in text:
        raise LoratuiError("invalid", f"expected key=value, got {text!r}")
    key, raw = text.split("=", 1)
    key = key.strip().replace("-", "_")
    if key not in _FIELD_TYPES:
        raise LoratuiError(
            "invalid",
            f"unknown export setting {key!r}",
            "known settings: " + ", ".join(sorted(_FIELD_TYPES)),
        )
    default = _default_of(key)
    value: Any = raw
    try:
        if isinstance(default, bool):
            low = raw.strip().lower()
            if low not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                raise ValueError(raw)
            value = low in ("true", "1", "yes", "on")
        elif isinstance(default, int):
            value = int(raw)
        elif isinstance(default, float):
            value = float(raw)
        elif isinstance(default, list):
            if raw.strip().startswith("["):
                value = json.loads(raw)
            else:
                value = [p.strip() for p in raw.split(",") if p.strip()]
        elif isinstance(default, dict):
            if raw.strip().startswith("{"):
                value = json.loads(raw)
            else:
                value = {}
                for pair in filter(None, (p.strip() for p in raw.split(","))):
                    target, _, column = pair.partition(":")
                    if not column:
                        raise ValueError(pair)
                    value[target.strip()] = column.strip()
        else:
            value = raw.replace("\\n", "\n").replace("\\t", "\t")
    except ValueError as exc:
        raise LoratuiError(
            "invalid", f"export setting {key} must be {_type_name(default)}, got {raw!r}"
        ) from exc
    return key, _coerce(key, value)


def __getattr__(name: str) -> Any:
    """``FORMATS``: the registered formats' names, read when asked (a module may add one)."""
    if name == "FORMATS":
        return tuple(formats.names())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---- TOML ----------------------------------------------------------------------------


TOML_HEADER = (
    "# loratui export configuration. Every key is optional (missing keys take their\n"
    "# defaults); see README.md, 'CLI reference: export', for what each one does.\n"
    "# Use: `loratui export PROJECT --config FILE` or `loratui config PROJECT --load FILE`.\n"
)


def to_toml(cfg: ExportConfig) -> str:
    return TOML_HEADER + tomli_w.dumps(cfg.to_dict())


def from_toml(text: str) -> ExportConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LoratuiError(
            "invalid", f"the TOML file is not valid: {exc}", "check the line it names"
        ) from exc
    return ExportConfig.from_dict(data)


def read_toml(path: str | Path) -> ExportConfig:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise LoratuiError(
            "not_found", f"cannot read {p}: {exc.strerror}", "check the path"
        ) from exc
    return from_toml(text)


def write_toml(cfg: ExportConfig, path: str | Path) -> Path:
    from loratui.core.store import home as home_mod

    p = Path(path)
    home_mod.write_private(p, to_toml(cfg).encode("utf-8"))
    return p


# ---- the project's saved configurations ----------------------------------------------


def load_config(project: Project, name: str = "default") -> ExportConfig:
    """The saved configuration ``name`` of ``project``; defaults when none was saved."""
    row = ExportConfigRow.get_or_none(
        (ExportConfigRow.project == project) & (ExportConfigRow.name == name)
    )
    if row is None:
        return ExportConfig()
    return ExportConfig.from_dict(row.config or {})


def save_config(project: Project, cfg: ExportConfig, name: str = "default") -> ExportConfig:
    """Validate and store ``cfg`` as ``name``; log ``export.config``."""
    from loratui.core.audit import log_event

    cfg.check()
    data = cfg.to_dict()
    with write_txn():
        row = ExportConfigRow.get_or_none(
            (ExportConfigRow.project == project) & (ExportConfigRow.name == name)
        )
        if row is None:
            ExportConfigRow.create(project=project, name=name, config=data, updated_at=now())
        else:
            row.config = data
            row.updated_at = now()
            row.save()
    log_event(
        project,
        "export.config",
        f"export configuration {name!r} saved",
        data={"name": name, "config_hash": cfg.config_hash()},
    )
    return cfg


def config_names(project: Project) -> list[str]:
    q = ExportConfigRow.select(ExportConfigRow.name).where(ExportConfigRow.project == project)
    return sorted(r.name for r in q)


def diff_configs(a: dict[str, Any], b: dict[str, Any]) -> dict[str, list[Any]]:
    """Keys whose values differ, as ``{key: [old, new]}``."""
    keys = sorted(set(a) | set(b))
    return {k: [a.get(k), b.get(k)] for k in keys if a.get(k) != b.get(k)}
