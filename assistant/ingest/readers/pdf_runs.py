"""PDF reader, part 1: the runs of text on a page as PDFium reports them, and the rules drawn on it.

A run is a stretch of text on one line from one text object (or from part of one, where it
has wide gaps inside): its extent, baseline, font size, and whether whitespace came before or
after it in PDFium's text. Coordinates are turned so that text set sideways reads left to right.
"""

from __future__ import annotations

import ctypes
import math
import re
from dataclasses import dataclass, field
from typing import Any


class Seg:
    """A run of text on one line, in reading coordinates (x to the right, y up)."""

    __slots__ = ("base", "hi", "lead", "lo", "size", "text", "trail", "x0", "x1")

    def __init__(self, x0: float, x1: float, base: float, size: float, text: str,
                 lead: bool = False, trail: bool = False) -> None:
        self.x0, self.x1, self.base, self.size, self.text = x0, x1, base, size, text
        self.lead = lead  # whitespace before it in the text stream
        self.trail = trail  # whitespace after it
        self.lo = base - 0.22 * size  # the band a line of this size takes up
        self.hi = base + 0.78 * size


@dataclass(slots=True)
class Chunk:
    """Words of one line between column gaps."""

    x0: float
    x1: float
    text: str
    # Where it could still be cut in two if a table's columns run between its words: (gap from x, to x, offset in text).
    cuts: list[tuple[float, float, int]] = field(default_factory=list)


@dataclass(slots=True)
class Line:
    segs: list[Seg]
    lo: float
    hi: float
    left: float = 0.0  # extent of the runs so far (while lines are built)
    right: float = 0.0
    base: float = 0.0
    size: float = 0.0
    chunks: list[Chunk] = field(default_factory=list)
    furniture: bool = False

    @property
    def x0(self) -> float:
        return self.chunks[0].x0

    @property
    def x1(self) -> float:
        return self.chunks[-1].x1

    @property
    def text(self) -> str:
        return " ".join(c.text for c in self.chunks)


@dataclass
class Page:
    lines: list[Line]  # the upright text, top to bottom
    extra: list[list[Line]]  # text turned sideways or upside down, one list per direction
    top: float
    bottom: float
    letters: int
    rules: list[tuple[float, float, float]] = field(default_factory=list)  # horizontal rules (y, x0, x1)
    uprights: list[tuple[float, float, float]] = field(default_factory=list)  # vertical rules (x, y0, y1)


def quarter_xy(q: int, x: float, y: float) -> tuple[float, float]:
    """Page coordinates turned so that text drawn at q quarter turns reads left to right."""
    if q == 0:
        return x, y
    if q == 1:
        return -y, x
    if q == 2:
        return -x, -y
    return y, -x


def quarter_box(q: int, left: float, bottom: float, right: float, top: float) -> tuple[float, float, float, float]:
    if q == 0:
        return left, bottom, right, top
    ax, ay = quarter_xy(q, left, bottom)
    bx, by = quarter_xy(q, right, top)
    return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)


def page_box(page: Any) -> tuple[float, float, float, float]:
    """The visible part of the page (crop box, inherited boxes included) as (left, bottom, right, top)."""
    import pypdfium2.raw as R

    rect = R.FS_RECTF()
    if R.FPDF_GetPageBoundingBox(page.raw, rect) and rect.right > rect.left and rect.top != rect.bottom:
        return rect.left, min(rect.bottom, rect.top), rect.right, max(rect.bottom, rect.top)
    return 0.0, 0.0, float(page.get_width()), float(page.get_height())


_MAX_OBJECTS = 4000  # a page drawn with more vector objects than this (a map, a chart) is not searched for rules


def page_rules(page: Any, q: int) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]:
    """Rules drawn on the page (table borders, the edges of shaded cells): horizontal (y, x0, x1) and
    vertical (x, y0, y1)."""
    import pypdfium2.raw as R

    raw = page.raw
    n = R.FPDFPage_CountObjects(raw)
    if n <= 0 or n > _MAX_OBJECTS:
        return [], []
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    across, upright = [], []
    path = R.FPDF_PAGEOBJ_PATH
    for i in range(n):
        obj = R.FPDFPage_GetObject(raw, i)
        if R.FPDFPageObj_GetType(obj) != path or not R.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
            continue
        x0, y0, x1, y1 = quarter_box(q, left.value, bottom.value, right.value, top.value)
        w, h = x1 - x0, y1 - y0
        if h <= 2.5 and w >= 6:
            across.append(((y0 + y1) / 2, x0, x1))
        elif w <= 2.5 and h >= 6:
            upright.append(((x0 + x1) / 2, y0, y1))
        elif w >= 6 and 2.5 < h <= 80:
            across.append((y0, x0, x1))
            across.append((y1, x0, x1))
    across.sort()
    upright.sort()
    return across, upright


def page_segments(tp: Any) -> list[tuple[int, Seg]]:
    """The page's runs of text, each with the quarter turns its text is drawn at.

    PDFium's text of the page breaks lines with a generated CR LF. Within a line, each
    rectangle PDFium reports is one text object: its characters are found by counting
    rectangles over prefixes of the line (a binary search), so no character is visited one
    by one unless an object has wide gaps inside it.
    """
    import pypdfium2.raw as R

    n = R.FPDFText_CountChars(tp)
    if n <= 0:
        return []
    buf = (ctypes.c_ushort * (n + 1))()
    got = R.FPDFText_GetText(tp, 0, n, buf)
    text = bytes(memoryview(buf).cast("B")[: max(got - 1, 0) * 2]).decode("utf-16-le", "replace")
    if len(text) != n:  # characters left out of or added to PDFium's text: ask for them one by one
        text = "".join(_unichr(R.FPDFText_GetUnicode(tp, i)) for i in range(n))
    out: list[tuple[int, Seg]] = []
    start = 0
    while start < n:
        end = text.find("\n", start)
        if end < 0:
            end = n
        line = text[start:end]
        body = line.strip()
        if body:
            a = start + len(line) - len(line.lstrip())
            _line_segments(R, tp, text, a, a + len(body), start, end, out)
        start = end + 1
    return out


def _unichr(code: int) -> str:
    if 0 < code < 0x110000 and not 0xD800 <= code < 0xE000:
        return chr(code)
    return "\x00"  # no Unicode for this glyph: a placeholder that clean_text removes


_D = [ctypes.c_double() for _ in range(4)]
_MATRIX: Any = None


def _line_segments(R: Any, tp: Any, text: str, a: int, b: int, start: int, end: int,
                   out: list[tuple[int, Seg]]) -> None:
    """The runs of text[a:b], one of PDFium's lines: one per text object (rectangle)."""
    k = R.FPDFText_CountRects(tp, a, b - a)
    if k <= 0:
        return
    left, top, right, bottom = _D
    boxes = []
    for j in range(k):
        R.FPDFText_GetRect(tp, j, left, top, right, bottom)
        boxes.append((left.value, bottom.value, right.value, top.value))
    starts = [a]
    if k > 1:
        spans = [(m.start(), m.end()) for m in _WORD_RE.finditer(text, a, b)]
        if len(spans) == k and _word_per_object(R, tp, text, spans, boxes, out):
            return
        if len(spans) == k and all(R.FPDFText_CountRects(tp, s, e - s) == 1 for s, e in spans):
            starts = [s for s, _ in spans]  # one word per object
        else:
            lo = a
            for j in range(1, k):
                low, high = lo + 2, b
                while low < high:  # the smallest m with rectangle j among the characters a..m-1
                    mid = (low + high) // 2
                    if R.FPDFText_CountRects(tp, a, mid - a) > j:
                        high = mid
                    else:
                        low = mid + 1
                lo = low - 1
                starts.append(lo)
    for j, s in enumerate(starts):
        e = starts[j + 1] if j + 1 < len(starts) else b
        raw = text[s:e]
        words = raw.strip()
        if not words:
            continue
        # The start and end of one of PDFium's lines count as whitespace: it broke the line there.
        lead = j == 0 or raw[0].isspace() or text[s - 1].isspace()
        trail = j + 1 == len(starts) or raw[-1].isspace()
        first = s + len(raw) - len(raw.lstrip())
        q, size, ox, oy = _char_frame(R, tp, first)
        if q:
            x0, _, x1, _ = quarter_box(q, *boxes[j])
            base = quarter_xy(q, ox, oy)[1]
        else:
            x0, x1, base = boxes[j][0], boxes[j][2], oy
        if len(words) >= 2 and x1 - x0 > (0.75 * len(words) + 2.0) * size:
            # Wider than its letters: gaps inside one object (cells placed by kerning), so look closer.
            out.extend(_walk_chars(R, tp, text, first, first + len(words), lead, trail))
            continue
        out.append((q, Seg(x0, x1, base, size, words, lead, trail)))


_WORD_RE = re.compile(r"\S+")


def _word_per_object(R: Any, tp: Any, text: str, spans: list[tuple[int, int]],
                     boxes: list[tuple[float, float, float, float]], out: list[tuple[int, Seg]]) -> bool:
    """A line set one word per text object (as many words as rectangles, each as wide as its word,
    all on one baseline): its words as runs, neighbours a word space apart joined, with one
    look at the font for the whole line. False (nothing added) when the line is not like that."""
    q, size, ox, base = _char_frame(R, tp, spans[0][0])
    if q:
        base = quarter_xy(q, ox, base)[1]
        boxes = [quarter_box(q, *box) for box in boxes]
    lo, hi = base - 0.4 * size, base + 1.15 * size
    prev_x1 = -math.inf
    for (s, e), (x0, y0, x1, y1) in zip(spans, boxes):
        n = e - s
        if x0 < prev_x1 - 0.5 or not 0.12 * size * n <= x1 - x0 <= 1.2 * size * n + 2 or y0 < lo or y1 > hi:
            return False
        if y1 - y0 < 0.45 * size and any(c.isdigit() for c in text[s:e]):
            return False  # a small figure: perhaps a footnote mark, worth a closer look
        prev_x1 = x1
    run: Seg | None = None
    for (s, e), (x0, _, x1, _) in zip(spans, boxes):
        if run is not None and x0 - run.x1 < 0.4 * size:
            run.text = f"{run.text} {text[s:e]}"
            run.x1 = x1
            continue
        run = Seg(x0, x1, base, size, text[s:e], True, True)
        out.append((q, run))
    return True


def _char_frame(R: Any, tp: Any, i: int) -> tuple[int, float, float, float]:
    """(quarter turns, font size in points, origin x, origin y) of character i, from its matrix.

    The matrix carries the font's scaling (many PDFs set a 1-point font and scale it), its
    turn (text set sideways) and the origin of its text object, whose baseline it shares.
    """
    global _MATRIX
    size = R.FPDFText_GetFontSize(tp, i)
    if _MATRIX is None:
        _MATRIX = R.FS_MATRIX()
    m = _MATRIX
    if not R.FPDFText_GetMatrix(tp, i, m):
        ox, oy = _D[0], _D[1]
        R.FPDFText_GetCharOrigin(tp, i, ox, oy)
        return 0, size if 0.5 <= size <= 2000 else 10.0, ox.value, oy.value
    scale = math.sqrt(abs(m.a * m.d - m.b * m.c))
    if scale > 0:
        size *= scale
    if not 0.5 <= size <= 2000:
        size = 10.0
    q = 0
    if abs(m.b) > 0.2 * abs(m.a) or m.a < 0:
        q = round(-math.atan2(m.b, m.a) / (math.pi / 2)) % 4
    return q, size, m.e, m.f


def _walk_chars(R: Any, tp: Any, text: str, a: int, b: int, lead: bool, trail: bool) -> list[tuple[int, Seg]]:
    """Runs of text[a:b] character by character: a new run wherever the position jumps or the band changes."""
    out: list[tuple[int, Seg]] = []
    box = R.FS_RECTF()
    q = _char_frame(R, tp, a)[0]
    run: list[Any] | None = None  # [x0, x1, lo, hi, first index, chars, lead]
    space = lead

    def close(trail: bool) -> None:
        x0, x1, _, _, first, chars, lead = run
        _, size, ox, oy = _char_frame(R, tp, first)
        base = oy if q == 0 else quarter_xy(q, ox, oy)[1]
        out.append((q, Seg(x0, x1, base, size, "".join(chars), lead, trail)))

    for i in range(a, b):
        ch = text[i]
        if not ch.strip():
            space = True
            continue
        if not R.FPDFText_GetLooseCharBox(tp, i, box):
            continue
        x0, lo, x1, hi = quarter_box(q, box.left, box.bottom, box.right, box.top)
        if run is not None:
            h = max(run[3] - run[2], 0.1)
            if (not space and abs(lo - run[2]) <= 0.25 * h and abs(hi - run[3]) <= 0.25 * h
                    and -0.5 * h <= x0 - run[1] <= 0.12 * h):
                run[1] = max(run[1], x1)
                run[5].append(ch)
                continue
            close(space)
        run = [x0, x1, lo, hi, i, [ch], space]
        space = False
    if run is not None:
        close(trail)
    return out
