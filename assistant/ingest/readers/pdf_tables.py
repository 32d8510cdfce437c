"""PDF reader, part 4: a table region written as one tab-separated line per row, header row first.

Rows are told apart by horizontal rules (table borders), by bands of white space that no
column's text crosses (cell padding), and otherwise by the lines themselves: a line where only
later columns go on continues the row, text starting again in the first column after such lines
starts a new one, and figures do not wrap.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

from ...core.text import is_value, is_year
from .pdf_runs import Line

# Horizontal rules (y, x0, x1) and vertical rules (x, y0, y1) drawn on a page.
Rules = tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]

_FIGURE_RE = re.compile(r"^\(?[-–+]?\s*[£$€]?\s*\d[\d,]*(?:\.\d+)?\s*(?:%|[kKmM]|bn)?\)?[¹²³⁴⁵⁶⁷⁸⁹⁰*]*$|^[-–]$")


def figure(text: str) -> bool:
    """A cell that is a figure: "£3,098.50", "(297,350)" (a negative amount), "12%", or "-" (nil)."""
    if _FIGURE_RE.match(text.strip()):
        return True
    return bool(_DIGIT_RE.search(text)) and is_value(text)


_DIGIT_RE = re.compile(r"\d")


def render_table(members: list[Line], columns: list[dict[int, str]], count: int,
                  rules: Rules) -> list[str]:
    """One tab-separated line per row, header row first.

    Rows are told apart by, in turn: horizontal rules between lines (table borders); bands
    of white space that no column's text crosses (cell padding); and, inside what is left,
    the lines themselves: a line where only later columns go on continues the row (its cells
    wrap), text starting again in the first column after such lines starts a new row, and a
    line as full as the one above is a row of its own.
    """
    m = len(members)
    left, right = min(ln.x0 for ln in members), max(ln.x1 for ln in members)
    across, upright = rules
    ruled = [k > 0 and _ruled(across, members[k - 1], members[k], left, right) for k in range(m)]
    # Rules between the rows (a grid, or three or more rules), not just under the header or above a total.
    top, bottom = members[0].base + members[0].size, members[-1].base - 0.3 * members[-1].size
    walls = {round(x) for x, y0, y1 in upright if left + 2 < x < right - 2 and y0 < top and y1 > bottom}
    white = _white_bands(members, columns, count)
    rule_cuts = sum(ruled)
    white_cuts = sum(w and not r for w, r in zip(white, ruled))
    bordered = (rule_cuts >= 1 and len(walls) >= count - 1) or (rule_cuts >= 3 and white_cuts <= rule_cuts)
    if bordered:
        cuts = [k for k in range(1, m) if ruled[k]]
    else:
        cuts = [k for k in range(1, m) if ruled[k] or white[k]]
    padded = bordered or len(cuts) >= 2  # rows set apart by borders or by white space
    rows: list[list[int]] = []
    for s, e in zip([0, *cuts], [*cuts, m]):
        lines = list(range(s, e))
        # Lines of figures are rows of their own: figures do not wrap.
        figures = sum(sum(figure(t) for t in columns[k].values()) >= 2 for k in lines)
        if len(lines) == 1:
            rows.append(lines)
        elif figures >= 2:
            rows.extend(_rows_by_lines(columns, lines))
        elif padded:
            rows.append(lines)  # the cells of one row, wrapped and perhaps centred in it
        else:
            rows.extend(_rows_by_lines(columns, lines))
    rows = _stack_header(rows, columns)
    return ["\t".join(_join(columns[k][col] for k in row if col in columns[k]) for col in range(count)) for row in rows]


def _join(parts: Any) -> str:
    """Fragments of a cell as one line: spaces between, none after a word broken at a line end ("co-" "ordinators")."""
    out = ""
    for part in parts:
        if not out:
            out = part
        elif out.endswith(BROKEN):
            out = out[:-1] + "-" + part
        else:
            out = f"{out} {part}"
    return out


BROKEN = "\ufffe"  # PDFium's mark for a hyphen at the end of a line


def _rows_by_lines(columns: list[dict[int, str]], lines: list[int]) -> list[list[int]]:
    """Rows of lines with nothing between them but the line spacing: told apart by which columns go on.

    Figures do not wrap: a line with a figure where the line above has one starts a row.
    """
    rows = [[lines[0]]]
    for k in lines[1:]:
        here, above = columns[k], columns[k - 1]
        figures = any(col in above and figure(text) and figure(above[col]) for col, text in here.items() if col)
        if 0 not in here:
            # Only later columns go on: the row's cells wrap; but a line of figures, or a heading in
            # capitals between rows, is a row.
            new = figures or all(_heading_caps(t) for t in here.values())
        elif 0 not in above:
            new = True  # the first column starts again after lines where only other columns went on
        else:
            new = figures or any(figure(t) for c, t in here.items() if c) or set(here) >= set(above)
        if new:
            rows.append([k])
        else:
            rows[-1].append(k)
    return rows


def _heading_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 4 and all(c.isupper() for c in letters)


def _stack_header(rows: list[list[int]], columns: list[dict[int, str]]) -> list[list[int]]:
    """Header lines stacked over the figures ("2018" / "£" / "Budget") are one header row."""
    head = 0
    while head < min(len(rows), 4):
        cells = [t for k in rows[head] for t in columns[k].values()]
        if len(rows[head]) > 1 or len(columns[rows[head][0]]) < 2 or any(figure(t) and not is_year(t) for t in cells):
            break
        head += 1
    if head < 2 or head >= len(rows):
        return rows
    body = [t for row in rows[head:head + 3] for k in row for t in columns[k].values()]
    if not any(figure(t) for t in body):
        return rows
    return [[k for row in rows[:head] for k in row], *rows[head:]]


def _ruled(rules: list[tuple[float, float, float]], above: Line, below: Line, left: float, right: float) -> bool:
    """A horizontal rule runs between two lines across at least a third of the table."""
    y_top = above.base - 0.05 * above.size
    y_bottom = below.base + 0.55 * below.size
    if y_top <= y_bottom or not rules:
        return False
    width = max(right - left, 1.0)
    covered = 0.0
    for y, x0, x1 in rules:
        if y_bottom < y < y_top:
            covered += max(0.0, min(x1, right) - max(x0, left))
    return covered >= 0.33 * width


def _white_bands(members: list[Line], columns: list[dict[int, str]], count: int) -> list[bool]:
    """white[k]: a band of white space that no column's text crosses lies between lines k-1 and k."""
    m = len(members)
    steps = []
    pairs = []
    for col in range(count):
        idx = [k for k in range(m) if col in columns[k]]
        for p, q in pairwise(idx):
            dy = members[p].base - members[q].base
            pairs.append((p, q, dy))
            if dy >= 0.6 * members[q].size:
                steps.append(dy)
    if not steps:
        return [False] * m
    pitch = min(steps)  # the line spacing inside a cell
    crossed = [False] * (m + 1)
    for p, q, dy in pairs:
        if dy <= 1.35 * pitch:
            for k in range(p + 1, q + 1):
                crossed[k] = True
    return [k > 0 and not crossed[k] and members[k - 1].base - members[k].base > 1.35 * pitch for k in range(m)]
