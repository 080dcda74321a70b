"""Prompt templates: what the model is asked for each chunk, and the version of that ask.

A template is a system prompt and a user prompt with ``{placeholder}`` fields (Python
``str.format`` syntax: literal braces are written ``{{`` and ``}}``):

- ``{text}``: the chunk (required in the user prompt: without it the model sees nothing);
- ``{title}``: the document's title; ``{heading}``: the nearest heading above the chunk;
- ``{pairs_per_chunk}``: how many pairs to ask for.

A line whose placeholders all render empty (a chunk without a heading) is left out, so
``Section: {heading}`` does not leave an empty label behind.

A template's version is the SHA-256 of its canonical content (its kind and both prompts,
line endings as ``\\n``, outer whitespace stripped): the same words always give the same
version, wherever they were typed, and any change to them makes new request keys.
"""

from __future__ import annotations

import hashlib
import json
import string
from dataclasses import dataclass, replace

from loratui.core.errors import LoratuiError

FIELDS = ("title", "text", "heading", "pairs_per_chunk")
DEFAULT_PAIRS_PER_CHUNK = 3

_QA_SYSTEM = """\
You write question-and-answer pairs for training an assistant on a collection of documents.
Each question must make sense to someone who has never seen the excerpt: name its subject \
explicitly, and never refer to "the passage", "the text", "the excerpt", "the document" or \
"this section".
Each answer must be correct, complete and based only on the excerpt; add no facts from \
elsewhere.
Write the questions and answers in the language of the excerpt.
Reply with JSON only."""

_QA_USER = """\
Document: {title}
Section: {heading}

Excerpt:
\"\"\"
{text}
\"\"\"

Write {pairs_per_chunk} different question-and-answer pairs about the facts in this excerpt.
Reply with JSON only, in this form:
{{"pairs": [{{"question": "...", "answer": "..."}}]}}"""

_INSTRUCTION_SYSTEM = """\
You write instruction-and-response pairs for training an assistant on a collection of \
documents.
Vary the tasks: summarise a part, explain a concept or a step, compare two things the excerpt \
describes, list its key points.
Each instruction must make sense to someone who has never seen the excerpt: name its subject \
explicitly, and never refer to "the passage", "the text", "the excerpt", "the document" or \
"this section".
Each response must be correct and based only on the excerpt; add no facts from elsewhere.
Write the instructions and responses in the language of the excerpt.
Reply with JSON only."""

_INSTRUCTION_USER = """\
Document: {title}
Section: {heading}

Excerpt:
\"\"\"
{text}
\"\"\"

Write {pairs_per_chunk} different instruction-and-response pairs about this excerpt.
Reply with JSON only, in this form:
{{"pairs": [{{"instruction": "...", "response": "..."}}]}}"""


@dataclass(frozen=True)
class PromptTemplate:
    """One way of asking for pairs: its prompts and the JSON keys it asks for."""

    name: str  # the built-in it derives from: qa or instruction
    system: str
    user: str
    question_key: str  # the key of the user turn in the JSON the prompt asks for
    answer_key: str  # the key of the assistant turn
    asks_questions: bool  # every user turn must be a question (the qa kind)

    # ---- version ------------------------------------------------------------------------

    def canonical(self) -> str:
        """The content the version is a hash of (JSON, keys sorted)."""
        body = {"kind": self.name, "system": _canon(self.system), "user": _canon(self.user)}
        return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    def version(self) -> str:
        """SHA-256 (hex) of ``canonical()``."""
        return hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()

    # ---- validation ---------------------------------------------------------------------

    def problems(self) -> dict[str, str]:
        """``system_prompt`` / ``user_prompt`` mapped to what is wrong with it."""
        err: dict[str, str] = {}
        for key, text in (("system_prompt", self.system), ("user_prompt", self.user)):
            msg = placeholder_problem(text)
            if msg:
                err[key] = msg
        if "user_prompt" not in err and "text" not in placeholders(self.user):
            err["user_prompt"] = "must contain {text}, or the model never sees the chunk"
        return err

    def check(self) -> PromptTemplate:
        """Raise ``invalid`` naming every problem; return self when all is well."""
        problems = self.problems()
        if problems:
            text = "; ".join(f"{k}: {v}" for k, v in problems.items())
            raise LoratuiError(
                "invalid",
                f"the prompt template is not valid: {text}",
                "placeholders are " + ", ".join("{" + f + "}" for f in FIELDS) + "; write "
                "literal braces as {{ and }} (edit the prompts in the generation settings)",
            )
        return self

    # ---- rendering ----------------------------------------------------------------------

    def render(
        self,
        *,
        text: str,
        title: str = "",
        heading: str = "",
        pairs_per_chunk: int = DEFAULT_PAIRS_PER_CHUNK,
    ) -> list[dict[str, str]]:
        """The chat messages for one chunk: a system message (when the prompt has one)
        and a user message."""
        values = {
            "text": text,
            "title": title,
            "heading": heading,
            "pairs_per_chunk": str(pairs_per_chunk),
        }
        messages = []
        system = fill(self.system, values)
        if system.strip():
            messages.append({"role": "system", "content": system})
        messages.append({"role": "user", "content": fill(self.user, values)})
        return messages

    def with_prompts(self, system: str | None = None, user: str | None = None) -> PromptTemplate:
        """This template with the prompts the user wrote (``None`` or empty: keep ours)."""
        return replace(self, system=system or self.system, user=user or self.user)


BUILTIN: dict[str, PromptTemplate] = {
    "qa": PromptTemplate(
        name="qa",
        system=_QA_SYSTEM,
        user=_QA_USER,
        question_key="question",
        answer_key="answer",
        asks_questions=True,
    ),
    "instruction": PromptTemplate(
        name="instruction",
        system=_INSTRUCTION_SYSTEM,
        user=_INSTRUCTION_USER,
        question_key="instruction",
        answer_key="response",
        asks_questions=False,
    ),
}


def builtin(name: str) -> PromptTemplate:
    """The built-in template ``name``; ``invalid`` naming the others when there is none."""
    try:
        return BUILTIN[name]
    except KeyError:
        raise LoratuiError(
            "invalid",
            f"no built-in prompt template {name!r}",
            "use one of " + ", ".join(BUILTIN),
        ) from None


def placeholders(text: str) -> set[str]:
    """The field names used in ``text`` (which must parse as a template)."""
    return {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}


def placeholder_problem(text: str) -> str | None:
    """What is wrong with the placeholders of ``text``, or ``None``."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        return f"is not a valid template ({exc}); write literal braces as {{{{ and }}}}"
    known = ", ".join("{" + f + "}" for f in FIELDS)
    bad = sorted({f if f else "{}" for _, f, _, _ in parsed if f is not None and f not in FIELDS})
    if bad:
        shown = ", ".join(b if b == "{}" else "{" + b + "}" for b in bad)
        literal = any(b != "{}" and not b.isidentifier() for b in bad)
        advice = "; write literal braces as {{ and }}" if literal else ""
        return f"unknown placeholder(s) {shown}; use {known}{advice}"
    for _, f, spec, conv in parsed:
        if f is not None and (spec or conv):
            return f"placeholder {{{f}}} takes no format spec or conversion; write it as {{{f}}}"
    return None


def fill(template: str, values: dict[str, str]) -> str:
    """``template`` with ``values`` put in; lines whose placeholders are all empty dropped."""
    out = []
    for line in template.split("\n"):
        names = [f for _, f, _, _ in string.Formatter().parse(line) if f is not None]
        if names and all(not values[n].strip() for n in names):
            continue
        out.append(line.format_map(values))
    return "\n".join(out)


def _canon(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()
