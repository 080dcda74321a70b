"""Parsing: the pairs are recovered from every malformed reply a real model gives."""

from __future__ import annotations

import pytest

from loratui.core.generation.client import ChatClient
from loratui.core.generation.json_answer import find_json, strip_reasoning
from loratui.core.generation.pair_schema import response_schema
from loratui.core.generation.parsing import parse_pairs
from loratui.core.generation.settings import GenerationSettings
from loratui.core.generation.templates import BUILTIN
from tests.support.openai_server import DECOY, OpenAIServer

CHUNK = (
    "The Suez Canal connects the Mediterranean Sea to the Red Sea. It opened on 17 November "
    "1869. In 2021 more than 20,600 vessels crossed it."
)
SENTENCES = [
    "The Suez Canal connects the Mediterranean Sea to the Red Sea.",
    "It opened on 17 November 1869.",
    "In 2021 more than 20,600 vessels crossed it.",
]


async def reply_with(fault: str, template: str = "qa") -> tuple[str, str | None]:
    """The content and finish reason the fake server sends for ``fault``."""
    messages = BUILTIN[template].render(text=CHUNK, title="Suez Canal")
    with OpenAIServer({"default": {"fault": fault}}) as server:
        cfg = GenerationSettings(base_url=server.url, model="test-model")
        async with ChatClient(cfg, api_key="") as client:
            done = await client.chat(messages, schema=response_schema())
    return done.content, done.finish_reason


@pytest.mark.parametrize(
    ("fault", "kept"),
    [
        ("ok", 3),
        ("bare_list", 3),
        ("fenced", 3),
        ("prose", 3),
        ("think", 3),
        ("reasoning_field", 3),
        ("invalid_json", 3),
        ("truncated", 2),  # the pair the cut went through is dropped
    ],
)
async def test_pairs_are_recovered_from_each_malformed_reply(fault: str, kept: int) -> None:
    content, finish = await reply_with(fault)
    parsed = parse_pairs(content, finish_reason=finish)
    assert parsed.ok, parsed.message
    assert [p.answer for p in parsed.pairs] == SENTENCES[:kept]
    assert all(p.question.startswith("What is said about ") for p in parsed.pairs)
    assert DECOY not in {p.question for p in parsed.pairs}  # reasoning is never the answer
    assert parsed.raw == content
    assert parsed.repaired == (fault in ("invalid_json", "truncated"))


async def test_instruction_pairs_are_read_from_their_own_keys() -> None:
    content, finish = await reply_with("fenced", template="instruction")
    assert '"instruction":' in content and '"response":' in content
    parsed = parse_pairs(content, finish_reason=finish)
    assert [p.answer for p in parsed.pairs] == SENTENCES
    assert parsed.pairs[0].question.startswith("Explain this point: The Suez Canal")


@pytest.mark.parametrize(
    ("fault", "error", "words"),
    [
        ("think_unterminated", "only_reasoning", "raise max_tokens"),
        ("garbage", "no_json", "I'm sorry, but I can't help"),
        ("empty", "empty_answer", "cut at max_tokens"),
    ],
)
async def test_a_reply_without_pairs_is_an_error_value_with_the_raw_text(
    fault: str, error: str, words: str
) -> None:
    content, finish = await reply_with(fault)
    parsed = parse_pairs(content, finish_reason=finish)
    assert not parsed.ok and parsed.pairs == ()
    assert parsed.error == error and words in parsed.message
    assert parsed.raw == content


def test_reasoning_blocks_are_removed_in_every_form() -> None:
    body, notes = strip_reasoning('<THINK>{"a": 1}</THINK>\n<thinking>x</thinking>{"b": 2}')
    assert body.strip() == '{"b": 2}' and notes == ["removed 2 reasoning block(s)"]
    # the chat template opened the block in the prompt: only the closing tag is seen
    body, _ = strip_reasoning('draft {"pairs": []}\n</think>\n{"pairs": [1]}')
    assert body.strip() == '{"pairs": [1]}'
    body, _ = strip_reasoning('{"pairs": [2]} <think> and then {"pairs": [3]')
    assert body.strip() == '{"pairs": [2]}'


def test_json_is_found_past_stray_brackets_and_braces() -> None:
    text = 'See [1] and {note}. Result: {"pairs": [{"q": "Why?", "a": "So."}]}'
    found = find_json(text, accept=lambda v: "pairs" in v)
    assert found.value == {"pairs": [{"q": "Why?", "a": "So."}]} and not found.repaired
    assert find_json("[1, 2] and [3]").error == "no_json"  # a list of numbers is no answer
    parsed = parse_pairs('Use {braces} like {this}. {"pairs": [{"q": "Why?", "a": "So."}]}')
    assert [(p.question, p.answer) for p in parsed.pairs] == [("Why?", "So.")]
    # several fences: the first that holds pairs
    text = '```python\nprint("hi")\n```\nthen\n```json\n{"pairs": [{"q": "A?", "a": "B"}]}\n```'
    assert [p.question for p in parse_pairs(text).pairs] == ["A?"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"pairs": [{"question": " Q1? ", "answer": "A1"}]}', [("Q1?", "A1")]),
        ('[{"Q": "Q1?", "A": 1887}]', [("Q1?", "1887")]),
        ('{"qa_pairs": [{"prompt": "P?", "completion": "C"}]}', [("P?", "C")]),
        ('{"Questions": [{"Question": "Q?", "Answer": "A"}]}', [("Q?", "A")]),
        (
            '{"items": [{"instruction": "Sum up", "input": "X", "output": "Y"}]}',
            [("Sum up\n\nX", "Y")],
        ),
        ('{"whatever": [{"query": "Q?", "reply": "R"}]}', [("Q?", "R")]),
        ('{"question": "Only one?", "answer": "Yes one"}', [("Only one?", "Yes one")]),
        ('{"pairs": {"instruction": "Do X", "response": "Done"}}', [("Do X", "Done")]),
    ],
)
def test_key_variants_are_accepted(text: str, expected: list[tuple[str, str]]) -> None:
    parsed = parse_pairs(text)
    assert parsed.ok, parsed.message
    assert [(p.question, p.answer) for p in parsed.pairs] == expected


def test_invalid_items_are_dropped_with_a_note_and_none_left_is_an_error() -> None:
    parsed = parse_pairs(
        '{"pairs": [{"question": "Q?", "answer": ""}, {"question": "Q2?", "answer": "A2"},'
        ' {"answer": "no question"}, "just text"]}'
    )
    assert [(p.question, p.answer) for p in parsed.pairs] == [("Q2?", "A2")]
    assert parsed.notes == (
        "pair 1 dropped: answer missing",
        "pair 3 dropped: question missing",
        "pair 4 dropped: Input should be a valid dictionary or instance of Pair",
    )
    empty = parse_pairs('{"pairs": [{"question": "Q?"}]}')
    assert empty.error == "wrong_shape" and "pair 1 dropped: answer missing" in empty.message
    assert parse_pairs('{"status": "ok"}').error == "no_json"
