"""Plan Assistant in the browser: `streamlit run app.py` (or `make run`).

This file only lays pages out. Answers come from assistant.api (the same calls the CLI
makes); cards, escaping, exports and feedback widgets live in assistant.ui.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from assistant.answer.retrieve import Filters
from assistant.api import Assistant
from assistant.core.errors import AssistantError, IndexMissing, NothingVisible
from assistant.core.identity import Viewer
from assistant.core.types import DocumentRecord
from assistant.ui import auth, components, manage, state
from assistant.ui import format as fmt

st.set_page_config(page_title=fmt.APP_NAME, page_icon=state.page_icon(), layout="centered",
                   initial_sidebar_state="expanded")


def load_documents(bot: Assistant, viewer: Viewer) -> list[DocumentRecord]:
    """The indexed documents, building the index first if there is none. Stops the page on failure."""
    try:
        with st.spinner("Loading the reports…"):
            docs = bot.documents(viewer)
            state.warm_once(bot)
        return docs
    except NothingVisible as exc:
        st.info(fmt.md(str(exc)), icon=":material/lock:")
        st.stop()
    except IndexMissing:
        st.info(f"First start: indexing the reports in {fmt.md(str(bot.settings.corpus))}. "
                "This happens once and takes about a minute; later starts take seconds.",
                icon=":material/hourglass_top:")
    except AssistantError as exc:  # corrupt or busy index: say so, offer the repair ingest performs
        st.error(fmt.md(str(exc)), icon=":material/error:")
        if not manage.can_change(viewer, bot):
            st.info("An editor can rebuild it here, or run `assistant ingest` on the server.", icon=":material/info:")
            st.stop()
        if not st.button("Rebuild the index now", type="primary"):
            st.stop()
    try:
        summary = components.ingest_with_progress(bot)
        with st.spinner("Loading the language model…"):
            docs = bot.documents(viewer)
            state.warm_once(bot)
    except AssistantError as exc:
        st.error(fmt.md(str(exc)), icon=":material/error:")
        st.button("Try again")
        st.stop()
    st.success(fmt.md(summary), icon=":material/check_circle:")
    return docs


def _ask_later(question: str) -> None:
    # Example buttons queue their question; the page asks it below, like a typed one.
    st.session_state["pending_question"] = question


def _drop_missing(key: str, options: Any) -> None:
    # A filter may name a report that was removed since it was chosen; a multiselect must not hold it.
    chosen = st.session_state.get(key)
    if chosen and any(v not in options for v in chosen):
        st.session_state[key] = [v for v in chosen if v in options]


def sidebar_controls(bot: Assistant, chat: fmt.ChatSession, docs: list[DocumentRecord], viewer: Viewer) -> Any:
    """Example questions, filters, adding reports and the list of indexed reports.

    Returns a slot at the top of the sidebar for the New conversation button, which is
    filled at the end of the run, once this run's answer (if any) is in the chat.
    """
    titles = {d.source: d.title or d.source for d in docs}
    with st.sidebar:
        slot = st.empty()

        st.subheader("Try asking", divider="gray")
        for i, q in enumerate(state.example_questions(bot, viewer)):
            # Made from report titles and names: shown as text, never as Markdown.
            st.button(fmt.md(q), key=f"example-{i}", on_click=_ask_later, args=(q,), width="stretch",
                      icon=":material/chat_bubble:")

        st.subheader("Limit answers to", divider="gray")
        organisations = sorted({d.organisation for d in docs if d.organisation})
        years = sorted({d.year for d in docs if d.year is not None},
                       reverse=True)
        for key, options in (("filter_sources", titles), ("filter_orgs", organisations), ("filter_years", years)):
            _drop_missing(key, options)
        sources = st.multiselect("Reports", list(titles), format_func=lambda s: titles[s], key="filter_sources",
                                 placeholder="All reports")
        orgs = st.multiselect("Organisations", organisations, key="filter_orgs",
                              format_func=fmt.org_label, placeholder="All organisations")
        chosen_years = st.multiselect("Years published", years, key="filter_years", placeholder="All years")
        # The next answers respect these; earlier answers keep the filters they were given.
        chat.conversation.filters = Filters(sources=list(sources), organisations=list(orgs),
                                            years=[int(y) for y in chosen_years])

        st.subheader(f"Indexed reports ({len(docs)})", divider="gray")
        manage.show_notices("sidebar")
        if manage.can_change(viewer, bot):  # editors only; the API refuses anyone else all the same
            manage.pending_replacements(bot, "sidebar")
            with st.expander("Add reports", icon=":material/upload_file:", key="add-reports"):
                manage.upload_panel(bot, "sidebar", label="Choose files to add")
            st.page_link(MANAGE_PAGE, label="Edit details or remove reports", icon=":material/edit_document:")
        new = manage.new_sources()
        for d in sorted(docs, key=lambda d: d.source not in new):  # just added first, then newest first
            badge = " :green-badge[new]" if d.source in new else ""
            st.markdown(f"**{fmt.md(titles[d.source])}**{badge}")
            when = fmt.human_date(d.published)
            count = fmt.passages_text(d.passages)
            st.caption(fmt.md(f"{fmt.org_label(d.organisation)} · {when} · {count}"))
    return slot


def sidebar_finish(chat: fmt.ChatSession, new_slot: Any) -> None:
    """The controls that depend on the finished chat: New conversation, and the exports."""
    new_slot.button("New conversation", on_click=chat.reset, icon=":material/add_comment:", width="stretch",
                    disabled=not chat.items, help="Clears this chat; follow-up questions start afresh.",
                    key="new-conversation")
    with st.sidebar:
        st.subheader("Export this conversation", divider="gray")
        if not chat.items:
            st.caption("Ask a question first; the export holds every answer with its full citations.")
            return
        left, right = st.columns(2)
        left.download_button("Markdown", data=fmt.export_markdown(chat), file_name="plan-assistant-conversation.md",
                             mime="text/markdown", icon=":material/download:", on_click="ignore", width="stretch",
                             key="export-md")
        right.download_button("JSON", data=fmt.export_json(chat), file_name="plan-assistant-conversation.json",
                              mime="application/json", icon=":material/download:", on_click="ignore",
                              width="stretch", key="export-json")


def active_filters_text(filters: Filters, docs: list[DocumentRecord]) -> str:
    titles = {d.source: d.title or d.source for d in docs}
    parts = [titles.get(s, s) for s in filters.sources] + list(filters.organisations) + [str(y) for y in filters.years]
    return ", ".join(parts)


def welcome(docs: list[DocumentRecord]) -> None:
    """First view: what the assistant covers and how to use it."""
    years = sorted(d.year for d in docs if d.year is not None)
    orgs = sorted({d.organisation for d in docs if d.organisation})
    span = ""
    if years:
        span = f" published {years[0]}–{years[-1]}" if years[0] != years[-1] else f" published {years[0]}"
    with st.container(border=True):
        st.markdown(fmt.md(f"It covers {len(docs)} reports{span} from {', '.join(orgs) or 'the indexed organisations'}; "
                          "the list is in the sidebar."))
        st.markdown("**How to use it**")
        st.markdown(
            "1. Type a question about the reports in the box at the bottom, or pick one under *Try asking* "
            "in the sidebar.\n"
            "2. Read the answer. Each statement ends in a number like **\\[1\\]** that points to a source card "
            "below it, quoting the report word for word.\n"
            "3. Press **Read it in the full report** on a card to see the passage highlighted in the whole report.\n"
            "4. Ask a follow-up (\"And the year before?\"); use *Limit answers to* to search only some reports.")
        st.caption("If the reports do not answer a question, the assistant says so rather than guess.")


def chat_page() -> None:
    components.inject_css()
    st.title(fmt.APP_NAME, anchor=False)
    st.caption("Answers questions from the indexed council reports only. Every statement carries a numbered "
               "citation to a verbatim passage, and any citation can be opened in the full report.")

    bot = state.get_assistant()
    viewer = state.viewer()
    docs = load_documents(bot, viewer)
    chat = state.chat_session(bot, viewer)
    chat.withdraw_hidden({d.source for d in docs})  # a report made restricted since it was cited
    store = bot.feedback_store()
    new_slot = sidebar_controls(bot, chat, docs, viewer)
    # The chat box appears once the model is loaded, so the first question is answered at once.
    state.wait_until_warm(bot)

    # Read the question first (the input box is pinned to the bottom wherever it is called),
    # so the welcome panel is not drawn above a first answer.
    typed = st.chat_input("Ask about the reports…", key="question")
    question = typed if typed is not None else st.session_state.pop("pending_question", None)

    if not chat.items and question is None:
        welcome(docs)
    for item in chat.items:
        show_exchange(bot, chat, item, store)
    if question is not None:
        with st.chat_message("user", avatar=state.USER_AVATAR):
            st.markdown(fmt.md(fmt.shorten(question)) or "*(empty question)*")
        with st.chat_message("assistant", avatar=state.BOT_AVATAR):
            busy = ("Searching the reports (the index and the language model are still loading after a restart, "
                    "so this answer takes a few seconds longer)…" if state.still_warming(bot) else "Searching the reports…")
            with st.spinner(busy):
                item = chat.ask(question)
            components.render_answer(bot, chat, item, store)

    if chat.conversation.filters:
        st.caption(fmt.md(f"Next answers are limited to: {active_filters_text(chat.conversation.filters, docs)}."))
    sidebar_finish(chat, new_slot)


def show_exchange(bot: Assistant, chat: fmt.ChatSession, item: fmt.ChatItem, store: Any) -> None:
    with st.chat_message("user", avatar=state.USER_AVATAR):
        st.markdown(fmt.md(fmt.shorten(item.question)) or "*(empty question)*")
    with st.chat_message("assistant", avatar=state.BOT_AVATAR):
        components.render_answer(bot, chat, item, store)


def pages_for(viewer: Viewer) -> list[Any]:
    """This chat first, then every script in app_pages/ in file order; Feedback and Manage reports only for
    editors (each of those pages checks again)."""
    pages = [st.Page(chat_page, title="Ask the reports", icon=":material/forum:", default=True)]
    return pages + [st.Page(str(p)) for p in sorted((_here / "app_pages").glob("*.py"))
                    if viewer.is_editor or (p.name not in EDITOR_PAGES
                                            and (viewer.signed_in or p.name not in SIGNED_IN_PAGES))]


# The pages live in app_pages/, not pages/: a pages/ folder beside this script makes Streamlit give the
# widgets drawn here (the sign-in button) other ids in a session's first run than in later ones, so their
# first click is lost.
_here = Path(__file__).resolve().parent
MANAGE_PAGE = str(_here / "app_pages" / "4_Manage_reports.py")
EDITOR_PAGES = {"1_Feedback.py", "4_Manage_reports.py"}
SIGNED_IN_PAGES = {"5_Questions_asked.py"}  # editors: every question; a signed-in reader: their own
_settings = state.app_settings()
_config = auth.auth_config()
_viewer = auth.current_viewer(_settings)
if _settings.require_login and not _viewer.signed_in:
    # Nothing but the sign-in button (the model loads meanwhile, if there is an index).
    state.warm_once(state.get_assistant())
    st.navigation([st.Page(lambda: auth.sign_in_page(_config), title="Sign in", icon=":material/login:",
                           url_path="sign-in", default=True)], position="hidden").run()
else:
    auth.sidebar_identity(_viewer, _settings, _config)
    st.navigation(pages_for(_viewer)).run()
