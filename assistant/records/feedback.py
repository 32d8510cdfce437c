"""Evaluator feedback on answers: thumbs up/down and a comment, kept in SQLite.

    from assistant.feedback import FeedbackStore
    store = FeedbackStore.beside_index(settings.index)      # <index>/feedback.sqlite
    store.record(session_id="s1", turn_id="t1", answer=answer, rating="up", comment="clear")
    print(store.to_csv())

One row per answer (session_id, turn_id): a later thumb or comment on the same answer
updates that row rather than adding another, so counts mean "answers rated". Plain
stdlib sqlite3, one short connection per call, so it is safe from Streamlit's threads.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from ..core.types import Answer

FILE_NAME = "feedback.sqlite"


Rating = Literal["up", "down"]


RATINGS: tuple[str, ...] = ("up", "down")


_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id     TEXT NOT NULL,
    turn_id        TEXT NOT NULL,
    created_at     TEXT NOT NULL,      -- UTC, ISO 8601, when the answer was first rated
    updated_at     TEXT NOT NULL,      -- UTC, ISO 8601, last change
    rating         TEXT CHECK (rating IN ('up', 'down') OR rating IS NULL),
    comment        TEXT NOT NULL DEFAULT '',
    question       TEXT NOT NULL,
    answer         TEXT NOT NULL,
    abstained      INTEGER NOT NULL,
    citations_json TEXT NOT NULL,      -- Citation.to_dict() list: source, offsets, verbatim text
    filters_json   TEXT NOT NULL DEFAULT '{}',
    UNIQUE (session_id, turn_id)
)
"""


@dataclass
class FeedbackEntry:
    """One stored row."""

    id: int
    session_id: str
    turn_id: str
    created_at: str
    updated_at: str
    rating: str | None
    comment: str
    question: str
    answer: str
    abstained: bool
    citations: list[dict[str, Any]]
    filters: dict[str, Any]

    @property
    def thumb(self) -> str:
        return {"up": "👍", "down": "👎"}.get(self.rating or "", "")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class FeedbackStore:
    """Feedback rows in one SQLite file; the file and its folder are created on first use."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    @classmethod
    def beside_index(cls, index_dir: Path | str) -> "FeedbackStore":
        """The store at <index folder>/feedback.sqlite."""
        return cls(Path(index_dir) / FILE_NAME)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10)
        conn.row_factory = sqlite3.Row
        conn.execute(_SCHEMA)
        return conn

    def record(self, *, session_id: str, turn_id: str, answer: Answer, rating: str | None = None,
               comment: str | None = None, filters: dict[str, Any] | None = None) -> int:
        """Insert or update the feedback on one answer; returns the row id.

        `rating` None leaves a stored rating as it is (a comment alone does not clear a thumb);
        `comment` None likewise leaves the stored comment.
        """
        if rating is not None and rating not in RATINGS:
            raise ValueError(f"rating must be one of {RATINGS} or None, not {rating!r}")
        now = _now()
        row = {
            "session_id": session_id, "turn_id": turn_id, "created_at": now, "updated_at": now,
            "rating": rating, "comment": (comment or "").strip(), "question": answer.question,
            "answer": answer.answer, "abstained": int(answer.abstained),
            "citations_json": json.dumps([c.to_dict() for c in answer.citations], ensure_ascii=False),
            "filters_json": json.dumps(filters or {}, ensure_ascii=False),
        }
        conn = self._connect()
        try:
            with conn:
                conn.execute(
                    """INSERT INTO feedback (session_id, turn_id, created_at, updated_at, rating, comment, question,
                                             answer, abstained, citations_json, filters_json)
                       VALUES (:session_id, :turn_id, :created_at, :updated_at, :rating, :comment, :question,
                               :answer, :abstained, :citations_json, :filters_json)
                       ON CONFLICT (session_id, turn_id) DO UPDATE SET
                           updated_at = excluded.updated_at,
                           rating = COALESCE(excluded.rating, feedback.rating),
                           comment = CASE WHEN :keep_comment THEN feedback.comment ELSE excluded.comment END""",
                    {**row, "keep_comment": comment is None},
                )
                found = conn.execute("SELECT id FROM feedback WHERE session_id = ? AND turn_id = ?",
                                     (session_id, turn_id)).fetchone()
            return int(found["id"])
        finally:
            conn.close()

    def clear_rating(self, session_id: str, turn_id: str) -> None:
        """Forget the thumb on one answer (the evaluator un-clicked it); the comment stays."""
        conn = self._connect()
        try:
            with conn:
                conn.execute("UPDATE feedback SET rating = NULL, updated_at = ? WHERE session_id = ? AND turn_id = ?",
                             (_now(), session_id, turn_id))
        finally:
            conn.close()

    def entries(self, rating: str | None = None) -> list[FeedbackEntry]:
        """All rows, newest first; only those with `rating` when given."""
        if not self.path.exists():
            return []
        conn = self._connect()
        try:
            sql, args = "SELECT * FROM feedback", ()
            if rating is not None:
                sql, args = sql + " WHERE rating = ?", (rating,)
            rows = conn.execute(sql + " ORDER BY updated_at DESC, id DESC", args).fetchall()
        finally:
            conn.close()
        return [FeedbackEntry(
            id=r["id"], session_id=r["session_id"], turn_id=r["turn_id"], created_at=r["created_at"],
            updated_at=r["updated_at"], rating=r["rating"], comment=r["comment"], question=r["question"],
            answer=r["answer"], abstained=bool(r["abstained"]), citations=json.loads(r["citations_json"]),
            filters=json.loads(r["filters_json"]),
        ) for r in rows]

    def to_csv(self, rating: str | None = None) -> str:
        """The rows as CSV (citations and filters as JSON text), newest first."""
        out = io.StringIO()
        fields = ["id", "created_at", "updated_at", "rating", "comment", "question", "answer", "abstained",
                  "citations", "filters", "session_id", "turn_id"]
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        for e in self.entries(rating):
            d = asdict(e)
            d["citations"] = json.dumps(e.citations, ensure_ascii=False)
            d["filters"] = json.dumps(e.filters, ensure_ascii=False)
            writer.writerow({k: d[k] for k in fields})
        return out.getvalue()
