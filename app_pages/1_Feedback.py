"""Feedback for evaluators (editors only): every rated or commented answer, with its citations, and a CSV export."""

from __future__ import annotations

import streamlit as st

from assistant.ui import format as fmt
from assistant.ui import state

st.set_page_config(page_title="Feedback · Plan Assistant", page_icon=state.page_icon(), layout="wide")
st.title("Feedback on answers", anchor=False)
st.caption("Thumbs and comments left under answers in the chat, newest first. Each row keeps the question, "
           "the answer and its citations exactly as they were shown.")

LABELS = {"up": "Helpful", "down": "Not helpful"}
viewer = state.editor_or_stop("read feedback")  # comments are for editors, not every reader
bot = state.get_assistant()
store = bot.feedback_store()
try:
    everything = bot.feedback_entries(viewer)
except Exception as exc:  # noqa: BLE001 - an unreadable file is a message, not a traceback
    st.error(fmt.md(f"Cannot read the feedback database {store.path}: {exc}"), icon=":material/error:")
    st.stop()

if not everything:
    st.info("No feedback yet. Rate answers with the thumbs under each answer in the chat, or add a comment.",
            icon=":material/info:")
    st.stop()

up = sum(e.rating == "up" for e in everything)
down = sum(e.rating == "down" for e in everything)
commented = sum(bool(e.comment) for e in everything)
c1, c2, c3, c4 = st.columns(4)
c1.metric("Answers with feedback", len(everything))
c2.metric(":material/thumb_up: Helpful", up)
c3.metric(":material/thumb_down: Not helpful", down)
c4.metric("With a comment", commented)

show = st.segmented_control("Show", ["All", "Helpful", "Not helpful", "With a comment"], default="All",
                            key="feedback_show")
if show == "Helpful":
    entries = [e for e in everything if e.rating == "up"]
elif show == "Not helpful":
    entries = [e for e in everything if e.rating == "down"]
elif show == "With a comment":
    entries = [e for e in everything if e.comment]
else:
    entries = everything

# st.dataframe shows cell text as text (never HTML), so stored answers are safe here.
st.dataframe(
    [{"When (UTC)": e.updated_at.replace("T", " ").replace("+00:00", ""), "Rating": LABELS.get(e.rating or "", "–"),
      "Comment": e.comment, "Question": e.question, "Answer": e.answer,
      "Citations": len(e.citations), "Abstained": "yes" if e.abstained else ""} for e in entries],
    hide_index=True, width="stretch",
    column_config={"Answer": st.column_config.TextColumn(width="large"),
                   "Question": st.column_config.TextColumn(width="medium")},
)

st.download_button("Download all feedback as CSV", data=bot.feedback_csv(viewer),
                   file_name="plan-assistant-feedback.csv",
                   mime="text/csv", icon=":material/download:", on_click="ignore", type="primary")
st.caption(fmt.md(f"Stored in {store.path}"))

st.subheader("Read one answer in full", divider="gray")
if entries:
    labels = {e.id: f"#{e.id} · {LABELS.get(e.rating or '', 'not rated')} · {fmt.shorten(e.question, 90)}"
              for e in entries}
    chosen = st.selectbox("Answer", list(labels), format_func=lambda i: labels[i], key="feedback_pick")
    e = next(x for x in entries if x.id == chosen)
    st.markdown(f"**Question:** {fmt.md(e.question)}")
    st.markdown(fmt.answer_markdown(e.answer))
    if e.comment:
        st.markdown(f"**Comment:** {fmt.md(e.comment)}")
    if e.filters and any(e.filters.values()):
        st.caption(fmt.md(f"Filters: {e.filters}"))
    for c in e.citations:
        with st.container(border=True):
            st.markdown(f"**\\[{c['marker']}\\] {fmt.md(c['title'])}**")
            st.caption(fmt.md(f"{c['source']}, characters {c['char_start']}–{c['char_end']}"))
            st.text(c["text"])  # verbatim, as plain text
