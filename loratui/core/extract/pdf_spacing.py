"""Word gaps pypdf misses, found by following the pen with the fonts' own glyph widths.

Why: pypdf decides a word gap by comparing it with half the width of the font's space
glyph. TeX fonts have no real space: code 32 is a visible-space glyph about half an em
wide, so a tight justified line (pdfTeX puts gaps of 0.22-0.3 em as ``TJ`` offsets, or
places a word with its own text matrix after a font change) comes out glued:
"EinRaumX heißtzusammenhängend,wenneskeineoﬀenen" in the real corpus's GeoTopo.pdf.

``WordGaps`` is pypdf's ``visitor_operand_before``: it follows the text position as a
viewer does (the text matrix pypdf keeps, advanced by each shown string's widths from the
font's ``/Widths`` or ``/W``, ``Tc``, ``Tw``, ``Tz`` and ``TJ`` offsets), and where a
string starts on the line of the previous one ``GAP_EM`` of an em or more after its end
(and does not start with a space of its own), it puts a large negative offset, with the
positive one that cancels it, before the string in the ``TJ`` array. pypdf adds a space
for such an offset unless the text already ends in one; the positions and widths it
computes are unchanged. Strings in fonts whose widths are not in the file (the standard 14
without ``/Widths``, Type 3, CMaps other than Identity-H), and those shown by ``Tj``,
``'`` and ``"`` (no array to put the offset in), are left to pypdf.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from pypdf.generic import ArrayObject, DictionaryObject, NameObject

# A gap of this many ems between two strings on a line is a word gap. pdfTeX's kerns are
# under 0.1 em (28-85 thousandths in the real corpus); its word gaps in a tight justified
# line 0.22 em and more.
GAP_EM = 0.12
# Strings further apart across the line than this many ems are on another line.
LINE_EM = 0.3
# The offset that makes pypdf add a space (more than any half space), and its undoing.
_PUSH = -100000
_UNDO = 100000


class _Widths:
    """Glyph widths (thousandths of an em) of one font by character code."""

    def __init__(self, font: Any) -> None:
        self.two_byte = False
        self.table: dict[int, float] = {}
        self.default: float | None = None
        try:
            font = font.get_object()
            if font.get("/Subtype") == "/Type0":
                self._composite(font)
            elif font.get("/Subtype") != "/Type3":  # Type 3 widths are in glyph space
                self._simple(font)
        except Exception:  # a malformed font: no widths, pypdf alone decides
            self.table, self.default = {}, None

    def _simple(self, font: DictionaryObject) -> None:
        widths = font.get("/Widths")
        if widths is None:
            return
        first = int(font.get("/FirstChar", 0))
        self.table = {first + i: float(w) for i, w in enumerate(widths.get_object())}
        descriptor = font.get("/FontDescriptor")
        missing = descriptor.get_object().get("/MissingWidth") if descriptor else None
        self.default = float(missing) if missing is not None else 0.0

    def _composite(self, font: DictionaryObject) -> None:
        if font.get("/Encoding") != "/Identity-H":  # other CMaps, vertical text: unknown
            return
        descendant = font["/DescendantFonts"].get_object()[0].get_object()
        self.two_byte = True
        self.default = float(descendant.get("/DW", 1000))
        spec = list(descendant.get("/W", ArrayObject()).get_object())
        i = 0
        while i + 1 < len(spec):
            first, nxt = int(spec[i]), spec[i + 1].get_object()
            if isinstance(nxt, list):
                self.table.update({first + k: float(w) for k, w in enumerate(nxt)})
                i += 2
            else:
                last, width = min(int(nxt), 0xFFFF), float(spec[i + 2])  # two-byte codes
                self.table.update(dict.fromkeys(range(first, last + 1), width))
                i += 3

    def advance(
        self, raw: bytes, size: float, char_space: float, word_space: float
    ) -> float | None:
        """Width of ``raw`` in unscaled text space, or None when the widths are unknown."""
        if self.default is None:
            return None
        step = 2 if self.two_byte else 1
        total = 0.0
        for i in range(0, len(raw) - step + 1, step):
            code = int.from_bytes(raw[i : i + step], "big")
            total += self.table.get(code, self.default) / 1000 * size + char_space
            if code == 32 and not self.two_byte:
                total += word_space
        return total


def _raw(string: Any) -> bytes:
    raw = getattr(string, "original_bytes", None)
    if raw is not None:
        return bytes(raw)
    if isinstance(string, bytes):
        return string
    return str(string).encode("latin-1", "replace")


def _mult(m: list[float], n: list[float]) -> list[float]:
    return [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]


class _Text(NamedTuple):
    """The text state that sets how far a shown string moves the pen."""

    font: _Widths | None = None
    size: float = 0.0
    char_space: float = 0.0  # Tc
    word_space: float = 0.0  # Tw
    scale: float = 1.0  # Tz


# Operators that set the text position: the pen starts again at the text matrix.
_POSITIONING = {b"BT", b"Tm", b"Td", b"TD", b"T*"}
# Those this visitor follows; the rest (paths, colours, images) it skips at once.
_FOLLOWED = _POSITIONING | {b"Tf", b"Tc", b"Tw", b"Tz", b"q", b"Q", b"Do", b"Tj", b"TJ", b"'", b'"'}


class WordGaps:
    """pypdf's ``visitor_operand_before`` (``before``) and ``visitor_operand_after``
    (``after``, for form XObjects' fonts) that marks the word gaps pypdf would miss (module
    docstring). ``added`` counts the marks."""

    def __init__(self, resources: Any) -> None:
        self._resources: list[DictionaryObject] = [self._dict(resources)]
        self._entered: list[DictionaryObject] = []  # kept alive: _widths is keyed by their id
        self._widths: dict[tuple[int, Any], _Widths | None] = {}  # by resources and name
        self._text = _Text()
        self._saved: list[_Text] = []
        self._advance = 0.0  # text-space distance shown since the text matrix was last set
        self._lost = False  # a string of unknown width was shown since then
        self._end: tuple[float, float] | None = None  # where the last string ended, on the page
        self.added = 0

    @staticmethod
    def _dict(obj: Any) -> DictionaryObject:
        """``obj`` resolved when it is a dictionary, else an empty one."""
        try:
            obj = obj.get_object() if obj is not None else None
        except Exception:
            obj = None
        return obj if isinstance(obj, DictionaryObject) else DictionaryObject()

    def _lookup(self, name: Any) -> _Widths | None:
        key = (id(self._resources[-1]), name)
        if key not in self._widths:
            fonts = self._dict(self._resources[-1].get("/Font"))
            self._widths[key] = _Widths(fonts[name]) if name in fonts else None
        return self._widths[key]

    def before(
        self, operator: bytes, operands: list[Any], cm: list[float], tm: list[float]
    ) -> None:
        """Follow one operator (``tm``: pypdf's text matrix before it); put the push pair
        into a ``TJ`` array where a word gap would be missed."""
        if operator not in _FOLLOWED:
            return
        try:
            self._operator(operator, operands, cm, tm)
        except Exception:  # a malformed operand: lose the pen, pypdf alone decides
            self._end, self._lost = None, True

    def after(self, operator: bytes, operands: list[Any], cm: list[float], tm: list[float]) -> None:
        """Leave a form XObject's fonts once pypdf has read it."""
        if operator == b"Do" and len(self._resources) > 1:
            self._resources.pop()
            self._end = None

    def _operator(
        self, operator: bytes, operands: list[Any], cm: list[float], tm: list[float]
    ) -> None:
        text = self._text
        if operator in _POSITIONING:
            self._advance, self._lost = 0.0, False
        elif operator == b"Tf" and len(operands) >= 2:
            self._text = text._replace(font=self._lookup(operands[0]), size=float(operands[1]))
        elif operator == b"Tc" and operands:
            self._text = text._replace(char_space=float(operands[0]))
        elif operator == b"Tw" and operands:
            self._text = text._replace(word_space=float(operands[0]))
        elif operator == b"Tz" and operands:
            self._text = text._replace(scale=float(operands[0]) / 100)
        elif operator == b"q":
            self._saved.append(text)
        elif operator == b"Q" and self._saved:
            self._text = self._saved.pop()
        elif operator == b"Do":
            self._enter_form(operands)
        elif operator == b"Tj" and operands:
            self._follow(operands[0], _mult(tm, cm))
        elif operator == b"TJ" and operands and isinstance(operands[0], list):
            self._show_array(operands[0], _mult(tm, cm))
        elif operator in (b"'", b'"'):
            # shown after a T* that pypdf applies only now: where it ends is not known
            self._end, self._lost = None, True

    def _enter_form(self, operands: list[Any]) -> None:
        """A form XObject's operators come next: its own resources, else its page's."""
        self._end = None
        current = self._resources[-1]
        xobjects = self._dict(current.get("/XObject"))
        form = self._dict(xobjects.get(operands[0])) if operands else DictionaryObject()
        own = self._dict(form.get("/Resources"))
        self._resources.append(own if "/Font" in own else current)
        self._entered.append(self._resources[-1])

    def _show_array(self, array: list[Any], m: list[float]) -> None:
        """Follow a ``TJ`` array (``m``: text matrix times CTM), marking missed gaps."""
        marked = False  # a push pair is already before the next string
        i = 0
        while i < len(array):
            item = array[i]
            if item == _PUSH and i + 1 < len(array) and array[i + 1] == _UNDO:
                marked = True  # put in by an earlier reading of the same operands
                i += 2
                continue
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                self._advance -= float(item) / 1000 * self._text.size * self._text.scale
            elif isinstance(item, (str, bytes)) and not isinstance(item, NameObject):
                if not marked and self._gap_before(m) and not self._starts_with_space(item):
                    array[i:i] = [_PUSH, _UNDO]
                    self.added += 1
                    i += 2
                marked = False
                self._follow(item, m)
            i += 1

    def _starts_with_space(self, string: Any) -> bool:
        font = self._text.font
        return font is not None and not font.two_byte and _raw(string)[:1] == b" "

    def _gap_before(self, m: list[float]) -> bool:
        """Whether the string about to be shown starts a word gap after the last one."""
        if self._end is None or self._lost:
            return False
        em = self._text.size * math.hypot(m[2], m[3])
        run = math.hypot(m[0], m[1])
        if em <= 0 or run <= 0:
            return False
        dx = self._advance * m[0] + m[4] - self._end[0]
        dy = self._advance * m[1] + m[5] - self._end[1]
        along = (dx * m[0] + dy * m[1]) / run
        across = abs(dx * m[1] - dy * m[0]) / run
        return across < LINE_EM * em and along >= GAP_EM * em

    def _follow(self, string: Any, m: list[float]) -> None:
        """Move the pen past one shown string; where it ends is unknown without widths."""
        text = self._text
        width = (
            text.font.advance(_raw(string), text.size, text.char_space, text.word_space)
            if text.font
            else None
        )
        if width is None or self._lost:
            self._end, self._lost = None, True
            return
        self._advance += width * text.scale
        self._end = (self._advance * m[0] + m[4], self._advance * m[1] + m[5])
