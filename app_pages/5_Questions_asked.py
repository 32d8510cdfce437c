"""Questions asked: for editors, every recorded question (newest first, searchable, CSV) with, above them,
the questions the library could not answer, grouped by their words; a signed-in reader sees and can clear
their own."""

from __future__ import annotations

import streamlit as st

from assistant.core.errors import AssistantError
from assistant.ui import format as fmt
from assistant.ui import state

st.title("Questions asked", anchor=False)
viewer = state.viewer()
bot = state.get_assistant()
mine = not viewer.is_editor
if not viewer.is_editor and not viewer.signed_in:
    st.info("Sign in to see the questions you have asked.", icon=":material/login:")
    st.stop()
mode = bot.settings.question_log
if mine:
    st.caption("The questions you asked, newest first. Only you and the library's editors can see them"
               + (" (the log does not name you)." if mode == "anonymous" else "."))
else:
    st.caption(f"Every question asked in the app, newest first (ASSISTANT_QUESTION_LOG={mode}; kept "
               f"{bot.settings.question_log_days} days). Questions the library could not answer come first: they "
               "tell which reports to add.")


def clear_mine() -> None:
    # Who is asked when the button is pressed, not when it was drawn (a sign-out in another tab).
    n = bot.clear_my_questions(state.viewer())
    st.session_state["qa_cleared"] = f"Deleted {n} question{'s' if n != 1 else ''} from the log."


if st.session_state.get("qa_cleared"):
    st.success(st.session_state.pop("qa_cleared"), icon=":material/check_circle:")
query = st.text_input("Search questions and answers", key="qa_search", placeholder="e.g. kinship").strip() or None
try:
    entries = bot.questions(viewer, search=query, mine=mine)
    groups = [] if mine else bot.unanswered_groups(viewer, query)
except AssistantError as exc:
    st.error(fmt.md(str(exc)), icon=":material/error:")
    st.stop()
except Exception as exc:  # noqa: BLE001 - an unreadable database is a message, not a traceback
    st.error(fmt.md(f"Cannot read the question log: {exc}"), icon=":material/error:")
    st.stop()

if groups:
    st.subheader(f"Not answered ({sum(len(g) for _, g in groups)})", divider="gray")
    for word, group in groups:
        with st.expander(fmt.md(f"“{word}”: {len(group)} question{'s' if len(group) > 1 else ''}"),
                         key=f"qa-group-{fmt.doc_key(word)}"):
            for e in group:
                st.text(f"{fmt.human_date(e.at[:10])}: {e.question}")  # st.text: a question is shown as text

st.subheader(f"{'Your questions' if mine else 'All questions'} ({len(entries)})", divider="gray")
if not entries:
    st.info("No questions recorded" + (" yet." if not query else " match this search."), icon=":material/info:")
else:
    # st.dataframe shows cell text as text (never HTML): a question holding <script> stays words.
    st.dataframe([{"When": e.at.replace("T", " ").replace("+00:00", " UTC"),
                   **({} if mine else {"Who": e.asker or ("signed in" if e.asker_key else "not signed in")}),
                   "Question": e.question, "Answered": "no" if e.abstained else "yes",
                   "Sources cited": ", ".join(sorted({c["source"] for c in e.citations})),
                   "Seconds": round(e.seconds, 2)} for e in entries],
                 hide_index=True, width="stretch", key="qa_table")
if entries and not mine:
    st.download_button("Download the questions as CSV", data=bot.questions_csv(viewer, query), file_name="questions-asked.csv",
                       mime="text/csv", icon=":material/download:", on_click="ignore", key="qa_csv")
if entries and mine:
    st.button("Clear my questions", icon=":material/delete:", key="qa_clear", on_click=clear_mine)
