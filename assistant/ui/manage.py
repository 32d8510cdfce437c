"""Managing the reports in the app: upload, replace, describe and remove, each re-indexing at once.

Only an editor sees these controls (and only when the library is not read-only), and every action
asks who is acting when it runs (`state.viewer()`), not when its button was drawn: the API refuses
a reader, so a control left on a screen after its user signed out elsewhere changes nothing.
"""

from __future__ import annotations

import streamlit as st

from ..api import Assistant
from ..core.errors import AssistantError, NotAllowed, ReadOnlyLibrary
from ..core.identity import Viewer
from ..core.types import DocumentRecord
from ..core.visibility import GROUP, KINDS, describe, level_of
from ..ingest import catalog, files, library
from . import state
from .components import progress_bar
from .format import doc_key, human_date, md, org_label, passages_text

UPLOAD_HELP = (f"PDF, Word (.docx), HTML, text or Markdown files, up to {files.MAX_UPLOAD_MB} MB each. "
               "They are copied into the report folder and indexed straight away.")


_NOTE_ICONS = {"success": ":material/check_circle:", "error": ":material/error:", "warning": ":material/warning:",
               "info": ":material/info:"}


def notify(area: str, kind: str, text: str) -> None:
    """Keep a message for `area` to show on the next run (every change ends in st.rerun)."""
    st.session_state.setdefault(f"pa-notes-{area}", []).append((kind, text))


def show_notices(area: str) -> None:
    for kind, text in st.session_state.pop(f"pa-notes-{area}", []):
        getattr(st, kind)(md(text), icon=_NOTE_ICONS[kind])


def can_change(viewer: Viewer, bot: Assistant) -> bool:
    """Whether to draw controls that change the library (the API decides again when one is used)."""
    return viewer.is_editor and not bot.settings.read_only


def _failed(area: str, exc: AssistantError) -> None:
    # A refusal (not an editor, read-only) is shown in the sidebar, on whatever page runs next.
    notify("auth" if isinstance(exc, (NotAllowed, ReadOnlyLibrary)) else area, "error", str(exc))


def new_sources() -> set[str]:
    """Documents added in this browser session (marked "new" in lists)."""
    return st.session_state.setdefault("pa-new-docs", set())


def record_added(area: str, result: library.AddResult) -> None:
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
        return {d.source: d.title or d.source for d in bot.documents()}
    except AssistantError:
        return {}


def upload_panel(bot: Assistant, area: str, label: str = "Add reports") -> None:
    """A file picker for new reports (several at once): stored under safe names and indexed at once,
    with a progress bar. A name already in the folder is only replaced after "Replace existing file"."""
    count_key = f"pa-upload-count-{area}"
    n = st.session_state.get(count_key, 0)
    uploads = st.file_uploader(label, type=files.UPLOAD_TYPES, accept_multiple_files=True,
                               key=f"upload-{area}-{n}", max_upload_size=files.MAX_UPLOAD_MB, help=UPLOAD_HELP)
    if uploads:
        st.session_state[count_key] = n + 1  # a fresh, empty picker on the next run
        add_now(bot, area, [(f.name, f.getvalue()) for f in uploads],
                f"Saving {len(uploads)} file{'s' if len(uploads) > 1 else ''}…")
        st.rerun()


def add_now(bot: Assistant, area: str, uploads: list[tuple[str, bytes]], text: str = "Adding and indexing…",
            **how: bool) -> None:
    """Add (or with replace=True / force=True, replace or add a duplicate anyway) for whoever this session is
    now, under a progress bar; the outcome is kept for `area`'s next run."""
    bar, progress = progress_bar(text)
    try:
        result = bot.add_documents(uploads, state.viewer(), progress=progress, **how)
    except AssistantError as exc:
        _failed(area, exc)
    else:
        record_added(area, result)
    finally:
        bar.empty()


def _replace(bot: Assistant, area: str, name: str) -> None:
    data = st.session_state.get(f"pa-pending-{area}", {}).pop(name, None)
    if data is not None:
        add_now(bot, area, [(name, data)], "Replacing and re-indexing…", replace=True)


def _add_anyway(bot: Assistant, area: str, name: str) -> None:
    found = st.session_state.get(f"pa-duplicates-{area}", {}).pop(name, None)
    if found is not None:
        add_now(bot, area, [(name, found[1])], force=True)


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
                st.button("Replace existing file", key=f"replace-{area}-{k}", type="primary",
                          icon=":material/published_with_changes:", on_click=_replace, args=(bot, area, name))
                keep = st.button("Keep existing", key=f"keep-{area}-{k}", icon=":material/close:")
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
                st.button("Add it anyway", key=f"add-anyway-{area}-{k}", icon=":material/add:", on_click=_add_anyway,
                          args=(bot, area, name))
                drop = st.button("Don't add it", key=f"drop-duplicate-{area}-{k}", type="primary",
                                 icon=":material/close:")
            if drop:
                duplicates.pop(name)
                notify(area, "info", f"{name} was not added; {same} stays as it is.")
                st.rerun()


def set_manage(action: str | None, source: str | None = None) -> None:
    """Open one report's edit form or removal confirmation on the Manage page (None closes it)."""
    st.session_state["pa-manage"] = (action, source) if action else None


def document_card(bot: Assistant, d: DocumentRecord, removable: bool = True, editable: bool = True) -> None:
    """One report on the Manage page: its details, "Edit details" and "Remove" (each opens below; neither is
    drawn when not `editable`)."""
    source = d.source
    k = doc_key(source)
    mode = st.session_state.get("pa-manage")
    with st.container(border=True, key=f"doc-{k}"):
        badge = " :green-badge[new]" if source in new_sources() else ""
        st.markdown(f"**{md(d.title or source)}**{badge}")
        facts = [org_label(d.organisation), human_date(d.published), d.kind, passages_text(d.passages),
                 f"visible to: {describe(d.visibility)}"]
        st.caption(md(" · ".join([f for f in facts if f] + [f"file {source}"])))
        if not editable:
            return
        visibility_control(bot, d)
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


def _on_visibility(bot: Assistant, source: str, key: str) -> None:
    try:
        before, after = bot.set_visibility(source, st.session_state[key], state.viewer())
    except AssistantError as exc:
        notify("library", "error", str(exc))
        return
    if before != after:
        notify("library", "success", f"{source} is now visible to: {describe(after)} (was: {describe(before)}). "
                                     "Answers, lists and exports follow at once.")


def visibility_control(bot: Assistant, d: DocumentRecord) -> None:
    """Who may see the report: public, signed-in users, editors, or one group of ASSISTANT_GROUPS; a change is
    written at once (metadata only, nothing re-embedded) and recorded in the audit log."""
    current = level_of(d.visibility)
    options = list(KINDS) + [GROUP + g for g in bot.settings.groups]
    if current not in options:
        options.append(current)  # a group the settings no longer name: shown, so it can be changed
    key = f"visibility-{doc_key(d.source)}"
    st.session_state[key] = current  # follow changes made elsewhere (the CLI, another editor)
    st.selectbox("Who may see it", options, key=key, format_func=lambda v: f"{v} ({describe(v)})",
                 on_change=_on_visibility, args=(bot, d.source, key),
                 help="Readers' answers, citations, lists, commitments, figures and exports leave out every report "
                      "they may not see, as if it were not in the library.")


def edit_details_form(bot: Assistant, d: DocumentRecord) -> None:
    """The catalog fields of one report; saving writes catalog.toml and re-indexes."""
    source = d.source
    k = doc_key(source)
    try:
        entry = catalog.catalog_entry(bot.settings.corpus, source)
    except AssistantError as exc:
        st.error(md(str(exc)), icon=":material/error:")
        return
    shown = {f: entry.get(f, str(getattr(d, f) or "")) for f in catalog.CATALOG_FIELDS}
    with st.form(f"details-{k}", border=False):
        values = {"title": st.text_input("Title", value=shown["title"], max_chars=catalog.MAX_FIELD_CHARS,
                                         key=f"title-{k}")}
        left, right = st.columns(2)
        values["organisation"] = left.text_input("Organisation", value=shown["organisation"], key=f"org-{k}",
                                                 max_chars=catalog.MAX_FIELD_CHARS,
                                                 placeholder="e.g. Riverford Borough Council")
        values["published"] = right.text_input("Published", value=shown["published"], key=f"published-{k}",
                                               placeholder="YYYY, YYYY-MM or YYYY-MM-DD",
                                               help="The publication date: a year (2024), a month (2024-06) or "
                                                    "a day (2024-06-30).")
        values["kind"] = left.text_input("Kind of document", value=shown["kind"], key=f"kind-{k}",
                                         max_chars=catalog.MAX_FIELD_CHARS, placeholder="e.g. committee report")
        values["reference"] = right.text_input("Reference", value=shown["reference"], key=f"ref-{k}",
                                               max_chars=catalog.MAX_FIELD_CHARS, placeholder="e.g. 170-2021")
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
        catalog.clean_fields(changes)  # a bad date is reported before anything is written
        bar, progress = progress_bar("Saving the details and re-indexing…")
        entry, report = bot.edit_details(source, changes, state.viewer(), progress=progress)
        bar.empty()
    except AssistantError as exc:
        st.error(md(str(exc)), icon=":material/error:")
        return
    title = entry.get("title") or d.title or source
    notify("library", "success", f"Saved the details of {source}. New answers cite it as “{title}”.")
    set_manage(None)
    st.rerun()


def remove_now(bot: Assistant, d: DocumentRecord) -> None:
    """Remove a report for whoever this session is now ("Yes, remove it" calls it before the page is drawn)."""
    source = d.source
    bar, progress = progress_bar("Removing and re-indexing…")
    try:
        bot.remove_document(source, state.viewer(), progress=progress)
    except AssistantError as exc:
        _failed("library", exc)
        return
    finally:
        bar.empty()
        set_manage(None)
    new_sources().discard(source)
    notify("library", "success", f"Removed “{d.title or source}” ({source}). Answers no longer cite it.")


def confirm_remove(bot: Assistant, d: DocumentRecord) -> None:
    """The confirmation step before a report is deleted."""
    source = d.source
    k = doc_key(source)
    st.warning(md(f"Remove “{d.title or source}”? This deletes the file {source} from the report folder "
                  f"and takes it out of the index ({passages_text(d.passages)}), so answers stop citing "
                  "it. This cannot be undone."), icon=":material/warning:")
    with st.container(horizontal=True, gap="small"):
        st.button("Yes, remove it", key=f"confirm-remove-{k}", type="primary", icon=":material/delete_forever:",
                  on_click=remove_now, args=(bot, d))
        st.button("Cancel", key=f"cancel-remove-{k}", on_click=set_manage, args=(None,))


def reindex_now(bot: Assistant) -> None:
    """Re-index the report folder for whoever this session is now (the "Re-index now" button's callback)."""
    bar, progress = progress_bar("Re-indexing the report folder…")
    try:
        report = bot.reindex(state.viewer(), progress=progress)
    except AssistantError as exc:
        _failed("library", exc)
    else:
        notify("library", "success", report.summary())
    finally:
        bar.empty()


AUDIT_ROWS = 500  # shown on the page; the CSV holds every change


def audit_section(bot: Assistant, viewer: Viewer) -> None:
    """The audit log, newest first: when, who, what (file, content hash before and after), the outcome; CSV."""
    st.subheader("Changes to the library", divider="gray")
    try:
        entries = bot.audit_entries(viewer, AUDIT_ROWS)
    except AssistantError as exc:
        st.error(md(str(exc)), icon=":material/error:")
        return
    except Exception as exc:  # noqa: BLE001 - an unreadable log is a message, not a traceback
        st.error(md(f"Cannot read the audit log: {exc}"), icon=":material/error:")
        return
    if not entries:
        st.caption("No changes recorded yet. Every add, replace, remove, catalog edit and re-index, from this "
                   "page or from `assistant add/remove/catalog`, is recorded here.")
        return
    st.caption("Every add, replace, remove, catalog edit and re-index, from the app or the command line "
               "(`assistant audit` prints the same), newest first. Hashes are SHA-256 of the file's content.")
    # st.dataframe shows cell text as text (never HTML): file names and messages are safe here.
    st.dataframe(
        [{"When (UTC)": e.at.replace("T", " ").replace("+00:00", ""), "Who": e.actor, "Via": e.via,
          "Action": e.action, "Report": e.source, "Outcome": e.outcome, "Before": e.hash_before[:12],
          "After": e.hash_after[:12], "Details": "; ".join(x for x in (e.detail, e.message) if x)} for e in entries],
        hide_index=True, width="stretch", key="audit-table",
        column_config={"Details": st.column_config.TextColumn(width="large")})
    st.download_button("Download the audit log as CSV", data=bot.audit_csv(viewer),
                       file_name="plan-assistant-audit.csv",
                       mime="text/csv", icon=":material/download:", on_click="ignore", key="audit-csv")
