"""The export configuration as a keyboard form, built from the core ``ExportConfig`` fields.

Each field of the dataclass becomes one compact row (label, widget, inline message);
the rows are grouped as the export issue groups them. A field the core adds later and
this table does not name still gets a row (in "Other"), typed by its default, so the
form always covers every field. The form never validates by itself: it parses what
was typed with the core's ``parse_assignment`` and asks the core's ``validate()``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, Static, TextArea

from loratui.core.errors import LoratuiError
from loratui.core.export import config as cfgmod
from loratui.tui.widgets.tick_box import TickBox


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    group: str
    help: str = ""
    choices: tuple[str, ...] = ()
    multiline: bool = False


GROUPS = (
    "Format & source",
    "Templates",
    "Chunking & tokenizer",
    "Cleaning",
    "Filters & redaction",
    "Selection & split",
    "Other",
)

SPECS: list[FieldSpec] = [
    FieldSpec(
        "format", "Format", GROUPS[0], "record layout the trainer reads", choices=cfgmod.FORMATS
    ),
    FieldSpec(
        "sources",
        "Records from",
        GROUPS[0],
        "document chunks, records files, or both",
        choices=cfgmod.SOURCES,
    ),
    FieldSpec(
        "columns",
        "Column mapping",
        GROUPS[0],
        "records files: target:column, … e.g. instruction:question,output:answer",
    ),
    FieldSpec("dataset_name", "Dataset name", GROUPS[0], "empty: from the project name"),
    FieldSpec(
        "system_prompt",
        "System prompt",
        GROUPS[1],
        "fields: {title} {heading} {text} {previous} {page} {source}",
        multiline=True,
    ),
    FieldSpec(
        "user_template", "User template", GROUPS[1], "chat/instruction formats", multiline=True
    ),
    FieldSpec(
        "first_user_template",
        "First-chunk user template",
        GROUPS[1],
        "a document's first chunk, which has no {previous}; empty: first chunks are dropped",
        multiline=True,
    ),
    FieldSpec(
        "assistant_template",
        "Assistant template",
        GROUPS[1],
        "chat/instruction formats",
        multiline=True,
    ),
    FieldSpec(
        "tokenizer",
        "Tokenizer",
        GROUPS[2],
        "approx, a tokenizer.json, a model folder or a cached model name",
    ),
    FieldSpec("chunk_tokens", "Chunk tokens", GROUPS[2], "size of each chunk"),
    FieldSpec("chunk_overlap", "Chunk overlap", GROUPS[2], "tokens shared by neighbours"),
    FieldSpec("max_seq_len", "Max sequence length", GROUPS[2], "tokens per record"),
    FieldSpec(
        "overlength",
        "Longer records",
        GROUPS[2],
        "what to do with records over max_seq_len",
        choices=cfgmod.OVERLENGTH,
    ),
    FieldSpec("normalize", "Unicode normalisation", GROUPS[3], choices=cfgmod.NORMALIZE),
    FieldSpec("fix_whitespace", "Fix whitespace/control chars", GROUPS[3]),
    FieldSpec("unwrap_lines", "Unwrap hard line breaks", GROUPS[3]),
    FieldSpec("dehyphenate", "De-hyphenate line breaks", GROUPS[3]),
    FieldSpec("remove_repeated_lines", "Remove headers/footers", GROUPS[3]),
    FieldSpec("repeated_line_fraction", "Repeated on share of pages", GROUPS[3], "0-1, e.g. 0.5"),
    FieldSpec("repeated_min_pages", "Repeated: min pages", GROUPS[3]),
    FieldSpec("min_chars", "Min chars", GROUPS[4], "per record"),
    FieldSpec("max_chars", "Max chars", GROUPS[4], "0: no limit"),
    FieldSpec("min_tokens", "Min tokens", GROUPS[4]),
    FieldSpec("max_tokens", "Max tokens", GROUPS[4], "0: no limit"),
    FieldSpec("dedup_exact", "Exact dedup", GROUPS[4]),
    FieldSpec("dedup_near", "Near-duplicate dedup (MinHash)", GROUPS[4]),
    FieldSpec("near_threshold", "Near-dup Jaccard threshold", GROUPS[4], "0-1"),
    FieldSpec("minhash_perm", "MinHash permutations", GROUPS[4], "16-1024"),
    FieldSpec(
        "redact",
        "Redact",
        GROUPS[4],
        "replace these with the placeholder",
        choices=cfgmod.REDACT_KINDS,
    ),
    FieldSpec("redact_placeholder", "Redaction placeholder", GROUPS[4], "{KIND} or {kind}"),
    FieldSpec("tags", "Only tags", GROUPS[5], "comma-separated; empty: all done documents"),
    FieldSpec("validation_fraction", "Validation fraction", GROUPS[5], "0 to <1, by document"),
    FieldSpec("seed", "Split seed", GROUPS[5]),
]


def all_specs() -> list[FieldSpec]:
    """Every field of ``ExportConfig``: the named specs, then any others under "Other"."""
    known = {s.name for s in SPECS}
    names = [f.name for f in fields(cfgmod.ExportConfig)]
    extra = [
        FieldSpec(n, n.replace("_", " ").capitalize(), "Other") for n in names if n not in known
    ]
    return [s for s in SPECS if s.name in names] + extra


def to_text(value: Any) -> str:
    """A config value as the form shows it (the inverse of ``parse_assignment``)."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}:{v}" for k, v in value.items())
    return str(value)


class ConfigForm(VerticalScroll):
    """Rows for every export setting; ``config()`` reads them back, typed and validated."""

    DEFAULT_CSS = """
    ConfigForm { height: 1fr; padding: 0 1; }
    ConfigForm .group { text-style: bold; color: $accent; margin-top: 1; }
    ConfigForm .row { height: auto; }
    ConfigForm .row > Label { width: 30; padding: 0 1 0 0; }
    ConfigForm .row > Input, ConfigForm .row > Select { width: 1fr; }
    ConfigForm .row > TextArea { width: 1fr; height: 3; }
    ConfigForm .row > Horizontal { width: 1fr; height: 1; }
    ConfigForm .row > Horizontal > Checkbox { width: auto; margin-right: 1; }
    ConfigForm .error { color: $error; padding-left: 30; height: auto; display: none; }
    ConfigForm .error.-shown { display: block; }
    """

    class Changed(Message):
        """Any field was edited (the screen debounces the preview on these)."""

    class FieldFocused(Message):
        """A field got focus: the screen shows its name and help on one line."""

        def __init__(self, spec: FieldSpec) -> None:
            super().__init__()
            self.spec = spec

    def __init__(self, cfg: cfgmod.ExportConfig | None = None, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.specs = all_specs()
        self._initial = cfg or cfgmod.ExportConfig()
        self._loading = False

    def compose(self) -> ComposeResult:
        values = self._initial.to_dict()
        for group in GROUPS:
            specs = [s for s in self.specs if s.group == group]
            if not specs:
                continue
            yield Static(group, classes="group")
            for spec in specs:
                yield from self._row(spec, values.get(spec.name))

    def _row(self, spec: FieldSpec, value: Any) -> ComposeResult:
        widget = self._widget(spec, value)
        widget.tooltip = spec.help or None
        with Horizontal(classes="row"):
            yield Label(spec.label)
            yield widget
        yield Static("", id=f"err-{spec.name}", classes="error", markup=False)

    def _widget(self, spec: FieldSpec, value: Any) -> Widget:
        wid = f"f-{spec.name}"
        if isinstance(value, bool):
            return TickBox("", value=value, id=wid, compact=True)
        if isinstance(value, list) and spec.choices:
            boxes = [
                TickBox(kind, value=kind in value, id=f"{wid}-{kind}", compact=True)
                for kind in spec.choices
            ]
            return Horizontal(*boxes, id=wid)
        if spec.choices:
            return Select(
                [(c, c) for c in spec.choices],
                value=value if value in spec.choices else Select.NULL,
                allow_blank=value not in spec.choices,
                id=wid,
                compact=True,
            )
        if spec.multiline:
            return TextArea(str(value), id=wid, compact=True, soft_wrap=True)
        return Input(to_text(value), id=wid, compact=True)

    # -- reading and writing values -----------------------------------------

    def raw_values(self) -> dict[str, Any]:
        """What the widgets hold, untyped (text), except booleans and choice lists."""
        out: dict[str, Any] = {}
        for spec in self.specs:
            w = self.query_one(f"#f-{spec.name}")
            if isinstance(w, Checkbox):
                out[spec.name] = w.value
            elif isinstance(w, Select):
                out[spec.name] = "" if w.value is Select.NULL else str(w.value)
            elif isinstance(w, TextArea):
                out[spec.name] = w.text
            elif isinstance(w, Input):
                out[spec.name] = w.value
            else:  # a row of checkboxes
                out[spec.name] = [
                    kind
                    for kind in spec.choices
                    if self.query_one(f"#f-{spec.name}-{kind}", Checkbox).value
                ]
        return out

    def raw_of(self, cfg: cfgmod.ExportConfig) -> dict[str, Any]:
        """What ``raw_values()`` reads once ``cfg`` is shown (to tell the fields edited)."""
        values = cfg.to_dict()
        out: dict[str, Any] = {}
        for spec in self.specs:
            value = values.get(spec.name)
            if isinstance(value, bool):
                out[spec.name] = value
            elif isinstance(value, list) and spec.choices:
                out[spec.name] = [kind for kind in spec.choices if kind in value]
            elif spec.choices:
                out[spec.name] = str(value) if value in spec.choices else ""
            elif spec.multiline:
                out[spec.name] = str(value)
            else:
                out[spec.name] = to_text(value)
        return out

    def config(self) -> tuple[cfgmod.ExportConfig, dict[str, str]]:
        """The typed config and every problem: type errors first, then ``validate()``."""
        problems: dict[str, str] = {}
        typed: dict[str, Any] = {}
        defaults = cfgmod.ExportConfig().to_dict()
        for name, raw in self.raw_values().items():
            if isinstance(raw, bool | list):
                typed[name] = raw
                continue
            if isinstance(defaults.get(name), str):
                typed[name] = raw
                continue
            try:
                _key, typed[name] = cfgmod.parse_assignment(f"{name}={raw}")
            except LoratuiError as exc:
                problems[name] = exc.message.replace(f"export setting {name} ", "")
        cfg = cfgmod.ExportConfig()
        for name, value in typed.items():
            setattr(cfg, name, value)
        for name, message in cfg.validate().items():
            problems.setdefault(name, message)
        return cfg, problems

    def show_problems(self, problems: dict[str, str]) -> None:
        for spec in self.specs:
            box = self.query_one(f"#err-{spec.name}", Static)
            message = problems.get(spec.name)
            box.update(f"✗ {message}" if message else "")
            box.set_class(bool(message), "-shown")

    def set_config(self, cfg: cfgmod.ExportConfig) -> None:
        """Put ``cfg``'s values into the widgets (after loading a file or the saved one)."""
        values = cfg.to_dict()
        self._loading = True
        try:
            for spec in self.specs:
                value = values.get(spec.name)
                w = self.query_one(f"#f-{spec.name}")
                if isinstance(w, Checkbox):
                    w.value = bool(value)
                elif isinstance(w, Select):
                    w.value = value if value in spec.choices else Select.NULL
                elif isinstance(w, TextArea):
                    w.load_text(str(value))
                elif isinstance(w, Input):
                    w.value = to_text(value)
                else:
                    for kind in spec.choices:
                        self.query_one(f"#f-{spec.name}-{kind}", Checkbox).value = kind in (
                            value or []
                        )
        finally:
            self.call_after_refresh(self._done_loading)
        self.post_message(self.Changed())

    def set_raw_values(self, raw: dict[str, Any]) -> None:
        """Put values as ``raw_values()`` read them (a kept draft) into the widgets; a name
        the form does not have, or a value of the wrong shape, is left out."""
        self._loading = True
        try:
            for spec in self.specs:
                if spec.name not in raw:
                    continue
                value = raw[spec.name]
                w = self.query_one(f"#f-{spec.name}")
                if isinstance(w, Checkbox):
                    if isinstance(value, bool):
                        w.value = value
                elif isinstance(w, Select):
                    if value in spec.choices:
                        w.value = value
                elif isinstance(w, TextArea):
                    w.load_text(str(value))
                elif isinstance(w, Input):
                    w.value = str(value)
                elif isinstance(value, list):
                    for kind in spec.choices:
                        self.query_one(f"#f-{spec.name}-{kind}", Checkbox).value = kind in value
        finally:
            self.call_after_refresh(self._done_loading)
        self.post_message(self.Changed())

    def _done_loading(self) -> None:
        self._loading = False

    @on(Input.Changed)
    @on(Checkbox.Changed)
    @on(Select.Changed)
    @on(TextArea.Changed)
    def _changed(self, event: Message) -> None:
        event.stop()
        if not self._loading:
            self.post_message(self.Changed())

    def on_descendant_focus(self, event: Message) -> None:
        widget = getattr(event, "widget", None)
        while widget is not None and widget is not self:
            wid = widget.id or ""
            if wid.startswith("f-"):
                name = wid[2:]
                for spec in self.specs:
                    if name == spec.name or name.startswith(spec.name + "-"):
                        self.post_message(self.FieldFocused(spec))
                        return
            widget = widget.parent

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.screen.focus_next()
