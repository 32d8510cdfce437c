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

from .api import Assistant, Conversation
from .errors import AssistantError
from .feedback import FeedbackStore
from .retrieve import Filters
from .settings import Settings
from .types import Answer, Citation

log = logging.getLogger(__name__)

APP_NAME = "Plan Assistant"
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

    Corpus and index paths are made absolute first: Assistant.source_text fails on a relative
    corpus path (the default "corpus"), and absolute paths also survive a change of directory.
    """
    s = settings or Settings()
    s = s.model_copy(update={"corpus": Path(s.corpus).resolve(), "index": Path(s.index).resolve()})
    return _assistant_for(s.model_dump_json(), s)


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


def ingest_with_progress(bot: Assistant) -> str:
    """Build or update the index under a visible progress bar; returns the report's summary."""
    bar = st.progress(0.0, text="Reading the reports…")

    def progress(stage: str, done: int, total: int) -> None:
        frac = done / total if total else 0.0
        bar.progress(min(1.0, max(0.0, frac)), text=f"{stage}: {done:,} of {total:,}" if total else stage)

    report = bot.ingest(progress=progress)
    bar.progress(1.0, text="Index ready.")
    return report.summary()

