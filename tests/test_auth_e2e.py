"""Sign-in with a real OpenID Connect provider, in headless Chromium: every row of the role table.

The provider is oidc-provider-mock (a real OpenID provider: discovery, authorization code flow,
signed ID tokens, end-session) running in a thread of this process on loopback. Its authorize page
asks for the subject; an unknown subject signs in with that address as its `email` claim. The app is
the real `streamlit run app.py`, given a temporary secrets file (`--secrets.files`), so the
project's own .streamlit/ never holds a secret.

  * a visitor (sign-in configured, not required) reads and asks, and sees no change control;
  * an editor (named in ASSISTANT_EDITORS with odd spacing and case) uploads, is refused an empty
    file, sees a `../` name made safe and a `<script>` title shown as text, removes, and reads the
    audit log (newest first, CSV) and the Feedback page;
  * a page action after sign-out: a second tab signs out while the first still shows "Yes, remove
    it"; pressing it is refused by the server, nothing is removed, the refusal is in the audit log;
  * a reader (signed in, not an editor) sees no control and no Manage or Feedback page;
  * ASSISTANT_REQUIRE_LOGIN=1: a visitor sees only the sign-in button;
  * an unreachable provider: a clear message, readers still served; with sign-in required, a message.
"""

from __future__ import annotations

import re
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_e2e import ARTIFACTS, CHAT_BOX, Server, ask, free_port, launch_browser, start_server

from assistant.api import Assistant
from assistant.core.settings import Settings

EDITOR = "editor@council.example"
READER = "reader@council.example"
EDITORS_SETTING = "  EDITOR@Council.Example ;  someone.else@council.example  "  # odd spacing and case
SIDEBAR = "[data-testid='stSidebar']"
UPLOAD = "[data-testid='stFileUploaderDropzoneInput']"
TIMEOUT = 180_000  # ms: an upload re-indexes with the model on a shared CPU


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """A real OpenID Connect provider on loopback; yields its issuer URL."""
    import oidc_provider_mock

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # plain http is fine on loopback
        with oidc_provider_mock.run_server_in_thread() as server:
            yield f"http://localhost:{server.server_port}"


def secrets_file(folder: Path, port: int, metadata_url: str) -> Path:
    """The [auth] block a council writes in .streamlit/secrets.toml, pointed at `metadata_url`."""
    path = folder / "secrets.toml"
    path.write_text(f"""[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "{secrets.token_hex(32)}"
client_id = "plan-assistant-test"
client_secret = "{secrets.token_hex(16)}"
server_metadata_url = "{metadata_url}"
""", encoding="utf-8")
    return path


def start_app(settings: Settings, folder: Path, metadata_url: str, **env: str) -> Server:
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    path = secrets_file(folder, port, metadata_url)
    return start_server(settings, folder / "streamlit.log", port=port, args=("--secrets.files", str(path)),
                        extra_env={"AUTHLIB_INSECURE_TRANSPORT": "1", **env})


def open_app(page: Any, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded", timeout=TIMEOUT)
    page.locator(CHAT_BOX).wait_for(state="visible", timeout=TIMEOUT)


def sign_in(page: Any, url: str, email: str) -> None:
    """Sign in through the provider's authorize page, typing `email` as the subject."""
    from playwright.sync_api import expect

    open_app(page, url)
    page.locator(SIDEBAR).get_by_role("button", name="Sign in").click()
    page.locator("input[name='sub']").fill(email)  # oidc-provider-mock's form: the subject to sign in as
    page.get_by_role("button", name="Authorize", exact=True).click()
    expect(page.locator(SIDEBAR)).to_contain_text(f"Signed in as {email}", timeout=TIMEOUT)


def sign_out(page: Any, url: str) -> None:
    page.locator(SIDEBAR).get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="End session").click()  # the provider's end-session page
    page.wait_for_url(re.compile(re.escape(url) + r"/?$"), timeout=TIMEOUT)
    page.locator(CHAT_BOX).wait_for(state="visible", timeout=TIMEOUT)


def settled(page: Any) -> None:
    """Wait until the page's script run has finished: until then the previous run's widgets stay on screen,
    and a download button still holds the previous run's file."""
    from playwright.sync_api import expect

    expect(page.locator("[data-testid='stApp']")).to_have_attribute("data-test-script-state", "notRunning",
                                                                    timeout=TIMEOUT)


def nav_links(page: Any) -> list[str]:
    """The page links in the sidebar, by title (each link's text starts with its icon's name)."""
    links = page.locator("[data-testid='stSidebarNavLink']").all_inner_texts()
    return [t.strip().splitlines()[-1].strip() for t in links]


def audit_rows(settings: Settings) -> list[Any]:
    from assistant.core.identity import Viewer

    return Assistant(settings).audit_entries(Viewer.local())


@pytest.fixture()
def library(small_corpus: Settings) -> Settings:
    Assistant(small_corpus).ingest()
    return small_corpus


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"auth-{name}.png"), full_page=True)


def test_roles_with_a_real_provider(provider: str, library: Settings, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    corpus = Path(library.corpus)
    kept = sorted(p.name for p in corpus.iterdir())
    server = start_app(library, tmp_path / "app", f"{provider}/.well-known/openid-configuration",
                       ASSISTANT_EDITORS=EDITORS_SETTING)
    try:
        with sync_playwright() as p:
            # --- a visitor: reads and asks; no control changes the library ----------------------------
            visitor = launch_browser(p, tmp_path / "visitor")
            page = visitor.new_page()
            open_app(page, server.url)
            sidebar = page.locator(SIDEBAR)
            expect(sidebar).to_contain_text("You are reading as a visitor")
            assert nav_links(page) == ["Ask the reports", "Commitments", "Figures"]
            assert page.locator(UPLOAD).count() == 0
            answer, _ = ask(page, "How many children are in kinship care?")
            expect(answer).to_contain_text("[1]")
            shot(page, "1-visitor")
            visitor.close()

            # --- an editor: add (and the bad uploads), remove, the audit log, feedback -------------------
            editor = launch_browser(p, tmp_path / "editor")
            page = editor.new_page()
            alerts: list[str] = []
            page.on("dialog", lambda d: (alerts.append(d.message), d.dismiss()))
            sign_in(page, server.url, EDITOR)
            expect(page.locator(SIDEBAR)).to_contain_text(f"Signed in as {EDITOR} (editor)")
            assert nav_links(page) == ["Ask the reports", "Feedback", "Commitments", "Figures", "Manage reports",
                                       "Questions asked"]
            page.goto(server.url + "/Manage_reports", wait_until="domcontentloaded")
            expect(page.get_by_text("Reports in the library (2)")).to_be_visible(timeout=TIMEOUT)
            page.locator(UPLOAD).first.set_input_files([
                {"name": "../../Harbour survey.txt", "mimeType": "text/plain",
                 "buffer": b"Harbour survey\n\nThe harbour play survey counted 57 play areas in 2024, of which 12 "
                           b"need new surfacing. <script>alert(1)</script> <img src=x onerror=alert(2)>\n"},
                {"name": "empty.txt", "mimeType": "text/plain", "buffer": b""},
            ])
            expect(page.get_by_text("Added and indexed: Harbour-survey.txt")).to_be_visible(timeout=TIMEOUT)
            expect(page.get_by_text("empty.txt was not added: the file is empty.")).to_be_visible()
            assert (corpus / "Harbour-survey.txt").is_file()
            assert not (corpus.parent / "Harbour-survey.txt").exists()  # the ../ went nowhere
            assert not (corpus / "empty.txt").exists()
            card = page.locator("[class*='st-key-doc-']").filter(has_text="file Harbour-survey.txt")
            expect(card).to_contain_text("Harbour survey")
            # Over the 25 MB limit: the uploader refuses it before it reaches the library.
            page.locator(UPLOAD).first.set_input_files([{"name": "huge.txt", "mimeType": "text/plain",
                                                         "buffer": b"x" * (26 * 1024 * 1024)}])
            expect(page.get_by_text(re.compile(r"25(\.0)? ?MB or smaller"))).to_be_visible(timeout=60_000)
            shot(page, "2-editor-manage")

            card.get_by_role("button", name="Remove").click()
            card.get_by_role("button", name="Yes, remove it").click()
            expect(page.get_by_text("Removed “Harbour survey” (Harbour-survey.txt)")).to_be_visible(timeout=TIMEOUT)
            assert sorted(p.name for p in corpus.iterdir()) == kept
            settled(page)  # the audit table and its CSV are drawn last
            table = page.locator("[data-testid='stDataFrame']").last  # the audit log
            expect(table).to_be_visible()
            with page.expect_download() as dl:
                page.get_by_role("button", name="Download the audit log as CSV").click()
            csv_text = Path(dl.value.path()).read_text(encoding="utf-8")
            lines = csv_text.splitlines()
            assert lines[0].startswith("id,at,finished_at,actor,via,action,source,hash_before,hash_after")
            assert f"{EDITOR},app,remove,Harbour-survey.txt" in lines[1]  # newest first
            assert f"{EDITOR},app,add,Harbour-survey.txt" in csv_text
            assert ",rejected,empty.txt was not added: the file is empty." in csv_text
            page.goto(server.url + "/Feedback", wait_until="domcontentloaded")
            expect(page.get_by_role("heading", name="Feedback on answers")).to_be_visible(timeout=TIMEOUT)
            assert alerts == []

            # --- a page action after sign-out: refused by the server ------------------------------------
            page.goto(server.url + "/Manage_reports", wait_until="domcontentloaded")
            card = page.locator("[class*='st-key-doc-']").first
            card.get_by_role("button", name="Remove").click()
            confirm = card.get_by_role("button", name="Yes, remove it")
            expect(confirm).to_be_visible(timeout=TIMEOUT)
            other = editor.new_page()
            open_app(other, server.url)
            sign_out(other, server.url)
            expect(other.locator(SIDEBAR)).to_contain_text("You are reading as a visitor")
            other.close()
            confirm.click()  # the old tab's session still believes it is the editor's
            expect(page.locator(SIDEBAR)).to_contain_text("Only editors can remove reports", timeout=TIMEOUT)
            shot(page, "3-after-sign-out")
            assert sorted(p.name for p in corpus.iterdir()) == kept
            refused = audit_rows(library)[0]
            assert (refused.outcome, refused.actor, refused.action) == ("refused", "anonymous", "remove")
            editor.close()

            # --- a reader: no controls, no Manage or Feedback page ---------------------------------------
            reader = launch_browser(p, tmp_path / "reader")
            page = reader.new_page()
            sign_in(page, server.url, READER)
            expect(page.locator(SIDEBAR)).to_contain_text(f"Signed in as {READER} (reader)")
            assert nav_links(page) == ["Ask the reports", "Commitments", "Figures", "Questions asked"]  # their own
            assert page.locator(UPLOAD).count() == 0
            assert page.get_by_role("link", name="Edit details or remove reports").count() == 0
            answer, _ = ask(page, "How many children are in kinship care?")
            expect(answer.get_by_role("button", name="Comment")).to_be_visible()  # readers give feedback
            for hidden in ("Manage_reports", "Feedback"):
                page.goto(f"{server.url}/{hidden}", wait_until="domcontentloaded")
                page.locator(CHAT_BOX).wait_for(state="visible", timeout=TIMEOUT)  # not found: the chat instead
                assert page.locator(UPLOAD).count() == 0
                assert page.get_by_role("button", name="Remove").count() == 0
                assert page.get_by_text("Feedback on answers").count() == 0
            shot(page, "4-reader")
            reader.close()
    except BaseException:
        print(f"\n--- streamlit log ---\n{server.dump_threads()}")
        raise
    finally:
        server.stop()


def test_sign_in_required_shows_only_the_button(provider: str, settings: Settings, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    server = start_app(settings, tmp_path / "app", f"{provider}/.well-known/openid-configuration",
                       ASSISTANT_REQUIRE_LOGIN="1")
    try:
        with sync_playwright() as p:
            context = launch_browser(p, tmp_path / "profile")
            page = context.new_page()
            page.goto(server.url, wait_until="domcontentloaded", timeout=TIMEOUT)
            button = page.get_by_role("button", name="Sign in")
            expect(button).to_be_visible(timeout=TIMEOUT)
            page.wait_for_timeout(1000)  # anything else would have been drawn by now
            buttons = [t.strip().splitlines()[-1] for t in page.get_by_role("button").all_inner_texts()]
            assert buttons == ["Sign in"]  # (each button's text starts with its icon's name)
            assert page.locator(CHAT_BOX).count() == 0
            assert page.get_by_text("Indexed reports").count() == 0
            assert nav_links(page) == []
            shot(page, "5-sign-in-required")
            button.click()
            page.locator("input[name='sub']").fill(READER)
            page.get_by_role("button", name="Authorize", exact=True).click()
            page.locator(CHAT_BOX).wait_for(state="visible", timeout=TIMEOUT)
            answer, _ = ask(page, "How many children are in kinship care?")
            expect(answer).to_contain_text("[1]")
            context.close()
    except BaseException:
        print(f"\n--- streamlit log ---\n{server.dump_threads()}")
        raise
    finally:
        server.stop()


def closed_port() -> int:
    with socket.socket() as s:  # bound, never listening: a connection is refused at once
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_provider_is_a_message_and_readers_are_served(settings: Settings, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    dead = f"http://127.0.0.1:{closed_port()}/.well-known/openid-configuration"
    server = start_app(settings, tmp_path / "open", dead)
    try:
        with sync_playwright() as p:
            context = launch_browser(p, tmp_path / "profile")
            page = context.new_page()
            open_app(page, server.url)
            expect(page.locator(SIDEBAR)).to_contain_text("Sign-in is unavailable: the identity provider at "
                                                           "127.0.0.1", timeout=TIMEOUT)
            assert page.get_by_role("button", name="Sign in").count() == 0  # no button that leads nowhere
            answer, _ = ask(page, "How many children are in kinship care?")
            expect(answer).to_contain_text("[1]")
            shot(page, "6-provider-unreachable")
            context.close()
    finally:
        server.stop()
    server = start_app(settings, tmp_path / "required", dead, ASSISTANT_REQUIRE_LOGIN="1")
    try:
        with sync_playwright() as p:
            context = launch_browser(p, tmp_path / "profile2")
            page = context.new_page()
            page.goto(server.url, wait_until="domcontentloaded", timeout=TIMEOUT)
            expect(page.get_by_text("Sign-in is unavailable")).to_be_visible(timeout=TIMEOUT)
            expect(page.get_by_role("button", name="Try again")).to_be_visible()
            assert page.locator(CHAT_BOX).count() == 0
            context.close()
    finally:
        server.stop()


def test_secrets_are_never_committed() -> None:
    root = Path(__file__).resolve().parent.parent
    assert ".streamlit/secrets.toml" in (root / ".gitignore").read_text(encoding="utf-8").splitlines()
