"""PDF reader, part 2: a page's runs of text as lines, each split into chunks at column gaps.

Runs that overlap vertically are one line, read left to right; a gap of about a word is a
space, a wide gap separates chunks (cells). Superscript and subscript digits become ¹²³ and
₁₂₃. A bullet or paragraph number set apart by a tab stop stays with its text.
"""

from __future__ import annotations

import itertools
import math
import re
import statistics
from typing import Any

from .clean import clean_text
from .pdf_runs import Chunk, Line, Page, Seg, page_box, page_rules, page_segments, quarter_box

MIN_TEXT_CHARS = 10  # fewer letters and digits than this in the whole file: no text layer
_ALNUM_RE = re.compile(r"[^\W_]")


def read_page(doc: Any, index: int) -> Page:
    page = doc[index]
    try:
        textpage = page.get_textpage()
        try:
            segs = page_segments(textpage.raw)
        finally:
            textpage.close()
        box = page_box(page)
        by_quarter: dict[int, list[Seg]] = {}
        for q, seg in segs:
            by_quarter.setdefault(q, []).append(seg)
        letters = sum(1 for _ in itertools.islice(_ALNUM_RE.finditer("".join(s.text for _, s in segs)), MIN_TEXT_CHARS))
        if not by_quarter:
            return Page([], [], 0.0, 0.0, 0)
        weight = {q: sum(len(s.text) for s in ss) for q, ss in by_quarter.items()}
        main_q = max(weight, key=lambda q: (weight[q], -q))
        _, bottom, _, top = quarter_box(main_q, *box)
        main = build_lines(by_quarter[main_q])
        extra = [build_lines(by_quarter[q]) for q in sorted(by_quarter) if q != main_q]
        rules, uprights = page_rules(page, main_q) if any(len(ln.chunks) >= 2 for ln in main) else ([], [])
    finally:
        page.close()
    return Page(main, extra, top, bottom, letters, rules, uprights)


def build_lines(segs: list[Seg]) -> list[Line]:
    """Runs grouped into lines (vertical overlap), each line's runs joined into chunks, top to bottom."""
    kept = []
    for s in segs:
        t = s.text
        if not (t.isascii() and t.isprintable()):
            # U+FFFD stands for a glyph without Unicode: no text to keep.
            t = clean_text(t).replace("\t", " ").replace("\n", " ").replace("\ufffd", "")
        if "  " in t:
            t = _SPACES_RE.sub(" ", t)
        s.text = t.strip()
        if s.text and s.x1 >= s.x0:
            kept.append(s)
    kept.sort(key=lambda s: (-(s.lo + s.hi), s.x0, s.text))
    lines: list[Line] = []
    for s in kept:
        found: list[tuple[float, int, Line]] = []
        for n in range(len(lines) - 1, -1, -1):
            ln = lines[n]
            if ln.lo > s.hi + s.size:
                break
            overlap = min(ln.hi, s.hi) - max(ln.lo, s.lo)
            if overlap > 0:
                f = overlap / max(min(ln.hi - ln.lo, s.hi - s.lo), 0.01)
                if f >= 0.5:
                    found.append((f, n, ln))
        best = None
        for _, _, ln in (sorted(found, key=lambda t: (-t[0], -t[1])) if len(found) > 1 else found):
            clash = _clash(ln, s)
            if not clash:
                best = ln
                break
            if clash == "same":
                best = s  # the same words drawn twice, slightly offset (fake bold, a shadow): drop them
                break
        if best is s:
            continue
        if best is None:
            lines.append(Line([s], s.lo, s.hi, s.x0, s.x1))
        else:
            best.segs.append(s)
            best.lo = min(best.lo, s.lo)
            best.hi = max(best.hi, s.hi)
            best.left = min(best.left, s.x0)
            best.right = max(best.right, s.x1)
    for ln in lines:
        _finish_line(ln)
    lines = [ln for ln in lines if ln.chunks]
    lines.sort(key=lambda ln: (-ln.base, ln.x0))
    _merge_markers(lines)
    return lines


_SPACES_RE = re.compile(r" {2,}")


def _clash(line: Line, s: Seg) -> str:
    """'same' when s repeats text already on the line at the same place, 'other' when it overlaps other text."""
    if s.x0 >= line.right or s.x1 <= line.left:
        return ""
    for t in line.segs:
        overlap = min(t.x1, s.x1) - max(t.x0, s.x0)
        if overlap > 0.5 * max(min(t.x1 - t.x0, s.x1 - s.x0), 0.01):
            return "same" if t.text == s.text else "other"
    return ""


_SUPERSCRIPT = str.maketrans("0123456789+-=()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾")
_SUBSCRIPT = str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")
_MARK_RE = re.compile(r"^[0-9,+\-=()]{1,6}$")


_COLUMN_EM = 0.8  # a gap this wide (in font sizes) may be a column gap ...


_COLUMN_RATIO = 2.0  # ... when it is also this much wider than the line's word gaps


_GLUE_EM = 0.35  # a narrower gap, with no space in PDFium's text between the runs, is inside a word


def _finish_line(ln: Line) -> None:
    """The line's size and baseline (of its main text) and its chunks: runs joined with spaces, split at column gaps."""
    if len(ln.segs) == 1:
        s = ln.segs[0]
        ln.size, ln.base, ln.chunks = round(s.size * 2) / 2, s.base, [Chunk(s.x0, s.x1, s.text)]
        return
    segs = sorted(ln.segs, key=lambda s: (s.x0, -s.size))
    weights: dict[float, int] = {}
    for s in segs:
        key = round(s.size * 2) / 2
        weights[key] = weights.get(key, 0) + len(s.text)
    size = max(weights, key=lambda k: (weights[k], k))
    bases = sorted(s.base for s in segs if abs(s.size - size) <= 0.6)
    ln.size = size
    ln.base = bases[len(bases) // 2] if bases else segs[0].base
    tokens: list[tuple[float, str, Seg]] = []  # (gap before it in ems, -1 when glued; text; run)
    prev: Seg | None = None
    for s in segs:
        text, marked = s.text, False
        if s.size < 0.8 * size and _MARK_RE.match(text):
            rise = s.base - ln.base
            if rise > 0.15 * size:
                text, marked = text.translate(_SUPERSCRIPT), True
            elif rise < -0.08 * size:
                text, marked = text.translate(_SUBSCRIPT), True
        if prev is None:
            tokens.append((0.0, text, s))
        elif marked:  # a footnote mark: glued to what it marks
            gap = (s.x0 - prev.x1) / size
            tokens.append((-1.0 if gap < 0.3 else gap, text, s))
        else:
            gap = (s.x0 - prev.x1) / max(prev.size, s.size, 1.0)
            glued = gap < _GLUE_EM and not (prev.trail or s.lead)
            tokens.append((-1.0 if glued else max(gap, 0.0), text, s))
        prev = s
    wide = _column_threshold([g for g, _, _ in tokens[1:] if g >= 0], len(tokens))
    chunks: list[Chunk] = []
    for i, (gap, text, s) in enumerate(tokens):
        if i == 0 or gap >= wide:
            chunks.append(Chunk(s.x0, s.x1, text))
            continue
        c = chunks[-1]
        if gap >= 0:
            c.cuts.append((c.x1, s.x0, len(c.text) + 1))
            c.text += " " + text
        else:
            c.text += text
        c.x1 = max(c.x1, s.x1)
    ln.chunks = chunks


def _column_threshold(gaps: list[float], words: int) -> float:
    """The gap (in ems) from which a gap on this line separates cells rather than words."""
    if not gaps:
        return math.inf
    narrow = [g for g in gaps if g < _COLUMN_EM]
    if narrow:
        return max(_COLUMN_EM, _COLUMN_RATIO * statistics.median(narrow))
    if len(gaps) >= 2 and max(gaps) <= 1.5 * min(gaps) and words >= 4 and max(gaps) < 3.0:
        return math.inf  # a short line of a justified paragraph spread wide, not cells
    return _COLUMN_EM


_MARKER_RE = re.compile(r"^(?:[•·▪◦●○■□➤►✓✔\uf0b7\uf0a7\uf0d8\uf076\uf0fc\-–*]"
                        r"|\(?\d{1,2}(?:\.\d{1,2}){0,3}[.)]?|\(?[a-zA-Z][.)]|\(?[ivxIVX]{1,5}[.)])$")
_BULLET_RE = re.compile(r"^[•·▪◦●○■□➤►✓✔\uf0b7\uf0a7\uf0d8\uf076\uf0fc]$")  # never a cell ("-" can be a nil figure)


def _merge_markers(lines: list[Line]) -> None:
    """A bullet or paragraph number set apart by a tab stop ("4.3.1   In relation ...") stays with its text.

    Bullets always do. A number, letter or dash does when it is the only thing before the text and
    the lines around have nothing else under or over it (then it is a column of a table: "1   Friends
    of ...   £300", "2022   109", "-   Community Planning   (9,500)").
    """
    for i, ln in enumerate(lines):
        chunks = ln.chunks
        if len(chunks) < 2 or not _MARKER_RE.match(chunks[0].text):
            continue
        first, second = chunks[0], chunks[1]
        if not _BULLET_RE.match(first.text):
            if len(chunks) != 2 or not re.match(r"[^\W\d_]|[\"'‘“(]", second.text):
                continue
            if _column_below_or_above(lines, i, first):
                continue
        shift = len(first.text) + 1
        cuts = [(a, b, k + shift) for a, b, k in second.cuts]
        merged = Chunk(first.x0, second.x1, f"{first.text} {second.text}", cuts)
        ln.chunks = [merged, *chunks[2:]]


def _column_below_or_above(lines: list[Line], i: int, marker: Chunk) -> bool:
    """A line next to line i has text (other than a marker) under or over the marker: a table column."""
    ln = lines[i]
    for j in (i - 3, i - 2, i - 1, i + 1, i + 2, i + 3):
        if not 0 <= j < len(lines) or abs(lines[j].base - ln.base) > 4.0 * max(ln.size, lines[j].size):
            continue
        for c in lines[j].chunks:
            if c.x0 < marker.x1 + 2 and c.x1 > marker.x0 - 2 and not _MARKER_RE.match(c.text.split(" ", 1)[0]):
                return True
    return False


def split_at_gutters(chunks: list[Chunk], gutters: list[tuple[float, float]], min_gap: float) -> list[Chunk] | None:
    """The chunks cut where a gap between their words, wider than a word space (min_gap), lies in a gutter;
    None when there is nothing to cut."""
    out: list[Chunk] = []
    changed = False
    for c in chunks:
        pieces = [c]
        for a, b in gutters:
            last = pieces[-1]
            if not (last.x0 < a and last.x1 > b) or not last.cuts:
                continue
            wide = [cut for cut in last.cuts if cut[1] - cut[0] >= min_gap]
            if not wide:
                continue
            g0, g1, k = max(wide, key=lambda cut: min(cut[1], b) - max(cut[0], a))
            if min(g1, b) - max(g0, a) <= 0:
                continue
            head = Chunk(last.x0, g0, last.text[:k - 1], [cut for cut in last.cuts if cut[2] < k])
            tail = Chunk(g1, last.x1, last.text[k:], [(p, q, j - k) for p, q, j in last.cuts if j > k])
            pieces[-1:] = [head, tail]
            changed = True
        out.extend(pieces)
    return out if changed else None
