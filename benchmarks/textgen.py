"""Seeded English-like text for the benchmark corpus.

Why not lorem ipsum: tokenizers, de-duplication and header/footer removal behave differently on
real-looking English. Sentences come from a small grammar (determiner, adjective, noun, verb,
preposition, ...) with Zipf-weighted word choice, so word frequencies look like prose while every
document stays reproducible from its seed.
"""

from __future__ import annotations

import random
from itertools import accumulate

NOUNS = """
system report data model team process result value customer order product service account
policy contract agreement section figure table method analysis review market price cost
budget plan project schedule risk issue change request response request record document
file page chapter study survey sample group member manager engineer user client partner
supplier vendor network server database application interface module component feature
function parameter setting option version release update patch test case scenario example
problem solution approach strategy goal objective target measure metric level rate growth
revenue profit loss share investment fund asset liability employee department office region
country city company organisation board committee meeting decision discussion proposal
requirement specification design architecture framework library package resource capacity
performance quality safety security compliance standard regulation law court claim party
evidence witness statement letter notice invoice payment delivery shipment warehouse
inventory stock supply demand forecast trend pattern signal noise error warning failure
history future period quarter year month week morning evening season weather river
mountain field garden house street road bridge station train vehicle engine machine tool
""".split()

ADJECTIVES = """
new good high large small important different major local national public private early
late recent current final main total annual monthly weekly available possible likely simple
complex clear detailed general specific technical financial legal social economic strategic
operational critical significant relevant previous following additional initial standard
internal external independent regional global digital physical manual automatic reliable
secure stable flexible efficient effective accurate consistent complete partial formal
informal strong weak quick slow careful careless modern traditional common rare unusual
""".split()

VERBS_PAST = """
reviewed approved described reported improved reduced increased provided delivered required
included reached prepared presented identified measured compared recorded confirmed
requested received updated changed created designed tested released supported managed
developed analysed discussed considered expected produced replaced removed selected
published completed planned estimated explained announced established maintained
""".split()

VERBS_PRESENT = """
requires includes provides supports describes reduces increases improves affects follows
contains defines depends shows explains represents covers allows ensures limits applies
produces remains becomes reflects indicates suggests meets exceeds replaces extends
""".split()

ADVERBS = """
quickly carefully clearly significantly slightly rarely often usually generally recently
previously currently directly finally fully largely mostly nearly particularly really
""".split()

_SYLLABLES = "ka lo ve tri mon sa dex qua fen ri zor pal us te bri gon el mar cy nix".split()


def _coined(count: int) -> list[str]:
    """Product and project names (the long tail of a real vocabulary), the same every run."""
    rng = random.Random("loratui-coined")
    names = set()
    while len(names) < count:
        names.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize())
    return sorted(names)


COINED = _coined(400)

PREPOSITIONS = "in on at for with from by about under over after before during across".split()
DETERMINERS = "the the the a a this that each every our their its".split()
CONJUNCTIONS = "and but so because while although whereas".split()
NAMES = """
Alder Brook Carter Dalton Ellis Fischer Garcia Hansen Ito Jensen Kowalski Laurent Moreau
Novak Okafor Patel Quinn Rossi Schmidt Tanaka Underwood Varga Weber Xu Young Zimmermann
""".split()
PLACES = """
Northfield Eastbridge Westmoor Southport Riverton Lakeside Hillcrest Oakdale Fairview Ashford
""".split()


def _zipf(words: list[str], s: float = 0.9) -> tuple[list[str], list[float]]:
    weights = [1.0 / (rank + 1) ** s for rank in range(len(words))]
    return words, list(accumulate(weights))


_POOLS = {
    "N": _zipf(NOUNS),
    "A": _zipf(ADJECTIVES),
    "V": _zipf(VERBS_PAST),
    "P": _zipf(VERBS_PRESENT),
    "R": _zipf(ADVERBS, 0.8),
    "I": _zipf(PREPOSITIONS, 0.7),
    "D": _zipf(DETERMINERS, 0.3),
    "C": _zipf(CONJUNCTIONS, 0.8),
    "M": _zipf(NAMES, 0.5),
    "L": _zipf(PLACES, 0.5),
    "X": _zipf(COINED, 0.6),
}

# Sentence shapes: letters pick from the pools above; '#' is a number and a plural noun,
# ',' a comma.
_SHAPES = [
    "D A N V D N",
    "D N V D A N I D N",
    "D N I D N P D A N",
    "M V D N I L",
    "D A N R V D N , C D N V D A N",
    "I D N , D N V D N",
    "D N P D N I #",
    "D N I L V R",
    "M C M V D A N I D N",
    "D N V # I D N",
    "X V D A N I L",
    "D N I X P D N",
    "M I X V D N , C X P R",
    "D A N P D N C D N V",
    "D N R P D A N I D N",
]


def _plural(noun: str) -> str:
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


class TextGen:
    """English-like words, sentences, paragraphs and titles from one seeded RNG."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def word(self, pool: str) -> str:
        words, cum = _POOLS[pool]
        return self.rng.choices(words, cum_weights=cum)[0]

    def sentence(self) -> str:
        rng = self.rng
        out: list[str] = []
        for tok in rng.choice(_SHAPES).split():
            if tok == ",":
                out[-1] += ","
            elif tok == "#":
                out.append(str(rng.choice((2, 3, 5, 7, 10, 12, 15, 20, 25, 40, 100, 2024))))
                out.append(_plural(self.word("N")))
            else:
                out.append(self.word(tok))
        first = out[0]
        out[0] = first[0].upper() + first[1:]
        return " ".join(out) + rng.choice(".......?!")

    def paragraph(self, sentences: tuple[int, int] = (3, 8)) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(*sentences)))

    def title(self, words: tuple[int, int] = (2, 6)) -> str:
        n = self.rng.randint(*words)
        parts = [self.word(self.rng.choice("ANNN")) for _ in range(n)]
        return " ".join(p.capitalize() for p in parts)

    def cell(self) -> str:
        rng = self.rng
        kind = rng.random()
        if kind < 0.35:
            return f"{rng.uniform(0, 10_000):,.2f}"
        if kind < 0.5:
            return self.word("M")
        return " ".join(self.word(rng.choice("AN")) for _ in range(rng.randint(1, 3)))

    def table(self) -> list[list[str]]:
        cols = self.rng.randint(2, 5)
        rows = self.rng.randint(2, 8)
        header = [self.title((1, 2)) for _ in range(cols)]
        return [header] + [[self.cell() for _ in range(cols)] for _ in range(rows)]

    def code(self) -> str:
        rng = self.rng
        lines = []
        for _ in range(rng.randint(3, 8)):
            target = f"{self.word('N')}_{self.word('A')}"
            lines.append(f"{target} = compute({self.word('N')}, {rng.randint(1, 99)})")
        return "\n".join(lines)
