"""Prompt templates: rendering, the content-hash version, placeholder errors a user can fix."""

from __future__ import annotations

import pytest

from loratui.core.errors import LoratuiError
from loratui.core.generation.templates import BUILTIN, builtin, fill, placeholder_problem

CHUNK = "The canal opened in 1869. It is 193 km long."


def test_qa_template_renders_every_placeholder_into_two_messages() -> None:
    messages = BUILTIN["qa"].render(
        text=CHUNK, title="Suez Canal", heading="History", pairs_per_chunk=5
    )
    assert [m["role"] for m in messages] == ["system", "user"]
    user = messages[1]["content"]
    assert "Document: Suez Canal\nSection: History\n" in user
    assert f'"""\n{CHUNK}\n"""' in user
    assert "Write 5 different question-and-answer pairs" in user
    assert '{"pairs": [{"question": "...", "answer": "..."}]}' in user  # braces unescaped
    assert "language of the excerpt" in messages[0]["content"]
    assert "{" not in messages[0]["content"]


def test_a_line_whose_placeholders_are_empty_is_left_out() -> None:
    user = BUILTIN["qa"].render(text=CHUNK, title="Suez Canal")[1]["content"]
    assert "Section:" not in user and "Document: Suez Canal" in user
    assert "Write 3 different" in user  # pairs_per_chunk defaults to 3
    # a value holding braces is put in as it is, never read as a placeholder
    assert fill("A {text} B", {"text": "{title} {{x}}"}) == "A {title} {{x}} B"


def test_instruction_template_asks_for_instruction_and_response() -> None:
    template = builtin("instruction")
    user = template.render(text=CHUNK, title="T")[1]["content"]
    assert '"instruction": "..."' in user and '"response": "..."' in user
    assert (template.question_key, template.answer_key) == ("instruction", "response")
    assert template.asks_questions is False and BUILTIN["qa"].asks_questions is True
    assert template.version() != BUILTIN["qa"].version()


def test_version_is_the_hash_of_the_content_only() -> None:
    qa = BUILTIN["qa"]
    assert len(qa.version()) == 64
    # the same words typed with other line endings or outer spaces: the same version
    same = qa.with_prompts(qa.system.replace("\n", "\r\n") + "  \n", "\n" + qa.user)
    assert same.version() == qa.version()
    edited = qa.with_prompts(user=qa.user.replace("different", "distinct"))
    assert edited.version() != qa.version()
    assert qa.with_prompts(system="Be terse.").version() != qa.version()
    # empty prompts keep the built-in ones
    assert qa.with_prompts("", None).version() == qa.version()


def test_unknown_placeholders_are_errors_a_user_can_act_on() -> None:
    assert placeholder_problem("Title {title}: {text}") is None
    assert placeholder_problem("{chunk} and {}") == (
        "unknown placeholder(s) {chunk}, {}; use {title}, {text}, {heading}, {pairs_per_chunk}"
    )
    assert "literal braces as {{ and }}" in placeholder_problem('{"pairs": []}')
    assert "no format spec" in placeholder_problem("{text!r}")
    bad = BUILTIN["qa"].with_prompts(system="Hi {name}", user="Pairs please")
    assert bad.problems() == {
        "system_prompt": (
            "unknown placeholder(s) {name}; use {title}, {text}, {heading}, {pairs_per_chunk}"
        ),
        "user_prompt": "must contain {text}, or the model never sees the chunk",
    }
    with pytest.raises(LoratuiError) as exc:
        bad.check()
    assert exc.value.code == "invalid"
    assert "system_prompt: unknown placeholder(s) {name}" in exc.value.message
    assert "{pairs_per_chunk}" in exc.value.hint and "{{ and }}" in exc.value.hint
    with pytest.raises(LoratuiError) as exc:
        builtin("summaries")
    assert exc.value.code == "invalid" and "qa, instruction" in exc.value.hint
