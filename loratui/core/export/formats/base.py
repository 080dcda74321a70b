"""What a record format is: its JSON layout, the checks a trainer's loader would make, and
the trainer configuration entries that read it (see FORMATS.md).

Every source (document chunks through a template, rows of a records file) first becomes an
``Example``: a system prompt and alternating user/assistant turns, or a plain text. The
format then writes the exact JSON object (``render``). Keys are always the same set within
a format (``alpaca`` always carries ``system``, empty when there is none; the chat layouts
put a system prompt in a leading turn) so ``datasets`` infers one schema for the file.

A format declares its keys (``keys``, ``optional``, which may be empty) and, for a chat
layout, how turns are written (``Turns``); ``problems`` (what ``loratui check`` reports),
``is_empty`` (what the export drops) and ``redact`` follow from those declarations. What is
particular to a layout is written in its module: ``write``, ``record_text`` (what its token
count covers), ``main_field`` (what ``truncate`` shortens) and the axolotl and LLaMA-Factory
entries (``axolotl``, ``llamafactory``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

Record = dict[str, Any]
# problems a trainer survives, that ``check`` reports without failing the file
WARNING_CODES = frozenset({"unexpected_key", "empty_system", "no_separator"})


@dataclass
class Example:
    """One training example before it is given a format."""

    turns: list[tuple[str, str]] = field(default_factory=list)  # (user|assistant, content)
    system: str = ""
    input: str = ""  # alpaca's input column, kept apart when a records file has one
    text: str | None = None  # a plain text (the text format, or a records file's text column)

    def as_text(self) -> str:
        if self.text is not None:
            return self.text
        parts = [self.system] if self.system else []
        for i, (_, content) in enumerate(self.turns):
            parts.append(content)
            if i == 0 and self.input:
                parts.append(self.input)
        return "\n\n".join(p for p in parts if p)

    def user_with_input(self, content: str) -> str:
        return f"{content}\n{self.input}" if self.input else content


@dataclass(frozen=True)
class Turns:
    """How a chat layout writes a conversation: the list's key, each turn's role and
    content keys, and the name it gives each of our roles (in the order messages list them)."""

    key: str
    role_key: str
    content_key: str
    roles: Mapping[str, str]  # system|user|assistant -> the layout's name for it

    def role_names(self) -> dict[str, str]:
        """The layout's role names -> ours."""
        return {theirs: ours for ours, theirs in self.roles.items()}


def _type(value: Any) -> str:
    return "null" if value is None else type(value).__name__


class RecordFormat:
    """A record layout. Subclasses set the declarations and write the layout's own parts."""

    name: ClassVar[str]  # the ``format`` setting
    note: ClassVar[str]  # the dataset card's one-line description
    keys: ClassVar[tuple[str, ...]]  # required keys, in the order records carry them
    optional: ClassVar[tuple[str, ...]] = ()
    may_be_empty: ClassVar[frozenset[str]] = frozenset({"input", "system"})
    turns: ClassVar[Turns | None] = None  # the chat layouts
    templated: ClassVar[bool] = True  # False: a document chunk is the record's text as it is
    trl_ready: ClassVar[bool] = False  # TRL's SFTTrainer reads the layout as it is
    axolotl: ClassVar[Mapping[str, Any]]  # axolotl ``datasets:`` entry beside path/ds_type
    llamafactory: ClassVar[Mapping[str, Any]]  # dataset_info.json entry beside file_name

    # ---- writing ----------------------------------------------------------------------

    def render(self, ex: Example) -> Record | None:
        """The record of ``ex``; ``None`` when it cannot take this form (a chat layout needs
        a conversation that starts with the user and ends with the assistant)."""
        if not ex.turns or ex.turns[-1][0] != "assistant" or ex.turns[0][0] != "user":
            return None
        return self.write(ex)

    def write(self, ex: Example) -> Record:
        """The record of a user ... assistant conversation."""
        raise NotImplementedError

    def record_text(self, rec: Record) -> str:
        """All the text of a record, in order, joined by newlines: what its token count
        covers. Chat templates add a few tokens per turn that depend on the model; leave
        room for them in ``max_seq_len``."""
        raise NotImplementedError

    def main_field(self, rec: Record) -> tuple[Any, str]:
        """The container and key of the field that ``truncate`` shortens (the answer)."""
        raise NotImplementedError

    def is_empty(self, rec: Record) -> bool:
        """Whether a required text (or a turn) of a rendered record is blank."""
        turns = self.turns
        for key in self.keys:
            if turns is not None and key == turns.key:
                if any(not m[turns.content_key].strip() for m in rec[key]):
                    return True
            elif key not in self.may_be_empty and not rec[key].strip():
                return True
        return False

    def redact(self, rec: Record, redactor: Callable[[str], str]) -> Record:
        """``redactor`` applied to every content string (never to keys or roles)."""
        turns = self.turns
        out: Record = {}
        for key, value in rec.items():
            if turns is not None and key == turns.key:
                out[key] = [{**m, turns.content_key: redactor(m[turns.content_key])} for m in value]
            else:
                out[key] = redactor(value) if isinstance(value, str) else value
        return out

    # ---- trainer configuration --------------------------------------------------------

    def axolotl_entry(self, path: str) -> dict[str, Any]:
        """One entry of axolotl's ``datasets:`` list for a JSONL file in this format."""
        return {"path": path, "ds_type": "json", **copy.deepcopy(dict(self.axolotl))}

    def llamafactory_entry(self, file_name: str) -> dict[str, Any]:
        """One entry of LLaMA-Factory's ``dataset_info.json``."""
        return {"file_name": file_name, **copy.deepcopy(dict(self.llamafactory))}

    def unusable_eval(self, tokens: int, records: int, block: int, approx: bool) -> dict[str, str]:
        """The trainers (``axolotl``, ``llamafactory``) that could not use a validation file
        of ``records`` records and ``tokens`` tokens (counted ``approx``imately or not), with
        ``block`` = max_seq_len as their sequence length: each with why. The export leaves
        the file out of those trainers' configuration."""
        return {}

    # ---- checks (what a trainer's loader chokes on) -----------------------------------

    def problems(self, rec: Any) -> list[tuple[str, str]]:
        """``(code, message)`` for each way ``rec`` is not a valid record of this format."""
        if not isinstance(rec, dict):
            return [("not_object", "the line is not a JSON object")]
        out: list[tuple[str, str]] = []
        allowed = (*self.keys, *self.optional)
        for key in self.keys:
            if key not in rec:
                near = [k for k in rec if k not in allowed]
                hint = f" (found {', '.join(map(repr, near))})" if near else ""
                out.append(("missing_key", f"missing key {key!r}{hint}"))
        for key in rec:
            if key not in allowed:
                out.append(("unexpected_key", f"unexpected key {key!r} for the {self.name} format"))
        turns_key = self.turns.key if self.turns is not None else None
        for key in allowed:
            if key not in rec or key == turns_key:
                continue
            value = rec[key]
            if not isinstance(value, str):
                out.append(("not_string", f"{key!r} must be a string, not {_type(value)}"))
            elif not value.strip() and key not in self.may_be_empty:
                out.append(("empty", f"{key!r} is empty"))
        if self.turns is not None:
            out += self._turn_problems(rec.get(self.turns.key))
        return out

    def _turn_problems(self, turns: Any) -> list[tuple[str, str]]:
        assert self.turns is not None
        if turns is None:
            return []
        role_key, content_key = self.turns.role_key, self.turns.content_key
        names = self.turns.role_names()
        if not isinstance(turns, list):
            return [("not_list", f"the turns must be a list, not {_type(turns)}")]
        if not turns:
            return [("empty", "the conversation has no turns")]
        out: list[tuple[str, str]] = []
        roles: list[str] = []
        for i, t in enumerate(turns, start=1):
            if not isinstance(t, dict):
                out.append(("not_object", f"turn {i} is not an object"))
                continue
            role = names.get(t.get(role_key))  # type: ignore[arg-type]
            if role is None:
                out.append(
                    (
                        "bad_role",
                        f"turn {i} has {role_key}={t.get(role_key)!r}; use {', '.join(names)}",
                    )
                )
                continue
            content = t.get(content_key)
            if not isinstance(content, str):
                out.append(("not_string", f"turn {i} {content_key!r} is {_type(content)}"))
            elif not content.strip():
                out.append(("empty", f"turn {i} has empty {content_key!r}"))
            extra = set(t) - {role_key, content_key}
            if extra:
                out.append(("unexpected_key", f"turn {i} has unexpected key(s) {sorted(extra)}"))
            roles.append(role)
        if out:
            return out
        body = roles[1:] if roles and roles[0] == "system" else roles
        if "system" in body:
            out.append(("system_not_first", "a system turn may only come first"))
        elif not body:
            out.append(("empty", "the conversation has only a system turn"))
        else:
            if body[0] != "user":
                out.append(("first_not_user", "the first turn (after system) must be the user"))
            for a, b in zip(body, body[1:], strict=False):
                if a == b:
                    out.append(("not_alternating", f"two {a} turns in a row"))
                    break
            if body[-1] != "assistant":
                out.append(("last_not_assistant", "the conversation must end with the assistant"))
        return out
