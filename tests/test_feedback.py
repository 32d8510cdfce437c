"""The feedback store: one row per answer, SQLite beside the index, CSV export."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest

from assistant.api import Assistant
from assistant.records.feedback import FeedbackStore


def test_round_trip_with_a_real_answer(bot: Assistant, tmp_path: Path) -> None:
    answer = bot.ask("What happened to external residential numbers?")
    store = FeedbackStore.beside_index(tmp_path / "index")
    row = store.record(session_id="s", turn_id="t1", answer=answer, rating="up", comment="  clear and cited ",
                       filters={"organisations": ["Dundee City Council"]})

    assert store.path == tmp_path / "index" / "feedback.sqlite" and store.path.is_file()
    [entry] = store.entries()
    assert entry.id == row and entry.rating == "up" and entry.thumb == "👍"
    assert entry.comment == "clear and cited"
    assert entry.question == answer.question and entry.answer == answer.answer and not entry.abstained
    assert entry.citations == [c.to_dict() for c in answer.citations]
    assert entry.citations[0]["text"] == answer.citations[0].text  # verbatim span kept
    assert entry.filters == {"organisations": ["Dundee City Council"]}
    assert entry.created_at.endswith("+00:00")

    # The raw table is readable by evaluators with nothing but sqlite3.
    with sqlite3.connect(store.path) as conn:
        q, cites, ts = conn.execute("SELECT question, citations_json, created_at FROM feedback").fetchone()
    assert q == answer.question and json.loads(cites)[0]["source"] == answer.citations[0].source and ts


def test_later_feedback_on_the_same_answer_updates_one_row(bot: Assistant, tmp_path: Path) -> None:
    answer = bot.ask("How much does an in-house foster parent cost?")
    store = FeedbackStore(tmp_path / "fb.sqlite")
    store.record(session_id="s", turn_id="t1", answer=answer, rating="down")
    store.record(session_id="s", turn_id="t1", answer=answer, comment="wrong year")  # comment keeps the thumb
    store.record(session_id="s", turn_id="t1", answer=answer, rating="up")  # thumb keeps the comment
    store.record(session_id="s", turn_id="t2", answer=answer, rating="down")
    store.record(session_id="other", turn_id="t1", answer=answer)

    entries = store.entries()
    assert len(entries) == 3
    first = next(e for e in entries if (e.session_id, e.turn_id) == ("s", "t1"))
    assert (first.rating, first.comment) == ("up", "wrong year")
    assert [e.turn_id for e in store.entries("down")] == ["t2"]

    store.clear_rating("s", "t1")
    assert next(e for e in store.entries() if e.id == first.id).rating is None


def test_csv_export_and_bad_rating(bot: Assistant, tmp_path: Path) -> None:
    answer = bot.ask("What is the weather forecast for Dundee this weekend?")
    store = FeedbackStore(tmp_path / "fb.sqlite")
    assert store.entries() == [] and not store.path.exists()  # reading creates nothing
    store.record(session_id="s", turn_id="t", answer=answer, rating="down", comment='says "nothing", fine')

    rows = list(csv.DictReader(io.StringIO(store.to_csv())))
    assert len(rows) == 1
    assert rows[0]["rating"] == "down" and rows[0]["comment"] == 'says "nothing", fine'
    assert rows[0]["abstained"] == "True" and rows[0]["question"] == answer.question
    assert json.loads(rows[0]["citations"]) == []

    with pytest.raises(ValueError):
        store.record(session_id="s", turn_id="t", answer=answer, rating="meh")
