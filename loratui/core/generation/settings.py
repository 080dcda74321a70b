"""The generation settings: every choice of a generation run, with defaults and validation.

Like the export configuration, the settings are a flat table whose field names are the
TOML keys and the ``--set`` keys; a TOML file holds any subset (missing keys take their
defaults). The API key is never a setting: it comes from ``LORATUI_API_KEY`` or
``OPENAI_API_KEY`` when a request is made, so it is never stored or logged.

``system_prompt`` and ``user_prompt`` empty mean "the built-in prompts of ``template``";
``write_toml`` writes the prompts in force, so a user can edit them in the file.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import tomli_w

from loratui.core.errors import LoratuiError
from loratui.core.generation.templates import BUILTIN, PromptTemplate, builtin

RESPONSE_FORMATS = ("auto", "json_schema", "json_object", "none")
DEFAULT_BANNED_PHRASES = (
    "the passage",
    "this passage",
    "the text",
    "this text",
    "the document",
    "this document",
    "the excerpt",
    "this excerpt",
    "the given",
    "this section",
)
# measured on tests/unit/generation_examples.py: supported answers score 0.47 and up,
# unsupported ones 0.38 and below but one (0.48: a wrong claim in the chunk's own words)
DEFAULT_MIN_SUPPORT = 0.4


@dataclass(frozen=True)
class Sampling:
    """The sampling parameters sent with each request (part of the request key)."""

    temperature: float
    top_p: float
    max_tokens: int
    seed: int | None  # None: no seed is sent

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_tokens": self.max_tokens,
        }
        if self.seed is not None:
            body["seed"] = self.seed
        return body


@dataclass
class GenerationSettings:
    """What one generation run does. Field names are the TOML keys and the ``--set`` keys."""

    # the server
    base_url: str = "http://127.0.0.1:8000/v1"
    # more servers of the same model (``--base-url`` given several times): requests are
    # spread over all of them by free capacity, ``concurrency`` each (``server_pool``)
    extra_base_urls: list[str] = field(default_factory=list)
    model: str = ""  # empty: the one model the server serves (an error when it serves several)
    concurrency: int = 4  # requests in flight at most
    request_timeout_s: float = 300.0  # one request, from sending to the last byte
    connect_timeout_s: float = 5.0  # a server that does not accept within this is unreachable
    max_attempts: int = 4  # per request, the first try included
    retry_backoff_s: float = 1.0  # the first backoff on 5xx, timeouts and dropped connections
    response_format: str = "auto"  # auto, json_schema, json_object, none
    # the prompts
    template: str = "qa"  # qa (questions and answers) or instruction (instructions, responses)
    system_prompt: str = ""  # empty: the template's
    user_prompt: str = ""  # empty: the template's
    pairs_per_chunk: int = 3
    # sampling
    temperature: float = 0.7
    top_p: float = 1.0
    max_tokens: int = 2048  # room for reasoning models' thinking too
    seed: int = 42  # -1: send no seed
    # quality gates
    min_question_words: int = 3
    min_answer_words: int = 2
    min_support: float = DEFAULT_MIN_SUPPORT  # 0: no support gate
    banned_phrases: list[str] = field(default_factory=lambda: list(DEFAULT_BANNED_PHRASES))
    near_duplicate_threshold: float = 0.7  # 1: exact duplicates only
    judge: bool = False  # ask the model to score each pair 1-10
    judge_model: str = ""  # empty: the same model
    min_judge_score: int = 7

    # ---- derived ----------------------------------------------------------------------

    def prompt_template(self) -> PromptTemplate:
        """The template in force: the built-in ``template`` with the user's prompts."""
        return builtin(self.template).with_prompts(self.system_prompt, self.user_prompt)

    def sampling(self) -> Sampling:
        return Sampling(
            temperature=self.temperature,
            top_p=self.top_p,
            max_tokens=self.max_tokens,
            seed=None if self.seed < 0 else self.seed,
        )

    def servers(self) -> list[str]:
        """Every server's API root, ``base_url`` first, each once."""
        roots = [normalise_base_url(u) for u in [self.base_url, *self.extra_base_urls]]
        return list(dict.fromkeys(roots))

    def api_base(self) -> str:
        """``base_url`` as the API root: ``http://host:8000`` and ``…/v1/`` both become
        ``…/v1``; a pasted ``…/v1/chat/completions`` loses its endpoint."""
        return normalise_base_url(self.base_url)

    # ---- conversion -------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GenerationSettings:
        """Build from a dict (TOML, the database); unknown keys are an ``invalid`` error."""
        unknown = sorted(set(data) - set(_FIELDS))
        if unknown:
            raise LoratuiError(
                "invalid",
                f"unknown generation setting(s): {', '.join(unknown)}",
                "known settings: " + ", ".join(sorted(_FIELDS)),
            )
        cfg = cls()
        for key, value in data.items():
            setattr(cfg, key, _coerce(key, value))
        return cfg

    def with_changes(self, **changes: Any) -> GenerationSettings:
        data = self.to_dict()
        data.update(changes)
        return GenerationSettings.from_dict(data)

    # ---- validation -------------------------------------------------------------------

    def validate(self) -> dict[str, str]:
        """Every wrong field mapped to a message that says what is allowed."""
        err: dict[str, str] = {}
        url_problem = base_url_problem(self.base_url)
        if url_problem:
            err["base_url"] = url_problem
        extra = [f"{u}: {p}" for u in self.extra_base_urls if (p := base_url_problem(u))]
        if extra:
            err["extra_base_urls"] = "; ".join(extra)
        if not 1 <= self.concurrency <= 1024:
            err["concurrency"] = "must be between 1 and 1024 requests in flight"
        if self.request_timeout_s <= 0:
            err["request_timeout_s"] = "must be above 0 seconds"
        if not 0 < self.connect_timeout_s <= 120:
            err["connect_timeout_s"] = "must be above 0 and at most 120 seconds"
        if not 1 <= self.max_attempts <= 50:
            err["max_attempts"] = "must be between 1 and 50"
        if not 0 <= self.retry_backoff_s <= 600:
            err["retry_backoff_s"] = "must be between 0 and 600 seconds"
        if self.response_format not in RESPONSE_FORMATS:
            err["response_format"] = f"must be one of {', '.join(RESPONSE_FORMATS)}"
        if self.template not in BUILTIN:
            err["template"] = f"must be one of {', '.join(BUILTIN)}"
        else:
            err.update(self.prompt_template().problems())
        if not 1 <= self.pairs_per_chunk <= 50:
            err["pairs_per_chunk"] = "must be between 1 and 50"
        if not 0.0 <= self.temperature <= 2.0:
            err["temperature"] = "must be between 0 and 2"
        if not 0.0 < self.top_p <= 1.0:
            err["top_p"] = "must be above 0 and at most 1"
        if self.max_tokens < 16:
            err["max_tokens"] = "must be at least 16 tokens"
        if self.seed < -1:
            err["seed"] = "must be 0 or more, or -1 to send no seed"
        if self.min_question_words < 1:
            err["min_question_words"] = "must be at least 1 word"
        if self.min_answer_words < 1:
            err["min_answer_words"] = "must be at least 1 word"
        if not 0.0 <= self.min_support <= 1.0:
            err["min_support"] = "must be between 0 (no support gate) and 1"
        if any(not p.strip() for p in self.banned_phrases):
            err["banned_phrases"] = "must not hold empty phrases"
        if not 0.0 < self.near_duplicate_threshold <= 1.0:
            err["near_duplicate_threshold"] = (
                "must be a similarity above 0 and at most 1 (1: exact duplicates only)"
            )
        if not 1 <= self.min_judge_score <= 10:
            err["min_judge_score"] = "must be between 1 and 10"
        return err

    def check(self) -> GenerationSettings:
        """Raise ``invalid`` listing every problem; return self when all is well."""
        problems = self.validate()
        if problems:
            text = "; ".join(f"{k}: {v}" for k, v in problems.items())
            raise LoratuiError(
                "invalid",
                f"the generation settings are not valid: {text}",
                "fix these values with --set key=value or in the TOML file",
            )
        return self


def base_url_problem(url: str) -> str | None:
    """What is wrong with ``url`` as a model server's address, or ``None``."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as exc:
        return f"is not a URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL, such as http://127.0.0.1:8000/v1"
    if parts.query or parts.fragment:
        return "must not have a query or a fragment"
    return None


def normalise_base_url(url: str) -> str:
    """The API root of ``url``: no trailing slash, ``/v1`` added to a bare host, a pasted
    ``/chat/completions`` or ``/models`` endpoint removed."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    for endpoint in ("/chat/completions", "/completions", "/models"):
        if path.endswith(endpoint):
            path = path[: -len(endpoint)]
            break
    if not path:
        path = "/v1"
    return f"{parts.scheme}://{parts.netloc}{path}"


_FIELDS = {f.name: f for f in fields(GenerationSettings)}


def _default_of(name: str) -> Any:
    f = _FIELDS[name]
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
    raise LoratuiError(
        "invalid",
        f"generation setting {name} must be {_type_name(default)}, got {value!r}",
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
        return "a list of phrases"
    return "text"


def parse_assignment(text: str) -> tuple[str, Any]:
    """``key=value`` from the command line, typed by the field's default.

    Lists are comma-separated (``banned_phrases=the text,the passage``) or JSON; ``\\n`` in
    text stands for a line break (prompts on one command line).
    """
    if "=" not in text:
        raise LoratuiError("invalid", f"expected key=value, got {text!r}")
    key, raw = text.split("=", 1)
    key = key.strip().replace("-", "_")
    if key not in _FIELDS:
        raise LoratuiError(
            "invalid",
            f"unknown generation setting {key!r}",
            "known settings: " + ", ".join(sorted(_FIELDS)),
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
        else:
            value = raw.replace("\\n", "\n").replace("\\t", "\t")
    except ValueError as exc:
        raise LoratuiError(
            "invalid", f"generation setting {key} must be {_type_name(default)}, got {raw!r}"
        ) from exc
    return key, _coerce(key, value)


# ---- TOML ----------------------------------------------------------------------------


TOML_HEADER = (
    "# loratui generation settings. Every key is optional (missing keys take their\n"
    "# defaults). The API key is not a setting: export LORATUI_API_KEY or OPENAI_API_KEY.\n"
    "# Prompt placeholders: {title} {text} {heading} {pairs_per_chunk}; literal braces\n"
    "# are written {{ and }}.\n"
)


def to_toml(cfg: GenerationSettings, *, expand_prompts: bool = True) -> str:
    """The settings as TOML; with ``expand_prompts`` the prompts in force are written out
    (the template's when the user gave none) so they can be edited in the file."""
    data = cfg.to_dict()
    if expand_prompts and cfg.template in BUILTIN:
        template = cfg.prompt_template()
        data["system_prompt"] = template.system
        data["user_prompt"] = template.user
    prompts = {k: data.pop(k) for k in ("system_prompt", "user_prompt")}
    lines = [tomli_w.dumps(data, multiline_strings=True)]
    for key, text in prompts.items():
        lines.append(_toml_prompt(key, text))
    return TOML_HEADER + "".join(lines)


def _toml_prompt(key: str, text: str) -> str:
    """A prompt as a multi-line literal string (no escapes: the file reads like the prompt),
    or a basic string where a literal one cannot hold it."""
    literal_ok = (
        "'''" not in text
        and not text.endswith("'")
        and all(c in "\n\t" or (c >= " " and c != "\x7f") for c in text)
    )
    if text and literal_ok:
        return f"{key} = '''\n{text}'''\n"
    return tomli_w.dumps({key: text})


def from_toml(text: str) -> GenerationSettings:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LoratuiError(
            "invalid", f"the TOML file is not valid: {exc}", "check the line it names"
        ) from exc
    return GenerationSettings.from_dict(data)


def read_toml(path: str | Path) -> GenerationSettings:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise LoratuiError(
            "not_found", f"cannot read {p}: {exc.strerror}", "check the path"
        ) from exc
    return from_toml(text)


def write_toml(cfg: GenerationSettings, path: str | Path, *, expand_prompts: bool = True) -> Path:
    from loratui.core.store import home as home_mod

    p = Path(path)
    home_mod.write_private(p, to_toml(cfg, expand_prompts=expand_prompts).encode("utf-8"))
    return p
