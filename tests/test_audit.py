"""Every change to the library is recorded, from the CLI as from the app; read-only mode changes nothing.

Real `assistant` subprocesses on a real two-report corpus and index (the model, Chroma, BM25).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from assistant.core.settings import Settings
from assistant.ingest.corpus import file_hash

BIN = Path(sys.executable).with_name("assistant")
REPORT = (b"Harbour play survey\n\nThe harbour play survey counted 57 play areas in 2024, of which 12 need new "
          b"surfacing.\n")


def run(settings: Settings, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
        timeout: int = 300) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    full.update(ASSISTANT_CORPUS=str(settings.corpus), ASSISTANT_INDEX=str(settings.index), **(env or {}))
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, env=full, timeout=timeout, cwd=cwd)


def audit(settings: Settings) -> list[dict]:
    proc = run(settings, "audit", "--json")
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def tree(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_cli_changes_are_recorded_with_who_what_and_outcome(small_corpus: Settings, tmp_path: Path) -> None:
    source = tmp_path / "Harbour survey.txt"
    source.write_bytes(REPORT)
    (tmp_path / "again.txt").write_bytes(REPORT)
    (tmp_path / "empty.txt").write_bytes(b"")
    assert run(small_corpus, "add", str(source)).returncode == 0
    assert run(small_corpus, "add", str(tmp_path / "again.txt"), str(tmp_path / "empty.txt")).returncode == 1
    changed = REPORT + b"\nA second survey is planned for 2026.\n"
    source.write_bytes(changed)
    assert run(small_corpus, "add", "--replace", str(source)).returncode == 0
    assert run(small_corpus, "catalog", "Harbour-survey.txt", "--title", "Harbour play survey 2024").returncode == 0
    assert run(small_corpus, "remove", "--yes", "Harbour-survey.txt").returncode == 0

    rows = audit(small_corpus)
    user = rows[0]["actor"]
    assert user.startswith("local:") and all(r["actor"] == user and r["via"] == "cli" for r in rows)
    assert [(r["action"], r["source"], r["outcome"]) for r in rows] == [
        ("remove", "Harbour-survey.txt", "done"),
        ("catalog", "Harbour-survey.txt", "done"),
        ("replace", "Harbour-survey.txt", "done"),
        ("add", "empty.txt", "rejected"),
        ("add", "again.txt", "rejected"),
        ("add", "Harbour-survey.txt", "done"),
    ]
    first, second = file_hash(REPORT), file_hash(changed)
    assert (rows[5]["hash_before"], rows[5]["hash_after"]) == ("", first)
    assert (rows[2]["hash_before"], rows[2]["hash_after"]) == (first, second)
    assert (rows[0]["hash_before"], rows[0]["hash_after"]) == (second, "")
    assert rows[1]["detail"] == 'title: "" -> "Harbour play survey 2024"'
    assert "already in the library as Harbour-survey.txt" in rows[4]["message"]
    assert "the file is empty" in rows[3]["message"]
    assert all(r["at"] <= r["finished_at"] for r in rows)

    printed = run(small_corpus, "audit", "-n", "2")
    lines = [ln for ln in printed.stdout.splitlines() if not ln.startswith(" ")]
    assert len(lines) == 2 and "remove" in lines[0] and f"by {user} (cli)" in lines[0], printed.stdout
    csv_text = run(small_corpus, "audit", "--csv").stdout
    assert csv_text.splitlines()[0] == ("id,at,finished_at,actor,via,action,source,hash_before,hash_after,detail,"
                                        "outcome,message") and len(csv_text.splitlines()) == 7


def test_read_only_cli_refuses_in_one_line_and_changes_nothing(small_corpus: Settings, tmp_path: Path) -> None:
    from assistant.api import Assistant

    Assistant(small_corpus).ingest()
    new = tmp_path / "new.txt"
    new.write_bytes(REPORT)
    before = tree(Path(small_corpus.corpus)), tree(Path(small_corpus.index))
    read_only = {"ASSISTANT_READ_ONLY": "1"}
    for args in (("add", str(new)), ("remove", "--yes", "children-in-care-programme-scrutiny-2023.txt"),
                 ("catalog", "children-in-care-programme-scrutiny-2023.txt", "--title", "x")):
        proc = run(small_corpus, *args, env=read_only)
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        assert proc.returncode == 1 and len(lines) == 1, proc.stderr
        assert lines[0].startswith("Error: The library is read-only (ASSISTANT_READ_ONLY=1)"), lines[0]
        assert "Traceback" not in proc.stderr
    assert (tree(Path(small_corpus.corpus)), tree(Path(small_corpus.index))) == before
    shown = run(small_corpus, "catalog", "children-in-care-programme-scrutiny-2023.txt", env=read_only)
    assert shown.returncode == 0  # reading the details is not a change
    assert run(small_corpus, "ask", "How many children are in kinship care?", env=read_only).returncode == 0


def test_a_change_killed_mid_ingest_stays_in_the_log(small_corpus: Settings, tmp_path: Path) -> None:
    from assistant.api import Assistant

    Assistant(small_corpus).ingest()
    big = tmp_path / "long report.txt"
    big.write_text("Long report\n\n" + "\n\n".join(f"Section {i}: the council counted {i} play areas in ward {i}."
                                                   for i in range(400)), encoding="utf-8")
    full = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    full.update(ASSISTANT_CORPUS=str(small_corpus.corpus), ASSISTANT_INDEX=str(small_corpus.index))
    saved = Path(small_corpus.corpus) / "long-report.txt"
    proc = subprocess.Popen([str(BIN), "add", str(big)], env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the entry is committed before the ingest starts
            rows = audit(small_corpus) if (Path(small_corpus.index) / "audit.sqlite").exists() else []
            # Kill once the file is saved: the ingest (loading the model, embedding) has begun.
            if rows and rows[0]["outcome"] == "started" and saved.is_file():
                break
            time.sleep(0.2)
        else:
            raise AssertionError("no started entry with the file saved")
        time.sleep(1.0)  # into the ingest
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    [row] = audit(small_corpus)
    assert (row["action"], row["source"], row["outcome"], row["finished_at"]) == (
        "add", "long-report.txt", "interrupted", "")
    assert row["hash_after"] == file_hash(big.read_bytes())
    # The next change goes on as usual (the ingest repairs what the kill left) and is recorded too.
    assert run(small_corpus, "remove", "--yes", "long-report.txt").returncode == 0
    assert [r["outcome"] for r in audit(small_corpus)] == ["done", "interrupted"]
    assert Assistant(small_corpus).check().ok
