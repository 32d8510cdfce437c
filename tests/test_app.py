"""The Streamlit app through streamlit.testing's AppTest: the real app.py, model, corpus and index.

The app reads ASSISTANT_CORPUS / ASSISTANT_INDEX, so each test points it at a fixture index
with monkeypatch.setenv; the shared Assistant is cached per configuration.
"""

from __future__ import annotations

import html
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit.testing.v1.app_test as app_test_module
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from assistant.api import Assistant
from assistant.core.settings import Settings
from assistant.records.feedback import FeedbackStore
from assistant.ui import format as fmt
from assistant.ui import state

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
FEEDBACK_PAGE = ROOT / "app_pages" / "1_Feedback.py"
TIMEOUT = 180  # seconds; AppTest's default of 3 s is far below a first model load on a shared CPU


class KeptMediaStorage(MemoryMediaFileStorage):
    """AppTest throws its media store away after each run; keep it so downloads can be read back."""

    last: "KeptMediaStorage | None" = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        KeptMediaStorage.last = self


@pytest.fixture()
def use_index(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Point the app at an index: use_index(settings)."""

    def point(s: Settings) -> None:
        monkeypatch.setenv("ASSISTANT_CORPUS", str(s.corpus))
        monkeypatch.setenv("ASSISTANT_INDEX", str(s.index))

    yield point


@pytest.fixture()
def app(settings: Settings, use_index: Any) -> AppTest:
    """The chat page on the full real-corpus index, after its first run."""
    use_index(settings)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    return at


def ask(at: AppTest, question: str) -> Any:
    """Type a question into the chat box and send it; returns the last assistant message."""
    at.chat_input(key="question").set_value(question).run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    return assistant_messages(at)[-1]


def assistant_messages(at: AppTest) -> list[Any]:
    return [m for m in at.chat_message if m.name == "assistant"]


def chat(at: AppTest) -> fmt.ChatSession:
    return at.session_state["chat"]


def passages_html(block: Any, kind: str = "pa-cite") -> list[str]:
    return [h.value for h in block.html if f'class="{kind}"' in h.value]


def visible_text(node: Any) -> Iterator[tuple[str, str]]:
    """(element type, text as sent to the browser) for every element in the tree, depth first."""
    kind = getattr(node, "type", "")
    for attr in ("value", "label", "body", "placeholder", "help"):
        try:
            v = getattr(node, attr)
        except Exception:  # noqa: BLE001 - not every element has every field
            continue
        if isinstance(v, str) and v:
            yield kind, v
    for child in getattr(node, "children", {}).values():
        yield from visible_text(child)


# --- asking -------------------------------------------------------------------------------


def test_first_page_explains_itself(app: AppTest) -> None:
    assert app.title[0].value == "Plan Assistant"
    assert "citation" in app.caption[0].value
    assert any("How to use it" in m.value for m in app.markdown)
    examples = [b.label for b in app.sidebar.button if b.key and b.key.startswith("example-")]
    assert examples == [fmt.md(q) for q in state.example_questions(state.get_assistant())] and len(examples) == 4
    # Every indexed document is listed with its organisation, date and passage count.
    sidebar_text = " ".join(m.value for m in app.sidebar.markdown) + " ".join(c.value for c in app.sidebar.caption)
    assert "Indexed reports (5)" in [h.value for h in app.sidebar.subheader]
    assert "19 February 2025" in sidebar_text and "Dorset County Council" in sidebar_text and "passages" in sidebar_text
    assert app.sidebar.button(key="new-conversation").disabled  # nothing to clear yet


def test_answer_with_citation_cards_and_the_whole_report(app: AppTest, bot: Assistant) -> None:
    msg = ask(app, "What happened to external residential numbers?")
    item = chat(app).items[-1]
    answer = item.answer
    assert answer is not None and not answer.abstained and answer.citations

    body = msg.markdown[0].value
    assert re.search(r"\*\*(\\\[\d+\\\])*\\\[1\\\]", body)  # marker shown, escaped, in bold
    assert "external residential care" in body

    # One card per citation: title, organisation and a human date, the passage with its used sentences marked.
    cards = passages_html(msg)
    assert len(cards) == len(answer.citations)
    for c, card in zip(answer.citations, cards):
        assert any(fmt.md(c.title) in m.value and f"\\[{c.marker}\\]" in m.value for m in msg.markdown)
        assert any(fmt.md(c.organisation) in cap.value and fmt.md(fmt.human_date(c.published)) in cap.value
                   for cap in msg.caption)
        assert '<mark class="pa-used">' in card
        assert html.unescape(re.sub(r"<[^>]+>", "", card)) == c.text  # verbatim, nothing added or lost
    assert any("Answered in" in cap.value for cap in msg.caption)

    # "Read it in the full report" opens the whole text with the cited span marked.
    msg.button[0].click().run(timeout=TIMEOUT)
    assert not app.exception
    [report] = [h.value for h in app.html if 'class="pa-report"' in h.value]
    c = answer.citations[0]
    full = bot.source_text(c.source)
    assert html.unescape(re.sub(r"<script>.*?</script>|<[^>]+>", "", report, flags=re.S)) == full
    cited = re.search(r'<mark class="pa-cited" id="([\w-]+)-mark">(.*?)</mark>(?!</mark>)', report, re.S)
    assert cited and html.unescape(re.sub(r"<[^>]+>", "", cited.group(2))) == full[c.char_start:c.char_start + len(
        html.unescape(re.sub(r"<[^>]+>", "", cited.group(2))))]
    assert f'getElementById("{cited.group(1)}-mark")' in report  # the view scrolls to it


def test_follow_up_uses_the_conversation(app: AppTest) -> None:
    ask(app, "How did the number of children in Kinship Care change?")
    follow = ask(app, "And in external residential care?")
    conversation = chat(app).conversation
    assert len(conversation.turns) == 2
    assert "external residential care" in follow.markdown[0].value
    assert len(assistant_messages(app)) == 2  # both exchanges stay on the page


def test_example_question_button_asks_it(app: AppTest) -> None:
    app.sidebar.button(key="example-2").click().run(timeout=TIMEOUT)
    assert not app.exception
    assert chat(app).items[-1].question == state.example_questions(state.get_assistant())[2]
    assert passages_html(assistant_messages(app)[-1])


def test_abstention_shows_related_reading_not_citations(app: AppTest) -> None:
    msg = ask(app, "What is the weather forecast for Dundee this weekend?")
    answer = chat(app).items[-1].answer
    assert answer is not None and answer.abstained and not answer.citations and answer.related
    assert "do not say" in msg.warning[0].value
    assert not passages_html(msg, "pa-cite")  # no citation cards
    [exp] = [e for e in msg.expander if "Related reading" in e.label]
    assert "not citations" in exp.label
    related = passages_html(exp, "pa-related")
    assert len(related) == len(answer.related)
    assert not any(re.search(r"\\\[\d+\\\]", m.value) for m in exp.markdown)  # no [n] markers on them


def test_filters_restrict_the_next_answers(app: AppTest) -> None:
    app.sidebar.multiselect(key="filter_orgs").set_value(["Dorset County Council"]).run(timeout=TIMEOUT)
    msg = ask(app, "How many children are in care?")
    item = chat(app).items[-1]
    assert item.answer is not None and item.answer.citations
    assert {c.organisation for c in item.answer.citations} == {"Dorset County Council"}
    assert item.filters["organisations"] == ["Dorset County Council"]
    assert any("Dorset County Council" in cap.value for cap in msg.caption)  # the answer says it was limited

    app.sidebar.multiselect(key="filter_orgs").set_value([]).run(timeout=TIMEOUT)
    app.sidebar.multiselect(key="filter_years").set_value([2023]).run(timeout=TIMEOUT)
    ask(app, "What happened to external residential numbers?")
    answer = chat(app).items[-1].answer
    assert answer is not None and answer.citations
    assert {c.published[:4] for c in answer.citations} == {"2023"}

    app.sidebar.multiselect(key="filter_years").set_value([]).run(timeout=TIMEOUT)
    source = "dundee-ijb-our-promise-2023-26-annual-update-2025.md"
    app.sidebar.multiselect(key="filter_sources").set_value([source]).run(timeout=TIMEOUT)
    ask(app, "What happened to external residential numbers?")
    answer = chat(app).items[-1].answer
    assert answer is not None and {c.source for c in answer.citations} == {source}


def test_new_conversation_clears_the_chat(app: AppTest) -> None:
    ask(app, "What happened to external residential numbers?")
    assert assistant_messages(app)
    app.sidebar.button(key="new-conversation").click().run(timeout=TIMEOUT)
    assert not app.exception
    assert not app.chat_message
    assert chat(app).items == [] and chat(app).conversation.turns == []
    assert any("How to use it" in m.value for m in app.markdown)
    assert app.sidebar.button(key="new-conversation").disabled
    # A question after the reset is not read as a follow-up of the forgotten one.
    ask(app, "And in Kinship Care?")
    assert len(chat(app).conversation.turns) == 1


def test_bad_questions_are_messages_not_tracebacks(app: AppTest) -> None:
    for question, expected in [("", "empty"), ("   ", "empty"), ("x" * 20_000, "limit is"),
                               ("!!! ??? ...", "no words")]:
        msg = ask(app, question)
        assert not app.exception
        assert expected in msg.error[0].value, (question[:20], msg.error[0].value)
    # The 20,000-character question is not echoed in full.
    user_bubbles = [m for m in app.chat_message if m.name == "user"]
    assert "more characters" in user_bubbles[2].markdown[0].value
    assert all(i.answer is None for i in chat(app).items)
    # The conversation still works afterwards.
    ask(app, "What happened to external residential numbers?")
    after = chat(app).items[-1].answer
    assert after is not None and not after.abstained and "external residential care" in after.answer
    assert after.citations and after.citations[0].marker == 1


# --- export and feedback ------------------------------------------------------------------


def test_export_markdown_and_json_hold_full_citations(app: AppTest, bot: Assistant,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", KeptMediaStorage)
    assert not app.sidebar.download_button  # nothing to export yet
    ask(app, "What happened to external residential numbers?")
    ask(app, "What is the weather forecast for Dundee this weekend?")
    items = chat(app).items

    def downloaded(key: str) -> str:
        url = app.sidebar.download_button(key=key).proto.url
        assert KeptMediaStorage.last is not None
        return KeptMediaStorage.last.get_file(url.rsplit("/", 1)[1]).content.decode("utf-8")

    markdown, data = downloaded("export-md"), json.loads(downloaded("export-json"))
    answered = items[0].answer
    assert answered is not None and answered.citations
    for c in answered.citations:
        assert c.text == bot.source_text(c.source)[c.char_start:c.char_end]
        assert c.source in markdown and f"characters {c.char_start}–{c.char_end}" in markdown
        assert f"```text\n{c.text}\n```" in markdown  # verbatim, fenced
    assert "What is the weather forecast" in markdown and "Related reading (not citations)" in markdown

    assert [t["question"] for t in data["turns"]] == [i.question for i in items]
    exported = data["turns"][0]["citations"]
    assert [(e["source"], e["char_start"], e["char_end"], e["text"]) for e in exported] == [
        (c.source, c.char_start, c.char_end, c.text) for c in answered.citations]
    assert data["turns"][1]["abstained"] is True and data["turns"][1]["related"]
    assert data["turns"][0]["asked_at"] and "filters" in data["turns"][0]


def test_feedback_is_stored_in_sqlite_and_listed(app: AppTest, settings: Settings, use_index: Any) -> None:
    msg = ask(app, "How much does an in-house foster parent cost?")
    item = chat(app).items[-1]
    session = chat(app).session_id

    msg.feedback[0].set_value(0).run(timeout=TIMEOUT)  # thumbs down
    assert not app.exception
    db = Path(settings.index) / "feedback.sqlite"
    assert db.is_file()
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT rating, question, answer, citations_json, created_at FROM feedback "
                            "WHERE session_id = ? AND turn_id = ?", (session, item.id)).fetchall()
    assert len(rows) == 1
    rating, question, answer_text, cites, created = rows[0]
    assert (rating, question) == ("down", item.question) and answer_text == item.answer.answer and created
    assert [c["text"] for c in json.loads(cites)] == [c.text for c in item.answer.citations]

    msg = assistant_messages(app)[-1]
    msg.text_area(key=f"fbtext-{item.id}").input("The figure needs the year it refers to.")
    msg.button(key=f"fbsend-{item.id}").click().run(timeout=TIMEOUT)
    assert not app.exception
    [entry] = [e for e in FeedbackStore(db).entries() if e.session_id == session and e.turn_id == item.id]
    assert (entry.rating, entry.comment) == ("down", "The figure needs the year it refers to.")

    page = AppTest.from_file(str(FEEDBACK_PAGE), default_timeout=TIMEOUT)
    page.run(timeout=TIMEOUT)
    assert not page.exception
    table = page.dataframe[0].value
    assert "The figure needs the year it refers to." in set(table["Comment"])
    assert page.download_button[0].label.endswith("CSV")


# --- untrusted text -----------------------------------------------------------------------

HOSTILE = ("Foster care allowances rose to £450 a week for each in-house foster parent "
           "<script>alert(1)</script> according to the finance team <img src=x onerror=alert(1)>. ")


def write_hostile_corpus(root: Path) -> Settings:
    """A corpus whose report, title and organisation carry HTML and Markdown payloads; not yet indexed."""
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "hostile.txt").write_text(
        "Foster care costs\n\n" + HOSTILE + "The council will review [the rates](javascript:alert(1)) in 2025.\n\n"
        "Kinship care\n\nThe number of children in kinship care increased from 108 to 125 during the year. "
        "Support for kinship carers was extended with **new** training and $5 vouchers.\n", encoding="utf-8")
    (corpus / "catalog.toml").write_text(
        '["hostile.txt"]\ntitle = "Care <b>costs</b> <script>alert(2)</script>"\n'
        'organisation = "[Evil Council](javascript:alert(3)) <img src=y onerror=alert(3)>"\npublished = "2024-03-05"\n',
        encoding="utf-8")
    return Settings(corpus=corpus, index=root / "index")


@pytest.fixture()
def hostile_index(tmp_path: Path) -> Settings:
    return write_hostile_corpus(tmp_path)


def _unescaped_tags(kind: str, text: str) -> list[str]:
    """Payload tags that would reach the browser as markup rather than as text."""
    if kind == "html":
        # Our HTML escapes every byte of untrusted text; its only tags are ours (div, mark, style, our script).
        tags = re.findall(r"<\s*([a-zA-Z]+)", text)
        return [t for t in tags if t.lower() not in {"div", "mark", "style", "script"}] + re.findall(
            r"<script>[^<]*alert", text)
    # Markdown: a payload's "<" or "[" must be backslash-escaped, or Markdown would act on it.
    return re.findall(r"(?<!\\)<\s*(?:script|img|b)\b", text) + re.findall(r"(?<!\\)\[(?:Evil|the rates)", text)


def test_html_and_markdown_in_reports_and_questions_show_as_text(hostile_index: Settings, use_index: Any) -> None:
    use_index(hostile_index)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run(timeout=TIMEOUT)  # no index yet: the app builds it under a progress bar
    assert not at.exception, at.exception
    assert at.get("progress") and any("Indexed" in s.value for s in at.success)
    assert (Path(hostile_index.index) / "manifest.json").is_file()

    msg = ask(at, "How much does an in-house foster parent cost? <img src=q onerror=alert(4)>")
    answer = chat(at).items[-1].answer
    assert answer is not None and answer.citations, answer
    assert "<script>alert(1)</script>" in answer.citations[0].text  # the payload is really in what is shown
    msg.button[0].click().run(timeout=TIMEOUT)  # and in the whole-report view
    assert not at.exception

    seen = list(visible_text(at._tree))
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in text for kind, text in seen if kind == "html")
    assert any("&lt;img src=x onerror=alert(1)&gt;" in text for kind, text in seen if kind == "html")
    assert any("\\<img src\\=q onerror\\=alert\\(4\\)\\>" in text for kind, text in seen if kind == "markdown")
    bad = [(kind, text[:120]) for kind, text in seen if _unescaped_tags(kind, text)]
    assert not bad, bad


def test_markdown_escaping_is_literal() -> None:
    """Unit check of the escaper the app relies on for every untrusted string."""
    hostile = "<script>x</script> *a* _b_ [l](javascript:x) `c` $d$ :red[e] # f\n- g\n1. h | i ~~j~~ &amp; <img/>"
    escaped = fmt.md(hostile)
    assert not re.search(r"(?<!\\)[<>\[\]*_`$#|~&]", escaped)
    assert re.sub(r"\\(.)", r"\1", escaped.replace("  \n", "\n")) == hostile  # nothing lost
    assert fmt.answer_markdown("Lead [1]\n- one [2][3]\n- two <b> [4]").splitlines() == [
        "Lead **\\[1\\]**", "", "- one **\\[2\\]\\[3\\]**", "- two \\<b\\> **\\[4\\]**"]
    table = "Timeline — children in care:\n\n| When | Value |\n|---|---|\n| 2016 | 466 <b> [1] |"
    assert fmt.answer_markdown(table).splitlines()[2:] == [
        "| When | Value |", "|---|---|", "| 2016 | 466 \\<b\\> **\\[1\\]** |"]
    assert fmt.highlight_html("a<b>c", [([(1, 4)], "pa-used")]) == 'a<mark class="pa-used">&lt;b&gt;</mark>c'
    assert [fmt.human_date(d) for d in ("2025-02-19", "2021-05", "2023", "", "soon")] == [
        "19 February 2025", "May 2021", "2023", "date not stated", "soon"]
