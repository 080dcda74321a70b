"""Words as the quality gates compare them: normalised, with light stemming, stop words known.

A word is a run of letters, digits or underscores (``\\w+``) of the NFKC-normalised,
case-folded text, so "Paris," and "paris" are one word. Stemming is deliberately light:
English plural and verb endings (-s, -es, -ies, -ed, -ing, -ly, a final -e) come off, then
the word is cut to its first 6 characters (truncation stemming, which works alike in most
European languages): "rivers" meets "river", "sensitivity" meets "sensitive". On the
examples in tests/unit/generation_examples.py the cut raised the lowest supported answer's
support from 0.38 to 0.47 and left the unsupported ones where they were. Stop words are
English function words; in another language they count as content words, which only
makes the support score a little more lenient there.
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"\w+")
PREFIX = 6  # characters a stem keeps

STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    either few for from further had has have having he her here hers herself him himself
    his how i if in into is it its itself just may me might more most must my myself no
    nor not of off on once only or other ought our ours ourselves out over own same shall
    she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up upon very was we were what when where
    which while who whom whose why will with within without would you your yours yourself
    yourselves s t d ll m re ve one ones thing things something anything everything
    describe explain list summarise summarize give tell state according mentioned yes
    """.split()
)


def normalise(text: str) -> str:
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFKC", text).casefold()


def words(text: str) -> list[str]:
    """The words of ``text``, normalised (not stemmed)."""
    return _WORD.findall(normalise(text))


def stem(word: str) -> str:
    """A light stem: English endings off, then at most ``PREFIX`` characters ("makes",
    "making" and "make" are "mak"; "production" and "produces" are "produc"). A word with a
    digit or an underscore is a number or a code ("1869", "iso27001"): it stays whole."""
    if not word.isalpha():
        return word
    base = _strip_suffix(word)
    if len(base) > 3 and base.endswith("e"):
        base = base[:-1]
    return base[:PREFIX]


def _strip_suffix(word: str) -> str:
    n = len(word)
    if n > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if n > 5 and word.endswith("ing"):
        return word[:-3]
    if n > 4 and word.endswith("ed") and not word.endswith("eed"):
        return word[:-2]
    if n > 4 and word.endswith("ly"):
        return word[:-2]
    if n > 4 and word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if n > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def is_content(word: str) -> bool:
    """A word that carries meaning: not a stop word, and a number or longer than 1."""
    return word not in STOPWORDS and (len(word) > 1 or word.isdigit())


def stems(text: str) -> list[str]:
    """The stems of all words of ``text``, in order."""
    return [stem(w) for w in words(text)]


def content_stems(text: str) -> list[str]:
    """The stems of the content words of ``text``, in order."""
    return [stem(w) for w in words(text) if is_content(w)]
