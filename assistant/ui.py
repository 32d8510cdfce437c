"""Helpers shared by the Streamlit pages (app.py and pages/*.py). No retrieval logic here.

Three layers, top to bottom:
  * the shared Assistant (one per server and configuration) and the per-browser chat state;
  * pure formatting: escaping, highlighting, dates, exports (plain functions, unit-testable);
  * Streamlit components: an answer with its citation cards, the whole-report dialog, feedback.

Safety rule for everything here: report text, answers and user input are untrusted. They
reach the page only as escaped Markdown (`md`) or as HTML built by `html.escape` with tags
we add ourselves (`highlight_html`), never raw.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import re
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import streamlit as st

from . import documents
from .api import Assistant, Conversation
from .errors import AssistantError
from .feedback import FeedbackStore
from .retrieve import Filters
from .settings import Settings
from .types import Answer, Citation

log = logging.getLogger(__name__)

APP_NAME = "Plan Assistant"
PRIMARY = "#1f5fa8"  # the theme's primaryColor (.streamlit/config.toml), for charts
# Icons from Streamlit's bundled Material font (no network); the favicon is page_icon().
USER_AVATAR = ":material/person:"
BOT_AVATAR = ":material/menu_book:"

# Shown to every new user: generic questions the current corpus can answer.
EXAMPLE_QUESTIONS: tuple[str, ...] = (
    "What happened to external residential numbers?",
    "Who leads the edge of care offer and by when?",
    "How much does an in-house foster parent cost?",
    "How did the number of children in Kinship Care change?",
)


@st.cache_resource(show_spinner=False)
def page_icon() -> Any:
    """The favicon, drawn here: a material or emoji icon makes the browser fetch it from a CDN."""
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((2, 2, 62, 62), radius=14, fill="#1f5fa8")
    d.rounded_rectangle((17, 12, 47, 52), radius=3, fill="white")  # a page
    for y in (21, 28, 35):
        d.line((22, y, 42, y), fill="#1f5fa8", width=3)  # lines of text
    d.rectangle((22, 41, 35, 45), fill="#ffd23f")  # one highlighted line: a citation
    return img


# --- the shared Assistant -----------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def _assistant_for(key: str, _settings: Settings) -> Assistant:
    # Keyed by the whole configuration, so tests (and a server whose ASSISTANT_* variables
    # change) get one Assistant per corpus/index rather than a stale one.
    return Assistant(_settings)


def get_assistant(settings: Settings | None = None) -> Assistant:
    """One Assistant (index + model) per server process and configuration, shared by every session.

    Settings hold absolute folders (settings.library_path), so a change of directory is harmless.
    """
    s = settings or Settings()
    return _assistant_for(s.model_dump_json(), s)


def view_or_stop(compute: Any, empty: str) -> tuple[Assistant, list[Any]]:
    """The Assistant and `compute(assistant)` (commitments, figure series) for a page; a message
    and st.stop() when the index is missing or the view is empty."""
    bot = get_assistant()
    try:
        items = compute(bot)
    except AssistantError as exc:
        st.error(md(str(exc)), icon=":material/error:")
        st.info("Open the chat page once to build the index, or run `assistant ingest`.", icon=":material/info:")
        st.stop()
    if not items:
        st.info(empty, icon=":material/info:")
        st.stop()
    return bot, items


@st.cache_resource(show_spinner=False)
def _warming(key: str, _bot: Assistant) -> threading.Thread:
    def run() -> None:
        try:
            _bot.warm()
        except Exception:  # noqa: BLE001 - the first question will raise it properly
            log.exception("Warming the model failed")

    thread = threading.Thread(target=run, name="plan-assistant-warm", daemon=True)
    thread.start()
    return thread


def warm_once(bot: Assistant) -> None:
    """Start loading the model once per server, in the background.

    The page is usable as soon as the index is loaded (about a second); the model takes
    several more. Loading it while the visitor reads and types means the first question
    rarely waits, and when it does it simply queues on the model's load lock.
    """
    _warming(bot.settings.model_dump_json() + f"#{id(bot)}", bot)


def still_warming(bot: Assistant) -> bool:
    """True while the background load started by warm_once is running."""
    return _warming(bot.settings.model_dump_json() + f"#{id(bot)}", bot).is_alive()


def feedback_store(settings: Settings | None = None) -> FeedbackStore:
    """The feedback database beside the index in use."""
    return FeedbackStore.beside_index((settings or Settings()).index)


def filters_dict(filters: Filters) -> dict[str, list]:
    return {k: list(v) for k, v in asdict(filters).items()}


# --- per-browser chat state ---------------------------------------------------------------


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


def chat_session(bot: Assistant, key: str = "chat") -> ChatSession:
    """This browser session's chat, created on first use (and again if the Assistant was replaced)."""
    chat = st.session_state.get(key)
    if not isinstance(chat, ChatSession) or chat.conversation.assistant is not bot:
        chat = ChatSession(bot.conversation())
        st.session_state[key] = chat
    return chat


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# --- pure formatting ----------------------------------------------------------------------

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


def org_label(organisation: str) -> str:
    """The catalog says "not stated in the report" when a report names no author; say it plainly."""
    o = (organisation or "").strip()
    return "Organisation not stated" if not o or o.lower().startswith("not stated") else o


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


def _scroll_script(dom_id: str) -> str:
    # Our own fixed code (dom_id is a hex uuid we made): scroll the report box, not the page,
    # so the cited mark sits a little below the top. Retried because the dialog animates in.
    return f"""<script>
(function () {{
  function go() {{
    var box = document.getElementById("{dom_id}"), m = document.getElementById("{dom_id}-mark");
    if (!box || !m) return false;
    box.scrollTop = Math.max(0, m.offsetTop - box.clientHeight / 4);
    return true;
  }}
  [0, 60, 200, 500].forEach(function (t) {{ setTimeout(go, t); }});
}})();
</script>"""


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


# --- Streamlit components -----------------------------------------------------------------

_CSS = """
<style>
.pa-passage, .pa-report { line-height: 1.55; white-space: pre-wrap; overflow-wrap: anywhere; }
.pa-passage { font-size: 0.95rem; padding: 0.1rem 0 0.2rem 0.75rem; border-left: 3px solid #b9c7dd; }
.pa-related .pa-passage { border-left: 3px dashed #c9c9c9; color: inherit; opacity: 0.9; }
.pa-report { position: relative; max-height: 62vh; overflow-y: auto; padding: 0.75rem 1rem;
             border: 1px solid rgba(128,128,128,0.35); border-radius: 0.5rem; font-size: 0.92rem; }
mark.pa-used { background: #ffe27a; color: #111; padding: 0 1px; border-radius: 2px; }
mark.pa-cited { background: #fff4c2; color: #111; padding: 0; }
mark.pa-cited mark.pa-used { background: #ffd23f; }
</style>
"""


def inject_css() -> None:
    """Our stylesheet (fixed text, no untrusted content), once per page run."""
    st.html(_CSS)


def render_citation(bot: Assistant, c: Citation, key: str, related: bool = False) -> None:
    """A card: title, provenance, the verbatim passage (used sentences marked), and a way to read it in context."""
    # The key gives the card a stable CSS class (st-key-cite-… / st-key-related-…) for browser tests.
    with st.container(border=True, key=f"{'related' if related else 'cite'}-{key}"):
        label = "" if related else f"**\\[{c.marker}\\]** "
        st.markdown(f"{label}**{md(c.title)}**")
        st.caption(md(citation_meta(c)))
        st.html(f'<div class="{"pa-related" if related else "pa-cite"}">{passage_html(c)}</div>')
        if st.button("Read it in the full report", key=f"open-{key}", icon=":material/article:",
                     help="Opens the whole report with this passage highlighted"):
            show_report(bot, c)


def show_in_context(bot: Assistant, c: Citation, context_chars: int) -> None:
    """The cited span inside the report text around it: the span lightly marked, `c.highlights`
    (offsets within the span) darker. A report changed since indexing gets a warning."""
    try:
        full = bot.source_text(c.source)
    except AssistantError as exc:
        st.error(md(str(exc)), icon=":material/error:")
        st.stop()
    if full[c.char_start:c.char_end] != c.text:
        st.warning("This report has changed since it was indexed, so the highlight may be misplaced. "
                   "Rebuild the index (`assistant ingest`) to refresh it.")
    start, end = max(0, c.char_start - context_chars), min(len(full), c.char_end + context_chars)
    marks = [([(c.char_start - start, c.char_end - start)], "pa-cited")]
    if c.highlights:
        marks.append(([(c.char_start - start + s, c.char_start - start + e) for s, e in c.highlights], "pa-used"))
    # highlight_html escapes every character of the report text; only our <mark> tags are HTML.
    st.html('<div class="pa-passage">' + ("… " if start else "") + highlight_html(full[start:end], marks)
            + (" …" if end < len(full) else "") + "</div>")


@st.dialog("Source report", width="large")
def show_report(bot: Assistant, c: Citation) -> None:
    """The whole report text, the cited passage highlighted and scrolled into view."""
    st.markdown(f"**{md(c.title)}**")
    st.caption(md(citation_meta(c)) + md(f" · {c.source}, characters {c.char_start:,}–{c.char_end:,}"))
    try:
        text = bot.source_text(c.source)
    except AssistantError as exc:
        st.error(md(str(exc)), icon=":material/error:")
        return
    except Exception as exc:  # noqa: BLE001 - say what failed instead of a generic crash page
        log.exception("Cannot open %s", c.source)
        st.error(md(f"Cannot open {c.source}: {exc}"), icon=":material/error:")
        return
    if text[c.char_start:c.char_end] != c.text:
        st.warning("This report has changed since it was indexed, so the highlight may be misplaced. "
                   "Rebuild the index (`assistant ingest`) to refresh it.")
    st.caption("Light yellow: the cited passage. Dark yellow: the sentences the answer used. "
               "The view opens at the passage; scroll to read the rest of the report.")
    dom_id = "pa-" + uuid.uuid4().hex[:10]
    # Safe to allow our script: every byte of report text in this HTML went through html.escape.
    st.html(report_html(text, c, dom_id) + _scroll_script(dom_id), unsafe_allow_javascript=True)


def render_answer(bot: Assistant, chat: ChatSession, item: ChatItem, store: FeedbackStore | None = None) -> None:
    """Inside an assistant chat message: the answer, its citation cards (or related reading) and feedback."""
    if item.answer is None:
        st.error(item.error or "Something went wrong; please try again.")
        return
    a = item.answer
    if a.abstained:
        st.warning(answer_markdown(a.answer), icon=":material/search_off:")
    else:
        st.markdown(answer_markdown(a.answer))
    if a.series and not a.abstained:
        render_series(a.series, key=item.id)
    if a.citations:
        noun = "source" if len(a.citations) == 1 else "sources"
        st.caption(f"{len(a.citations)} cited {noun}; the highlighted sentences are the ones quoted above.")
        for i, c in enumerate(a.citations):
            render_citation(bot, c, key=f"{item.id}-c{i}")
    if a.related:
        with st.expander(f"Related reading: {len(a.related)} nearby passages (not citations)", expanded=False):
            st.caption("These passages were the closest matches, but none answers the question. "
                       "They are offered as a starting point, not as evidence.")
            for i, c in enumerate(a.related):
                render_citation(bot, c, key=f"{item.id}-r{i}", related=True)
    facts = [f"Answered in {item.seconds:.1f} s"]
    if any(item.filters.values()):
        facts.append("limited to " + "; ".join(", ".join(map(str, v)) for v in item.filters.values() if v))
    # One quiet row under the answer: rate it, comment on it, and how it was produced.
    with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
        if store is not None:
            render_feedback(chat, item, store)
        st.caption(md(" · ".join(facts)))


def _on_thumb(chat: ChatSession, item: ChatItem, store: FeedbackStore, key: str) -> None:
    value = st.session_state.get(key)
    try:
        if value is None:
            store.clear_rating(chat.session_id, item.id)
        else:
            store.record(session_id=chat.session_id, turn_id=item.id, answer=item.answer,  # type: ignore[arg-type]
                         rating="up" if value == 1 else "down", filters=item.filters)
            st.toast("Thanks, your rating is saved.", icon=":material/check:")
    except Exception as exc:  # noqa: BLE001 - a failed write must not break the chat
        log.exception("Saving feedback failed")
        st.toast(md(f"Could not save feedback: {exc}"), icon=":material/error:")


def render_feedback(chat: ChatSession, item: ChatItem, store: FeedbackStore) -> None:
    """Thumbs (saved at once) and an optional comment, both stored against this answer."""
    thumb_key = f"fb-{item.id}"
    st.feedback("thumbs", key=thumb_key, on_change=_on_thumb, args=(chat, item, store, thumb_key))
    with st.popover("Comment", icon=":material/rate_review:", help="Tell the evaluators what was good or wrong"):
        with st.form(f"fbform-{item.id}", clear_on_submit=True, border=False):
            comment = st.text_area("What was good or wrong about this answer?", key=f"fbtext-{item.id}",
                                   max_chars=2000, placeholder="e.g. the figure is from the wrong year")
            if st.form_submit_button("Send comment", icon=":material/send:", key=f"fbsend-{item.id}"):
                if not comment.strip():
                    st.warning("Type a comment first.")
                else:
                    thumb = st.session_state.get(thumb_key)
                    assert item.answer is not None  # feedback is only offered under answers
                    try:
                        store.record(session_id=chat.session_id, turn_id=item.id, answer=item.answer,
                                     rating=None if thumb is None else ("up" if thumb == 1 else "down"),
                                     comment=comment, filters=item.filters)
                    except Exception as exc:  # noqa: BLE001 - a failed write is a message
                        log.exception("Saving a comment failed")
                        st.error(md(f"Could not save the comment: {exc}"))
                    else:
                        st.success("Comment saved. Thank you.")


def progress_bar(text: str) -> tuple[Any, Any]:
    """A progress bar and the (stage, done, total) callback that Assistant.ingest reports to."""
    bar = st.progress(0.0, text=text)

    def progress(stage: str, done: int, total: int) -> None:
        frac = done / total if total else 0.0
        bar.progress(min(1.0, max(0.0, frac)), text=f"{stage}: {done:,} of {total:,}" if total else stage)

    return bar, progress


def ingest_with_progress(bot: Assistant) -> str:
    """Build or update the index under a visible progress bar; returns the report's summary."""
    bar, progress = progress_bar("Reading the reports…")
    report = bot.ingest(progress=progress)
    bar.progress(1.0, text="Index ready.")
    return report.summary()


# --- a figure timeline as a chart -----------------------------------------------------------


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


def series_chart(series: dict[str, Any]) -> Any:
    """An Altair line chart of a timeline: period on x in the given order, value on y, each point
    labelled with its value and [n] citation markers, and a tooltip naming who reported it."""
    import altair as alt

    rows = series_rows(series)
    unit = str(series.get("unit") or "")
    y_title = "number" if unit in ("", "count") else unit
    order = [r["When"] for r in rows]
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X("When:N", sort=order, title=None,
                axis=alt.Axis(labelAngle=0, labelExpr="split(datum.label, ', ')", labelLimit=220)),
        y=alt.Y("Value:Q", title=y_title, scale=alt.Scale(zero=True)),
        tooltip=[alt.Tooltip("When:N", title="When"), alt.Tooltip("Figure:N", title="Figure"),
                 alt.Tooltip("Citations:N", title="Citations"), alt.Tooltip("Reported by:N", title="Reported by")],
    )
    line = base.mark_line(color=PRIMARY)
    points = base.mark_point(filled=True, size=90, color=PRIMARY)
    labels = base.mark_text(dy=-14, fontSize=12, fontWeight="bold", color="#222").encode(text="Label:N")
    return (line + points + labels).properties(height=230, title=alt.Title(shorten(str(series.get("measure", "")), 90),
                                                                           anchor="start", fontSize=13))


def series_alt_text(series: dict[str, Any]) -> str:
    """What the chart shows, in words, for screen readers."""
    parts = [f"{r['Figure']} ({r['When']}) {r['Citations']}".strip() for r in series_rows(series)]
    return f"Chart of {series.get('measure', 'the figures')}: " + "; ".join(parts) + "."


def render_series(series: dict[str, Any], key: str) -> None:
    """Under a "how did X change" answer: the timeline table's figures as a small chart."""
    if len(series_rows(series)) < 2:
        return
    with st.container(key=f"series-{key}"):
        try:
            st.altair_chart(series_chart(series), width="stretch", alt=series_alt_text(series))
        except Exception:  # noqa: BLE001 - the table above holds the same figures; never lose the answer
            log.exception("Drawing the timeline chart failed")
            return
        st.caption("Each point is a figure from the table above; the numbers in brackets are its citations.")


# --- managing the reports: upload, edit details, remove --------------------------------------

UPLOAD_HELP = (f"PDF, Word (.docx), HTML, text or Markdown files, up to {documents.MAX_UPLOAD_MB} MB each. "
               "They are copied into the report folder and indexed straight away.")
_NOTE_ICONS = {"success": ":material/check_circle:", "error": ":material/error:", "warning": ":material/warning:",
               "info": ":material/info:"}


def passages_text(n: Any) -> str:
    """'1 passage', '1,204 passages'."""
    n = int(n or 0)
    return f"{n:,} passage" + ("" if n == 1 else "s")


def doc_key(source: str) -> str:
    """A short, stable widget key for a document (file names may hold any character)."""
    return hashlib.sha1(source.encode("utf-8")).hexdigest()[:10]


def notify(area: str, kind: str, text: str) -> None:
    """Keep a message for `area` to show on the next run (every change ends in st.rerun)."""
    st.session_state.setdefault(f"pa-notes-{area}", []).append((kind, text))


def show_notices(area: str) -> None:
    for kind, text in st.session_state.pop(f"pa-notes-{area}", []):
        getattr(st, kind)(md(text), icon=_NOTE_ICONS[kind])


def new_sources() -> set[str]:
    """Documents added in this browser session (marked "new" in lists)."""
    return st.session_state.setdefault("pa-new-docs", set())


def record_added(area: str, result: documents.AddResult) -> None:
    """Turn what add_documents did into messages, and keep name clashes waiting for an answer."""
    if result.error:
        notify(area, "error", result.error)
    done = result.added + result.replaced
    if done:
        new_sources().update(done)
        names = ", ".join(done)
        verb = "Added and indexed" if result.added else "Replaced and re-indexed"
        if result.added and result.replaced:
            verb = "Added or replaced, and indexed"
        notify(area, "success", f"{verb}: {names}. Answers can cite {'it' if len(done) == 1 else 'them'} now.")
    for message in result.rejected:
        notify(area, "error", message)
    if result.conflicts:
        st.session_state.setdefault(f"pa-pending-{area}", {}).update(result.conflicts)
    if result.duplicates:
        st.session_state.setdefault(f"pa-duplicates-{area}", {}).update(result.duplicates)


def _titles(bot: Assistant) -> dict[str, str]:
    try:
        return {d["source"]: d.get("title") or d["source"] for d in bot.documents()}
    except AssistantError:
        return {}


def upload_panel(bot: Assistant, area: str, label: str = "Add reports") -> None:
    """A file picker for new reports (several at once): stored under safe names and indexed at once,
    with a progress bar. A name already in the folder is only replaced after "Replace existing file"."""
    count_key = f"pa-upload-count-{area}"
    n = st.session_state.get(count_key, 0)
    files = st.file_uploader(label, type=documents.UPLOAD_TYPES, accept_multiple_files=True,
                             key=f"upload-{area}-{n}", max_upload_size=documents.MAX_UPLOAD_MB, help=UPLOAD_HELP)
    if files:
        bar, progress = progress_bar(f"Saving {len(files)} file{'s' if len(files) > 1 else ''}…")
        result = documents.add_documents(bot, [(f.name, f.getvalue()) for f in files], progress=progress)
        bar.empty()
        st.session_state[count_key] = n + 1  # a fresh, empty picker on the next run
        record_added(area, result)
        st.rerun()


def pending_replacements(bot: Assistant, area: str) -> None:
    """Uploads whose name is taken, or whose content is already in the library: say so, and
    replace or add only when asked."""
    pending: dict[str, bytes] = st.session_state.get(f"pa-pending-{area}", {})
    duplicates: dict[str, tuple[str, bytes]] = st.session_state.get(f"pa-duplicates-{area}", {})
    titles = _titles(bot) if pending or duplicates else {}
    for name in list(pending):
        k = doc_key(name)
        with st.container(border=True, key=f"pending-{area}-{k}"):
            title = titles.get(name)
            st.warning(md(f"{name}" + (f" (“{title}”)" if title and title != name else "")
                          + " is already in the library. Replace it with your upload? "
                            "Nothing changes until you choose."), icon=":material/warning:")
            with st.container(horizontal=True, gap="small"):
                replace = st.button("Replace existing file", key=f"replace-{area}-{k}", type="primary",
                                    icon=":material/published_with_changes:")
                keep = st.button("Keep existing", key=f"keep-{area}-{k}", icon=":material/close:")
            if replace:
                bar, progress = progress_bar("Replacing and re-indexing…")
                result = documents.add_documents(bot, [(name, pending.pop(name))], replace=True, progress=progress)
                bar.empty()
                record_added(area, result)
                st.rerun()
            if keep:
                pending.pop(name)
                notify(area, "info", f"Kept the existing {name}; the uploaded copy was discarded.")
                st.rerun()
    for name in list(duplicates):
        same, data = duplicates[name]
        k = doc_key(name)
        with st.container(border=True, key=f"duplicate-{area}-{k}"):
            title = titles.get(same)
            st.warning(md(f"{name} was not added: its content is already in the library as {same}"
                          + (f" (“{title}”)" if title and title != same else "")
                          + ". A second copy would make answers cite the same passage twice."),
                       icon=":material/content_copy:")
            with st.container(horizontal=True, gap="small"):
                anyway = st.button("Add it anyway", key=f"add-anyway-{area}-{k}", icon=":material/add:")
                drop = st.button("Don't add it", key=f"drop-duplicate-{area}-{k}", type="primary",
                                 icon=":material/close:")
            if anyway:
                bar, progress = progress_bar("Adding and indexing…")
                result = documents.add_documents(bot, [(name, duplicates.pop(name)[1])], force=True, progress=progress)
                bar.empty()
                record_added(area, result)
                st.rerun()
            if drop:
                duplicates.pop(name)
                notify(area, "info", f"{name} was not added; {same} stays as it is.")
                st.rerun()


def set_manage(action: str | None, source: str | None = None) -> None:
    """Open one report's edit form or removal confirmation on the Manage page (None closes it)."""
    st.session_state["pa-manage"] = (action, source) if action else None


def document_card(bot: Assistant, d: dict[str, Any], removable: bool = True) -> None:
    """One report on the Manage page: its details, "Edit details" and "Remove" (each opens below)."""
    source = d["source"]
    k = doc_key(source)
    mode = st.session_state.get("pa-manage")
    with st.container(border=True, key=f"doc-{k}"):
        badge = " :green-badge[new]" if source in new_sources() else ""
        st.markdown(f"**{md(d.get('title') or source)}**{badge}")
        facts = [org_label(str(d.get("organisation", ""))), human_date(str(d.get("published", ""))),
                 str(d.get("kind") or ""), passages_text(d.get("passages", 0))]
        st.caption(md(" · ".join([f for f in facts if f] + [f"file {source}"])))
        with st.container(horizontal=True, gap="small"):
            st.button("Edit details", key=f"edit-{k}", icon=":material/edit:", on_click=set_manage,
                      args=("edit", source), help="Title, organisation, date, kind and reference shown in citations")
            st.button("Remove", key=f"remove-{k}", icon=":material/delete:", on_click=set_manage,
                      args=("remove", source), disabled=not removable,
                      help="Delete this report from the library" if removable
                      else "The only report cannot be removed; add another first")
        if mode == ("edit", source):
            edit_details_form(bot, d)
        elif mode == ("remove", source):
            confirm_remove(bot, d)


def edit_details_form(bot: Assistant, d: dict[str, Any]) -> None:
    """The catalog fields of one report; saving writes catalog.toml and re-indexes."""
    source = d["source"]
    k = doc_key(source)
    try:
        entry = documents.catalog_entry(bot.settings.corpus, source)
    except AssistantError as exc:
        st.error(md(str(exc)), icon=":material/error:")
        return
    shown = {f: entry.get(f, str(d.get(f) or "")) for f in documents.CATALOG_FIELDS}
    with st.form(f"details-{k}", border=False):
        values = {"title": st.text_input("Title", value=shown["title"], max_chars=documents.MAX_FIELD_CHARS,
                                         key=f"title-{k}")}
        left, right = st.columns(2)
        values["organisation"] = left.text_input("Organisation", value=shown["organisation"], key=f"org-{k}",
                                                 max_chars=documents.MAX_FIELD_CHARS,
                                                 placeholder="e.g. Dundee City Council")
        values["published"] = right.text_input("Published", value=shown["published"], key=f"published-{k}",
                                               placeholder="YYYY, YYYY-MM or YYYY-MM-DD",
                                               help="The publication date: a year (2024), a month (2024-06) or "
                                                    "a day (2024-06-30).")
        values["kind"] = left.text_input("Kind of document", value=shown["kind"], key=f"kind-{k}",
                                         max_chars=documents.MAX_FIELD_CHARS, placeholder="e.g. committee report")
        values["reference"] = right.text_input("Reference", value=shown["reference"], key=f"ref-{k}",
                                               max_chars=documents.MAX_FIELD_CHARS, placeholder="e.g. 170-2021")
        st.caption("Citations show these details. Dates are a year, a month or a day: 2024, 2024-06 or "
                   "2024-06-30. Leave a field empty to let the assistant read it from the report's text.")
        with st.container(horizontal=True, gap="small"):
            save = st.form_submit_button("Save details", type="primary", icon=":material/save:", key=f"save-{k}")
            cancel = st.form_submit_button("Cancel", key=f"cancel-edit-{k}")
    if cancel:
        set_manage(None)
        st.rerun()
    if not save:
        return
    changes = {f: v for f, v in values.items() if " ".join(str(v).split()) != " ".join(shown[f].split())}
    if not changes:
        st.info("Nothing to save: the details are as they were.", icon=":material/info:")
        return
    try:
        documents.clean_fields(changes)  # a bad date is reported before anything is written
        bar, progress = progress_bar("Saving the details and re-indexing…")
        entry, report = documents.edit_details(bot, source, changes, progress=progress)
        bar.empty()
    except AssistantError as exc:
        st.error(md(str(exc)), icon=":material/error:")
        return
    title = entry.get("title") or d.get("title") or source
    notify("library", "success", f"Saved the details of {source}. New answers cite it as “{title}”.")
    set_manage(None)
    st.rerun()


def confirm_remove(bot: Assistant, d: dict[str, Any]) -> None:
    """The confirmation step before a report is deleted."""
    source = d["source"]
    k = doc_key(source)
    st.warning(md(f"Remove “{d.get('title') or source}”? This deletes the file {source} from the report folder "
                  f"and takes it out of the index ({passages_text(d.get('passages', 0))}), so answers stop citing "
                  "it. This cannot be undone."), icon=":material/warning:")
    with st.container(horizontal=True, gap="small"):
        yes = st.button("Yes, remove it", key=f"confirm-remove-{k}", type="primary", icon=":material/delete_forever:")
        st.button("Cancel", key=f"cancel-remove-{k}", on_click=set_manage, args=(None,))
    if not yes:
        return
    try:
        bar, progress = progress_bar("Removing and re-indexing…")
        documents.remove_and_reindex(bot, source, progress=progress)
        bar.empty()
    except AssistantError as exc:
        st.error(md(str(exc)), icon=":material/error:")
        return
    new_sources().discard(source)
    notify("library", "success", f"Removed “{d.get('title') or source}” ({source}). Answers no longer cite it.")
    set_manage(None)
    st.rerun()

