"""The app's roles through streamlit.testing's AppTest: the real app.py and pages, a real two-report index.

AppTest sets `st.user` and `st.secrets` as a signed-in browser would have them (the sign-in itself,
with a real provider in Chromium, is tests/test_auth_e2e.py). What is checked here:
  * a reader's page has no control that changes the library, and the Manage and Feedback pages
    refuse to open for them;
  * a direct call of each page action in a reader's session (upload, replace, remove, edit details,
    re-index) is refused by the server: nothing changes, and the refusal is in the audit log;
  * without [auth], the local user is an editor, and the sidebar says so;
  * read-only: no upload, edit or remove control anywhere; the Manage page says the library is read-only.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from assistant.api import Assistant
from assistant.core.identity import Viewer
from assistant.core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
MANAGE = ROOT / "app_pages" / "4_Manage_reports.py"
FEEDBACK = ROOT / "app_pages" / "1_Feedback.py"
TIMEOUT = 180
KEPT = "dundee-our-promise-2020-23-impact-summary.txt"
READER = "reader@council.example"
EDITOR = "editor@council.example"


@pytest.fixture()
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in (KEPT, "children-in-care-programme-scrutiny-2023.txt"):
        shutil.copy(ROOT / "corpus" / name, corpus / name)
    settings = Settings(corpus=corpus, index=tmp_path / "index")
    Assistant(settings).ingest()
    monkeypatch.setenv("ASSISTANT_CORPUS", str(corpus))
    monkeypatch.setenv("ASSISTANT_INDEX", str(settings.index))
    monkeypatch.setenv("ASSISTANT_EDITORS", f" {EDITOR.upper()} ")
    yield settings


def auth_secrets() -> dict[str, Any]:
    with socket.socket() as s:  # a provider nobody answers for: identities come from AppTest's st.user
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
            "client_id": "plan-assistant", "client_secret": "secret",
            "server_metadata_url": f"http://127.0.0.1:{port}/.well-known/openid-configuration"}


def as_user(at: AppTest, email: str | None) -> AppTest:
    at.secrets["auth"] = auth_secrets()
    at.user = {"is_logged_in": True, "email": email, "name": email} if email else {"is_logged_in": False}
    return at


def run(at: AppTest) -> AppTest:
    at.run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    return at


def texts(block: Any, *kinds: str) -> str:
    """The text of the block's elements of these kinds, Markdown escapes removed."""
    return "\n".join(str(e.value) for kind in kinds for e in getattr(block, kind)).replace("\\", "")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_a_reader_sees_no_control_and_no_editor_page(library: Settings) -> None:
    at = run(as_user(AppTest.from_file(str(APP), default_timeout=TIMEOUT), READER))
    side = texts(at.sidebar, "caption", "markdown", "warning")
    assert f"Signed in as {READER} (reader)" in side
    assert not at.file_uploader and not [b for b in at.button if b.label in ("Remove", "Edit details")]
    assert not [e for e in at.sidebar.expander if "Add reports" in str(e.label)]
    for page, what in ((MANAGE, "manage the reports"), (FEEDBACK, "read feedback")):
        page_at = run(as_user(AppTest.from_file(str(page), default_timeout=TIMEOUT), READER))
        assert any(f"Only editors can {what}" in e.value for e in page_at.error)
        assert not page_at.file_uploader and not page_at.button and not page_at.dataframe


def reader_calls_every_page_action(source: str, other: str) -> None:
    """Run as an app script: each action the Manage page offers, called directly in this session."""
    import streamlit as st

    from assistant.core.types import DocumentRecord
    from assistant.ui import manage, state

    bot = state.get_assistant()
    manage.add_now(bot, "manage", [("Injected.txt", b"Injected report\n\nA report no editor added.\n")])
    manage.add_now(bot, "manage", [(source, b"Replaced\n\nReplaced by a reader.\n")], replace=True)
    manage.remove_now(bot, DocumentRecord(source=other, title=other))
    manage.reindex_now(bot)
    try:
        bot.edit_details(source, {"title": "Hijacked"}, state.viewer())
    except Exception as exc:  # noqa: BLE001
        st.error(str(exc))
    for kind, text in st.session_state.get("pa-notes-auth", []):
        st.error(text)


def test_a_direct_call_of_each_page_action_is_refused_for_a_reader(library: Settings) -> None:
    corpus = Path(library.corpus)
    before = snapshot(corpus)
    at = AppTest.from_function(reader_calls_every_page_action,
                               args=(KEPT, "children-in-care-programme-scrutiny-2023.txt"), default_timeout=TIMEOUT)
    run(as_user(at, READER))
    refusals = [e.value for e in at.error]
    assert sorted(r.split(";")[0] for r in refusals) == [
        "Only editors can add reports", "Only editors can add reports", "Only editors can edit catalog details",
        "Only editors can re-index the library", "Only editors can remove reports"], refusals
    assert snapshot(corpus) == before
    rows = Assistant(library).audit_entries(Viewer.local())
    assert {(r.actor, r.outcome) for r in rows} == {(READER, "refused")}
    assert sorted(r.action for r in rows) == ["add", "add", "catalog", "reindex", "remove"]
    # The same calls in a session that signed in before its user signed out count as a visitor's: see
    # tests/test_auth_e2e.py; and an editor's go through.
    editor = run(as_user(AppTest.from_function(reader_calls_every_page_action,
                                               args=(KEPT, "children-in-care-programme-scrutiny-2023.txt"),
                                               default_timeout=TIMEOUT), EDITOR))
    assert not [e.value for e in editor.error if "Only editors" in e.value]
    assert (corpus / "Injected.txt").exists() and not (corpus / "children-in-care-programme-scrutiny-2023.txt").exists()


def test_without_sign_in_the_local_user_is_an_editor(library: Settings) -> None:
    at = run(AppTest.from_file(str(APP), default_timeout=TIMEOUT))
    side = texts(at.sidebar, "caption")
    assert "Sign-in is off" in side and "local:" in side and "an editor" in side
    assert [e for e in at.sidebar.expander if "Add reports" in str(e.label)]
    manage = run(AppTest.from_file(str(MANAGE), default_timeout=TIMEOUT))
    assert manage.file_uploader and [b for b in manage.button if b.label == "Remove"]
    assert "Changes to the library" in texts(manage, "subheader")


def test_read_only_shows_no_change_control_anywhere(library: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_READ_ONLY", "1")
    at = run(AppTest.from_file(str(APP), default_timeout=TIMEOUT))
    assert not at.file_uploader and not [e for e in at.sidebar.expander if "Add reports" in str(e.label)]
    assert "read-only" in texts(at.sidebar, "caption")
    manage = run(AppTest.from_file(str(MANAGE), default_timeout=TIMEOUT))
    assert any("The library is read-only (ASSISTANT_READ_ONLY=1)" in i.value for i in manage.info)
    assert not manage.file_uploader
    assert not [b for b in manage.button if b.label in ("Remove", "Edit details", "Re-index now", "Remove file")]
    assert "Reports in the library (2)" in texts(manage, "subheader")  # the list and the log stay readable
    assert "Changes to the library" in texts(manage, "subheader")
