"""The question log: every question asked in the app (and `assistant ask --record`), with its answer,
citations, filters and time taken. SQLite beside the index (`<index>/questions.sqlite`), in WAL mode,
so a write cut short by a crash leaves the database as it was before it, and readers never wait.

    log = QuestionLog.beside_index(settings.index)
    log.record(QuestionRecord(question="…", answer="…", abstained=False, …))
    log.entries(search="kinship", unanswered=True)
    log.clear(asker)                                # a reader clears their own questions

Who asked is stored as ASSISTANT_QUESTION_LOG says: `named`, the signed-in e-mail; `anonymous` (the
default), only a keyed hash of it (`asker_key`), so that a signed-in reader can list and clear their
own questions while the log names nobody; visitors who have not signed in are not identifiable.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

FILE_NAME = "questions.sqlite"
KEY_FILE = "questions.key"  # the secret that turns an address into its asker_key (kept beside the log)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS questions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            TEXT NOT NULL,             -- UTC, ISO 8601
    asker         TEXT NOT NULL DEFAULT '',  -- the signed-in e-mail (ASSISTANT_QUESTION_LOG=named), else ''
    asker_key     TEXT NOT NULL DEFAULT '',  -- keyed hash of the signed-in e-mail ('' for visitors)
    via           TEXT NOT NULL DEFAULT 'app',
    conversation  TEXT NOT NULL DEFAULT '',  -- the conversation's id
    turn          INTEGER NOT NULL DEFAULT 1,
    follows       TEXT NOT NULL DEFAULT '',  -- the question of the turn before ('' for a first question)
    question      TEXT NOT NULL,
    answer        TEXT NOT NULL,
    abstained     INTEGER NOT NULL,
    citations     TEXT NOT NULL DEFAULT '[]',  -- JSON: [{marker, source, char_start, char_end}]
    filters       TEXT NOT NULL DEFAULT '{}',  -- JSON: {sources, organisations, years}
    seconds       REAL NOT NULL DEFAULT 0
)
"""
_INDEXES = ("CREATE INDEX IF NOT EXISTS questions_at ON questions(at)",
            "CREATE INDEX IF NOT EXISTS questions_asker_key ON questions(asker_key)")


@dataclass
class QuestionEntry:
    """One recorded question."""

    question: str
    answer: str
    abstained: bool
    citations: list[dict[str, Any]] = field(default_factory=list)
    filters: dict[str, list] = field(default_factory=dict)
    seconds: float = 0.0
    asker: str = ""
    asker_key: str = ""
    via: str = "app"
    conversation: str = ""
    turn: int = 1
    follows: str = ""
    at: str = ""
    id: int = 0


def entry_for(answer: Any, filters: dict[str, list], **who: Any) -> QuestionEntry:
    """The log entry of an Answer (core.types) asked under `filters`; `who` gives asker, asker_key, via,
    conversation, turn and follows."""
    return QuestionEntry(
        question=answer.question, answer=answer.answer, abstained=answer.abstained,
        citations=[{"marker": c.marker, "source": c.source, "char_start": c.char_start, "char_end": c.char_end}
                   for c in answer.citations],
        filters=filters, seconds=sum(answer.timings_ms.values()) / 1000, **who)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# One connection per database and process, kept open: closing the last connection to a WAL database
# checkpoints it (a sync to disk, ~10 ms), which would be paid on every question.
_CONNECTIONS: dict[str, sqlite3.Connection] = {}
_LOCK = threading.Lock()


class QuestionLog:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @contextmanager
    def _shared(self) -> Iterator[sqlite3.Connection]:
        """The process's open connection to this log (made, with the schema, on first use), for one caller at
        a time (Streamlit answers in several threads)."""
        key = str(self.path.resolve())
        with _LOCK:
            conn = _CONNECTIONS.get(key)
            if conn is not None and not self.path.exists():  # deleted under us (a test, a reset): start again
                conn.close()
                conn = None
            if conn is None:
                conn = self._connect()
                conn.close()
                conn = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
                conn.execute("PRAGMA synchronous=NORMAL")
                _CONNECTIONS[key] = conn
            yield conn

    @classmethod
    def beside_index(cls, index: Path | str) -> "QuestionLog":
        return cls(Path(index) / FILE_NAME)

    def _connect(self, create: bool = True) -> sqlite3.Connection:
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # WAL: a crash loses at most the last commits, never the file
        conn.execute(_SCHEMA)
        for statement in _INDEXES:
            conn.execute(statement)
        return conn

    def asker_key(self, email: str | None) -> str:
        """A keyed hash of `email` ('' for None): the same person gets the same key, the key names nobody."""
        if not email:
            return ""
        key_path = self.path.with_name(KEY_FILE)
        try:
            secret = key_path.read_bytes()
        except FileNotFoundError:
            key_path.parent.mkdir(parents=True, exist_ok=True)
            fresh = secrets.token_bytes(32)
            try:
                fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(fresh)
            except FileExistsError:
                pass  # another process made it first
            secret = key_path.read_bytes()
        return hmac.new(secret, email.encode(), hashlib.sha256).hexdigest()[:32]

    def record(self, entry: QuestionEntry) -> int:
        row = asdict(entry)
        row.pop("id")
        row["at"] = row["at"] or _now()
        row["abstained"] = int(bool(entry.abstained))
        row["citations"] = json.dumps(entry.citations, ensure_ascii=False)
        row["filters"] = json.dumps(entry.filters, ensure_ascii=False)
        with self._shared() as conn, conn:
            cur = conn.execute(f"INSERT INTO questions ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                               list(row.values()))
            return int(cur.lastrowid or 0)

    def entries(self, search: str | None = None, unanswered: bool = False, asker_key: str | None = None,
                limit: int | None = None) -> list[QuestionEntry]:
        """Newest first; `search` matches question or answer text (case-insensitive), `unanswered` keeps the
        abstentions, `asker_key` one person's questions. Never creates the file."""
        if not self.path.exists():
            return []
        where, args = [], []
        if search:
            where.append("(question LIKE ? ESCAPE '\\' OR answer LIKE ? ESCAPE '\\')")
            pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            args += [pattern, pattern]
        if unanswered:
            where.append("abstained = 1")
        if asker_key is not None:
            where.append("asker_key = ?")
            args.append(asker_key)
        sql = "SELECT * FROM questions" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        conn = self._connect(create=False)
        conn.row_factory = sqlite3.Row
        try:
            rows = conn.execute(sql, args).fetchall()
        finally:
            conn.close()
        out = []
        for r in rows:
            d = dict(r)
            d["abstained"] = bool(d["abstained"])
            d["citations"] = json.loads(d["citations"] or "[]")
            d["filters"] = json.loads(d["filters"] or "{}")
            out.append(QuestionEntry(**d))
        return out

    def clear(self, asker_key: str) -> int:
        """Delete one person's questions; returns how many."""
        if not asker_key or not self.path.exists():
            return 0
        conn = self._connect()
        try:
            with conn:
                return conn.execute("DELETE FROM questions WHERE asker_key = ?", (asker_key,)).rowcount
        finally:
            conn.close()

    def delete_older_than(self, days: int) -> int:
        """Delete questions recorded more than `days` days ago; returns how many."""
        if not self.path.exists():
            return 0
        cutoff = (datetime.now(timezone.utc) - timedelta(days=days)).isoformat(timespec="seconds")
        conn = self._connect()
        try:
            with conn:
                return conn.execute("DELETE FROM questions WHERE at < ?", (cutoff,)).rowcount
        finally:
            conn.close()


CSV_COLUMNS = ("at", "asker", "via", "conversation", "turn", "follows", "question", "answer", "abstained",
               "citations", "filters", "seconds")


def to_csv(entries: list[QuestionEntry]) -> str:
    """The entries as CSV (citations as source:start-end, separated by spaces; filters as JSON)."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(CSV_COLUMNS)
    for e in entries:
        cites = " ".join(f"{c.get('source')}:{c.get('char_start')}-{c.get('char_end')}" for c in e.citations)
        w.writerow([e.at, e.asker, e.via, e.conversation, e.turn, e.follows, e.question, e.answer,
                    "yes" if e.abstained else "no", cites, json.dumps(e.filters, ensure_ascii=False),
                    f"{e.seconds:.3f}"])
    return out.getvalue()


def group_unanswered(entries: list[QuestionEntry], terms: Any) -> list[tuple[str, list[QuestionEntry]]]:
    """Abstentions grouped by their content words: each question joins the group of its word that most
    unanswered questions share (so "kinship care costs" and "kinship carers numbers" fall together);
    `terms(text)` gives a question's content words. Largest groups first."""
    words = {e.id: sorted(set(terms(e.question))) for e in entries}
    counts = Counter(w for ws in words.values() for w in ws)
    groups: dict[str, list[QuestionEntry]] = {}
    for e in entries:
        ws = words[e.id]
        label = min(ws, key=lambda w: (-counts[w], w)) if ws else "(no content words)"
        groups.setdefault(label, []).append(e)
    return sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
