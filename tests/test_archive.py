"""An archive streams through the ingest: files read in worker processes (a stalled one named and skipped),
batches committed as they go (an interrupted ingest resumes after the last one), progress a person can plan by."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import types
from pathlib import Path

from assistant.api import Assistant
from assistant.core.settings import Ingest, Settings
from assistant.ingest.batches import progress_note
from assistant.ingest.corpus import corpus_files, source_name
from assistant.ingest.workers import READY, ReadTask, read_files, worker_main
from assistant.store.journal import JOURNAL
from assistant.store.manifest import read_manifest
from assistant.store.paths import IndexPaths

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).with_name("assistant")


def test_a_file_that_never_finishes_reading_is_named_and_the_rest_is_read(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("# Housing\n\nThe council built 40 homes.\n", encoding="utf-8")
    os.mkfifo(corpus / "stuck.txt")  # reading it blocks for ever: no writer will come
    (corpus / "b.md").write_text("# Parks\n\nThree parks were reopened.\n", encoding="utf-8")
    tasks = [ReadTask(name, corpus / name) for name in ("a.md", "stuck.txt", "b.md")]
    results = list(read_files(corpus, tasks, Ingest(workers=1, file_timeout=2)))
    assert [r.source for r in results] == ["a.md", "stuck.txt", "b.md"]  # in the order asked, whatever happened
    assert results[0].document is not None and "40 homes" in results[0].document.text
    assert results[1].document is None and results[1].problem is not None
    assert "took longer than 2 s to read" in results[1].problem.reason and "FILE_TIMEOUT" in results[1].problem.reason
    assert results[2].document is not None and "Three parks" in results[2].document.text  # a new worker took over


def test_workers_do_not_run_the_callers_script(tmp_path: Path, monkeypatch) -> None:
    # Streamlit puts the page it runs in __main__: a worker spawned from the app must not run that page again.
    page = tmp_path / "page.py"
    page.write_text("raise SystemExit('a worker ran the page')\n", encoding="utf-8")
    main = types.ModuleType("__main__")
    main.__file__ = str(page)
    monkeypatch.setitem(sys.modules, "__main__", main)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("# Housing\n\nThe council built 40 homes.\n", encoding="utf-8")
    [result] = read_files(corpus, [ReadTask("a.md", corpus / "a.md")], Ingest(workers=1))
    assert result.problem is None and result.document is not None and "40 homes" in result.document.text
    assert sys.modules["__main__"] is main


def test_readers_step_back_for_the_model(tmp_path: Path, monkeypatch) -> None:
    # A reader at the model's priority doubled the encode time on two cores: readers take only idle CPU.
    # A bare __main__, as the ingest gives its workers: earlier tests may leave a page there for spawn to run.
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    ctx = multiprocessing.get_context("spawn")
    conn, child = ctx.Pipe()
    reader = ctx.Process(target=worker_main, args=(child, str(tmp_path), 19), daemon=True)
    reader.start()
    child.close()  # a reader that dies then ends our recv() with EOFError instead of a hang
    try:
        assert conn.poll(120), "the reader did not start within 120 s"
        assert conn.recv() == READY
        ours = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, reader.pid) == min(19, ours + 19) > ours
        assert Ingest().reader_niceness == 19
    finally:
        conn.send(None)
        reader.join(timeout=10)


def test_workers_read_what_this_process_reads(tmp_path: Path) -> None:
    corpus = ROOT / "corpus"
    tasks = [ReadTask(source_name(corpus, p), p) for p in corpus_files(corpus)]
    here = list(read_files(corpus, tasks, Ingest(workers=0)))
    there = list(read_files(corpus, tasks, Ingest(workers=2, read_ahead=1)))
    assert [r.document for r in there] == [r.document for r in here]
    assert all(r.document is not None for r in here)
    known = [ReadTask(t.source, t.path, known_sha=r.document.sha256) for t, r in zip(tasks, here)]  # type: ignore[union-attr]
    unchanged = list(read_files(corpus, known, Ingest(workers=1)))
    assert all(r.document is None and r.problem is None and r.sha256 for r in unchanged)  # hashed, not extracted


def test_progress_note_says_documents_rate_and_time_left() -> None:
    assert progress_note(0, 2000, 0, 0.0) == "0 of 2,000 documents"
    assert progress_note(500, 2000, 9500, 100.0) == "500 of 2,000 documents, 95 passages/s, about 5 min left"
    assert progress_note(1990, 2000, 40000, 398.0).endswith("about 2 s left")
    assert progress_note(2000, 2000, 40000, 400.0).endswith("finishing")
    assert progress_note(10, 20000, 200, 60.0).endswith("about 33.3 h left")


def test_an_ingest_killed_after_a_committed_batch_resumes_from_it(small_corpus: Settings,
                                                                   tmp_path_factory) -> None:
    reference = Settings(corpus=small_corpus.corpus, index=tmp_path_factory.mktemp("ref") / "index")
    Assistant(reference).ingest()
    env = dict(os.environ, ASSISTANT_CORPUS=str(small_corpus.corpus), ASSISTANT_INDEX=str(small_corpus.index),
               ASSISTANT_INGEST__BATCH_DOCUMENTS="1")
    proc = subprocess.Popen([str(BIN), "ingest"], stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        for line in proc.stderr:  # type: ignore[union-attr]
            if "1 of 2 documents" in line:  # the first document's batch is committed
                break
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    paths = IndexPaths(small_corpus.index)
    assert read_manifest(paths) is None and (paths.root / JOURNAL).exists()
    report = Assistant(small_corpus).ingest()
    done = read_manifest(paths)
    ref = read_manifest(IndexPaths(reference.index))
    assert done is not None and ref is not None
    assert report.resumed >= 1 and "Resumed an interrupted ingest" in report.summary()
    kept = sorted(done["documents"])[:report.resumed]
    assert report.passages_embedded == report.total_passages - sum(done["documents"][s]["passages"] for s in kept)
    assert {s: d["passage_ids"] for s, d in done["documents"].items()} == \
        {s: d["passage_ids"] for s, d in ref["documents"].items()}
    assert done["glossary"] == ref["glossary"]
    assert not (paths.root / JOURNAL).exists()
    assert Assistant(small_corpus).check().ok
