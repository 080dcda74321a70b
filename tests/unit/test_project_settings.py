"""The project settings' definition, which the CLI and the TUI's settings screen both read."""

from __future__ import annotations

import pytest

from loratui.core.errors import LoratuiError
from loratui.core.store import settings


def test_every_setting_says_what_it_does() -> None:
    assert set(settings.DESCRIPTIONS) == set(settings.DEFAULTS)


def test_every_choice_list_holds_its_default() -> None:
    for key, choices in settings.CHOICES.items():
        assert settings.DEFAULTS[key] in choices, key


@pytest.mark.parametrize(
    ("text", "words"),
    [("pdf_engine=pdfminer", "pdf_engine must be one of"), ("watch_after=delete", "keep, move")],
)
def test_a_word_outside_the_choices_is_refused_when_set(text: str, words: str) -> None:
    with pytest.raises(LoratuiError) as err:
        settings.parse_assignment(text)
    assert err.value.code == "invalid" and words in err.value.message


def test_the_choices_are_accepted() -> None:
    for key, choices in settings.CHOICES.items():
        for word in choices:
            assert settings.parse_assignment(f"{key}={word}") == (key, word)
