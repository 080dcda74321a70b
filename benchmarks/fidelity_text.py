"""Seeded prose for the fidelity benchmark's ground-truth documents, in several scripts.

Why not ``textgen``: extraction breaks on what real books have and generated English lacks:
long words that get hyphenated at line ends, compounds that keep their hyphen
("well-coordinated"), words with fi/fl/ffi ligatures, maths symbols, diacritics and
scripts other than Latin. English comes from a small grammar; the other languages from
hand-written sentences, drawn in seeded order. ``hyphenate`` marks break points with soft
hyphens (U+00AD) the way a typesetter's patterns would (roughly: before a consonant that
starts a syllable); the truth never contains them.
"""

from __future__ import annotations

import random
import re

SOFT = "\u00ad"

# ---------------------------------------------------------------- English, from a grammar

ADJ = """
efficient sufficient official specific scientific significant difficult definite fluid
final first affine reflective flexible profitable fixed robust careful detailed rigorous
empirical theoretical statistical systematic consistent independent remarkable considerable
particular fundamental important interesting surprising conventional international
""".split()
NOUN = """
configuration classification definition identification verification office field flow
profile coefficient efficiency influence conflict benefit traffic offset workflow overflow
resonance approximation information coordination representation transformation algorithm
measurement experiment observation distribution relationship infrastructure architecture
performance evaluation interpretation temperature frequency probability hypothesis
""".split()
VERB = """
influenced reflected affected confirmed identified simplified modified specified clarified
classified offered differed suffered conflicted improved described demonstrated established
investigated characterised approximated estimated transformed reconstructed generalised
""".split()
ADV = """
significantly efficiently sufficiently specifically fluently effortlessly differently
consistently particularly fundamentally surprisingly considerably systematically
""".split()
COMPOUND = """
well-coordinated so-called teacher-student long-term state-of-the-art data-driven
cross-validation two-column non-linear real-time high-resolution fine-grained
self-supervised large-scale first-order ill-posed
""".split()
PREP = "of in for with under across between within without against through".split()


def english_sentence(rng: random.Random) -> str:
    """One English sentence from the grammar, with compounds and ligature words."""
    a, b = rng.sample(NOUN, 2)
    parts = [
        "The",
        rng.choice(ADJ),
        a,
        rng.choice(PREP),
        "the",
        rng.choice(COMPOUND + ADJ),
        b,
        rng.choice(VERB),
        "the",
        rng.choice(COMPOUND),
        rng.choice(NOUN),
    ]
    if rng.random() < 0.6:
        parts += [rng.choice(ADV), rng.choice(PREP), "the", rng.choice(ADJ), rng.choice(NOUN)]
    return " ".join(parts) + "."


# ---------------------------------------------------------------- other languages, by hand

SENTENCES: dict[str, list[str]] = {
    "de": [
        "Ein Weg in einem Graphen ist eine Folge von paarweise verschiedenen Knoten, in der je "
        "zwei aufeinanderfolgende Knoten durch eine Kante verbunden sind.",
        "Für alle Knoten x ∈ V gilt deg(x) ≥ 1, falls der Graph zusammenhängend ist und mehr "
        "als einen Knoten enthält.",
        "Die Zusammenhangskomponenten eines Graphen sind seine maximalen zusammenhängenden "
        "Teilgraphen.",
        "Wir zeigen die Behauptung durch vollständige Induktion über die Anzahl der Kanten.",
        "Jeder Baum mit mindestens zwei Knoten besitzt wenigstens zwei Blätter.",
        "Ein Wald ist ein kreisfreier Graph, dessen Komponenten folglich Bäume sind.",
        "Die Länge eines kürzesten Weges zwischen zwei Knoten heißt ihr Abstand.",
        "Offensichtlich ist die Färbungszahl eines bipartiten Graphen höchstens zwei.",
        "Für die Übungsaufgaben am Ende des Abschnitts genügen die bisherigen Definitionen.",
        "Der Durchmesser eines Graphen ist der größte Abstand zweier seiner Knoten.",
        "Eine Kante heißt Brücke, wenn ihr Entfernen die Anzahl der Komponenten vergrößert.",
        "Die Äquivalenzklassen dieser Relation sind genau die Zusammenhangskomponenten.",
        "Es gibt effiziente Algorithmen, die in linearer Zeit einen aufspannenden Baum finden.",
        "Wir schreiben kurz G − e für den Graphen, der aus G durch Löschen der Kante e entsteht.",
        "Ist (∀x)(∃y) eine Kante zwischen x und y, so ist der Graph vollständig.",
        "Die Flüsse in Netzwerken werden im übernächsten Kapitel ausführlich behandelt.",
        "Schließlich betrachten wir gerichtete Graphen, deren Kanten eine Orientierung tragen.",
        "Diese Eigenschaft überträgt sich offenbar auf jeden Teilgraphen.",
    ],
    "fr": [
        "La qualité des données dépend d’une extraction fidèle du texte des documents.",
        "Les élèves ont reçu une réponse détaillée à leurs questions après la réunion.",
        "Cette méthode s’avère efficace même lorsque les pages contiennent des tableaux.",
        "Le cœur du problème réside dans l’ordre de lecture des colonnes.",
        "À la fin de l’été, l’équipe a présenté ses premiers résultats.",
        "Une œuvre bien structurée facilite la compréhension du lecteur.",
    ],
    "pl": [
        "Jakość danych zależy od wiernego wyodrębnienia tekstu z dokumentów.",
        "Źródła wskazują, że żółć i łzy były częstymi motywami w poezji.",
        "Współczesne narzędzia nie zawsze radzą sobie z dzieleniem wyrazów.",
        "Zespół przygotował szczegółową analizę wyników pomiarów.",
    ],
    "cs": [
        "Kvalita dat závisí na věrném získání textu z dokumentů.",
        "Příliš žluťoučký kůň úpěl ďábelské ódy.",
        "Řešení tohoto úkolu vyžaduje pečlivé čtení všech sloupců.",
        "Výsledky měření byly zveřejněny v průběhu loňského roku.",
    ],
    "el": [
        "Η ποιότητα των δεδομένων εξαρτάται από την ακριβή εξαγωγή του κειμένου.",
        "Οι μαθητές διάβασαν προσεκτικά όλα τα κεφάλαια του βιβλίου.",
        "Η μέθοδος εφαρμόστηκε σε έγγραφα με πίνακες και υποσημειώσεις.",
        "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία.",
        "Τα αποτελέσματα της μελέτης δημοσιεύθηκαν τον περασμένο χειμώνα.",
        "Κάθε σελίδα περιέχει δύο στήλες και έναν τίτλο στην κορυφή.",
    ],
    "ru": [
        "Качество данных зависит от точного извлечения текста из документов.",
        "Съешь же ещё этих мягких французских булок да выпей чаю.",
        "Исследователи подробно описали структуру каждого раздела.",
        "Результаты измерений были опубликованы в прошлом году.",
        "В широкой электрификации южных губерний даст ли прок?",
        "Каждая страница содержит заголовок, номер и две колонки текста.",
    ],
    "uk": [
        "Якість даних залежить від точного видобування тексту з документів.",
        "Жебракують філософи при ґанку церкви в Гадячі.",
    ],
    "ar": [
        "تعتمد جودة البيانات على استخراج النص بدقة من المستندات.",
        "قرأ الطلاب جميع فصول الكتاب بعناية قبل الامتحان.",
        "نشرت نتائج الدراسة في فصل الشتاء الماضي.",
        "تحتوي كل صفحة على عنوان في الأعلى ورقم في الأسفل.",
        "يجب أن يبقى ترتيب الكلمات صحيحا بعد التحويل.",
    ],
    "he": [
        "איכות הנתונים תלויה בחילוץ מדויק של הטקסט מן המסמכים.",
        "התלמידים קראו בעיון את כל פרקי הספר לפני הבחינה.",
        "תוצאות המחקר פורסמו בחורף שעבר.",
        "כל עמוד מכיל כותרת בראשו ומספר בתחתיתו.",
        "סדר המילים חייב להישאר נכון לאחר ההמרה.",
    ],
    "zh": [
        "数据的质量取决于从文档中准确提取文本。",
        "学生们在考试前认真阅读了这本书的所有章节。",
        "研究结果于去年冬天发表。",
        "每一页的顶部都有标题，底部有页码。",
        "转换之后，词语的顺序必须保持正确。",
    ],
}

# scripts each language is written in (the renderers pick fonts and direction by script)
SCRIPT = {
    "en": "latin",
    "de": "latin",
    "fr": "latin",
    "pl": "latin",
    "cs": "latin",
    "el": "greek",
    "ru": "cyrillic",
    "uk": "cyrillic",
    "ar": "arabic",
    "he": "hebrew",
    "zh": "cjk",
}
RTL = {"arabic", "hebrew"}


class Prose:
    """Paragraphs drawn from one seeded generator; hand-written sentences are dealt like
    cards (each once before any repeats) so a page rarely says the same thing twice."""

    def __init__(self, seed: str) -> None:
        self.rng = random.Random(seed)
        self._decks: dict[str, list[str]] = {}

    def sentence(self, lang: str) -> str:
        if lang == "en":
            return english_sentence(self.rng)
        deck = self._decks.get(lang)
        if not deck:
            deck = self._decks[lang] = self.rng.sample(SENTENCES[lang], len(SENTENCES[lang]))
        return deck.pop()

    def paragraph(self, lang: str, words: int) -> str:
        """About ``words`` words of ``lang`` (whole sentences), as one line of text."""
        out: list[str] = []
        count = 0
        while count < words:
            sentence = self.sentence(lang)
            out.append(sentence)
            count += len(sentence.split()) if lang != "zh" else len(sentence) // 2
        return " ".join(out)


# ---------------------------------------------------------------- hyphenation points

_VOWELS = set("aeiouyäöüéèêëàâîïôûùæœøåáíóúýěůąęō" + "αεηιουωάέήίόύώϊϋ" + "аеёиоуыэюяєії")
_KEEP_TOGETHER = {"ch", "ck", "sh", "th", "ph", "qu", "sch", "st", "cz", "sz", "rz", "dz"}
_WORD = re.compile(r"[^\W\d_]{7,}")


def _breaks(word: str) -> list[int]:
    """Indexes in ``word`` (all letters) where a line may break: before a syllable's onset."""
    low = word.lower()
    points = []
    for i in range(2, len(word) - 2):
        v_before, here, after = low[i - 1] in _VOWELS, low[i] in _VOWELS, low[i + 1] in _VOWELS
        if v_before and not here and after:  # V-CV
            points.append(i)
        elif (
            i >= 3
            and low[i - 2] in _VOWELS
            and low[i - 1] not in _VOWELS
            and not here
            and after
            and low[i - 1 : i + 1] not in _KEEP_TOGETHER
        ):  # VC-CV
            points.append(i)
    return [p for p in points if p >= 2 and len(word) - p >= 3]


def hyphenate(text: str) -> str:
    """``text`` with soft hyphens at the break points of its long words."""

    def mark(m: re.Match[str]) -> str:
        word = m.group(0)
        points = _breaks(word)
        for p in reversed(points):
            word = word[:p] + SOFT + word[p:]
        return word

    return _WORD.sub(mark, text)
