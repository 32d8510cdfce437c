"""Adding, removing and describing reports: assistant.documents and the `assistant add/remove/catalog` commands.

The pure file logic runs on temporary folders; the index-backed steps and the CLI use a
real two-document corpus with the real model and index (small_corpus from conftest).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from assistant.api import Assistant
from assistant.core.errors import (
    BadCatalogEntry,
    DocumentNotFound,
    FileExists,
    FileTooLarge,
    LastDocument,
    UnreadableDocument,
    UnsupportedFile,
)
from assistant.core.settings import Settings
from assistant.ingest import catalog, files, library
from assistant.ingest.corpus import read_catalog

ROOT = Path(__file__).resolve().parent.parent
ASSISTANT = ROOT / ".venv" / "bin" / "assistant"

RIVERSIDE = (b"Riverside Youth Hub: first year\n\n"
             b"The Riverside Youth Hub opened in March 2024 and supported 212 young carers with weekly respite "
             b"sessions, twice the number planned.\n\n"
             b"Funding for the hub comes from the Young Carers Grant until March 2026.\n")
RIVERSIDE_Q = "How many young carers did the Riverside Youth Hub support?"


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    return corpus


def hidden_files(corpus: Path) -> list[str]:
    return [p.name for p in corpus.rglob(".*")]


# --- file names -------------------------------------------------------------------------------


@pytest.mark.parametrize("given, stored", [
    ("report.txt", "report.txt"),
    ("../../x.txt", "x.txt"),
    ("/etc/cron.d/evil.md", "evil.md"),
    ("..\\..\\windows\\notes.txt", "notes.txt"),
    ("C:\\Users\\me\\Annual Report (v2).PDF", "Annual-Report-v2.pdf"),
    (".hidden.txt", "hidden.txt"),
    ("...txt", "document.txt"),
    (".txt", "document.txt"),
    ("--help.md", "help.md"),
    ("Café déjà vu.html", "Cafe-deja-vu.html"),
    ("北京 报告.txt", "document.txt"),
    ("a;rm -rf ~;b.txt", "a-rm-rf-b.txt"),
    ("minutes..final...docx", "minutes.final.docx"),
    ("  spaced name .htm ", "spaced-name.htm"),
    ("x" * 300 + ".txt", "x" * 116 + ".txt"),
])
def test_sanitise_filename(given: str, stored: str) -> None:
    assert files.sanitise_filename(given) == stored
    assert all(c.isascii() and (c.isalnum() or c in "._-") for c in stored)


@pytest.mark.parametrize("name", ["virus.exe", "catalog.toml", ".env", "README", "archive.tar.gz", "notes.", ""])
def test_unsupported_names_are_refused(name: str) -> None:
    with pytest.raises(UnsupportedFile, match="not supported; use PDF"):
        files.sanitise_filename(name)


# --- saving uploads ---------------------------------------------------------------------------


def test_save_upload_stores_under_the_safe_name(folder: Path) -> None:
    path = files.save_upload(folder, "../../Annual Report.txt", RIVERSIDE)
    assert path == folder / "Annual-Report.txt" and path.read_bytes() == RIVERSIDE
    assert not (folder.parent / "Annual Report.txt").exists()
    assert not (folder.parent.parent / "Annual Report.txt").exists()
    assert hidden_files(folder) == []  # the temporary file is gone


def test_existing_name_is_never_overwritten_without_replace(folder: Path) -> None:
    files.save_upload(folder, "plan.txt", b"first version\n")
    with pytest.raises(FileExists) as caught:
        files.save_upload(folder, "plan.txt", b"second version\n")
    assert caught.value.name == "plan.txt" and "already in the corpus folder" in str(caught.value)
    assert (folder / "plan.txt").read_bytes() == b"first version\n"
    # The same file name reached through a path, or spelled with odd characters, is the same file.
    with pytest.raises(FileExists):
        files.save_upload(folder, "../elsewhere/plan.txt", b"third version\n")
    assert (folder / "plan.txt").read_bytes() == b"first version\n"
    files.save_upload(folder, "plan.txt", b"second version\n", replace=True)
    assert (folder / "plan.txt").read_bytes() == b"second version\n"
    assert hidden_files(folder) == []


def test_unsupported_too_large_and_empty_uploads_write_nothing(folder: Path) -> None:
    with pytest.raises(UnsupportedFile):
        files.save_upload(folder, "tool.exe", b"MZ\x90\x00")
    with pytest.raises(FileTooLarge, match="the limit is 25.0 MB per file"):
        files.save_upload(folder, "huge.txt", b"a" * (files.MAX_UPLOAD_BYTES + 1))
    with pytest.raises(UnreadableDocument, match="empty"):
        files.save_upload(folder, "blank.txt", b"  \n")
    assert list(folder.iterdir()) == []
    # Exactly at the limit is fine.
    assert files.save_upload(folder, "big.txt", b"a" * files.MAX_UPLOAD_BYTES).stat().st_size == \
        files.MAX_UPLOAD_BYTES


# --- removing -----------------------------------------------------------------------------------


def test_remove_document(folder: Path, tmp_path: Path) -> None:
    files.save_upload(folder, "old.md", b"# Old\n\ntext\n")
    (folder / "sub").mkdir()
    (folder / "sub" / "inner.txt").write_text("inner\n")
    outside = tmp_path / "outside.txt"
    outside.write_text("not in the corpus\n")

    assert files.remove_document(folder, "old.md") == folder / "old.md"
    assert not (folder / "old.md").exists()
    files.remove_document(folder, "sub/inner.txt")
    assert not (folder / "sub" / "inner.txt").exists()
    for bad in ("old.md", "../outside.txt", str(outside), "sub/../../outside.txt", ".secret.txt", ""):
        with pytest.raises(DocumentNotFound):
            files.remove_document(folder, bad)
    assert outside.exists()
    with pytest.raises(UnsupportedFile):
        files.remove_document(folder, "catalog.toml")


# --- catalog.toml -------------------------------------------------------------------------------


def test_catalog_round_trip_keeps_other_entries_quotes_and_unicode(folder: Path) -> None:
    shutil.copy(ROOT / "corpus" / "catalog.toml", folder / "catalog.toml")
    before = tomllib.loads((folder / "catalog.toml").read_text(encoding="utf-8"))
    files.save_upload(folder, "new.txt", RIVERSIDE)
    fields = {
        "title": 'The "Riverside" report \\ C:\\temp — 2024/25',
        "organisation": "Comhairle nan Eilean Siar — Ùr-nodha ✓",
        "published": " 2024-03 ",
        "kind": "annual\nreport\t(draft)",  # whitespace runs become single spaces
        "reference": "RYH-1\x07",  # control characters are dropped
    }
    entry = catalog.update_catalog(folder, "new.txt", fields)
    assert entry == {"title": 'The "Riverside" report \\ C:\\temp — 2024/25',
                     "organisation": "Comhairle nan Eilean Siar — Ùr-nodha ✓", "published": "2024-03",
                     "kind": "annual report (draft)", "reference": "RYH-1"}
    text = (folder / "catalog.toml").read_text(encoding="utf-8")
    after = tomllib.loads(text)
    assert after["new.txt"] == entry
    assert {k: v for k, v in after.items() if k != "new.txt"} == before  # every other entry as it was
    assert text.startswith("# What is known about each source report")  # the comment block survives
    assert read_catalog(folder)["new.txt"] == entry  # and the ingest reads what was written
    assert catalog.catalog_entry(folder, "new.txt") == entry

    # Setting one field keeps the others; an empty value removes a field; an empty entry goes.
    catalog.update_catalog(folder, "new.txt", {"title": "Riverside report"})
    assert catalog.catalog_entry(folder, "new.txt")["organisation"] == entry["organisation"]
    catalog.update_catalog(folder, "new.txt", {"reference": ""})
    assert "reference" not in catalog.catalog_entry(folder, "new.txt")
    catalog.update_catalog(folder, "new.txt", {k: "" for k in catalog.CATALOG_FIELDS})
    assert "new.txt" not in tomllib.loads((folder / "catalog.toml").read_text(encoding="utf-8"))
    assert hidden_files(folder) == []


def test_catalog_is_created_and_left_alone_when_nothing_changes(folder: Path) -> None:
    files.save_upload(folder, "a.md", b"# A\n\ntext\n")
    catalog.update_catalog(folder, "a.md", {"published": "2019"})
    path = folder / "catalog.toml"
    assert tomllib.loads(path.read_text(encoding="utf-8")) == {"a.md": {"published": "2019"}}
    stamp = path.stat().st_mtime_ns
    catalog.update_catalog(folder, "a.md", {"published": "2019"})
    assert path.stat().st_mtime_ns == stamp


@pytest.mark.parametrize("published", ["2024-13", "2024-02-30", "24", "March 2024", "2024/03", "2024-3", "0999"])
def test_bad_dates_and_fields_change_nothing(folder: Path, published: str) -> None:
    files.save_upload(folder, "a.md", b"# A\n\ntext\n")
    (folder / "catalog.toml").write_text('["a.md"]\ntitle = "A"\n', encoding="utf-8")
    with pytest.raises(BadCatalogEntry, match="YYYY, YYYY-MM or YYYY-MM-DD"):
        catalog.update_catalog(folder, "a.md", {"title": "B", "published": published})
    with pytest.raises(BadCatalogEntry, match="Unknown catalog field author"):
        catalog.update_catalog(folder, "a.md", {"author": "me"})
    with pytest.raises(BadCatalogEntry, match="limit is 300"):
        catalog.update_catalog(folder, "a.md", {"title": "x" * 301})
    with pytest.raises(DocumentNotFound):
        catalog.update_catalog(folder, "missing.md", {"title": "B"})
    assert (folder / "catalog.toml").read_text(encoding="utf-8") == '["a.md"]\ntitle = "A"\n'


def test_valid_dates() -> None:
    for ok in ("2024", "2024-06", "2024-02-29", "1999-12-31"):
        assert catalog.validate_published(ok) == ok


def test_a_broken_catalog_is_reported_not_overwritten(folder: Path) -> None:
    files.save_upload(folder, "a.md", b"# A\n\ntext\n")
    (folder / "catalog.toml").write_text('["a.md"\ntitle = "unclosed\n', encoding="utf-8")
    with pytest.raises(UnreadableDocument, match="not valid TOML"):
        catalog.update_catalog(folder, "a.md", {"title": "B"})
    assert (folder / "catalog.toml").read_text(encoding="utf-8") == '["a.md"\ntitle = "unclosed\n'


def test_catalog_keeps_values_of_other_types(folder: Path) -> None:
    files.save_upload(folder, "a.md", b"# A\n\ntext\n")
    (folder / "catalog.toml").write_text(
        'version = 2\n\n["b.md"]\npublished = 2021-05-04\npages = [1, 2]\ndraft = true\nscore = 0.5\n'
        'extra = { note = "x\\"y" }\n', encoding="utf-8")
    before = tomllib.loads((folder / "catalog.toml").read_text(encoding="utf-8"))
    catalog.update_catalog(folder, "a.md", {"title": "A"})
    after = tomllib.loads((folder / "catalog.toml").read_text(encoding="utf-8"))
    assert after == {**before, "a.md": {"title": "A"}}


# --- with the real index ------------------------------------------------------------------------


def test_add_remove_and_describe_with_the_index(small_corpus: Settings, tmp_path: Path) -> None:
    from test_formats import make_scanned_pdf

    bot = Assistant(small_corpus)
    bot.ingest()
    corpus = Path(small_corpus.corpus)
    before = {d.source for d in bot.documents()}

    result = library.add_documents(bot, [
        ("Riverside Youth Hub.txt", RIVERSIDE),
        ("latin1.txt", "Caf\u00e9 r\u00e9sum\u00e9 of the year's work".encode("latin-1")),
        ("scan.pdf", make_scanned_pdf(tmp_path)),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj garbage"),
        ("setup.exe", b"MZ"),
        ("dundee-our-promise-2020-23-impact-summary.txt", b"a different report\n"),
    ])
    assert result.error is None and result.added == ["Riverside-Youth-Hub.txt"] and not result.replaced
    assert list(result.conflicts) == ["dundee-our-promise-2020-23-impact-summary.txt"]
    messages = "\n".join(result.rejected)
    assert "latin1.txt was not added because it could not be read: not UTF-8 text" in messages
    assert "scan.pdf was not added because it could not be read: " in messages
    assert "broken.pdf was not added because it could not be read: " in messages
    assert "setup.exe was not added" in messages
    # Unreadable uploads are taken out of the folder again; the rest of the index is intact.
    assert sorted(p.name for p in corpus.iterdir()) == sorted(before | {"Riverside-Youth-Hub.txt"})
    assert {d.source for d in bot.documents()} == before | {"Riverside-Youth-Hub.txt"}
    answer = bot.ask(RIVERSIDE_Q)
    assert answer.citations[0].source == "Riverside-Youth-Hub.txt" and "212" in answer.answer

    # An unreadable replacement keeps the earlier version of the file, and its passages.
    result = library.add_documents(bot, [("Riverside-Youth-Hub.txt", b"\xff\xfe\x00bad")], replace=True)
    assert "the existing file of that name was kept" in result.rejected[0]
    assert (corpus / "Riverside-Youth-Hub.txt").read_bytes() == RIVERSIDE
    assert bot.ask(RIVERSIDE_Q).citations[0].source == "Riverside-Youth-Hub.txt"

    # Details from the catalog reach the citations.
    entry, report = library.edit_details(bot, "Riverside-Youth-Hub.txt", {
        "title": 'Riverside "Hub" — first year', "organisation": "Fife Council", "published": "2024-04"})
    assert report is not None and entry["organisation"] == "Fife Council"
    c = bot.ask(RIVERSIDE_Q).citations[0]
    assert (c.title, c.organisation, c.published) == ('Riverside "Hub" — first year', "Fife Council", "2024-04")
    assert library.edit_details(bot, "Riverside-Youth-Hub.txt", {"organisation": "Fife Council"})[1] is None

    # Removing drops the passages; the last report cannot be removed.
    library.remove_and_reindex(bot, "Riverside-Youth-Hub.txt")
    assert not (corpus / "Riverside-Youth-Hub.txt").exists()
    assert {d.source for d in bot.documents()} == before
    assert all(c.source != "Riverside-Youth-Hub.txt" for c in bot.ask(RIVERSIDE_Q).citations)
    first, last = sorted(before)
    library.remove_and_reindex(bot, first)
    with pytest.raises(LastDocument):
        library.remove_and_reindex(bot, last)
    assert (corpus / last).exists() and [d.source for d in bot.documents()] == [last]


# --- the commands -------------------------------------------------------------------------------


def run(settings: Settings, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "ASSISTANT_CORPUS": str(settings.corpus), "ASSISTANT_INDEX": str(settings.index)}
    env.pop("ASSISTANT_DEBUG", None)
    return subprocess.run([str(ASSISTANT), *args], env=env, input=stdin, capture_output=True, text=True, timeout=600)


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    return proc.stderr.strip()


def test_cli_add_catalog_remove(small_corpus: Settings, tmp_path: Path) -> None:
    Assistant(small_corpus).ingest()
    corpus = Path(small_corpus.corpus)
    upload = tmp_path / "uploads" / "Riverside Youth Hub.txt"
    upload.parent.mkdir()
    upload.write_bytes(RIVERSIDE)

    for args in (["add", "--help"], ["remove", "--help"], ["catalog", "--help"]):
        proc = run(small_corpus, *args)
        assert proc.returncode == 0 and "Example" in proc.stdout, proc.stdout

    proc = run(small_corpus, "add", str(upload))
    assert proc.returncode == 0, proc.stderr
    assert "Added Riverside-Youth-Hub.txt" in proc.stdout and (corpus / "Riverside-Youth-Hub.txt").exists()

    # The same name again: kept, exit 1; unsupported and missing files: one line each, exit 1.
    upload.write_bytes(b"a newer version\n")
    msg = one_line_error(run(small_corpus, "add", str(upload)))
    assert "already in the corpus folder; it was kept. Use --replace" in msg
    assert (corpus / "Riverside-Youth-Hub.txt").read_bytes() == RIVERSIDE
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    assert "not supported" in one_line_error(run(small_corpus, "add", str(exe)))
    assert "was not added" in one_line_error(run(small_corpus, "add", str(tmp_path / "missing.txt")))

    msg = one_line_error(run(small_corpus, "catalog", "Riverside-Youth-Hub.txt", "--published", "2024-13"))
    assert msg.count("\n") == 0 and "YYYY, YYYY-MM or YYYY-MM-DD" in msg
    assert "no document" in one_line_error(run(small_corpus, "catalog", "nope.txt", "--title", "x"))
    proc = run(small_corpus, "catalog", "Riverside-Youth-Hub.txt", "--title", 'The "Riverside" Hub',
               "--organisation", "Fife Council", "--published", "2024-04")
    assert proc.returncode == 0, proc.stderr
    assert read_catalog(corpus)["Riverside-Youth-Hub.txt"] == {
        "title": 'The "Riverside" Hub', "organisation": "Fife Council", "published": "2024-04"}
    proc = run(small_corpus, "catalog", "Riverside-Youth-Hub.txt")
    assert proc.returncode == 0 and "organisation: Fife Council" in proc.stdout
    docs = Assistant(small_corpus).documents()
    assert [d.title for d in docs if d.source == "Riverside-Youth-Hub.txt"] == ['The "Riverside" Hub']

    assert "no document" in one_line_error(run(small_corpus, "remove", "--yes", "nope.txt"))
    proc = run(small_corpus, "remove", "Riverside-Youth-Hub.txt", stdin="n\n")  # asks; "n" keeps it
    assert proc.returncode != 0 and (corpus / "Riverside-Youth-Hub.txt").exists()
    proc = run(small_corpus, "remove", "--yes", "Riverside-Youth-Hub.txt")
    assert proc.returncode == 0, proc.stderr
    assert not (corpus / "Riverside-Youth-Hub.txt").exists()
    assert "Riverside-Youth-Hub.txt" not in {d.source for d in Assistant(small_corpus).documents()}


def test_a_copy_under_another_name_is_skipped_unless_forced(small_corpus: Settings, tmp_path: Path) -> None:
    """`cp report.txt copy.txt && assistant add copy.txt` names the report it repeats and adds nothing."""
    Assistant(small_corpus).ingest()
    corpus = Path(small_corpus.corpus)
    original = "dundee-our-promise-2020-23-impact-summary.txt"
    copy = tmp_path / "copy.txt"
    copy.write_bytes((corpus / original).read_bytes())

    msg = one_line_error(run(small_corpus, "add", str(copy)))
    assert msg == f"copy.txt was not added: its content is already in the library as {original}. " \
                  "Use --force to add it anyway."
    assert not (corpus / "copy.txt").exists()
    assert "copy.txt" not in {d.source for d in Assistant(small_corpus).documents()}

    # Two copies of new content in one call: the first is added, the second repeats it.
    twin = tmp_path / "twin.txt"
    twin.write_bytes(RIVERSIDE)
    result = library.add_documents(Assistant(small_corpus), [("hub.txt", RIVERSIDE), ("twin.txt", RIVERSIDE)])
    assert result.added == ["hub.txt"] and result.duplicates == {"twin.txt": ("hub.txt", RIVERSIDE)}

    proc = run(small_corpus, "add", "--force", str(copy))
    assert proc.returncode == 0, proc.stderr
    assert "Added copy.txt" in proc.stdout and (corpus / "copy.txt").exists()
