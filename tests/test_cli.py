"""The `assistant` command as a user runs it: real subprocesses, exit codes and one-line messages."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.core.settings import Settings

BIN = Path(sys.executable).with_name("assistant")


def run(*args: str, settings: Settings | None = None, timeout: int = 180) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if settings is not None:
        env.update(ASSISTANT_CORPUS=str(settings.corpus), ASSISTANT_INDEX=str(settings.index))
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, env=env, timeout=timeout)


def assert_clean_error(proc: subprocess.CompletedProcess, pattern: str) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert re.search(pattern, lines[0]), lines[0]


def test_json_contract_with_a_conversation(settings: Settings) -> None:
    proc = run("ask", "--json", "--chat", "How did the number of children in Kinship Care change?",
               "And in external residential care?", settings=settings)
    assert proc.returncode == 0, proc.stderr
    objects = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(objects) == 2
    texts = {}
    for obj in objects:
        assert set(obj) >= {"question", "answer", "abstained", "citations", "timings_ms"}
        markers = {int(m) for m in re.findall(r"\[(\d+)\]", obj["answer"])}
        assert markers == {c["marker"] for c in obj["citations"]}
        for c in obj["citations"]:
            src = c["source"]
            texts.setdefault(src, (Path(settings.corpus) / src).read_text(encoding="utf-8"))
            assert texts[src][c["char_start"]:c["char_end"]] == c["text"]
            assert c["organisation"] and c["published"] and c["title"]
    assert "external residential" in objects[1]["answer"]


@pytest.mark.parametrize("question,pattern", [
    ("", "question is empty"),
    ("   ", "question is empty"),
    ("x " * 10_000, "characters long"),
    ("Сколько детей находится под опекой?", "another script"),
])
def test_bad_questions_get_one_line_and_a_non_zero_exit(settings: Settings, question: str, pattern: str) -> None:
    assert_clean_error(run("ask", question, settings=settings), pattern)


def test_missing_index_and_empty_corpus(tmp_path: Path) -> None:
    empty = tmp_path / "corpus"
    empty.mkdir()
    assert_clean_error(run("ask", "--corpus", str(empty), "--index", str(tmp_path / "index"), "How many?"),
                       "No readable documents")
    assert_clean_error(run("check", "--corpus", str(empty), "--index", str(tmp_path / "index")),
                       r"No index yet in .*: build it with `assistant ingest`\.$")
    assert_clean_error(run("ingest", "--corpus", str(empty), "--index", str(tmp_path / "index")), "No readable documents")
    assert_clean_error(run("ingest", "--corpus", str(tmp_path / "nowhere"), "--index", str(tmp_path / "index")),
                       "does not exist")


def test_unknown_filter_and_bad_eval_file(settings: Settings, tmp_path: Path) -> None:
    assert_clean_error(run("ask", "--organisation", "Atlantis Council", "How many?", settings=settings),
                       "No indexed document is from 'Atlantis Council'")
    bad = tmp_path / "q.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    assert_clean_error(run("eval", str(bad), settings=settings), "not valid JSON")


def test_second_ingest_says_nothing_changed(settings: Settings) -> None:
    proc = run("ingest", settings=settings)
    assert proc.returncode == 0
    assert "up to date" in proc.stdout and "nothing embedded" in proc.stdout


def test_help_has_examples() -> None:
    for command in ("ingest", "ask", "chat", "eval", "docs", "settings"):
        proc = run(command, "--help")
        assert proc.returncode == 0 and "Example" in proc.stdout


def test_text_prints_what_citations_index_into(settings: Settings) -> None:
    proc = run("text", "children-in-care-programme-scrutiny-2023.txt", settings=settings)
    assert proc.returncode == 0
    assert proc.stdout == (Path(settings.corpus) / "children-in-care-programme-scrutiny-2023.txt").read_text(encoding="utf-8")
    assert_clean_error(run("text", "../etc/passwd", settings=settings), "not a file in the corpus folder")


def test_first_question_builds_the_index_once(small_corpus: Settings) -> None:
    """No index yet: `ask` says so in words, builds it with a progress bar, then answers; the next ask just answers."""
    check = run("check", settings=small_corpus)
    assert_clean_error(check, r"No index yet in .*index/?: build it with `assistant ingest` "
                              r"\(about \d+ s for the 2 reports in .*corpus/\)\.$")
    first = run("ask", "How many children were in external residential care?", settings=small_corpus)
    assert first.returncode == 0, first.stderr
    assert re.search(r"No index yet in .*index/ \(about \d+ s for the 2 reports in .*corpus/\)\. Building it once now",
                     first.stderr), first.stderr
    assert "Embedding passages" in first.stderr and "Indexed 2 new" in first.stderr
    assert "[1]" in first.stdout and "Traceback" not in first.stderr
    second = run("ask", "How many children were in external residential care?", settings=small_corpus)
    assert second.returncode == 0 and second.stderr == "" and second.stdout == first.stdout



def test_settings_lists_every_group_and_a_bad_value_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    shown = run("settings")
    assert shown.returncode == 0
    for group in ("retrieval", "relevance", "abstention", "selection", "linking"):
        assert f"[{group}]" in shown.stdout
    assert "ASSISTANT_ABSTENTION__MIN_RELEVANCE=" in shown.stdout
    monkeypatch.setenv("ASSISTANT_ABSTENTION__MIN_RELEVANCE", "high")
    assert_clean_error(run("settings"), r"ASSISTANT_ABSTENTION__MIN_RELEVANCE='high' is not a valid setting")
