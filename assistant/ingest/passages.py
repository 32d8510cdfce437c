"""Stage 2: cut a document's text into short, self-contained, citable passages.

Council reports are not prose. This splitter reads the layout they actually use:

* markdown headings, numbered headings ("4.0 MAIN TEXT") and short title lines
  give every passage its section path;
* bullet and numbered lists: one passage per item, carrying the lead-in line
  ("... has markedly improved:") as search context;
* tab-separated tables, one row per line (action plans, counts by year): one
  passage per row, with the table's title and column headers as context and
  empty leading cells carried down from the row above (the "Foundation");
* "one cell per line" tables (a tab starts each cell, a cell may wrap onto the
  next line), as exported from word processors: one passage per row, with the
  header row's labels aligned from the right (label | Baseline | 2024 Target);
* space-aligned rows ("Number of pupils ...      175      225");
* slide fragments: short lines that stand alone.

Every passage is an exact span: `text == document_text[char_start:char_end]`.
Everything added for search (section, headers, lead-in) lives in `context` and
`section`, never in `text`. Long paragraphs are cut at sentence ends.
"""

from __future__ import annotations

import hashlib
import re

from ..core.text import clean_inline, is_value, is_year, sentence_spans, trim
from ..core.types import Passage
from .layout import (
    BODY_KINDS,
    BULLET_RE,
    FURNITURE_RE,
    NUMBERED_PARA_RE,
    PIPE_RULE_RE,
    Cell,
    Line,
    Table,
    front_matter_end,
    heading_level,
    is_heading_candidate,
    is_pipe_row,
    is_tsv_row,
    is_vote_line,
    pipe_cells,
    rejoin_wrapped,
    spaced_cells,
    split_blocks,
    split_lines,
    strong_heading,
    tab_cells,
)


def passage_id(source: str, start: int, end: int, text: str) -> str:
    """A content hash: the same span of the same text always gets the same id."""
    return hashlib.sha256(f"{source}\x00{start}\x00{end}\x00{text}".encode()).hexdigest()[:32]


# A heading about the vote itself ("Outcome of Vote: CARRIED", "Recorded vote"), not the motion voted on.
_VOTE_HEADING = re.compile(r"\bvot(?:e|es|ing)\b|\boutcome\b|\bresult\b|\bdivision\b", re.I)
_MAX_VOTE_CHARS = 2000  # a recorded vote longer than this (a long list of names) is read count by count
# After a paragraph ending "…explained by:", short paragraphs are the items of an unbulleted list;
# a longer one is prose again and closes the list.
_MAX_UNBULLETED_ITEM = 240


class Splitter:
    """Turns one document's text into passages. Pure: no I/O, no model."""

    def __init__(self, max_chars: int = 420) -> None:
        self.max_chars = max_chars

    def split(self, text: str, source: str) -> list[Passage]:
        self.text = text
        self.source = source
        self.out: list[Passage] = []
        self.headings: list[tuple[int, str]] = []
        self._heading_starts: list[int] = []  # where each heading of the stack starts in the text
        self._votes: list[int] | None = None  # [start, end] of a recorded vote: its motion's heading to its last names
        self.table = Table()
        self.lead_in = ""
        skip = front_matter_end(text)
        blocks = rejoin_wrapped([b for b in split_blocks(split_lines(text)) if b[0].start >= skip])
        kinds = [self._kind(b) for b in blocks]
        keep = [i for i, k in enumerate(kinds) if k != "empty"]
        blocks, kinds = [blocks[i] for i in keep], [kinds[i] for i in keep]
        self._list: tuple[int, str, list[tuple[int, int]]] | None = None
        self._lead_start = 0
        self._vote_start: int | None = None  # a vote count waiting for the names under it
        self._open_lead = ""  # a paragraph's lead-in that plain paragraphs after it may continue as items
        for i, (block, kind) in enumerate(zip(blocks, kinds)):
            nxt = kinds[i + 1] if i + 1 < len(kinds) else "end"
            if kind not in ("list", "paragraph"):
                self._open_lead = ""
            if kind != "list" and not (kind == "paragraph" and self._open_lead):
                self._flush_list()
            getattr(self, f"_on_{kind}")(block, i, kinds, nxt)
        self._flush_list()
        self._close_votes()
        for p in self.out:
            p.id = passage_id(source, p.char_start, p.char_end, p.text)
        return self.out

    # classification ---------------------------------------------------------------------
    def _kind(self, block: list[Line]) -> str:
        nonempty = [ln for ln in block if ln.stripped]
        if not nonempty or (len(nonempty) == 1 and FURNITURE_RE.match(clean_inline(nonempty[0].raw))):
            return "empty"
        if len(nonempty) == 1 and is_vote_line(nonempty[0].raw):
            return "vote"
        if nonempty[0].stripped.startswith("#"):
            return "heading"
        if sum(is_pipe_row(ln) for ln in nonempty) * 2 >= len(nonempty):
            return "pipe"
        tsv = sum(is_tsv_row(ln) for ln in nonempty)
        if tsv and tsv * 2 >= len(nonempty):
            return "tsv"
        if block[0].raw.startswith("\t") and not tsv:
            filled = [c for c in self._line_cells(block) if c.text]
            if not filled:
                return "empty"
            if len(filled) >= 2:
                return "cells"
        if any(spaced_cells(self.text, ln) for ln in nonempty):
            return "spaced"
        joined = " ".join(ln.stripped for ln in nonempty)
        if len(nonempty) <= 2 and is_heading_candidate(joined) and (len(nonempty) == 1 or strong_heading(joined)):
            return "candidate"
        if any(BULLET_RE.match(ln.raw) or NUMBERED_PARA_RE.match(ln.raw) for ln in nonempty):
            return "list"
        return "paragraph"

    # helpers ----------------------------------------------------------------------------
    def _section(self) -> str:
        return " > ".join(t if len(t) <= 80 else t[:77].rsplit(" ", 1)[0] + "…" for _, t in self.headings)

    def _push_heading(self, title: str, level: int, start: int = -1) -> None:
        title = clean_inline(title).strip("#").strip()
        if not title:
            return
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
            self._heading_starts.pop()
        self.headings.append((level, title))
        self._heading_starts.append(start)
        self.table = Table()
        self.lead_in = ""

    def _emit(self, start: int, end: int, kind: str, context: str = "", cells=None) -> Passage | None:
        start, end = trim(self.text, start, end)
        if end <= start:
            return None
        body = self.text[start:end]
        if not re.search(r"[A-Za-z0-9]", body):
            return None
        p = Passage(
            source=self.source, char_start=start, char_end=end, text=body,
            section=self._section(), kind=kind, context=context, cells=list(cells or []),
        )
        self.out.append(p)
        return p

    def _emit_prose(self, start: int, end: int, kind: str, context: str = "") -> None:
        """A paragraph or list item, cut at sentence ends when it is long.

        Later pieces of a cut paragraph carry its opening sentence as context, so that
        "of which only 35% were accepted" still knows it is about the MASH.
        """
        start, end = trim(self.text, start, end)
        if end - start <= self.max_chars:
            self._emit(start, end, kind, context)
            return
        spans = sentence_spans(self.text, start, end)
        opening = clean_inline(self.text[spans[0][0]:spans[0][1]])[:200]
        chunks: list[list[int]] = []
        for s, e in spans:
            if chunks and e - chunks[-1][0] <= self.max_chars:
                chunks[-1][1] = e
            else:
                chunks.append([s, e])
        for i, (s, e) in enumerate(chunks):
            self._emit(s, e, kind, context if i == 0 else " | ".join(x for x in (context, opening) if x))

    def _lead_in(self, start: int, end: int) -> str:
        """The sentence that introduces a list ("... have included:"), or ''."""
        spans = sentence_spans(self.text, start, end)
        last = clean_inline(self.text[spans[-1][0]:spans[-1][1]]) if spans else ""
        if last.endswith(":"):
            self._lead_start = spans[-1][0]
            return last
        return ""

    def _flush_list(self) -> None:
        """A short list (even of one item) is also one passage with its lead-in ("3 key priorities: …, …, …"), for
        questions that ask for the whole list. Its items stay passages of their own."""
        if self._list is None:
            return
        start, _, items = self._list
        self._list = None
        end = items[-1][1]
        if len(items) <= 10 and end - start <= 700:  # one item too: its lead-in says what it is
            self._emit(start, end, "list")

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
        if header and len(header) == len(cells):
            values = [c.clean for c in cells]
            # Empty leading cells repeat the row above (the Foundation or Priority of an action plan).
            lead = 0
            while lead < len(values) and not values[lead] and lead < len(self.table.above):
                values[lead] = self.table.above[lead]
                lead += 1
            self.table.above = values
            pairs = [(h, v) for h, v in zip(header, values) if v]
        else:
            values = [c.clean for c in filled]
            labels = [h for h in header if h][-len(values):]
            # Fewer labels than cells: the header names the right-hand columns (label | Baseline | Target).
            pairs = list(zip([""] * (len(values) - len(labels)) + labels, values))
        self._emit(filled[0].start, filled[-1].end, "row", self._row_context(pairs, filled), pairs)

    def _row_context(self, pairs: list[tuple[str, str]], filled: list[Cell]) -> str:
        """Table titles, column names, and values carried down from rows above (not in the span)."""
        own = {c.clean for c in filled}
        bits = list(self.table.titles)
        bits += [f"{h}: {v}" if h else v for h, v in pairs if v not in own]
        bits += [h for h, v in pairs if h and v in own]
        return " | ".join(bits)

    # handlers -----------------------------------------------------------------------------
    def _on_empty(self, block, i, kinds, nxt) -> None:
        pass

    def _on_heading(self, block, i, kinds, nxt) -> None:
        raw = block[0].stripped
        hashes = len(raw) - len(raw.lstrip("#"))
        if self._votes is not None and not _VOTE_HEADING.search(raw):
            self._close_votes()
        first = block[0]
        self._push_heading(raw, heading_level(raw, hashes), first.start + len(first.raw) - len(first.raw.lstrip(" #")))

    def _on_candidate(self, block, i, kinds, nxt) -> None:
        lines = [ln for ln in block if ln.stripped]
        if self._vote_start is not None:  # the names under a vote count, not a title
            start, self._vote_start = self._vote_start, None
            self._emit(start, lines[-1].end, "paragraph")
            if self._votes is not None:
                self._votes[1] = lines[-1].end
            return
        line = Line(lines[0].start, lines[-1].end, self.text[lines[0].start:lines[-1].end])
        text = " ".join(ln.stripped for ln in lines)
        if is_value(text):
            self._on_lone_value(line, text)
            return
        prev = kinds[i - 1] if i else "start"
        starts_run = prev != "candidate" and kinds[i + 1: i + 3] == ["candidate", "candidate"]
        if strong_heading(text) or nxt in BODY_KINDS or starts_run:
            # A title line names what follows; a run of short lines (slides) is titled by its first.
            self._close_votes()
            self._push_heading(text, heading_level(text, 0), line.start)
            if len(text.split()) >= 6 and not strong_heading(text):
                self._emit(line.start, line.end, "fragment")  # a long title line may itself be the answer
            return
        self._emit(line.start, line.end, "fragment")

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

    def _on_vote(self, block, i, kinds, nxt) -> None:
        """ "Against (4)": a count of votes, read with the names listed under it (the next paragraph).

        The counts of one recorded vote, with the heading of the motion voted on, are also one passage
        (see `_close_votes`)."""
        line = next(ln for ln in block if ln.stripped)
        start = line.start + len(line.raw) - len(line.raw.lstrip(" \t#"))
        if self._votes is None:
            motion = [s for (_, title), s in zip(self.headings, self._heading_starts)
                      if s >= 0 and not _VOTE_HEADING.search(title)]
            self._votes = [motion[-1] if motion else start, line.end]
        self._votes[1] = line.end
        if nxt in ("paragraph", "candidate"):
            self._vote_start = start
        else:
            self._emit(start, line.end, "fragment")

    def _close_votes(self) -> None:
        """The recorded vote just read, from its motion's heading to its last names, as one passage."""
        if self._votes is not None:
            start, end = self._votes
            self._votes = None
            if end - start <= _MAX_VOTE_CHARS:
                self._emit(start, end, "list")

    def _on_paragraph(self, block, i, kinds, nxt) -> None:
        lines = [ln for ln in block if ln.stripped]
        start, end = lines[0].start, lines[-1].end
        if self._vote_start is not None:
            start, self._vote_start = self._vote_start, None
            self._emit(start, end, "paragraph")
            if self._votes is not None:
                self._votes[1] = end
            return
        self._close_votes()
        lead = self._open_lead
        if lead and end - start <= _MAX_UNBULLETED_ITEM and not self._lead_in(start, end):
            # An item of the unbulleted list its lead-in opened: one line per payment, per decision.
            if self._list is None or self._list[1] != lead:
                self._flush_list()
                self._list = (self._lead_start, lead, [])
            self._list[2].append((start, end))
            self._emit_prose(start, end, "item", lead)
            return
        self._flush_list()
        self._emit_prose(start, end, "paragraph")
        self.lead_in = self._open_lead = self._lead_in(start, end)

    def _on_list(self, block, i, kinds, nxt) -> None:
        items: list[list[int]] = []
        intro: list[Line] = []
        for ln in block:
            if not ln.stripped:
                continue
            if BULLET_RE.match(ln.raw) or NUMBERED_PARA_RE.match(ln.raw):
                items.append([ln.start, ln.end])
            elif items:
                items[-1][1] = ln.end
            else:
                intro.append(ln)
        self._open_lead = ""
        if intro:
            s, e = intro[0].start, intro[-1].end
            self._emit_prose(s, e, "paragraph")
            self.lead_in = self._lead_in(s, e)
        for s, e in items:
            # Symbol bullets are dropped from the span; paragraph numbers ("4.3.2", "3.") are kept.
            m = re.match(r"[ \t]*(?:[-*•·–▪➤][ \t]+)?", self.text[s:e])
            body_start = s + m.end()
            numbered = NUMBERED_PARA_RE.match(self.text[s:e]) or re.match(r"[ \t]*\d{1,2}[.)]\s", self.text[s:e])
            if numbered:
                self.lead_in = ""  # a numbered paragraph stands on its own and ends the list above
                self._flush_list()
            elif self.lead_in:
                if self._list is None or self._list[1] != self.lead_in:
                    self._flush_list()
                    self._list = (self._lead_start, self.lead_in, [])
                self._list[2].append((body_start, e))
            self._emit_prose(body_start, e, "item", self.lead_in)
            if numbered or self._lead_in(body_start, e):
                self._flush_list()
            self.lead_in = self._lead_in(body_start, e) or self.lead_in

    def _on_tsv(self, block, i, kinds, nxt) -> None:
        for line in block:
            if not line.stripped:
                continue
            cells = tab_cells(self.text, line)
            filled = [c for c in cells if c.text]
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
        if any(len(c.clean) > 45 or (is_value(c.text) and not is_year(c.text)) for c in filled):
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


def split_document(text: str, source: str, max_chars: int = 420) -> list[Passage]:
    """Passages of one document's text. See the module docstring for the layouts handled."""
    return Splitter(max_chars=max_chars).split(text, source)
