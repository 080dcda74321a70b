"""From OCR lines to page text: word spaces measured on the image, reading order, columns.

Pure numpy: these run whether or not the OCR extra is installed.
"""

from __future__ import annotations

import numpy as np

from loratui.core.extract.ocr_layout import Line, otsu_split, page_text, respace


def test_otsu_split_separates_two_groups() -> None:
    letters = [0.05, 0.07, 0.06, 0.08, 0.04, 0.09, 0.07]
    words = [0.3, 0.35, 0.32]
    split = otsu_split(letters + words)
    assert 0.09 < split < 0.3


def _ink_line(words: list[str], letter_w: int = 10, letter_gap: int = 3, word_gap: int = 14):
    """A white strip with one black block per letter; returns the image, the characters
    (run together, as the engine gives them) and each one's centre."""
    height = 40
    width = 20 + sum(len(w) * (letter_w + letter_gap) + word_gap for w in words)
    img = np.full((height, width), 255, dtype=np.uint8)
    chars: list[str] = []
    centers: list[float] = []
    x = 10
    for word in words:
        for ch in word:
            img[10:30, x : x + letter_w] = 0
            chars.append(ch)
            centers.append(x + letter_w / 2)
            x += letter_w + letter_gap
        x += word_gap - letter_gap
    return img, chars, centers


def test_respace_puts_spaces_in_the_word_gaps_of_the_image() -> None:
    words = ["needs", "new", "lighting", "before", "winter"]
    img, chars, centers = _ink_line(words)
    line = Line(0, 0, img.shape[1], img.shape[0], "".join(chars), 0.9, tuple(chars), tuple(centers))
    (fixed,) = respace(img, [line])
    assert fixed.text == "needs new lighting before winter"


def test_respace_keeps_the_engines_own_spaces_and_leaves_ideographs_alone() -> None:
    # word-wide gaps around and between the ideographs, none of which may become a space
    img, chars, centers = _ink_line(["ab", "cd", "漢", "字", "ef"])
    # the engine saw the first gap itself: a space character between "b" and "c"
    chars.insert(2, " ")
    centers.insert(2, (centers[1] + centers[2]) / 2)
    line = Line(0, 0, img.shape[1], 40, "".join(chars), 0.9, tuple(chars), tuple(centers))
    (fixed,) = respace(img, [line])
    assert fixed.text == "ab cd漢字ef"


def test_respace_needs_a_wider_gap_between_digits() -> None:
    # "4,210": a narrow "1" leaves a gap between digits as wide as a narrow word gap
    img, chars, centers = _ink_line(["ab", "cd", "ef", "gh"], word_gap=16)
    digits = tuple("12") + tuple(chars)
    img2 = np.full((40, img.shape[1] + 40), 255, dtype=np.uint8)
    img2[:, 40:] = img
    img2[10:30, 5:15] = 0
    img2[10:30, 31:41] = 0  # 16 px from the first digit: a word gap's width
    centers2 = (10.0, 36.0) + tuple(c + 40 for c in centers)
    line = Line(0, 0, img2.shape[1], 40, "12" + "".join(chars), 0.9, digits, centers2)
    (fixed,) = respace(img2, [line])
    assert fixed.text.startswith("12")
    assert fixed.text.endswith("ab cd ef gh")


def _line(x0: float, y0: float, x1: float, text: str, h: float = 20) -> Line:
    return Line(x0, y0, x1, y0 + h, text, 0.95)


def test_rows_are_read_top_to_bottom_and_left_to_right() -> None:
    lines = [
        _line(300, 100, 500, "right half"),
        _line(50, 102, 280, "left half"),
        _line(50, 130, 500, "second row"),
    ]
    assert page_text(lines) == "left half right half\nsecond row"


def test_a_tall_gap_starts_a_paragraph() -> None:
    lines = [_line(50, 100, 500, "one"), _line(50, 126, 500, "two"), _line(50, 190, 500, "three")]
    assert page_text(lines) == "one\ntwo\n\nthree"


def test_two_columns_are_read_one_after_the_other_between_full_width_lines() -> None:
    lines = [_line(50, 40, 550, "A Title Across The Page")]
    for i in range(5):
        y = 100 + 26 * i
        lines.append(_line(50, y, 280, f"left {i}"))
        lines.append(_line(320, y, 550, f"right {i}"))
    lines.append(_line(50, 300, 550, "A footer across the page"))
    text = page_text(lines)
    left = "\n".join(f"left {i}" for i in range(5))
    right = "\n".join(f"right {i}" for i in range(5))
    assert text == f"A Title Across The Page\n\n{left}\n\n{right}\n\nA footer across the page"


def test_three_columns_are_read_one_after_the_other() -> None:
    lines = []
    for i in range(4):
        y = 100 + 26 * i
        lines += [_line(40, y, 200, f"a{i}"), _line(220, y, 380, f"b{i}")]
        lines.append(_line(400, y, 560, f"c{i}"))
    words = page_text(lines).split()
    assert words == [f"{c}{i}" for c in "abc" for i in range(4)]


def test_a_table_is_not_read_column_by_column() -> None:
    # short cells in columns: rows, not columns (cells do not fill their column)
    lines = []
    for i in range(6):
        y = 100 + 26 * i
        lines += [_line(50, y, 90, f"{1970 + i}"), _line(350, y, 390, f"{i}.5")]
    text = page_text(lines)
    assert text.splitlines()[:2] == ["1970 0.5", "1971 1.5"]


def test_no_lines_no_text() -> None:
    assert page_text([]) == ""
    assert page_text([_line(0, 0, 10, "   ")]) == ""
