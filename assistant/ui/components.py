"""Streamlit components: an answer with its citation cards, the whole-report dialog, feedback, progress."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import streamlit as st

from ..api import Assistant
from ..core.errors import AssistantError
from ..core.types import Citation
from ..core.visibility import describe
from ..records.feedback import FeedbackStore
from .charts import render_series
from .state import viewer
from .format import (
    WITHDRAWN,
    ChatItem,
    ChatSession,
    answer_markdown,
    citation_meta,
    highlight_html,
    md,
    passage_html,
    report_html,
)

log = logging.getLogger(__name__)


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
        st.caption(md(citation_meta(c) + f" · visible to: {describe(bot.visibility_of(c.source))}"))
        st.html(f'<div class="{"pa-related" if related else "pa-cite"}">{passage_html(c)}</div>')
        if st.button("Read it in the full report", key=f"open-{key}", icon=":material/article:",
                     help="Opens the whole report with this passage highlighted"):
            show_report(bot, c)


def show_in_context(bot: Assistant, c: Citation, context_chars: int) -> None:
    """The cited span inside the report text around it: the span lightly marked, `c.highlights`
    (offsets within the span) darker. A report changed since indexing gets a warning."""
    try:
        full = bot.source_text(c.source, viewer())  # a reader may open only the reports open to them
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


@st.dialog("Source report", width="large")
def show_report(bot: Assistant, c: Citation) -> None:
    """The whole report text, the cited passage highlighted and scrolled into view."""
    st.markdown(f"**{md(c.title)}**")
    st.caption(md(citation_meta(c)) + md(f" · {c.source}, characters {c.char_start:,}–{c.char_end:,}"))
    try:
        text = bot.source_text(c.source, viewer())
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
        if item.error == WITHDRAWN:
            st.info(WITHDRAWN, icon=":material/lock:")
        else:
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
    """A progress bar and the (stage, done, total, note) callback that Assistant.ingest reports to; the note
    says how many documents are done, how fast and how long is left."""
    bar = st.progress(0.0, text=text)

    def progress(stage: str, done: int, total: int, note: str = "") -> None:
        frac = done / total if total else 0.0
        shown = note or (f"{done:,} of {total:,}" if total else "")
        bar.progress(min(1.0, max(0.0, frac)), text=f"{stage}: {shown}" if shown else stage)

    return bar, progress


def ingest_with_progress(bot: Assistant) -> str:
    """Build or update the index under a visible progress bar; returns the report's summary."""
    bar, progress = progress_bar("Reading the reports…")
    report = bot.ingest(progress=progress)
    bar.progress(1.0, text="Index ready.")
    return report.summary()
