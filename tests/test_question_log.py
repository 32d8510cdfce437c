"""The question log (records/questions.py) and the pure rules of visibility (core/visibility.py): fast, no model."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from assistant.core.errors import BadSetting, BadVisibility
from assistant.core.identity import Viewer
from assistant.core.settings import load_settings
from assistant.core.terms import content_terms
from assistant.core.visibility import audience_levels, check_visibility, known_audiences, parse_groups, visible
from assistant.ingest.visibility import wanted
from assistant.records.questions import QuestionEntry, QuestionLog, group_unanswered, to_csv

GROUPS = {"finance": ("fin@council.example",), "board": ("fin@council.example", "chair@council.example")}


def entry(question: str, abstained: bool = False, key: str = "", at: str = "") -> QuestionEntry:
    return QuestionEntry(question=question, answer="The indexed reports do not say." if abstained else "It is 5. [1]",
                         abstained=abstained, citations=[] if abstained else [
                             {"marker": 1, "source": "a.md", "char_start": 3, "char_end": 9}],
                         filters={"years": [2024]}, seconds=0.05, asker_key=key, at=at)


def test_visibility_values_and_groups() -> None:
    assert check_visibility(" Editors ", GROUPS) == "editors"
    assert check_visibility("group:finance", GROUPS) == "group:finance"
    with pytest.raises(BadVisibility, match="no group “payroll”.*known groups: board, finance"):
        check_visibility("group:payroll", GROUPS)
    with pytest.raises(BadVisibility, match="not a visibility"):
        check_visibility("secret", GROUPS)
    assert parse_groups('{"finance": "A@X.org, b@x.org"}') == {"finance": ("a@x.org", "b@x.org")}
    with pytest.raises(ValueError):
        parse_groups('{"finance": ["not an address"]}')
    with pytest.raises(BadSetting, match="ASSISTANT_GROUPS"):
        load_settings(groups="[1, 2]")


def test_who_sees_what() -> None:
    editor = Viewer(id="ed@council.example", role="editor")
    member, reader = Viewer(id="fin@council.example"), Viewer(id="someone@council.example")
    assert audience_levels(editor, GROUPS) is None and audience_levels(Viewer.local(), GROUPS) is None
    assert audience_levels(Viewer.anonymous(), GROUPS) == {"public"}
    assert audience_levels(reader, GROUPS) == {"public", "signed-in"}
    assert audience_levels(member, GROUPS) == {"public", "signed-in", "group:finance", "group:board"}
    assert visible(None, "editors") and visible({"public"}, "") and not visible({"public"}, "signed-in")
    assert len(known_audiences(GROUPS)) == 4  # visitors, signed-in, fin (two groups), chair (one)
    # catalog.toml edited by hand: a value that is no visibility hides the report rather than publish it.
    catalog = {"a.md": {"visibility": "Signed-In"}, "b.md": {"visibility": "secret"}, "c.md": {}}
    assert [wanted(catalog, s) for s in ("a.md", "b.md", "c.md", "d.md")] == ["signed-in", "editors", "public",
                                                                             "public"]


def test_the_log_records_searches_groups_and_clears(tmp_path: Path) -> None:
    log = QuestionLog.beside_index(tmp_path)
    assert log.entries() == [] and not log.path.exists()  # reading never creates it
    me, other = log.asker_key("me@council.example"), log.asker_key("other@council.example")
    assert me and me != other and me == QuestionLog.beside_index(tmp_path).asker_key("me@council.example")
    assert "me@council.example" not in me
    log.record(entry("How many kinship carers are there?", key=me))
    log.record(entry("What do kinship carers get paid?", abstained=True, key=me))
    log.record(entry("How much is the road maintenance budget?", abstained=True, key=other))
    log.record(entry("Road gritting routes 100%_done?", abstained=True))
    assert [e.question for e in log.entries()][0] == "Road gritting routes 100%_done?"  # newest first
    assert [e.question for e in log.entries(search="KINSHIP")] == ["What do kinship carers get paid?",
                                                                   "How many kinship carers are there?"]
    assert len(log.entries(search="100%_")) == 1 and log.entries(search="k%s") == []  # LIKE wildcards are text
    assert len(log.entries(unanswered=True)) == 3
    groups = group_unanswered(log.entries(unanswered=True), content_terms)
    assert groups[0][0] == "road" and len(groups[0][1]) == 2
    assert len(log.entries(asker_key=me)) == 2
    assert log.entries()[-1].citations == [{"marker": 1, "source": "a.md", "char_start": 3, "char_end": 9}]
    text = to_csv(log.entries())
    assert text.splitlines()[0].startswith("at,asker,via,conversation,turn,follows,question,answer,abstained")
    assert "a.md:3-9" in text
    assert log.clear(me) == 2 and len(log.entries()) == 2 and log.clear("") == 0
    log.record(entry("An old question", at="2020-01-01T00:00:00+00:00"))
    assert log.delete_older_than(90) == 1 and len(log.entries()) == 2
    with sqlite3.connect(log.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_write_killed_midway_loses_nothing_else(tmp_path: Path) -> None:
    log = QuestionLog.beside_index(tmp_path)
    for i in range(5):
        log.record(entry(f"Question {i}"))
    # A writer killed inside its transaction (SIGKILL: no clean-up of any kind).
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sqlite3, sys, time
        conn = sqlite3.connect({str(log.path)!r}, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("BEGIN")
        for i in range(2000):
            conn.execute("INSERT INTO questions (at, question, answer, abstained) VALUES ('2030', 'half', '', 0)")
        print("writing", flush=True)
        time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "writing"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    with sqlite3.connect(log.path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert [e.question for e in log.entries()] == [f"Question {i}" for i in reversed(range(5))]
    log.record(entry("After the crash"))
    assert len(log.entries()) == 6


def test_who_reads_and_clears_which_questions(tmp_path: Path) -> None:
    from assistant.answer.retrieve import Filters
    from assistant.api import Assistant
    from assistant.core.errors import NotAllowed
    from assistant.core.settings import Settings
    from assistant.core.types import Answer

    def bot(mode: str) -> Assistant:
        return Assistant(Settings(corpus=tmp_path / "corpus", index=tmp_path / "index", question_log=mode))

    reader, other = Viewer(id="me@council.example"), Viewer(id="other@council.example")
    editor, visitor = Viewer(id="ed@council.example", role="editor"), Viewer.anonymous()
    for who, mode in ((reader, "anonymous"), (other, "named"), (visitor, "named"), (reader, "off")):
        bot(mode).record_question(who, Answer(question=f"asked by {who.id} ({mode})", answer="…", abstained=True),
                                  Filters(years=[2024]))
    b = bot("anonymous")
    everything = b.questions(editor)
    assert [e.question for e in everything] == ["asked by anonymous (named)", "asked by other@council.example (named)",
                                                "asked by me@council.example (anonymous)"]  # `off` recorded nothing
    assert [e.asker for e in everything] == ["", "other@council.example", ""]  # named: the address; else none
    assert everything[0].filters == {"sources": [], "organisations": [], "years": [2024]}
    assert [e.question for e in b.questions(reader)] == ["asked by me@council.example (anonymous)"]
    with pytest.raises(NotAllowed):
        b.questions(visitor)
    with pytest.raises(NotAllowed):
        b.clear_my_questions(visitor)
    assert b.clear_my_questions(reader) == 1 and b.questions(reader) == [] and len(b.questions(editor)) == 2
    assert "asked by other" in b.questions_csv(editor)
    assert [w for w, _ in b.unanswered_groups(editor)] == ["ask"]
