"""Manage reports (editors): add reports, correct the details citations show, remove reports, re-index; and
the audit log of every change. Each change re-indexes at once. Read-only mode leaves the list and the log."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from assistant.core.errors import AssistantError, IndexMissing
from assistant.core.types import DocumentRecord
from assistant.ingest.corpus import corpus_files, source_name
from assistant.ui import format as fmt
from assistant.ui import manage, state

st.title("Manage reports")
viewer = state.editor_or_stop("manage the reports")
bot = state.get_assistant()
editable = manage.can_change(viewer, bot)
if editable:
    st.caption("Add reports to the library, correct the details that citations show, or remove a report. "
               "Each change updates the index straight away, so the next answer uses it.")
else:
    st.info("The library is read-only (ASSISTANT_READ_ONLY=1): reports cannot be added, replaced, removed or "
            "edited here, nor with `assistant add`, `remove` or `catalog`.", icon=":material/lock:")
try:
    docs = bot.documents()
except IndexMissing:
    st.info("There is no index yet. Open **Ask the reports** once to build it, then come back here.",
            icon=":material/info:")
    st.stop()
except AssistantError as exc:
    st.error(fmt.md(str(exc)), icon=":material/error:")
    st.info("Open **Ask the reports** to repair the index, or run `assistant ingest`.", icon=":material/info:")
    st.stop()

if editable:
    st.subheader("Add reports", divider="gray")
    manage.show_notices("manage")
    manage.pending_replacements(bot, "manage")
    manage.upload_panel(bot, "manage", label="Choose files to add (several at once is fine)")

st.subheader(f"Reports in the library ({len(docs)})", divider="gray")
manage.show_notices("library")
new = manage.new_sources()
for d in sorted(docs, key=lambda d: d.source not in new):  # just added first, then newest first
    manage.document_card(bot, d, removable=len(docs) > 1, editable=editable)

# Files in the folder that are not in the index: unreadable ones put there by hand, or ones not indexed yet.
corpus = Path(bot.settings.corpus)
try:
    on_disk = [source_name(corpus, p) for p in corpus_files(corpus)]
except AssistantError:
    on_disk = []
indexed = {d.source for d in docs}
stray = [s for s in on_disk if s not in indexed]
if stray and editable:
    problems = bot.problems()
    st.subheader(f"Files not in the index ({len(stray)})", divider="gray")
    st.caption("These files are in the report folder, but answers cannot cite them.")
    mode = st.session_state.get("pa-manage")
    for s in stray:
        k = fmt.doc_key(s)
        with st.container(border=True, key=f"stray-{k}"):
            reason = problems.get(s) or "not indexed yet; the next change here (or `assistant ingest`) indexes it"
            st.markdown(fmt.md(f"{s}: {reason}"))
            st.button("Remove file", key=f"remove-{k}", icon=":material/delete:", on_click=manage.set_manage,
                      args=("remove", s))
            if mode == ("remove", s):
                manage.confirm_remove(bot, DocumentRecord(source=s, title=s))

if editable:
    st.button("Re-index now", icon=":material/sync:", on_click=manage.reindex_now, args=(bot,), key="reindex",
              help="Index reports put in the report folder by hand, and drop those taken out of it")

manage.audit_section(bot, viewer)
