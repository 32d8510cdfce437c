"""Manage reports: add reports, correct the details citations show, remove reports. Each change re-indexes at once."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from assistant import ui
from assistant.errors import AssistantError, IndexMissing
from assistant.load import corpus_files, source_name

st.title("Manage reports")
st.caption("Add reports to the library, correct the details that citations show, or remove a report. "
           "Each change updates the index straight away, so the next answer uses it.")

bot = ui.get_assistant()
try:
    docs = bot.documents()
except IndexMissing:
    st.info("There is no index yet. Open **Ask the reports** once to build it, then come back here.",
            icon=":material/info:")
    st.stop()
except AssistantError as exc:
    st.error(ui.md(str(exc)), icon=":material/error:")
    st.info("Open **Ask the reports** to repair the index, or run `assistant ingest`.", icon=":material/info:")
    st.stop()

st.subheader("Add reports", divider="gray")
ui.show_notices("manage")
ui.pending_replacements(bot, "manage")
ui.upload_panel(bot, "manage", label="Choose files to add (several at once is fine)")

st.subheader(f"Reports in the library ({len(docs)})", divider="gray")
ui.show_notices("library")
new = ui.new_sources()
for d in sorted(docs, key=lambda d: d["source"] not in new):  # just added first, then newest first
    ui.document_card(bot, d, removable=len(docs) > 1)

# Files in the folder that are not in the index: unreadable ones put there by hand, or ones not indexed yet.
corpus = Path(bot.settings.corpus)
try:
    on_disk = [source_name(corpus, p) for p in corpus_files(corpus)]
except AssistantError:
    on_disk = []
indexed = {d["source"] for d in docs}
stray = [s for s in on_disk if s not in indexed]
if stray:
    manifest = getattr(bot.index, "manifest", None) or {}
    problems = {p.get("source"): p.get("reason") for p in manifest.get("problems", [])}
    st.subheader(f"Files not in the index ({len(stray)})", divider="gray")
    st.caption("These files are in the report folder, but answers cannot cite them.")
    mode = st.session_state.get("pa-manage")
    for s in stray:
        k = ui.doc_key(s)
        with st.container(border=True, key=f"stray-{k}"):
            reason = problems.get(s) or "not indexed yet; the next change here (or `assistant ingest`) indexes it"
            st.markdown(ui.md(f"{s}: {reason}"))
            st.button("Remove file", key=f"remove-{k}", icon=":material/delete:", on_click=ui.set_manage,
                      args=("remove", s))
            if mode == ("remove", s):
                ui.confirm_remove(bot, {"source": s, "title": s, "passages": 0})
