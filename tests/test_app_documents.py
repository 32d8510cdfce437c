"""Uploading, replacing, removing and describing reports in the app, and the chart under a change answer.

AppTest runs the real app.py and app_pages/4_Manage_reports.py on a real two-report corpus and
index in a temporary folder (the real model; nothing mocked). Uploads go through the real
st.file_uploader (AppTest registers the bytes as the browser would).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from assistant.api import Assistant
from assistant.core.settings import Settings
from assistant.ingest import catalog, files
from assistant.ingest import library as changes
from assistant.ui import format as fmt

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
MANAGE = ROOT / "app_pages" / "4_Manage_reports.py"
TIMEOUT = 180

RIVERSIDE = (b"Riverside Youth Hub: first year\n\n"
             b"The Riverside Youth Hub opened in March 2024 and supported 212 young carers with weekly respite "
             b"sessions, twice the number planned.\n\n"
             b"Funding for the hub comes from the Young Carers Grant until March 2026.\n")
RIVERSIDE_Q = "How many young carers did the Riverside Youth Hub support?"
STORED = "Riverside-Youth-Hub.txt"  # what "Riverside Youth Hub.txt" is stored as
LOCHSIDE = (b"Lochside Family Centre review\n\n"
            b"The Lochside Family Centre supported 87 families with intensive family support in 2024.\n")
LOCHSIDE_Q = "How many families did the Lochside Family Centre support?"
KEPT = "dundee-our-promise-2020-23-impact-summary.txt"


@pytest.fixture()
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """A two-report corpus with its index built, and the app pointed at it."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in (KEPT, "children-in-care-programme-scrutiny-2023.txt"):
        shutil.copy(ROOT / "corpus" / name, corpus / name)
    settings = Settings(corpus=corpus, index=tmp_path / "index")
    Assistant(settings).ingest()
    monkeypatch.setenv("ASSISTANT_CORPUS", str(corpus))
    monkeypatch.setenv("ASSISTANT_INDEX", str(settings.index))
    yield settings


def start(script: Path = APP) -> AppTest:
    at = AppTest.from_file(str(script), default_timeout=TIMEOUT)
    at.run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    return at


def run(target: Any) -> AppTest:
    """Run the app (an AppTest, or a widget just set or clicked); no exception may have been shown."""
    at = target.run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    return at


def ask(at: AppTest, question: str) -> Any:
    """Ask in the chat; returns the answer item (with .answer) and the last assistant message."""
    run(at.chat_input(key="question").set_value(question))
    item = at.session_state["chat"].items[-1]
    assert item.error is None, item.error
    return item, [m for m in at.chat_message if m.name == "assistant"][-1]


def sidebar_text(at: AppTest) -> str:
    return "\n".join([m.value for m in at.sidebar.markdown] + [c.value for c in at.sidebar.caption])


def messages(block: Any, kind: str) -> list[str]:
    return [e.value for e in getattr(block, kind)]


def upload(at: AppTest, area: str, *files: tuple[str, bytes]) -> AppTest:
    """Pick files in the area's uploader (its key changes after each upload, so find the current one)."""
    [picker] = [u for u in at.file_uploader if u.key and u.key.startswith(f"upload-{area}-")]
    assert picker.accept_multiple_files and set(picker.allowed_type) >= {".pdf", ".docx", ".html", ".htm", ".txt",
                                                                         ".md"}
    return run(picker.set_value([(name, data, "text/plain") for name, data in files]))


def test_upload_lists_the_report_at_once_and_answers_cite_it(library: Settings) -> None:
    at = start()
    assert "Indexed reports (2)" in messages(at.sidebar, "subheader")
    assert "Riverside" not in sidebar_text(at)

    upload(at, "sidebar", ("Riverside Youth Hub.txt", RIVERSIDE))
    assert (Path(library.corpus) / STORED).read_bytes() == RIVERSIDE  # stored under the safe name
    assert "Indexed reports (3)" in messages(at.sidebar, "subheader")
    assert any(fmt.md("Riverside Youth Hub: first year") in m and "badge[new]" in m
               for m in messages(at.sidebar, "markdown"))
    assert any("Added and indexed" in s and fmt.md(STORED) in s for s in messages(at.sidebar, "success"))
    # The picker is empty again, ready for the next files.
    assert all(not u.value for u in at.file_uploader)

    item, msg = ask(at, RIVERSIDE_Q)
    assert item.answer.citations and item.answer.citations[0].source == STORED
    assert any(fmt.md("Riverside Youth Hub: first year") in m.value for m in msg.markdown)  # its card
    assert "212" in item.answer.answer

    # Unreadable and too-large files are named with the reason, and not kept; the index is intact.
    upload(at, "sidebar", ("Latin notes.txt", "Café résumé".encode("latin-1")),
           ("huge.txt", b"a" * (files.MAX_UPLOAD_BYTES + 1)), ("empty.md", b""))
    errors = messages(at.sidebar, "error")
    assert any(fmt.md("Latin-notes.txt was not added because it could not be read: not UTF-8 text") in e
               for e in errors), errors
    assert any(fmt.md("the limit is 25.0 MB per file") in e for e in errors)
    assert any(fmt.md("empty.md was not added: the file is empty") in e for e in errors)
    assert sorted(p.name for p in Path(library.corpus).iterdir()) == sorted(
        [KEPT, "children-in-care-programme-scrutiny-2023.txt", STORED])
    assert "Indexed reports (3)" in messages(at.sidebar, "subheader")
    assert ask(at, RIVERSIDE_Q)[0].answer.citations[0].source == STORED


def test_an_existing_name_is_replaced_only_after_confirmation(library: Settings) -> None:
    original = (Path(library.corpus) / KEPT).read_bytes()
    at = start()
    k = fmt.doc_key(KEPT)

    upload(at, "sidebar", (KEPT, LOCHSIDE))
    [warning] = messages(at.sidebar, "warning")
    assert fmt.md(KEPT) in warning and "already in the library" in warning and "Nothing changes" in warning
    assert at.button(key=f"replace-sidebar-{k}").label == "Replace existing file"
    assert (Path(library.corpus) / KEPT).read_bytes() == original
    run(at)  # any other interaction: still waiting, still unchanged
    assert at.button(key=f"replace-sidebar-{k}") and (Path(library.corpus) / KEPT).read_bytes() == original

    run(at.button(key=f"keep-sidebar-{k}").click())
    assert not messages(at.sidebar, "warning") and any("Kept the existing" in i for i in messages(at.sidebar, "info"))
    assert (Path(library.corpus) / KEPT).read_bytes() == original
    assert not any("Lochside" in c.text for c in ask(at, LOCHSIDE_Q)[0].answer.citations)

    upload(at, "sidebar", (KEPT, LOCHSIDE))
    run(at.button(key=f"replace-sidebar-{k}").click())
    assert (Path(library.corpus) / KEPT).read_bytes() == LOCHSIDE
    assert any(fmt.md("Replaced and re-indexed") in s for s in messages(at.sidebar, "success"))
    assert "Indexed reports (2)" in messages(at.sidebar, "subheader")
    item, _ = ask(at, LOCHSIDE_Q)
    assert item.answer.citations[0].source == KEPT and "87" in item.answer.answer


def test_remove_a_report_after_confirming(library: Settings) -> None:
    bot = Assistant(library)
    stray = Path(library.corpus) / "scanned-minutes.txt"  # put there by hand, not readable
    stray.write_bytes("Minutes of the meeting – café".encode("cp1252"))
    changes.add_documents(bot, [("Riverside Youth Hub.txt", RIVERSIDE)])
    chat = start()
    assert ask(chat, RIVERSIDE_Q)[0].answer.citations[0].source == STORED
    run(chat.sidebar.multiselect(key="filter_sources").set_value([STORED, KEPT]))

    page = start(MANAGE)
    k = fmt.doc_key(STORED)
    assert "Reports in the library (3)" in messages(page, "subheader")
    run(page.button(key=f"remove-{k}").click())
    [warning] = messages(page, "warning")
    assert "This cannot be undone" in warning and fmt.md(STORED) in warning
    assert (Path(library.corpus) / STORED).exists()  # nothing happens before the confirmation
    run(page.button(key=f"cancel-remove-{k}").click())
    assert not messages(page, "warning") and (Path(library.corpus) / STORED).exists()

    run(page.button(key=f"remove-{k}").click())
    run(page.button(key=f"confirm-remove-{k}").click())
    assert not (Path(library.corpus) / STORED).exists()
    assert any("Removed" in s and "no longer cite" in s for s in messages(page, "success"))
    assert "Reports in the library (2)" in messages(page, "subheader")
    assert all(b.key != f"remove-{k}" for b in page.button)

    # A file in the folder that is not in the index is listed with the reason, and can be removed too.
    assert "Files not in the index (1)" in messages(page, "subheader")
    assert any(fmt.md("scanned-minutes.txt: not UTF-8 text") in m for m in messages(page, "markdown"))
    sk = fmt.doc_key(stray.name)
    run(page.button(key=f"remove-{sk}").click())
    run(page.button(key=f"confirm-remove-{sk}").click())
    assert not stray.exists() and "Files not in the index (1)" not in messages(page, "subheader")

    # The chat drops it from the list and from a filter that named it, and never cites it again.
    run(chat)
    assert "Indexed reports (2)" in messages(chat.sidebar, "subheader") and "Riverside" not in sidebar_text(chat)
    assert chat.sidebar.multiselect(key="filter_sources").value == [KEPT]
    run(chat.sidebar.multiselect(key="filter_sources").set_value([]))
    answer = ask(chat, RIVERSIDE_Q)[0].answer
    assert all(c.source != STORED for c in answer.citations + answer.related)

    # The last report cannot be removed.
    changes.remove_and_reindex(bot, KEPT)
    page = start(MANAGE)
    [only] = [b for b in page.button if b.key and b.key.startswith("remove-")]
    assert only.disabled


def test_edit_catalog_details_and_the_citation_shows_them(library: Settings) -> None:
    bot = Assistant(library)
    changes.add_documents(bot, [("Riverside Youth Hub.txt", RIVERSIDE)])
    page = start(MANAGE)
    k = fmt.doc_key(STORED)
    run(page.button(key=f"edit-{k}").click())
    assert page.text_input(key=f"title-{k}").value == "Riverside Youth Hub: first year"  # what citations show now

    # A date that is not YYYY[-MM[-DD]] is refused; nothing is written.
    page.text_input(key=f"published-{k}").input("March 2024")
    run(page.button(key=f"save-{k}").click())
    assert any(fmt.md("is not a date as YYYY, YYYY-MM or YYYY-MM-DD") in e for e in messages(page, "error"))
    assert not (Path(library.corpus) / "catalog.toml").exists()

    title, org = 'Riverside "Hub" — first year report', "Fife Council \\ Children's Services"
    page.text_input(key=f"title-{k}").input(title)
    page.text_input(key=f"org-{k}").input(org)
    page.text_input(key=f"published-{k}").input("2024-04-30")
    run(page.button(key=f"save-{k}").click())
    assert any("Saved the details" in s for s in messages(page, "success"))
    assert catalog.catalog_entry(library.corpus, STORED) == {"title": title, "organisation": org,
                                                              "published": "2024-04-30"}
    assert all(b.key != f"save-{k}" for b in page.button)  # the form closed

    chat = start()
    item, msg = ask(chat, RIVERSIDE_Q)
    c = item.answer.citations[0]
    assert (c.source, c.title, c.organisation, c.published) == (STORED, title, org, "2024-04-30")
    assert any(fmt.md(title) in m.value for m in msg.markdown)
    assert any(fmt.md(org) in cap.value and "30 April 2024" in cap.value for cap in msg.caption)
    assert any(fmt.md(title) in m for m in messages(chat.sidebar, "markdown"))


def test_a_change_answer_shows_its_series_as_a_chart(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_CORPUS", str(settings.corpus))
    monkeypatch.setenv("ASSISTANT_INDEX", str(settings.index))
    at = start()
    item, msg = ask(at, "How has the number of children in external residential care changed?")
    series = item.answer.series
    assert series and len(series["points"]) >= 2
    assert "| When | Value | Reported by |" in msg.markdown[0].value  # the table stays as it was

    [chart] = list(msg.get("vega_lite_chart"))
    spec = json.loads(chart.proto.spec)
    rows = pa.ipc.open_stream(chart.proto.data.data).read_all().to_pylist()  # the chart's data, as sent
    assert [r["When"] for r in rows] == [p["period"] for p in series["points"]]  # in the given order
    assert [r["Value"] for r in rows] == [p["value"] for p in series["points"]]
    for r, p in zip(rows, series["points"]):
        refs = "".join(f"[{m}]" for m in p["markers"])
        assert r["Citations"] == refs and refs in r["Label"]  # markers drawn beside each point
        assert p["organisation"] in r["Reported by"]  # and who reported it, in the tooltip
    layers = spec["layer"]
    assert {layer["mark"]["type"] for layer in layers} == {"line", "point", "text"}
    assert layers[0]["encoding"]["x"]["sort"] == [r["When"] for r in rows]
    assert {t["field"] for t in layers[0]["encoding"]["tooltip"]} >= {"Citations", "Reported by"}
    assert chart.proto.alt.startswith("Chart of ") and "[1]" in chart.proto.alt  # for screen readers
    assert any("numbers in brackets are its citations" in c.value for c in msg.caption)

    # An answer that is not about change has no chart.
    item, msg = ask(at, "Who leads the edge of care offer and by when?")
    assert not item.answer.series and not list(msg.get("vega_lite_chart"))
