"""Reading tables and blocks of fields into row passages: the table half of the splitter.

`TableReader` is mixed into `passages.Splitter`; it handles tab-separated rows (spreadsheet and
word-processor exports, a long cell spilling into the next row), Markdown pipe tables, one cell
per line, space-aligned columns, lone figures split off a row, and "Label: value" blocks. Each row
becomes one passage whose `cells` pair every value with its column's header.
"""

from __future__ import annotations

import re
from typing import Any

from ..core.text import clean_inline, is_value, is_year, trim
from ..core.types import Passage
from .layout import PIPE_RULE_RE, Cell, Line, Table, aligned_rows, field_line, pipe_cells, spaced_cells, tab_cells


_MAX_HEADER_CHARS = 60  # a longer cell is data or prose, not a column's name


class TableReader:
    """Table handlers of the splitter (see the module docstring). Expects the Splitter's state:
    `text`, `out`, `table`, `_emit`, `_close_votes`."""

    text: str
    out: list[Passage]
    table: Table

    def _emit(self, start: int, end: int, kind: str, context: str = "", cells: Any = None) -> Passage | None:
        raise NotImplementedError

    def _close_votes(self) -> None:
        raise NotImplementedError

    def _line_cells(self, block: list[Line]) -> list[Cell]:
        """Cells of a one-cell-per-line block: a tab starts a cell, a line without one continues it."""
        cells: list[list[int]] = []
        for ln in block:
            if ln.raw.startswith("\t") or not cells:
                cells.append([ln.start, ln.end])
            else:
                cells[-1][1] = ln.end
        out = []
        for s, e in cells:
            s, e = trim(self.text, s, e)
            out.append(Cell(s, e, self.text[s:e]))
        return out

    def _row(self, cells: list[Cell], header: list[str]) -> None:
        """Emit one table row: verbatim span from first to last non-empty cell, headers as context."""
        filled = [c for c in cells if c.text]
        if not filled:
            return
        if self._spills(cells, filled, header):
            return
        if (header and len(header) == len(cells)) or not header:
            labels = header if header else [""] * len(cells)
            values = [c.clean for c in cells]
            # Empty leading cells repeat the row above (the Foundation or Priority of an action plan).
            lead = 0
            while header and lead < len(values) and not values[lead] and lead < len(self.table.above):
                values[lead] = self.table.above[lead]
                lead += 1
            self.table.above = values
            pairs = [(h, v) for h, v in zip(labels, values) if v]
        else:
            values = [c.clean for c in filled]
            labels = [h for h in header if h][-len(values):]
            # Fewer labels than cells: the header names the right-hand columns (label | Baseline | Target).
            pairs = list(zip([""] * (len(values) - len(labels)) + labels, values))
            self.table.above = []
        self._emit(filled[0].start, filled[-1].end, "row", self._row_context(pairs, filled), pairs)

    def _row_context(self, pairs: list[tuple[str, str]], filled: list[Cell]) -> str:
        """Table titles, column names, and values carried down from rows above (not in the span)."""
        own = {c.clean for c in filled}
        bits = list(self.table.titles)
        bits += [f"{h}: {v}" if h else v for h, v in pairs if v not in own]
        bits += [h for h, v in pairs if h and v in own]
        return " | ".join(bits)

    # handlers -----------------------------------------------------------------------------

    def _on_lone_value(self, line: Line, text: str) -> None:
        """A figure on its own: the last cell of the table row above when a blank line split it off."""
        s, e = trim(self.text, line.start, line.end)
        last = self.out[-1] if self.out else None
        if last is not None and last.kind == "row" and not self.text[last.char_end:s].strip():
            labels = [h for h in self.table.header if h]
            known = [v for _, v in last.cells]
            values = known + [clean_inline(text)]
            labels = labels[-len(values):]
            last.cells = list(zip([""] * (len(values) - len(labels)) + labels, values))
            last.char_end = e
            last.text = self.text[last.char_start:e]
            last.context = self._row_context(last.cells, [])
            return
        self._emit(s, e, "fragment")

    def _on_fields(self, block, i, kinds, nxt) -> None:
        """A block of "Label: value" lines (an action's Lead, Timeline, Partners): one passage whose
        cells are its fields; a line without a label carries on the value above it."""
        self._close_votes()
        lines = [ln for ln in block if ln.stripped]
        cells: list[list[str]] = []
        for ln in lines:
            found = field_line(ln)
            if found:
                cells.append([found[0], found[1]])
            elif cells:
                cells[-1][1] = clean_inline(f"{cells[-1][1]} {ln.stripped}")
        self._emit(lines[0].start, lines[-1].end, "fields", " | ".join(c[0] for c in cells),
                   [(label, value) for label, value in cells])


    def _on_tsv(self, block, i, kinds, nxt) -> None:
        for line in block:
            if not line.stripped:
                continue
            cells = tab_cells(self.text, line)
            filled = [c for c in cells if c.text]
            if filled and self._spills(cells, filled, self.table.header):
                continue  # the wrapped ends of the row above's cells, not a title or a new header
            if len(filled) == 1 and not self.table.header:
                self.table.titles.append(filled[0].clean)  # "Action Plan\t\t\t"
            elif len(filled) == 1 and len(cells) == 1:
                self._emit(filled[0].start, filled[0].end, "paragraph")
            elif self._looks_like_header(filled, cells):
                self.table.header = [c.clean for c in cells]
                self.table.above = []
            else:
                self._row(cells, self.table.header)

    def _on_pipe(self, block, i, kinds, nxt) -> None:
        """A Markdown table: the line above the "|---|---|" rule is its header; every other line is a row."""
        lines = [ln for ln in block if ln.stripped]
        for k, line in enumerate(lines):
            if PIPE_RULE_RE.match(line.raw):
                continue
            cells = pipe_cells(self.text, line)
            if k + 1 < len(lines) and PIPE_RULE_RE.match(lines[k + 1].raw):
                self.table.header = [c.clean for c in cells]
                self.table.above = []
            elif any(c.text for c in cells):
                self._row(cells, self.table.header)

    def _looks_like_header(self, filled: list[Cell], cells: list[Cell]) -> bool:
        if len(filled) < 2:
            return False
        # A column name may explain itself in brackets ("Published on (i.e. date, month and year)").
        if any(len(re.sub(r"\([^)]*\)", "", c.clean).strip()) > _MAX_HEADER_CHARS
               or (is_value(c.text) and not is_year(c.text)) for c in filled):
            return False
        # A header names columns: it repeats the current header, or no header is known yet.
        current = self.table.header
        return not current or [c.clean for c in cells] == current or len(current) != len(cells)

    def _on_cells(self, block, i, kinds, nxt) -> None:
        filled = [c for c in self._line_cells(block) if c.text]
        short_labels = all(len(c.clean) <= 45 and not is_value(c.text) and not c.clean.endswith(".") for c in filled)
        if short_labels and (not self.table.header or len(filled) <= len(self.table.header)):
            self.table.header = [c.clean for c in filled]
            return
        self._row(filled, self.table.header)

    def _on_spaced(self, block, i, kinds, nxt) -> None:
        rows: list[tuple[list[Cell], int]] = []
        for ln in block:
            if not ln.stripped:
                continue
            cells = spaced_cells(self.text, ln)
            if cells:
                rows.append((cells, ln.end))
            elif rows:
                # A label that wrapped onto the next line belongs to the row above.
                cells, _ = rows[-1]
                s, e = trim(self.text, ln.start, ln.end)
                cells[0] = Cell(cells[0].start, cells[0].end, cells[0].text + " " + self.text[s:e])
                rows[-1] = (cells, e)
            else:
                self._emit(ln.start, ln.end, "paragraph")
        for cells, end in rows:
            values = [c.clean for c in cells]
            labels = [h for h in self.table.header if h][-len(values):]
            pairs = list(zip([""] * (len(values) - len(labels)) + labels, values))
            self._emit(cells[0].start, end, "row", self._row_context(pairs, cells), pairs)

    def _spills(self, cells: list[Cell], filled: list[Cell], header: list[str]) -> bool:
        """Cells that carry on the row above, wrapped onto the next line by a PDF or spilled into the
        next row by a spreadsheet export ("Carry out a survey of all play areas and" / "publish the
        results"): joined to that row. Told apart from a new row (which may also leave its first cells
        empty, carried down) by a cell starting in lower case, with every cell carrying on an unfinished
        one above it."""
        last = self.out[-1] if self.out else None
        above = self.table.above
        if (last is None or last.kind != "row" or len(above) != len(cells) or (header and len(header) != len(cells))
                or self.text[last.char_end:filled[0].start].count("\n") > 1):
            return False
        if cells[0].text and len(filled) > 1:
            return False
        cols = [cells.index(c) for c in filled]
        # A lone figure under an unfinished cell carries it on too ("… proposals by May" / "2014"),
        # but never in the first column, where a new row's number stands.
        lone_figure = len(filled) == 1 and cols[0] > 0 and filled[0].clean[:1].isdigit()
        if not lone_figure and not any(c.clean[:1].islower() for c in filled):
            return False
        if not all(above[k] and (c.clean[:1].islower() or not above[k].rstrip().endswith((".", "!", "?", ":")))
                   for k, c in zip(cols, filled)):
            return False
        for k, c in zip(cols, filled):
            above[k] = f"{above[k]} {c.clean}"
        labels = header if header else [""] * len(cells)
        last.cells = [(h, v) for h, v in zip(labels, above) if v]
        last.char_end = filled[-1].end
        last.text = self.text[last.char_start:last.char_end]
        return True

    def _on_aligned(self, block, i, kinds, nxt) -> None:
        """A table typed with spaces: its first line is the header, each other line a row."""
        rows = aligned_rows(self.text, block) or []
        if not rows:
            return
        header, body = rows[0], rows[1:]
        self.table.header = [c.clean for c in header]
        self.table.above = []
        for cells in body:
            # A row may leave its last cells empty: pad so values stay under their headers.
            by_col = [Cell(-1, -1, "")] * len(header)
            for c in cells:
                k = min(range(len(header)), key=lambda j: abs((c.start - cells[0].start + header[0].start) - header[j].start))
                by_col[k] = c
            self._row([c if c.start >= 0 else Cell(cells[-1].end, cells[-1].end, "") for c in by_col], self.table.header)
