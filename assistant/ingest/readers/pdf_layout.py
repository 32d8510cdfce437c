"""PDF reader, part 3: a page's lines as text: blocks, columns of prose, tables.

Blank lines separate blocks (a wider gap than the line spacing, or a change of font size).
Consecutive lines that share column gaps form a region: columns of prose side by side are
read column by column; anything else is a table, written one row per line (see pdf_tables).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from itertools import pairwise

from ...core.text import is_value
from .clean import tidy_lines
from .pdf_lines import split_at_gutters
from .pdf_runs import Chunk, Line, Page
from .pdf_tables import BROKEN, Rules, figure, render_table

# --- page layout ------------------------------------------------------------------------------------


def page_text(page: Page) -> str:
    out: list[str] = []
    for n, lines in enumerate([page.lines, *page.extra]):
        if lines:
            if out:
                out.append("")
            out.extend(_layout(lines, (page.rules, page.uprights) if n == 0 else ([], [])))
    return tidy_lines("\n".join(out).replace(BROKEN, "-")).strip("\n")


def _spacing(lines: list[Line]) -> float:
    """The usual distance between baselines, as a multiple of the font size."""
    ratios = []
    for a, b in pairwise(lines):
        dy = a.base - b.base
        if b.size and abs(a.size - b.size) <= 0.1 * b.size and 0 < dy <= 2.5 * b.size:
            ratios.append(dy / b.size)
    return statistics.median(ratios) if ratios else 1.2


def _layout(lines: list[Line], rules: Rules) -> list[str]:
    """Output lines of one page (one text direction): flow lines and regions in order, blank lines between blocks."""
    ratio = _spacing(lines)
    out: list[str] = []
    prev: Line | None = None
    regions = {r.start: r for r in _find_regions(lines, ratio)}
    i = 0
    while i < len(lines):
        region = regions.get(i)
        if region is not None:
            if out:
                out.append("")
            out.extend(_render_region(region, rules))
            out.append("")
            prev = None
            i = region.end
            continue
        ln = lines[i]
        if prev is not None and _breaks(prev, ln, ratio):
            out.append("")
        out.append(_flow_text(ln))
        prev = ln
        i += 1
    return out


def _breaks(prev: Line, ln: Line, ratio: float) -> bool:
    """A blank line between two lines of running text: a wide gap, or a change of font size."""
    dy = prev.base - ln.base
    size = max(prev.size, ln.size)
    if abs(prev.size - ln.size) > 0.12 * size:
        return True
    return dy < 0 or dy > 1.3 * ratio * size


def _flow_text(ln: Line) -> str:
    """A line of running text; a lone line with cells keeps them apart ("Total   £10,000"; tabs for three or more)."""
    if len(ln.chunks) == 1:
        return ln.chunks[0].text
    if len(ln.chunks) == 2:
        sep = "   " if figure(ln.chunks[1].text) else " "
        return sep.join(c.text for c in ln.chunks)
    return "\t".join(c.text for c in ln.chunks)


# --- regions: tables and columns ------------------------------------------------------------------------


def _gaps(intervals: list[tuple[float, float]], min_width: float) -> list[tuple[float, float]]:
    """The empty stretches at least min_width wide between the covered intervals."""
    out = []
    intervals = sorted(intervals)
    end = intervals[0][1]
    for x0, x1 in intervals[1:]:
        if x0 - end >= min_width:
            out.append((end, x0))
        end = max(end, x1)
    return out


def _merged(intervals: list[tuple[float, float]], min_width: float) -> list[tuple[float, float]]:
    """The covered stretches, with gaps narrower than min_width closed."""
    out: list[tuple[float, float]] = []
    for x0, x1 in sorted(intervals):
        if out and x0 - out[-1][1] < min_width:
            if x1 > out[-1][1]:
                out[-1] = (out[-1][0], x1)
        else:
            out.append((x0, x1))
    return out


def _survives(old: list[tuple[float, float]], new: list[tuple[float, float]]) -> bool:
    """Every old gutter still holds an empty stretch."""
    return all(any(a <= c and d <= b for c, d in new) for a, b in old)


@dataclass
class _Region:
    """Lines start..end-1 of a page that share column gaps (gutters): a table, or columns of prose."""

    start: int
    end: int
    gutters: list[tuple[float, float]]
    lines: list[Line]
    size: float

    @property
    def members(self) -> list[Line]:
        return self.lines[self.start:self.end]


_REGION_GAP = 4.5  # the widest gap (in font sizes) between lines of one table: rows can be tall


def _find_regions(lines: list[Line], ratio: float = 1.2) -> list[_Region]:
    """The page's regions: grown down from a line with a column gap, then back up over lines that fit."""
    regions: list[_Region] = []
    i = 0
    while i < len(lines):
        region = _grow(lines, i)
        if region is None:
            i += 1
            continue
        regions.append(region)
        i = region.end
    merged: list[_Region] = []
    for region in regions:
        floor = merged[-1].end if merged else 0
        while region.start - 1 >= floor and region.end - region.start < 400 and _fits(
                lines[region.start - 1], lines[region.start], region.gutters, region.size):
            k = region.start - 1
            above = lines[k - 1] if k > 0 else None
            if (above is not None and above.base - lines[k].base <= 1.15 * ratio * max(above.size, lines[k].size)
                    and not _leaves_free(above.chunks, region.gutters, 0.5 * region.size)):
                break  # the last line of a paragraph above the table, not a row of it
            region.start = k
        if merged and merged[-1].end == region.start and _compatible(merged[-1], region):
            last = merged[-1]
            last.end = region.end
            last.gutters = _gaps([(c.x0, c.x1) for ln in last.members for c in ln.chunks], 0.5 * last.size)
        else:
            merged.append(region)
    return [r for r in (_finish_region(r) for r in merged) if r is not None]


def _grow(lines: list[Line], i: int) -> _Region | None:
    first = lines[i]
    offset_columns = (
        len(first.chunks) == 1 and i + 1 < len(lines)
        and (lines[i + 1].x0 >= first.x1 or lines[i + 1].x1 <= first.x0)
        and abs(first.base - lines[i + 1].base) < 0.7 * first.size
    )
    if len(first.chunks) < 2 and not offset_columns:
        return None
    size = first.size
    min_width = 0.5 * size
    cover = [(c.x0, c.x1) for c in first.chunks]
    gutters = _gaps(cover, min_width)
    j = i + 1
    while j < len(lines):
        ln = lines[j]
        dy = lines[j - 1].base - ln.base
        if dy < -0.5 * size or dy > _REGION_GAP * max(size, ln.size) or not 0.6 * size <= ln.size <= 1.3 * size:
            break
        trial = cover + [(c.x0, c.x1) for c in ln.chunks]
        new = _gaps(trial, min_width)
        if not new or (gutters and not _survives(gutters, new)):
            split = split_at_gutters(ln.chunks, gutters, 0.4 * size)  # cells that nearly touch: cut at the gutter
            if split is None:
                break
            trial = cover + [(c.x0, c.x1) for c in split]
            new = _gaps(trial, min_width)
            if not new or not _survives(gutters, new):
                break
            ln.chunks = split
        cover, gutters = _merged(trial, min_width), new
        j += 1
    if not gutters or j - i < 2:
        return None
    return _Region(i, j, gutters, lines, size)


def _fits(ln: Line, below: Line, gutters: list[tuple[float, float]], size: float) -> bool:
    """A line just above a region belongs to it: close enough, the same size, leaving every gutter free."""
    dy = ln.base - below.base
    if dy < -0.5 * size or dy > _REGION_GAP * size or not 0.6 * size <= ln.size <= 1.3 * size:
        return False
    if _leaves_free(ln.chunks, gutters, 0.5 * size):
        return True
    split = split_at_gutters(ln.chunks, gutters, 0.4 * size)
    if split is not None and _leaves_free(split, gutters, 0.5 * size):
        ln.chunks = split
        return True
    return False


def _leaves_free(chunks: list[Chunk], gutters: list[tuple[float, float]], min_width: float) -> bool:
    for a, b in gutters:
        inside = [(max(c.x0, a), min(c.x1, b)) for c in chunks if c.x1 > a and c.x0 < b]
        if inside and not _gaps([(a, a), *inside, (b, b)], min_width):
            return False
    return True


def _compatible(upper: _Region, lower: _Region) -> bool:
    """Two regions that touch are one table when their column gaps agree."""
    if len(upper.gutters) != len(lower.gutters):
        return False
    return all(min(b, d) - max(a, c) > 0 for (a, b), (c, d) in zip(upper.gutters, lower.gutters))


def _finish_region(region: _Region) -> _Region | None:
    """The region's columns by vote (a few lines may span them), without a spanning title above it or
    running text below it (set apart by a wide gap); None when what is left is not a table."""
    size = region.size
    gutters = _vote_gutters(region.members, size)
    if gutters:
        members = region.members
        dys = [a.base - b.base for a, b in pairwise(members)]
        wide = 1.8 * max(statistics.median(dys), size)
        gaps = [t for t, dy in enumerate(dys) if dy >= wide]
        if gaps and gaps[0] + 2 < len(members) and all(_spans(members[t], gutters) for t in range(gaps[0] + 1)):
            region.start += gaps[0] + 1
        members = region.members
        dys = [a.base - b.base for a, b in pairwise(members)]
        gaps = [t for t, dy in enumerate(dys) if dy >= wide]
        if gaps and gaps[-1] >= 1 and all(_spans(members[t], gutters) for t in range(gaps[-1] + 1, len(members))):
            region.end = region.start + gaps[-1] + 1
        gutters = _vote_gutters(region.members, size)
    if gutters:
        region.gutters = gutters
    columns = _columns(region.members, region.gutters)
    # Trailing lines with text only in the first column, set apart by a wider gap, are not part of it.
    while region.end - region.start > 2:
        members = region.members
        dys = [a.base - b.base for a, b in pairwise(members)]
        if set(columns[-1]) == {0} and dys[-1] > 1.5 * statistics.median(dys) and dys[-1] > max(dys[:-1]) + 1:
            region.end -= 1
            columns.pop()
        else:
            break
    if region.end - region.start < 2 or sum(len(cells) >= 2 for cells in columns) < 2:
        return None
    return region


def _spans(ln: Line, gutters: list[tuple[float, float]]) -> bool:
    """The line runs across a column gap."""
    return any(c.x0 < a and c.x1 > b for c in ln.chunks for a, b in gutters)


def _vote_gutters(lines: list[Line], size: float) -> list[tuple[float, float]]:
    """Column gaps: stretches at least half an em wide that at most a quarter of the lines run across
    (titles and section labels may span the columns), with cells on both sides of them."""
    n = len(lines)
    allowed = n // 4
    points = sorted({x for ln in lines for c in ln.chunks for x in (c.x0, c.x1)})
    if len(points) < 4:
        return []
    index = {x: i for i, x in enumerate(points)}
    diff = [0] * (len(points) + 1)
    for ln in lines:
        for c in ln.chunks:
            diff[index[c.x0]] += 1
            diff[index[c.x1]] -= 1
    cover, running = [], 0
    for i in range(len(points) - 1):
        running += diff[i]
        cover.append(running)
    out = _runs(lines, points, cover, allowed, size)
    # A sparse column (a label every few rows) is not a gap: keep the empty gaps found inside such runs.
    for a, b in _runs(lines, points, cover, 0, size):
        if not any(c <= a and b <= d for c, d in out):
            out.append((a, b))
    return sorted(out)


def _runs(lines: list[Line], points: list[float], cover: list[int], allowed: int,
          size: float) -> list[tuple[float, float]]:
    """Stretches covered by at most `allowed` lines, half an em wide, with text on both sides."""
    out = []
    i = 0
    while i < len(cover):
        if cover[i] > allowed:
            i += 1
            continue
        j = i
        while j < len(cover) and cover[j] <= allowed:
            j += 1
        a, b = points[i], points[j]
        if i > 0 and j < len(cover) and b - a >= 0.5 * size:
            most = max(cover[i:j])
            support = sum(
                any(c.x1 <= a + 0.5 for c in ln.chunks) and any(c.x0 >= b - 0.5 for c in ln.chunks) for ln in lines)
            if support >= (1 if most == 0 else 2):
                out.append((a, b))
        i = j
    return out


def _render_region(region: _Region, rules: Rules) -> list[str]:
    members = region.members
    columns = _columns(members, region.gutters)
    count = len(region.gutters) + 1
    if _is_prose_columns(members, columns, count):
        return _render_columns(members, columns, count)
    return render_table(members, columns, count, rules)


def _columns(members: list[Line], gutters: list[tuple[float, float]]) -> list[dict[int, str]]:
    """For each line, its text per column (0 = first column); text running across a gap belongs where it starts."""
    mids = [(a + b) / 2 for a, b in gutters]
    out = []
    for ln in members:
        chunks = ln.chunks
        if any(c.x0 < a and c.x1 > b for c in chunks for a, b in gutters):
            chunks = split_at_gutters(chunks, gutters, 0.4 * ln.size) or chunks
        cells: dict[int, str] = {}
        for c in chunks:
            crosses = any(c.x0 < a and c.x1 > b for a, b in gutters)
            at = c.x0 + 0.01 if crosses else (c.x0 + c.x1) / 2
            col = sum(m < at for m in mids)
            cells[col] = f"{cells[col]} {c.text}" if col in cells else c.text
        out.append(cells)
    return out


def _is_prose_columns(members: list[Line], columns: list[dict[int, str]], count: int) -> bool:
    """Columns of running text side by side (a two-column page) rather than a table."""
    if count > 4 or len(members) < 3:
        return False
    for col in range(count):
        texts = [cells[col] for cells in columns if col in cells]
        if len(texts) < 3:
            return False
        words = [len(t.split()) for t in texts]
        if statistics.mean(words) < 5 or sum(w >= 4 for w in words) < 0.6 * len(words):
            return False
        if sum(is_value(t) for t in texts) > 0.2 * len(texts):
            return False
    # In a table the cells of a row start together, or are centred on the same line; paragraphs of
    # columns start where they fall.
    blocks = _blocks(members, columns, count)
    later = [(col, top, mid) for col, spans in blocks.items() for top, mid in spans[1:]]
    if not later:
        return True
    size = statistics.median(ln.size for ln in members)
    aligned = sum(any(abs(top - t) <= 0.3 * size or abs(mid - m) <= 0.3 * size
                      for other, spans in blocks.items() if other != col for t, m in spans)
                  for col, top, mid in later)
    return aligned < 0.5 * len(later)


def _blocks(members: list[Line], columns: list[dict[int, str]], count: int) -> dict[int, list[tuple[float, float]]]:
    """For each column, its blocks (set apart by a wider gap) as (baseline of the first line, middle)."""
    out: dict[int, list[tuple[float, float]]] = {}
    for col in range(count):
        idx = [k for k, cells in enumerate(columns) if col in cells]
        if not idx:
            continue
        dys = [members[a].base - members[b].base for a, b in pairwise(idx)]
        usual = min(dys) if dys else 0.0
        groups = [[idx[0]]]
        for (_, b), dy in zip(pairwise(idx), dys):
            if dy > 1.4 * usual + 0.1 * members[b].size:
                groups.append([b])
            else:
                groups[-1].append(b)
        out[col] = [(members[g[0]].base, (members[g[0]].base + members[g[-1]].base) / 2) for g in groups]
    return out


def _render_columns(members: list[Line], columns: list[dict[int, str]], count: int) -> list[str]:
    out: list[str] = []
    for col in range(count):
        idx = [k for k, cells in enumerate(columns) if col in cells]
        if not idx:
            continue
        if out:
            out.append("")
        usual = None
        dys = [members[a].base - members[b].base for a, b in pairwise(idx)]
        if dys:
            usual = statistics.median(dys)
        prev = None
        for k in idx:
            ln = members[k]
            if prev is not None and usual is not None:
                dy = members[prev].base - ln.base
                if dy > 1.3 * usual or abs(members[prev].size - ln.size) > 0.12 * max(ln.size, members[prev].size):
                    out.append("")
            out.append(columns[k][col])
            prev = k
    return out
