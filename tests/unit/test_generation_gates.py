"""Quality gates: each rejects with the right reason; the support threshold as measured."""

from __future__ import annotations

import pytest

from loratui.core.generation.gates import (
    GateRules,
    check_pair,
    is_question,
    refers_to_source,
    trivial,
)
from loratui.core.generation.judge import JUDGE, judge_rejection, parse_judge, subject_sha256
from loratui.core.generation.question_index import QuestionIndex
from loratui.core.generation.settings import DEFAULT_MIN_SUPPORT, GenerationSettings
from loratui.core.generation.support import ChunkVocabulary, support
from tests.unit.generation_examples import EXAMPLES

CHUNK = EXAMPLES[0].chunk  # the Suez Canal
RULES = GateRules.from_settings(GenerationSettings())


@pytest.mark.parametrize(
    ("question", "answer", "code", "reason"),
    [
        ("", "The canal opened in 1869.", "empty", "the question is empty"),
        ("When did it open?", "  ", "empty", "the answer is empty"),
        ("Opened when?", "In 1869.", "too_short", "the question has 2 word(s); at least 3"),
        ("When did the canal open?", "1869.", "too_short", "the answer has 1 word(s); at least 2"),
        (
            "The opening date of the canal",
            "It opened on 17 November 1869.",
            "not_a_question",
            "not phrased as a question",
        ),
        (
            "Does the Suez Canal connect two seas?",
            "Yes, it does.",
            "repeats_question",
            "adds no content word",
        ),
        (
            "When was the Suez Canal opened?",
            "The Suez Canal was opened.",
            "repeats_question",
            "adds no content word",
        ),
    ],
)
def test_trivial_pairs_are_rejected_with_a_reason(
    question: str, answer: str, code: str, reason: str
) -> None:
    rejection = trivial(question, answer, RULES)
    assert rejection is not None and rejection.code == code and reason in rejection.reason
    verdict = check_pair(question, answer, CHUNK, RULES)
    assert verdict.rejection == rejection and verdict.support is None and not verdict.kept


def test_question_forms_in_several_languages() -> None:
    for text in [
        "When did the canal open?",
        "How deep is it",  # a question word, no mark
        "Quand le canal a-t-il ouvert ?",
        "¿Cuándo se abrió el canal?",
        "运河什么时候开通？",
        'Is it "deep"?"',
        "متى افتتحت القناة؟",
    ]:
        assert is_question(text), text
    assert not is_question("Explain the opening of the canal.")
    # instruction templates ask for instructions: no question form needed
    rules = GateRules(asks_questions=False)
    assert trivial("Explain the opening of the canal.", "It opened in 1869.", rules) is None


def test_questions_that_refer_to_the_source_are_rejected() -> None:
    phrases = RULES.banned_phrases
    rejection = refers_to_source("According to the PASSAGE, when did it open?", phrases)
    assert rejection is not None and rejection.code == "refers_to_source"
    assert rejection.reason == (
        "the question refers to 'the passage', which a reader of the dataset never sees"
    )
    assert refers_to_source("What does this\n document  describe?", phrases) is not None
    assert refers_to_source("What is the textbook price?", phrases) is None  # whole words
    assert refers_to_source("When did the Suez Canal open?", phrases) is None
    assert refers_to_source("What does the author claim?", ["The Author"]) is not None
    verdict = check_pair(
        "In the text, when did the canal open?", "On 17 November 1869.", CHUNK, RULES
    )
    assert verdict.rejection.code == "refers_to_source"


def test_support_follows_its_formula() -> None:
    chunk = "The river floods every spring. Farmers plant rice after the floods."
    # content stems of the answer: river, flood, spring: all in the chunk (U = 1);
    # bigrams with a content word: (the, river), (river, flood), (flood, in), (in, spring):
    # the first two are in the chunk, so B = 2/4
    s = support("The rivers flood in spring.", chunk)
    assert (s.unigram, s.bigram, s.score) == (1.0, 0.5, 0.75)
    assert s.missing == ()
    s = support("Farmers grow wheat.", chunk)  # farmer found; grow, wheat not; no bigram found
    assert (round(s.unigram, 4), s.bigram, s.score) == (0.3333, 0.0, 0.1667)
    assert s.missing == ("grow", "wheat")
    assert support("Floods.", chunk).bigram is None  # one content word: U alone
    assert support("It is.", chunk).score == 0.0
    vocab = ChunkVocabulary(chunk)
    assert support("The rivers flood in spring.", vocab) == support(
        "The rivers flood in spring.", chunk
    )


def test_the_default_threshold_separates_the_measured_examples() -> None:
    """The figures behind DEFAULT_MIN_SUPPORT (see settings.py and the README)."""
    supported = [support(a, e.chunk).score for e in EXAMPLES for _, a in e.supported]
    unsupported = [support(a, e.chunk).score for e in EXAMPLES for _, a in e.unsupported]
    assert (len(supported), len(unsupported)) == (34, 30)
    assert DEFAULT_MIN_SUPPORT == 0.4
    assert min(supported) >= 0.47
    assert sum(s >= DEFAULT_MIN_SUPPORT for s in supported) == 34
    assert sum(s < DEFAULT_MIN_SUPPORT for s in unsupported) == 29
    assert sorted(unsupported)[-2] <= 0.38


def test_an_unsupported_answer_names_the_words_the_chunk_lacks() -> None:
    question, answer = EXAMPLES[0].unsupported[1]  # Nasser and the Suez Crisis
    verdict = check_pair(question, answer, CHUNK, RULES)
    assert verdict.rejection.code == "unsupported" and verdict.support < 0.2
    assert verdict.rejection.reason.startswith("the answer is not supported by the chunk (support ")
    assert "< 0.40); not in the chunk: 'egyptian', 'president', 'gamal'" in (
        verdict.rejection.reason
    )
    kept = check_pair(*EXAMPLES[0].supported[0], CHUNK, RULES)
    assert kept.kept and kept.support > 0.9
    off = check_pair(question, answer, CHUNK, GateRules(min_support=0.0))
    assert off.kept  # min_support 0: no support gate


def test_duplicate_questions_across_a_project_name_the_earlier_pair() -> None:
    index = QuestionIndex(threshold=0.7)
    assert index.check_and_add("When was the Suez Canal officially opened?", 11) is None
    assert index.check_and_add("What are the common side effects of metformin?", 12) is None
    assert index.check_and_add("How long does the service cache query results?", 13) is None
    exact = index.check("when was the suez canal, officially, opened")
    assert exact.exact and exact.pair_id == 11 and exact.similarity == 1.0
    assert exact.reason() == (
        "the question is a duplicate of the question of pair 11: "
        "'When was the Suez Canal officially opened?'"
    )
    near = index.check("When was the Suez Canal opened?")
    assert not near.exact and near.pair_id == 11 and near.similarity == 0.75
    assert near.reason().startswith("the question is a near-duplicate (0.75) of the question")
    assert index.check("How long does the service cache the query results?").pair_id == 13
    # one subject word changed: another question
    assert index.check("When was the Panama Canal officially opened?") is None
    assert index.check("What are the common side effects of insulin?") is None
    assert index.check("How long does the service keep backups?") is None
    assert len(index) == 3
    exact_only = QuestionIndex(threshold=1.0)
    exact_only.add("When was the Suez Canal officially opened?", 1)
    assert exact_only.check("When was the Suez Canal opened?") is None
    assert exact_only.check("WHEN was the Suez Canal officially opened?!").pair_id == 1


def test_near_duplicates_are_found_among_many_questions() -> None:
    """LSH must not miss: each of 200 reworded questions finds its original among 1,000."""
    index = QuestionIndex(threshold=0.7)
    for i in range(1000):
        index.add(f"What did inspector{i} report about bridge{i} near town{i} in year{i}?", i)
    missed = [
        i
        for i in range(0, 1000, 5)
        if (d := index.check(f"What did inspector{i} report on bridge{i} near town{i}?")) is None
        or d.pair_id != i
    ]
    assert missed == []


def test_the_judge_prompt_and_its_parser() -> None:
    messages = JUDGE.render(text=CHUNK, question="When?", answer="In 1869.")
    assert "Question: When?\nAnswer: In 1869." in messages[1]["content"]
    assert CHUNK in messages[1]["content"] and '"score"' in messages[0]["content"]
    assert len(JUDGE.version()) == 64
    assert subject_sha256(CHUNK, "Q", "A") != subject_sha256(CHUNK, "Q", "A.")
    low = parse_judge(
        '<think>maybe {"score": 9}</think>```json\n{"score": 4, "reason": "vague"}\n```'
    )
    assert (low.score, low.reason, low.ok) == (4.0, "vague", True)
    rejection = judge_rejection(low, 7)
    assert rejection.code == "judge_low"
    assert rejection.reason == "the judge scored the pair 4/10 (< 7): vague"
    assert judge_rejection(parse_judge('{"Rating": "8/10", "Reason": "ok"}'), 7) is None
    assert parse_judge("Overall I would give it 6/10.").score == 6.0
    assert parse_judge("Score: 3 - the answer is invented").score == 3.0
    unreadable = parse_judge("I cannot judge this.")
    assert unreadable.error == "no_score" and judge_rejection(unreadable, 7) is None
    assert parse_judge('{"score": 42}').error == "out_of_range"
