"""The shared Assistant (one per server and configuration) and each browser tab's chat state."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

import streamlit as st

from ..api import Assistant
from ..core.errors import AssistantError
from ..core.identity import Viewer
from ..core.settings import Settings, load_settings
from ..records.feedback import FeedbackStore
from .auth import current_viewer
from .format import ChatSession, md

log = logging.getLogger(__name__)


# Icons from Streamlit's bundled Material font (no network); the favicon is page_icon().
USER_AVATAR = ":material/person:"


BOT_AVATAR = ":material/menu_book:"


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


@st.cache_resource(show_spinner=False)
def _assistant_for(key: str, _settings: Settings) -> Assistant:
    # Keyed by the whole configuration, so tests (and a server whose ASSISTANT_* variables
    # change) get one Assistant per corpus/index rather than a stale one.
    bot = Assistant(_settings)
    if _settings.question_log != "off":
        try:
            bot.question_log()  # deletes questions older than ASSISTANT_QUESTION_LOG_DAYS, once per start
        except Exception:  # noqa: BLE001 - an unwritable log must not stop the app
            log.exception("Could not open the question log")
    return bot


def get_assistant(settings: Settings | None = None) -> Assistant:
    """One Assistant (index + model) per server process and configuration, shared by every session.

    Settings hold absolute folders (settings.library_path), so a change of directory is harmless.
    """
    s = settings or app_settings()
    return _assistant_for(s.model_dump_json(), s)


def app_settings() -> Settings:
    """Settings from the environment; a bad ASSISTANT_* value is shown on the page, which stops."""
    try:
        return load_settings()
    except AssistantError as exc:
        st.error(md(str(exc)), icon=":material/error:")
        st.stop()
        raise  # st.stop() raises; this keeps type checkers and readers sure nothing follows


def view_or_stop(compute: Any, empty: str) -> tuple[Assistant, list[Any]]:
    """The Assistant and `compute(assistant, viewer)` (commitments, figure series of what this session's
    viewer may read) for a page; a message and st.stop() when the index is missing or the view is empty."""
    bot = get_assistant()
    try:
        items = compute(bot, viewer())
    except AssistantError as exc:
        st.error(md(str(exc)), icon=":material/error:")
        st.info("Open the chat page once to build the index, or run `assistant ingest`.", icon=":material/info:")
        st.stop()
    if not items:
        st.info(empty, icon=":material/info:")
        st.stop()
    return bot, items


@dataclass(frozen=True)
class Warming:
    """The background load of one Assistant: `ready` is set once a question is answered at once (index,
    model and vectors loaded); the thread runs on while a large archive's views load."""

    thread: threading.Thread
    ready: threading.Event


@st.cache_resource(show_spinner=False)
def _warming(key: str, _bot: Assistant) -> Warming:
    ready = threading.Event()

    def run() -> None:
        try:
            _bot.warm(ready.set)
        except Exception:  # noqa: BLE001 - the first question will raise it properly
            log.exception("Warming the model failed")
        finally:
            ready.set()  # a failed load must not keep the chat box waiting: the question reports the error

    thread = threading.Thread(target=run, name="plan-assistant-warm", daemon=True)
    thread.start()
    return Warming(thread, ready)


def warm_once(bot: Assistant) -> None:
    """Start loading the model once per server, in the background.

    The page is usable as soon as the index is loaded (about a second); the model takes
    several more. Loading it while the visitor reads and types means the first question
    rarely waits, and when it does it simply queues on the model's load lock.
    """
    _warming(bot.settings.model_dump_json() + f"#{id(bot)}", bot)


def still_warming(bot: Assistant) -> bool:
    """True until the background load started by warm_once can answer a question at once."""
    return not _warming(bot.settings.model_dump_json() + f"#{id(bot)}", bot).ready.is_set()


def wait_until_warm(bot: Assistant, timeout: float = 300.0) -> None:
    """Start warm_once if needed and wait until a question is answered at once, under a spinner: the chat
    box is drawn after this, so the first question does not wait for the model or the vectors (they load in
    a second or two for a council's library; a million passages' vectors take several). A large archive's
    views go on loading behind the chat box."""
    warming = _warming(bot.settings.model_dump_json() + f"#{id(bot)}", bot)
    if not warming.ready.is_set():
        with st.spinner("Loading the index and the language model…"):
            warming.ready.wait(timeout)


def viewer() -> Viewer:
    """Who this session acts as, worked out now (sign-in state, the editor list, a sign-out elsewhere)."""
    return current_viewer(app_settings())


def editor_or_stop(what: str) -> Viewer:
    """The viewer, when an editor; otherwise a message and st.stop() (pages only editors may open)."""
    v = viewer()
    if not v.is_editor:
        st.error(md(f"Only editors can {what}; {v.describe()} cannot."), icon=":material/block:")
        st.stop()
    return v


def feedback_store(settings: Settings | None = None) -> FeedbackStore:
    """The feedback database beside the index in use."""
    return FeedbackStore.beside_index((settings or app_settings()).index)


def chat_session(bot: Assistant, who: Viewer, key: str = "chat") -> ChatSession:
    """This browser session's chat, created on first use (and again if the Assistant was replaced)."""
    chat = st.session_state.get(key)
    if not isinstance(chat, ChatSession) or chat.conversation.assistant is not bot:
        chat = ChatSession(bot.conversation(viewer=who, record=True))
        st.session_state[key] = chat
    chat.conversation.viewer = who
    return chat


def example_questions(bot: Assistant, who: Viewer | None = None) -> list[str]:
    """Questions to try, made from what `who` may read of the library; none when they cannot be read. A large
    archive's views are not waited for: the page is drawn at once, and the next rerun after they load has
    the questions made from them."""
    try:
        return bot.example_questions(viewer=who or viewer(), wait=False)
    except AssistantError:
        return []
