"""Pure formatting for the app and the exports: escaping, highlighting, dates, labels (no Streamlit here).

Safety rule: report text, answers and user input are untrusted. They reach the page only as
escaped Markdown (`md`) or as HTML built by `html.escape` with tags we add (`highlight_html`).
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import logging
import re
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from ..answer.retrieve import Filters
from ..api import Conversation
from ..core.errors import AssistantError
from ..core.types import Answer, Citation
from ..views.commitments import Commitment

log = logging.getLogger(__name__)

APP_NAME = "Plan Assistant"


def filters_dict(filters: Filters) -> dict[str, list]:
    return {k: list(v) for k, v in asdict(filters).items()}


@dataclass
class ChatItem:
    """One exchange as shown: the question and either an answer or the error it raised."""

    id: str
    question: str
    asked_at: str  # UTC ISO 8601
    answer: Answer | None = None
    error: str | None = None
    filters: dict[str, list] = field(default_factory=dict)
    seconds: float = 0.0  # wall time of the ask, as the user felt it


@dataclass
class ChatSession:
    """What one browser tab keeps in st.session_state: a Conversation plus what was shown."""

    conversation: Conversation
    session_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    items: list[ChatItem] = field(default_factory=list)

    def ask(self, question: str) -> ChatItem:
        """Ask within the conversation; a library error becomes an item with a message, not an exception."""
        item = ChatItem(uuid.uuid4().hex[:12], question, _utc_now(), filters=filters_dict(self.conversation.filters))
        t0 = time.perf_counter()
        try:
            item.answer = self.conversation.ask(question)
        except AssistantError as exc:
            item.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - a bug must not cost the visitor their chat
            log.exception("Unexpected error answering %r", question[:200])
            item.error = f"Something went wrong while answering ({type(exc).__name__}: {exc}). Please try again."
        item.seconds = time.perf_counter() - t0
        self.items.append(item)
        return item

    def reset(self) -> None:
        self.conversation.reset()
        self.items.clear()

    def withdraw_hidden(self, visible: set[str]) -> int:
        """Withdraw the answers that cite (or offer as related reading) a report no longer open to this
        viewer (made restricted since): on screen and in the exports. Returns how many."""
        n = 0
        for item in self.items:
            a = item.answer
            if a is not None and any(c.source not in visible for c in a.citations + a.related):
                item.answer, item.error = None, WITHDRAWN
                n += 1
        return n


WITHDRAWN = ("This answer cited a report that is no longer open to you, so it has been withdrawn. "
             "Ask again for an answer from the reports you can read.")


# Every ASCII punctuation mark CommonMark lets us backslash-escape that Markdown, Streamlit's
# extensions (:colour[], $latex$, :emoji:) or HTML could act on.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~=$:&^\"'@%/])")


def md(text: str) -> str:
    """`text` escaped so st.markdown shows it literally (no links, HTML, LaTeX, lists, emphasis)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", "  \n")


_TABLE_RULE = re.compile(r"^\|(\s*:?-{3,}:?\s*\|)+$")


def _markers(escaped: str) -> str:
    # After escaping, a marker reads \[3\]; make it bold so it matches its card's heading.
    # A run like [2][3] becomes one bold span: "**a****b**" would not render as bold.
    return re.sub(r"((?:\\\[\d+\\\])+)", r"**\1**", escaped)


def answer_markdown(text: str) -> str:
    """An answer's text as safe Markdown.

    The answerer writes three kinds of line: prose, "- " bullets and "| a | b |" table rows
    (a figure timeline). Each keeps its structure; everything inside is escaped, and [n]
    markers stand out.
    """
    lines: list[tuple[str, str]] = []  # (kind, markdown)
    for line in str(text).split("\n"):
        stripped = line.strip()
        if line.startswith("- "):
            lines.append(("bullet", "- " + _markers(md(line[2:]))))
        elif len(stripped) > 1 and stripped.startswith("|") and stripped.endswith("|"):
            if _TABLE_RULE.match(stripped):
                lines.append(("table", stripped))
            else:
                cells = [_markers(md(c.strip())) for c in stripped[1:-1].split("|")]
                lines.append(("table", "| " + " | ".join(cells) + " |"))
        else:
            lines.append(("text", _markers(md(line))))
    # A list or table must follow a blank line, or Markdown glues it to the sentence before.
    out: list[str] = []
    for i, (kind, line) in enumerate(lines):
        if i and kind != "text" and lines[i - 1][0] != kind and lines[i - 1][1]:
            out.append("")
        out.append(line)
    return "\n".join(out)


def human_date(published: str) -> str:
    """'2025-02-19' -> '19 February 2025', '2021-05' -> 'May 2021', '2023' -> '2023'; else as given."""
    p = (published or "").strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", p):
            d = date.fromisoformat(p)
            return f"{d.day} {d:%B %Y}"
        if re.fullmatch(r"\d{4}-\d{2}", p):
            return f"{date(int(p[:4]), int(p[5:]), 1):%B %Y}"
    except ValueError:
        pass
    return p or "date not stated"


def org_label(organisation: str | None) -> str:
    """The issuing body, or "Organisation not stated" for a report that does not say (None)."""
    return (organisation or "").strip() or "Organisation not stated"


def section_label(section: str) -> str:
    return " › ".join(s.strip() for s in section.split(">") if s.strip())


def citation_meta(c: Citation) -> str:
    """'Dundee City Council · 19 February 2025 · 4.0 MAIN TEXT › 4.2 Developments · page 3' (plain text)."""
    parts = [org_label(c.organisation), human_date(c.published)]
    if c.section:
        parts.append(section_label(c.section))
    if c.page:
        parts.append(f"page {c.page}")
    return " · ".join(p for p in parts if p)


def _clean_spans(spans: list[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """Clamp to [0, length], drop empties, merge overlaps: offsets come from data, so trust nothing."""
    out: list[tuple[int, int]] = []
    for s, e in sorted((max(0, int(s)), min(length, int(e))) for s, e in spans):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


Spans = list[tuple[int, int]]


def highlight_html(text: str, layers: list[tuple[Spans, str]], ids: dict[str, str] | None = None) -> str:
    """`text` HTML-escaped, with each layer's spans wrapped in <mark class="...">.

    Layers nest: later layers are drawn inside earlier ones (passage, then its sentences).
    `ids` gives the first mark of a class an id, so a script can scroll to it.
    """
    cleaned = [(_clean_spans(spans, len(text)), cls) for spans, cls in layers]
    cuts = sorted({0, len(text), *(x for spans, _ in cleaned for s in spans for x in s)})
    ids = dict(ids or {})
    out = []
    for a, b in zip(cuts, cuts[1:]):
        piece = html.escape(text[a:b])
        for spans, cls in reversed(cleaned):  # innermost first, so outer marks wrap it
            if any(s <= a and b <= e for s, e in spans):
                # Only the first segment of the first span of a class carries the id.
                anchor = f' id="{ids.pop(cls)}"' if cls in ids else ""
                piece = f'<mark class="{cls}"{anchor}>{piece}</mark>'
        out.append(piece)
    return "".join(out)


def passage_html(c: Citation) -> str:
    """A citation's verbatim text with the sentences the answer used highlighted."""
    return f'<div class="pa-passage">{highlight_html(c.text, [(c.highlights, "pa-used")])}</div>'


def report_html(full_text: str, c: Citation, dom_id: str) -> str:
    """The whole report, escaped, the cited passage marked and its used sentences marked more strongly."""
    used = [(c.char_start + s, c.char_start + e) for s, e in c.highlights]
    body = highlight_html(full_text, [([(c.char_start, c.char_end)], "pa-cited"), (used, "pa-used")],
                          ids={"pa-cited": f"{dom_id}-mark"})
    return f'<div class="pa-report" id="{dom_id}">{body}</div>'


def _fence(text: str) -> str:
    """A fenced code block longer than any backtick run inside, so the text stays verbatim."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    bar = "`" * max(3, longest + 1)
    return f"{bar}text\n{text}\n{bar}"


def _md_plain(text: str) -> str:
    # For the exported file: keep it readable raw, but never let a viewer render HTML from it.
    return html.escape(str(text), quote=False)


def _filters_text(filters: dict[str, list]) -> str:
    parts = [f"{k}: {', '.join(map(str, v))}" for k, v in filters.items() if v]
    return "; ".join(parts) or "none (all indexed reports)"


def export_markdown(chat: ChatSession, exported_at: str | None = None) -> str:
    """The conversation as a Markdown document: each answer, then its citations in full."""
    lines = [f"# {APP_NAME}: conversation", "",
             f"Exported {exported_at or _utc_now()}. Each citation gives the source file, the character "
             "offsets of the passage in that file (start inclusive, end exclusive) and its verbatim text.", ""]
    for n, item in enumerate(chat.items, start=1):
        lines += [f"## {n}. {_md_plain(item.question)}", "", f"*Asked {item.asked_at}; filters: "
                  f"{_md_plain(_filters_text(item.filters))}*", ""]
        if item.answer is None:
            lines += [f"**Not answered:** {_md_plain(item.error or '')}", ""]
            continue
        a = item.answer
        if a.abstained:
            lines += ["**The assistant abstained** (no passage answers this closely enough to cite).", ""]
        lines += ["> " + _md_plain(line) if line else ">" for line in a.answer.split("\n")]
        lines.append("")
        for title, cites in (("Citations", a.citations), ("Related reading (not citations)", a.related)):
            if not cites:
                continue
            lines += [f"### {title}", ""]
            for c in cites:
                label = f"[{c.marker}] " if title == "Citations" else ""
                lines += [
                    f"**{label}{_md_plain(c.title)}** — {_md_plain(citation_meta(c))}", "",
                    f"- Source: `{c.source}`, characters {c.char_start}–{c.char_end}"
                    + (f", page {c.page}" if c.page else ""),
                    f"- Used sentences (offsets within the passage): {c.highlights or 'whole passage'}",
                    "", _fence(c.text), "",
                ]
    return "\n".join(lines).rstrip() + "\n"


def export_json(chat: ChatSession, exported_at: str | None = None) -> str:
    """The conversation as JSON: each turn is Answer.to_dict() plus when it was asked and with which filters."""
    turns = []
    for item in chat.items:
        turn: dict[str, Any] = {"id": item.id, "asked_at": item.asked_at, "filters": item.filters}
        if item.answer is not None:
            turn.update(item.answer.to_dict())
        else:
            turn.update({"question": item.question, "error": item.error})
        turns.append(turn)
    return json.dumps({"app": APP_NAME, "exported_at": exported_at or _utc_now(),
                       "offsets": "character offsets into the source file's text; end exclusive",
                       "turns": turns}, ensure_ascii=False, indent=2)


def shorten(text: str, limit: int = 400) -> str:
    """Long input shown in full would swamp the chat; the rest is elided visibly."""
    text = str(text)
    return text if len(text) <= limit else text[:limit].rstrip() + f" … [{len(text) - limit:,} more characters]"


def passages_text(n: Any) -> str:
    """'1 passage', '1,204 passages'."""
    n = int(n or 0)
    return f"{n:,} passage" + ("" if n == 1 else "s")


def doc_key(source: str) -> str:
    """A short, stable widget key for a document (file names may hold any character)."""
    return hashlib.sha1(source.encode("utf-8")).hexdigest()[:10]


def series_rows(series: dict[str, Any]) -> list[dict[str, Any]]:
    """The chart's rows, in the answer's order: one per point with a numeric value.

    "When" is made unique (two points of one period would otherwise share an x position).
    """
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for p in series.get("points") or []:
        try:
            value = float(p.get("value"))
        except (TypeError, ValueError):
            continue
        when = str(p.get("period") or "not stated")
        seen[when] = seen.get(when, 0) + 1
        if seen[when] > 1:
            when = f"{when} ({seen[when]})"
        refs = "".join(f"[{int(m)}]" for m in p.get("markers") or [])
        shown = str(p.get("value_text") or f"{value:g}")
        rows.append({"When": when, "Value": value, "Figure": shown, "Citations": refs,
                     "Label": f"{shown} {refs}".strip(),
                     "Reported by": f"{org_label(str(p.get('organisation', '')))} "
                                    f"({human_date(str(p.get('published', '')))})"})
    return rows


def series_alt_text(series: dict[str, Any]) -> str:
    """What the chart shows, in words, for screen readers."""
    parts = [f"{r['Figure']} ({r['When']}) {r['Citations']}".strip() for r in series_rows(series)]
    return f"Chart of {series.get('measure', 'the figures')}: " + "; ".join(parts) + "."


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


CSV_FIELDS = ["plan", "theme", "action", "lead", "lead_normalised", "partners", "timescale", "due", "recurrence",
              "timescale_defined", "measure", "cost", "funding", "organisation", "published", "source", "char_start",
              "char_end", "kind", "text"]


def commitments_csv(items: list[Commitment]) -> str:
    """The commitments as CSV text (a header row, then one row per commitment): the app's export and the CLI's --csv."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for c in items:
        writer.writerow({k: ("" if v is None else v) for k, v in c.to_dict().items()})
    return buf.getvalue()
