"""Token-sized chunks of a document, cut at paragraph, then sentence, boundaries.

The chunker is fed a document page by page and hands back chunks as soon as they are full,
so memory stays at one chunk however long the document is. Every chunk knows the pages it
spans, the heading it falls under, and its character span in the cleaned document text
(the cleaned pages joined with a blank line, or with a space where a page goes on with the
previous page's sentence), so lineage can point back to the source.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from loratui.core.export.tokenizer import ApproxCounter, Counter
from loratui.core.tokens import CLASS, HUGE, approx_from, approx_pieces

PAGE_JOINER = "\n\n"
SENTENCE_JOINER = " "  # between pages when the second goes on with the first one's sentence
ESTIMATE_MARGIN = 1.02  # sentences estimated a little high: few chunks counted twice
# text up to a blank line (possessive runs: the same matches as \S(?:.|\n(?!\s*\n))*)
_PARA = re.compile(r"\S(?:[^\n]++|\n(?!\s*\n))*+")
# a sentence: up to a terminator (and closing quotes) before a space, or the end; written
# with possessive runs so a long sentence is not matched a character at a time (the same
# matches as the plain lazy pattern \S.*?(?:[.!?…]["')\]”’]*(?=\s)|$) on a paragraph,
# which never ends in a newline; a test checks)
_TERM = "[.!?\u2026]"
_QUOTES = "[\"')\\]\u201d\u2019]"
_SENTENCE = re.compile(
    rf"\S(?:[^.!?\u2026]++|{_TERM}(?!{_QUOTES}*+\s))*+(?:{_TERM}{_QUOTES}*(?=\s)|$)", re.DOTALL
)
_W, _P = CLASS[ord("a")], CLASS[ord(".")]
SLICE_CHARS = 1 << 20  # a page longer than this is chunked a part at a time
_PARA_START = re.compile(r"\n\s*\n\s*")  # a blank line and what follows up to the next text
_SPACE_RUN = re.compile(r"\s+")
_WORD_GAP = re.compile(r"\s")
_WORD_CHAR = re.compile(r"\w")
_HEADING = re.compile(
    r"^(?:#{1,6}\s+\S.*|(?:\d+(?:\.\d+)*\.?|[IVXLC]+\.|chapter\s+\w+|section\s+\w+)\s+\S.{0,80})$",
    re.IGNORECASE,
)


def sentence_estimates(
    text: str, paras: list[tuple[int, str]], sents: list[list[tuple[int, str]]]
) -> list[tuple[list[int], list[int]]]:
    """Per paragraph, the ``approx_pieces`` and ``approx_tokens`` of each of its sentences.

    ``paras`` are (offset in ``text``, paragraph) and ``sents`` their (offset in the
    paragraph, sentence). An ASCII page is classified once, with numpy, and every count
    comes from prefix sums of piece starts (the same counts as ``tokens.approx_pieces``:
    a piece starts at a punctuation mark or at a word character after a non-word one).
    """
    if not text.isascii():
        out = []
        for spans in sents:
            pieces = [approx_pieces(t) for _, t in spans]
            counts = [approx_from(len(t), k) for (_, t), k in zip(spans, pieces, strict=True)]
            out.append((pieces, counts))
        return out
    cls = np.frombuffer(text.encode("ascii").translate(CLASS), dtype=np.uint8)
    word = cls == _W
    starts_piece = cls == _P
    starts_piece[1:] |= word[1:] & ~word[:-1]
    starts_piece[:1] |= word[:1]
    prefix = np.zeros(len(cls) + 1, dtype=np.int64)
    np.cumsum(starts_piece, out=prefix[1:])
    begin = [
        p_start + s for (p_start, _), spans in zip(paras, sents, strict=True) for s, _ in spans
    ]
    if not begin:
        return [([], []) for _ in sents]
    length = [len(t) for spans in sents for _, t in spans]
    b = np.array(begin, dtype=np.int64)
    n = np.array(length, dtype=np.int64)
    pieces = prefix[b + n] - prefix[b]
    # a sentence that starts inside a word (never after the regexes above) still counts it
    inside = (b > 0) & word[b] & word[np.maximum(b - 1, 0)]
    pieces += inside
    counts = np.maximum((n + 3) // 4, (3 * pieces + 3) // 4)
    counts = np.where(n > HUGE, (n + 3) // 4, counts)
    flat_pieces, flat_counts = pieces.tolist(), counts.tolist()
    out = []
    i = 0
    for spans in sents:
        j = i + len(spans)
        out.append((flat_pieces[i:j], flat_counts[i:j]))
        i = j
    return out


def page_slices(text: str, size: int = SLICE_CHARS) -> Iterator[str]:
    """``text`` in consecutive parts of about ``size`` characters, each cut where a paragraph
    starts, so every part holds whole paragraphs and chunks come out as from the whole page.

    Why: a page is usually a few kB, but a text file without form feeds is one page however
    big, and per-character arrays and per-sentence lists of a 40 MB page took over 1 GB. A
    paragraph longer than ``size`` is cut at a line break or space instead (it then counts
    as two paragraphs).
    """
    start = 0
    while len(text) - start > size:
        m = _PARA_START.search(text, start + size)
        if m is not None and m.start() - start <= 2 * size:
            cut = m.end()
        else:  # one huge paragraph: cut at whitespace (or, failing that, anywhere)
            space = _SPACE_RUN.search(text, start + size, start + 2 * size)
            cut = space.end() if space is not None else start + size
        if cut >= len(text):
            break
        yield text[start:cut]
        start = cut
    yield text[start:]


def is_heading(para: str) -> bool:
    """A short one-line paragraph that looks like a title (Markdown, numbered, or CAPS);
    a table row (``| YEAR | GDP |``) is not one."""
    if "\n" in para or len(para) > 100 or para.startswith("| "):
        return False
    if _HEADING.match(para):
        return True
    letters = [c for c in para if c.isalpha()]
    return len(letters) >= 3 and all(c.isupper() for c in letters) and para[-1:] not in ".,;"


@dataclass(slots=True)
class Unit:
    """A sentence (or a piece of one) with where it sits."""

    text: str
    page: int
    start: int  # offset in the cleaned document text
    end: int
    tokens: int
    gap: str  # the text between the previous unit and this one
    heading: str | None
    pieces: int = 0  # approx_pieces(text), kept with the approx counter only


@dataclass
class Chunk:
    text: str
    pages: list[int]
    start: int
    end: int
    heading: str | None
    index: int
    tokens: int
    page_marks: list[tuple[int, int]] = field(default_factory=list)  # (offset, page)


class Chunker:
    """Pack sentences into chunks of at most ``size`` tokens with ``overlap`` carried over."""

    def __init__(self, counter: Counter, size: int, overlap: int) -> None:
        self.counter = counter
        self.size = size
        self.overlap = overlap
        self._buf: list[Unit] = []
        self._tokens = 0
        self._offset = 0  # where the next page starts in the document text
        self._pending_gap = ""
        self._heading: str | None = None
        self._index = 0
        self._pages_seen = 0
        self._continues = False  # the next paragraph goes on with the previous page's
        # with the approx estimate a chunk's count comes from its units' pieces
        self._approx = isinstance(counter, ApproxCounter)
        # with a real tokenizer, sentences are estimated (the approx estimate times this
        # document's tokens per estimated token so far) and only chunks are counted
        self._ratio = 1.0
        self._counted = [0, 0]  # tokens counted, tokens estimated, over emitted chunks

    # ---- feeding ----------------------------------------------------------------------

    def add_page(self, number: int, text: str, continues: bool = False) -> Iterator[Chunk]:
        """Chunk page ``number``; ``continues``: its first paragraph goes on with the last
        sentence of the previous page (joined with a space, never taken for a heading or a
        paragraph start to cut at)."""
        if self._pages_seen:
            joiner = SENTENCE_JOINER if continues else PAGE_JOINER
            self._pending_gap += joiner
            self._offset += len(joiner)
            self._continues = continues
        self._pages_seen += 1
        for piece in page_slices(text, SLICE_CHARS):
            yield from self._add_text(number, piece)

    def _add_text(self, number: int, text: str) -> Iterator[Chunk]:
        """Chunk ``text``, the next part of page ``number`` (see ``page_slices``)."""
        pos = 0
        paras = [(m.start(), m.group().rstrip()) for m in _PARA.finditer(text)]
        sents = [
            [(m.start(), t) for m in _SENTENCE.finditer(para) if (t := m.group().rstrip())]
            for _, para in paras
        ]
        estimates = sentence_estimates(text, paras, sents)
        for (p_start, para), spans, (pieces, counts) in zip(paras, sents, estimates, strict=True):
            self._pending_gap += text[pos:p_start]
            pos = p_start + len(para)
            continued, self._continues = self._continues, False
            heading_here = not continued and is_heading(para)
            if heading_here:
                self._heading = para.lstrip("# ").strip()
            units = self._units(para, number, self._offset + p_start, spans, pieces, counts)
            para_tokens = sum(u.tokens for u in units)
            if (
                not continued
                and self._has_new()
                and (
                    (self._tokens + para_tokens > self.size and self._tokens >= self.size // 2)
                    or (heading_here and self._tokens >= self.size // 4)
                )
            ):
                yield self._emit()  # prefer the paragraph (or heading) boundary
            if self._tokens + para_tokens <= self.size:
                # the usual case: the whole paragraph fits, so no unit below would emit or
                # drop overlap; push them all at once
                self._buf.extend(units)
                self._tokens += para_tokens
                continue
            for u in units:
                while self._tokens + u.tokens > self.size and self._has_new():
                    yield self._emit()
                while (
                    self._buf
                    and self._tokens + u.tokens > self.size
                    and self._buf[0].end <= self._carry_end
                ):
                    self._tokens -= self._buf.pop(0).tokens  # overlap that no longer fits
                self._push(u)
        self._pending_gap += text[pos:]
        self._offset += len(text)

    def finish(self) -> Iterator[Chunk]:
        while self._has_new():  # more than once only when a counted chunk was too long
            yield self._emit(final=True)

    _carry_end = -1  # units ending at or before this were carried over as overlap only

    def _has_new(self) -> bool:
        """Whether the buffer holds units not yet emitted (not just the overlap)."""
        return bool(self._buf) and self._buf[-1].end > self._carry_end

    # ---- internals --------------------------------------------------------------------

    def _units(
        self,
        para: str,
        page: int,
        base: int,
        sents: list[tuple[int, str]],
        pieces: list[int],
        counts: list[int],
    ) -> list[Unit]:
        """The paragraph's sentences as units; ``counts`` are their approx estimates."""
        if not self._approx:
            if not self._counted[1] and sents:  # calibrate on the document's first paragraph
                self._counted[0] += self.counter.count(para)
                self._counted[1] += approx_from(len(para), sum(pieces))
                self._ratio = self._counted[0] / max(1, self._counted[1])
            scale = self._ratio * ESTIMATE_MARGIN
            counts = [math.ceil(n * scale) for n in counts]
        units: list[Unit] = []
        heading = self._heading
        prev_end = 0
        for (sent_start, sent), n, k in zip(sents, counts, pieces, strict=True):
            if n > self.size:  # rare: cut it at word gaps
                for piece_start, piece, tokens in self._hard_split(sent, sent_start, n):
                    kk = approx_pieces(piece)
                    end = piece_start + len(piece)
                    units.append(
                        Unit(
                            piece,
                            page,
                            base + piece_start,
                            base + end,
                            tokens,
                            para[prev_end:piece_start],
                            heading,
                            kk,
                        )
                    )
                    prev_end = end
                continue
            end = sent_start + len(sent)
            units.append(
                Unit(
                    sent,
                    page,
                    base + sent_start,
                    base + end,
                    n,
                    para[prev_end:sent_start],
                    heading,
                    k,
                )
            )
            prev_end = end
        if units:
            units[0].gap = self._pending_gap
            self._pending_gap = ""
        return units

    def _hard_split(self, sent: str, start: int, n: int) -> Iterator[tuple[int, str, int]]:
        """A sentence longer than a chunk is cut at word gaps within the token budget.

        ``n`` is the sentence's token count; each piece comes with its own."""
        count = self.counter.count
        while n > self.size:
            cut = self.counter.prefix_chars(sent, self.size)
            space = sent.rfind(" ", 0, cut)
            if space > cut // 2:
                cut = space
            cut = max(cut, 1)
            piece = sent[:cut].rstrip()
            yield start, piece, count(piece)
            rest = sent[cut:]
            stripped = rest.lstrip()
            start += cut + (len(rest) - len(stripped))
            sent = stripped
            if not sent:
                return
            n = count(sent)
        yield start, sent, n

    def _push(self, u: Unit) -> None:
        self._buf.append(u)
        self._tokens += u.tokens

    def _approx_count(self, text: str, remember: bool = True) -> int:
        """``approx_tokens`` of the buffer's joined text, from its units' pieces.

        Gaps between units are whitespace (no pieces); only where a unit was cut inside a
        word (an empty gap between two word characters) do two pieces join into one.
        """
        buf = self._buf
        pieces = buf[0].pieces
        for prev, u in zip(buf, buf[1:], strict=False):
            pieces += u.pieces
            if not u.gap and _WORD_CHAR.match(prev.text[-1:]) and _WORD_CHAR.match(u.text[:1]):
                pieces -= 1
        n = approx_from(len(text), pieces)
        if remember:
            self.counter.remember(text, n)
        return n

    def _text(self) -> str:
        buf = self._buf
        parts = [buf[0].text]
        for u in buf[1:]:
            parts.append(u.gap)
            parts.append(u.text)
        return "".join(parts)

    def _counted_text(self) -> tuple[str, int, list[Unit]]:
        """The buffer's text and its counted tokens, with a real tokenizer.

        Sentences were estimated: when the count is over ``size``, new sentences go back
        (to start the next chunk) until it fits, keeping at least one."""
        buf = self._buf
        back: list[Unit] = []
        text = self._text()
        n = self.counter.count(text)
        while n > self.size and len(buf) > 1 and buf[-2].end > self._carry_end:
            # the excess in estimated tokens, at this buffer's own counted/estimated rate
            excess = (n - self.size) * sum(u.tokens for u in buf) / n
            while excess > 0 and len(buf) > 1 and buf[-2].end > self._carry_end:
                excess -= buf[-1].tokens
                back.insert(0, buf.pop())
            text = self._text()
            n = self.counter.count(text)
        estimated = self._approx_count(text, remember=False)
        self._counted[0] += n
        self._counted[1] += estimated
        self._ratio = self._counted[0] / max(1, self._counted[1])
        return text, n, back

    def _emit(self, final: bool = False) -> Chunk:
        back: list[Unit] = []
        if self._approx:
            text = self._text()
            tokens = self._approx_count(text)
        else:
            text, tokens, back = self._counted_text()
        buf = self._buf
        marks: list[tuple[int, int]] = []
        for u in buf:
            if not marks or marks[-1][1] != u.page:
                marks.append((u.start, u.page))
        chunk = Chunk(
            text=text,
            pages=sorted({u.page for u in buf}),
            start=buf[0].start,
            end=buf[-1].end,
            heading=buf[0].heading,
            index=self._index,
            tokens=tokens,
            page_marks=marks,
        )
        self._index += 1
        if not final or back:
            carry: list[Unit] = []
            total = 0
            for u in reversed(buf[1:]):
                if total + u.tokens > self.overlap:
                    break
                carry.insert(0, u)
                total += u.tokens
            self._buf = carry + back
            self._tokens = total + sum(u.tokens for u in back)
            self._carry_end = buf[-1].end
        else:
            self._buf = []
            self._tokens = 0
        return chunk


def chunk_pages(
    pages: list[tuple[int, str]], counter: Counter, size: int, overlap: int
) -> Iterator[Chunk]:
    """Chunk a whole (small) document at once."""
    c = Chunker(counter, size, overlap)
    for number, text in pages:
        yield from c.add_page(number, text)
    yield from c.finish()


def split_chunk(chunk: Chunk, counter: Counter, size: int) -> list[Chunk]:
    """Cut one chunk into pieces of at most ``size`` tokens (the ``split`` strategy)."""
    c = Chunker(counter, max(size, 1), 0)
    pieces = list(c.add_page(0, chunk.text)) + list(c.finish())
    out = []
    for p in pieces:
        start, end = chunk.start + p.start, chunk.start + p.end
        pages = [
            pg
            for i, (off, pg) in enumerate(chunk.page_marks)
            if off < end and _page_end(chunk, i) > start
        ] or list(chunk.pages)
        out.append(
            Chunk(
                text=p.text,
                pages=pages,
                start=start,
                end=end,
                heading=chunk.heading,
                index=chunk.index,
                tokens=p.tokens,
                page_marks=[m for m in chunk.page_marks if m[1] in pages],
            )
        )
    return out


def _page_end(chunk: Chunk, i: int) -> int:
    marks = chunk.page_marks
    return marks[i + 1][0] if i + 1 < len(marks) else chunk.end
