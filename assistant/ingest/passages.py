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

from ..core.text import clean_inline, is_value, sentence_spans, trim
from ..core.types import Passage
from .tables import TableReader
from .layout import (
    BODY_KINDS,
    BULLET_RE,
    FURNITURE_RE,
    NUMBERED_PARA_RE,
    aligned_rows,
    Line,
    Table,
    front_matter_end,
    heading_level,
    is_field_block,
    is_fields_block,
    is_heading_candidate,
    is_pipe_row,
    is_tsv_row,
    is_vote_line,
    rejoin_wrapped,
    spaced_cells,
    split_blocks,
    split_lines,
    strong_heading,
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


class Splitter(TableReader):
    """Turns one document's text into passages. Pure: no I/O, no model."""

    def __init__(self, max_chars: int = 420) -> None:
        self.max_chars = max_chars

    def split(self, text: str, source: str) -> list[Passage]:
        self.text = text
        self.source = source
        self.out: list[Passage] = []
        self.headings: list[tuple[int, str]] = []
        self._heading_starts: list[int] = []  # where each heading of the stack starts in the text
        self._heading_ends: list[int] = []
        self._votes: list[int] | None = None  # [start, end] of a recorded vote: its motion's heading to its last names
        self.table = Table()
        self.lead_in = ""
        skip = front_matter_end(text)
        blocks = rejoin_wrapped([b for b in split_blocks(split_lines(text)) if b[0].start >= skip])
        kinds = [self._kind(b) for b in blocks]
        keep = [i for i, k in enumerate(kinds) if k != "empty"]
        blocks, kinds = self._join_fields([blocks[i] for i in keep], [kinds[i] for i in keep])
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
    def _join_fields(self, blocks: list[list[Line]], kinds: list[str]) -> tuple[list[list[Line]], list[str]]:
        """Runs of "Label: value" blocks one blank line apart are one block of fields ("Lead: …", blank
        line, "Timeline: …"); a lone one (a slide's line, far from the next) is read as any other line."""
        out_b: list[list[Line]] = []
        out_k: list[str] = []
        for block, kind in zip(blocks, kinds):
            gap = self.text[out_b[-1][-1].end:block[0].start] if out_b else ""
            if kind in ("field", "fields") and out_k and out_k[-1] in ("field", "fields") and gap.count("\n") <= 2:
                out_b[-1] = out_b[-1] + block
                out_k[-1] = "fields"
            else:
                out_b.append(block)
                out_k.append(kind)
        return out_b, [self._kind(b, fields=False) if k == "field" else k for b, k in zip(out_b, out_k)]

    def _kind(self, block: list[Line], fields: bool = True) -> str:
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
        if fields and is_fields_block(block):
            return "fields"
        if fields and is_field_block(block):
            return "field"
        if any(spaced_cells(self.text, ln) for ln in nonempty):
            return "spaced"
        if aligned_rows(self.text, block):
            return "aligned"
        joined = " ".join(ln.stripped for ln in nonempty)
        if len(nonempty) <= 2 and is_heading_candidate(joined) and (len(nonempty) == 1 or strong_heading(joined)):
            return "candidate"
        if any(BULLET_RE.match(ln.raw) or NUMBERED_PARA_RE.match(ln.raw) for ln in nonempty):
            return "list"
        return "paragraph"

    # helpers ----------------------------------------------------------------------------
    def _section(self) -> str:
        return " > ".join(t if len(t) <= 80 else t[:77].rsplit(" ", 1)[0] + "…" for _, t in self.headings)

    def _push_heading(self, title: str, level: int, start: int = -1, end: int = -1) -> None:
        title = clean_inline(title).strip("#").strip()
        if not title:
            return
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
            self._heading_starts.pop()
            self._heading_ends.pop()
        if start >= 0:  # the span of the title exactly as printed (no "#", markup or line break), else unknown
            at = self.text.find(title, start, max(end, start + len(title)))
            start, end = (at, at + len(title)) if at >= 0 else (-1, -1)
        self.headings.append((level, title))
        self._heading_starts.append(start)
        self._heading_ends.append(end)
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
            heading_spans=[(a, b) if 0 <= a < b else (-1, -1) for a, b in zip(self._heading_starts, self._heading_ends)],
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

    def _on_empty(self, block, i, kinds, nxt) -> None:
        pass

    def _on_heading(self, block, i, kinds, nxt) -> None:
        raw = block[0].stripped
        hashes = len(raw) - len(raw.lstrip("#"))
        if self._votes is not None and not _VOTE_HEADING.search(raw):
            self._close_votes()
        first = block[0]
        self._push_heading(raw, heading_level(raw, hashes), first.start + len(first.raw) - len(first.raw.lstrip(" #")),
                           first.start + len(first.raw.rstrip()))

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
            self._push_heading(text, heading_level(text, 0), line.start, trim(self.text, line.start, line.end)[1])
            if len(text.split()) >= 6 and not strong_heading(text):
                self._emit(line.start, line.end, "fragment")  # a long title line may itself be the answer
            return
        self._emit(line.start, line.end, "fragment")

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

def split_document(text: str, source: str, max_chars: int = 420) -> list[Passage]:
    """Passages of one document's text. See the module docstring for the layouts handled."""
    return Splitter(max_chars=max_chars).split(text, source)
