"""Roles, the editor list, the sign-in configuration, the audit log, and the API's refusals.

Pure logic and refusals that happen before anything is read or embedded: the fast subset.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from assistant.api import Assistant
from assistant.core.errors import BadSetting, NotAllowed, ReadOnlyLibrary
from assistant.core.identity import Viewer, check_can_change, claimed_email, normalise_email, parse_editors
from assistant.core.settings import Settings, load_settings
from assistant.records.audit import AuditLog
from assistant.ui.auth import read_config

ROOT = Path(__file__).resolve().parent.parent
READER = Viewer(id="reader@council.example", role="reader")
EDITOR = Viewer(id="editor@council.example", role="editor")


# --- the editor list --------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [
    "  Alice@Council.GOV.uk ,bob@x.org",
    "alice@council.gov.uk;bob@x.org",
    "\n alice@council.gov.uk \n\n BOB@X.ORG \n",
    '["<Alice@Council.gov.uk>", "mailto:bob@x.org"]',
    "alice@council.gov.uk, bob@x.org, ALICE@council.gov.uk,",
])
def test_the_editor_list_ignores_spacing_case_and_separators(value: str) -> None:
    assert parse_editors(value) == ("alice@council.gov.uk", "bob@x.org")


def test_an_editor_entry_that_is_not_an_address_is_one_line_naming_the_variable(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_EDITORS", "alice, bob@x.org")
    with pytest.raises(BadSetting, match=r"ASSISTANT_EDITORS=.*“alice” is not an e-mail address"):
        load_settings()
    monkeypatch.setenv("ASSISTANT_EDITORS", "  Alice@Council.GOV.uk ;  ")
    monkeypatch.setenv("ASSISTANT_READ_ONLY", "1")
    monkeypatch.setenv("ASSISTANT_REQUIRE_LOGIN", "true")
    s = load_settings()
    assert (s.editors, s.read_only, s.require_login) == (("alice@council.gov.uk",), True, True)
    for name in ("ASSISTANT_EDITORS", "ASSISTANT_READ_ONLY", "ASSISTANT_REQUIRE_LOGIN"):
        monkeypatch.delenv(name)
    assert (Settings().editors, Settings().read_only, Settings().require_login) == ((), False, False)


# --- who is signed in --------------------------------------------------------------------------------
def test_the_signed_in_address_comes_from_the_token_claims() -> None:
    assert claimed_email({"email": " Alice@Council.gov.uk "}) == "alice@council.gov.uk"
    # Microsoft Entra ID: the user principal name, when the token carries no email claim.
    assert claimed_email({"preferred_username": "Alice@Council.onmicrosoft.com", "name": "Alice"}) == \
        "alice@council.onmicrosoft.com"
    assert claimed_email({"email": "alice@council.gov.uk", "email_verified": False}) is None  # not trusted
    assert claimed_email({"sub": "12345", "preferred_username": "alice"}) is None
    assert normalise_email("<MAILTO:Alice@X.org>") == "alice@x.org"


def test_a_viewer_is_an_editor_only_when_named() -> None:
    editors = parse_editors("ALICE@council.gov.uk")
    alice = Viewer.from_claims({"email": "alice@Council.gov.uk", "name": "Alice"}, editors)
    bob = Viewer.from_claims({"email": "bob@council.gov.uk"}, editors)
    nobody = Viewer.from_claims({"sub": "x"}, editors)
    assert (alice.role, alice.email, alice.name, alice.signed_in) == ("editor", "alice@council.gov.uk", "Alice", True)
    assert (bob.role, bob.is_editor) == ("reader", False)
    assert nobody == Viewer.anonymous() and not nobody.signed_in
    local = Viewer.local("cli")
    assert local.is_editor and local.is_local and local.id.startswith("local:") and local.email is None
    assert bob.describe() == "bob@council.gov.uk (reader)"
    assert Viewer.anonymous().describe() == "a visitor who has not signed in"


def test_read_only_stops_everyone_and_readers_never_change_anything() -> None:
    check_can_change(EDITOR, False, "add reports")
    with pytest.raises(ReadOnlyLibrary, match="read-only"):
        check_can_change(EDITOR, True, "add reports")
    with pytest.raises(ReadOnlyLibrary):
        check_can_change(Viewer.local(), True, "remove reports")
    with pytest.raises(NotAllowed, match="Only editors can add reports; reader@council.example"):
        check_can_change(READER, False, "add reports")


# --- the [auth] section --------------------------------------------------------------------------------
GOOD = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s" * 32}
ENTRA = {"client_id": "id", "client_secret": "secret",
         "server_metadata_url": "https://login.microsoftonline.com/TENANT/v2.0/.well-known/openid-configuration"}


def test_the_auth_section_names_its_providers_or_says_what_is_missing() -> None:
    assert not read_config(None).configured
    default = read_config({**GOOD, **ENTRA})
    assert default.configured and not default.problem
    assert [(p.name, p.label) for p in default.providers] == [("default", "Sign in")]
    named = read_config({**GOOD, "microsoft": ENTRA, "google": {**ENTRA, "server_metadata_url": "https://g/x"}})
    assert [p.label for p in named.providers] == ["Sign in with Microsoft", "Sign in with Google"]
    assert "lacks cookie_secret" in read_config({**ENTRA, "redirect_uri": "x"}).problem
    partial = read_config({**GOOD, "microsoft": {"client_id": "id"}})
    assert "[auth.microsoft] lacks client_secret, server_metadata_url" in partial.problem
    assert "names no identity provider" in read_config(GOOD).problem
    assert "underscore" in read_config({**GOOD, "my_idp": ENTRA}).problem


# --- the audit log --------------------------------------------------------------------------------------
def test_the_audit_log_keeps_every_entry_newest_first(tmp_path: Path) -> None:
    log = AuditLog.beside_index(tmp_path / "index")
    assert log.entries() == [] and not log.path.exists()  # reading never creates the file
    first = log.begin(actor="alice@x.org", via="app", action="add", source="a.txt", hash_after="h1")
    log.finish(first, "done")
    log.record(actor="=cmd|' /C calc'!A0", via="app", action="remove", source="a.txt", hash_before="h1",
               outcome="refused", message="Only editors can remove reports")
    entries = log.entries()
    assert [(e.action, e.outcome) for e in entries] == [("remove", "refused"), ("add", "done")]
    assert entries[1].finished_at and entries[1].hash_after == "h1" and entries[1].hash_before == ""
    assert json.loads(json.dumps([e.__dict__ for e in entries]))  # plain values
    csv_text = log.to_csv()
    assert "'=cmd|" in csv_text and ",=cmd" not in csv_text  # a spreadsheet shows it as text, never a formula
    assert log.entries(limit=1)[0].action == "remove"
    with pytest.raises(ValueError):
        log.record(actor="x", via="cli", action="add", source="b.txt")


def test_a_change_whose_process_died_reads_interrupted(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.sqlite")
    gone = subprocess.run(["python3", "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    entry = log.begin(actor="local:alice", via="cli", action="add", source="big.pdf")
    live = log.entries()[0]
    assert live.outcome == "started"  # this process still runs
    import sqlite3

    with sqlite3.connect(log.path) as conn:
        conn.execute("UPDATE changes SET pid = ? WHERE id = ?", (int(gone.stdout), entry))
    assert log.entries()[0].outcome == "interrupted"


# --- the API refuses before anything changes ---------------------------------------------------------------
@pytest.fixture()
def folders(tmp_path: Path) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(ROOT / "corpus" / "dundee-our-promise-2020-23-impact-summary.txt", corpus)
    return Settings(corpus=corpus, index=tmp_path / "index")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_reader_is_refused_every_change_and_the_attempt_is_recorded(folders: Settings) -> None:
    bot = Assistant(folders)
    before = snapshot(folders.corpus)
    report = "dundee-our-promise-2020-23-impact-summary.txt"
    with pytest.raises(NotAllowed, match="Only editors can add reports"):
        bot.add_documents([("../../new report.txt", b"New report\n\nText.\n")], READER)
    with pytest.raises(NotAllowed, match="Only editors can remove reports"):
        bot.remove_document(report, READER)
    with pytest.raises(NotAllowed, match="Only editors can edit catalog details"):
        bot.edit_details(report, {"title": "Hijacked"}, READER)
    with pytest.raises(NotAllowed, match="Only editors can re-index"):
        bot.reindex(READER)
    for read in (bot.audit_entries, bot.audit_csv, bot.feedback_entries, bot.feedback_csv):
        with pytest.raises(NotAllowed):
            read(READER)
    assert snapshot(folders.corpus) == before
    rows = bot.audit_entries(EDITOR)
    assert [(r.action, r.outcome, r.actor, r.source) for r in rows] == [
        ("reindex", "refused", READER.id, "(all reports)"), ("catalog", "refused", READER.id, report),
        ("remove", "refused", READER.id, report), ("add", "refused", READER.id, "new-report.txt")]
    assert rows[2].hash_before and rows[3].hash_after  # what the file was, and what was offered


def test_read_only_refuses_everyone_and_writes_nothing(folders: Settings) -> None:
    bot = Assistant(folders.model_copy(update={"read_only": True}))
    before = snapshot(folders.corpus)
    for change in (lambda: bot.add_documents([("x.txt", b"x\n\ny")], EDITOR),
                   lambda: bot.remove_document("dundee-our-promise-2020-23-impact-summary.txt", Viewer.local()),
                   lambda: bot.edit_details("dundee-our-promise-2020-23-impact-summary.txt", {"title": "T"}, EDITOR),
                   lambda: bot.reindex(EDITOR)):
        with pytest.raises(ReadOnlyLibrary, match=r"read-only \(ASSISTANT_READ_ONLY=1\)"):
            change()
    assert snapshot(folders.corpus) == before
    assert not Path(folders.index).exists()  # not even the audit log: a read-only library may sit on a read-only disk
