"""The audit log: every change to the library (add, replace, remove, catalog edit, re-index), who
asked for it, and how it ended. SQLite beside the index (`<index>/audit.sqlite`).

    log = AuditLog.beside_index(settings.index)
    entry = log.begin(actor="alice@council.gov.uk", via="app", action="add", source="report.pdf",
                      hash_after="9f2c…")
    log.finish(entry, "done")
    print(log.to_csv())

An entry is written, and committed, *before* the change starts, with the outcome "started"; the
change then sets its outcome ("done", "rejected", "failed", …). So a process killed in the middle
of an ingest leaves its entry behind: listed as "interrupted" once its process is gone. The file
is in WAL mode with full syncs, so a commit survives a crash of the writer. One short connection
per call, so it is safe from Streamlit's threads and from several processes at once.
"""

from __future__ import annotations

import csv
import io
import os
import socket
import sqlite3
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

FILE_NAME = "audit.sqlite"


# What an entry's outcome can be.
STARTED = "started"  # written before the change; still running, or its process was killed
DONE = "done"  # the change was made and indexed
UNCHANGED = "unchanged"  # nothing to change (catalog details as they were)
REJECTED = "rejected"  # the file was not taken (unreadable, empty, too large, a duplicate, name taken)
REFUSED = "refused"  # the person may not change the library
FAILED = "failed"  # an error; the folder was put back as it was
INTERRUPTED = "interrupted"  # shown for a "started" entry whose process no longer runs


_SCHEMA = """
CREATE TABLE IF NOT EXISTS changes (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TEXT NOT NULL,              -- UTC, ISO 8601: when the change was asked for
    finished_at  TEXT NOT NULL DEFAULT '',   -- UTC, ISO 8601: when its outcome was written
    actor        TEXT NOT NULL,              -- the signed-in e-mail, or local:<os user>
    via          TEXT NOT NULL,              -- app | cli
    action       TEXT NOT NULL,              -- add | replace | remove | catalog | reindex
    source       TEXT NOT NULL,              -- the report's file name in the corpus folder
    hash_before  TEXT NOT NULL DEFAULT '',   -- sha256 of the file before the change ('' when none)
    hash_after   TEXT NOT NULL DEFAULT '',   -- sha256 of the file after it ('' when removed)
    detail       TEXT NOT NULL DEFAULT '',   -- catalog edits: field: old -> new
    outcome      TEXT NOT NULL,
    message      TEXT NOT NULL DEFAULT '',   -- why it was rejected, refused or failed
    pid          INTEGER NOT NULL,
    host         TEXT NOT NULL
)
"""


@dataclass
class AuditEntry:
    """One change, as stored (`outcome` reads "interrupted" for a started change whose process is gone)."""

    id: int
    at: str
    finished_at: str
    actor: str
    via: str
    action: str
    source: str
    hash_before: str
    hash_after: str
    detail: str
    outcome: str
    message: str


CSV_FIELDS = ["id", "at", "finished_at", "actor", "via", "action", "source", "hash_before", "hash_after", "detail",
              "outcome", "message"]


def spreadsheet_safe(value: object) -> object:
    """A cell a spreadsheet shows as text: one starting with = + - @ (a formula to Excel) gets a leading '."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but another user's
        return True
    return True


class AuditLog:
    """Change entries in one SQLite file; the file and its folder are created on the first write."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    @classmethod
    def beside_index(cls, index_dir: Path | str) -> "AuditLog":
        """The log at <index folder>/audit.sqlite."""
        return cls(Path(index_dir) / FILE_NAME)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute(_SCHEMA)
        return conn

    def begin(self, *, actor: str, via: str, action: str, source: str, hash_before: str = "", hash_after: str = "",
              detail: str = "", outcome: str = STARTED, message: str = "") -> int:
        """Write an entry now (committed before this returns); returns its id for finish()."""
        conn = self._connect()
        try:
            with conn:
                cur = conn.execute(
                    """INSERT INTO changes (at, finished_at, actor, via, action, source, hash_before, hash_after,
                                            detail, outcome, message, pid, host)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (_now(), "" if outcome == STARTED else _now(), actor, via, action, source, hash_before or "",
                     hash_after or "", detail, outcome, message, os.getpid(), socket.gethostname()))
            return int(cur.lastrowid or 0)
        finally:
            conn.close()

    def record(self, **fields: str) -> int:
        """An entry whose outcome is known at once (a refusal, a rejected file)."""
        if fields.get("outcome", STARTED) == STARTED:
            raise ValueError("record() writes a finished entry: give its outcome")
        return self.begin(**fields)  # type: ignore[arg-type]

    def finish(self, entry_id: int, outcome: str, message: str = "", hash_after: str | None = None) -> None:
        """Set the outcome of a started entry (and the file's hash when it turned out otherwise)."""
        conn = self._connect()
        try:
            with conn:
                conn.execute("UPDATE changes SET outcome = ?, message = ?, finished_at = ?, "
                             "hash_after = COALESCE(?, hash_after) WHERE id = ?",
                             (outcome, message, _now(), hash_after, entry_id))
        finally:
            conn.close()

    def entries(self, limit: int | None = None) -> list[AuditEntry]:
        """Entries, newest first (at most `limit`). Never creates the file."""
        if not self.path.exists():
            return []
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        conn.row_factory = sqlite3.Row
        try:
            sql = "SELECT * FROM changes ORDER BY id DESC" + (" LIMIT ?" if limit else "")
            rows = conn.execute(sql, (limit,) if limit else ()).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise
        finally:
            conn.close()
        here = socket.gethostname()
        out = []
        for r in rows:
            outcome = r["outcome"]
            if outcome == STARTED and r["host"] == here and not _running(int(r["pid"])):
                outcome = INTERRUPTED
            out.append(AuditEntry(id=r["id"], at=r["at"], finished_at=r["finished_at"], actor=r["actor"],
                                  via=r["via"], action=r["action"], source=r["source"], hash_before=r["hash_before"],
                                  hash_after=r["hash_after"], detail=r["detail"], outcome=outcome,
                                  message=r["message"]))
        return out

    def to_csv(self, limit: int | None = None) -> str:
        """The entries as CSV, newest first."""
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for e in self.entries(limit):
            writer.writerow({k: spreadsheet_safe(v) for k, v in asdict(e).items() if k in CSV_FIELDS})
        return out.getvalue()
