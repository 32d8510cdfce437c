"""Restricted reports: a reader's answers are those of a library without the reports hidden from them.

The home corpus plus three fixtures of our own writing (tests/data/restricted/): an exempt report for
editors, a members' briefing for anyone signed in, and a draft for the finance group. The library
without them is the session's home index (`bot`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from assistant.answer.retrieve import Filters
from assistant.api import Assistant
from assistant.core.errors import AssistantError, BadFilter, BadVisibility, NotAllowed
from assistant.core.identity import Viewer
from assistant.core.settings import Settings
from assistant.core.types import Answer

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "data" / "restricted"
EVAL = ROOT.parent / "shared" / "eval" / "questions.jsonl"
EXEMPT = "exempt-foster-allowance-review-2024.md"
BRIEFING = "members-briefing-residential-placements-2025.txt"
DRAFT = "finance-group-savings-options-2024.md"
RESTRICTED = {EXEMPT, BRIEFING, DRAFT}
GROUPS = {"finance": ("fin@riverford.example",)}
EDITOR, READER, MEMBER = "ed@riverford.example", "reader@riverford.example", "fin@riverford.example"


def restricted_library(settings: Settings, root: Path) -> Settings:
    """The home corpus and index copied to `root`, the fixtures added with their visibility and indexed
    (only they are embedded)."""
    corpus, index = root / "corpus", root / "index"
    shutil.copytree(settings.corpus, corpus)
    # Not the records other tests left in the session's index (questions asked, changes, feedback).
    shutil.copytree(settings.index, index, ignore=shutil.ignore_patterns(".lock", "questions.*", "audit.sqlite*",
                                                                         "feedback.sqlite*"))
    for name in RESTRICTED:
        shutil.copy(FIXTURES / name, corpus / name)
    with open(corpus / "catalog.toml", "a", encoding="utf-8") as f:
        f.write("\n" + (FIXTURES / "catalog.toml").read_text(encoding="utf-8"))
    s = Settings(corpus=corpus, index=index, groups=GROUPS, editors=(EDITOR,))
    Assistant(s).ingest()
    return s


@pytest.fixture(scope="session")
def restricted(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return restricted_library(settings, tmp_path_factory.mktemp("restricted"))


@pytest.fixture(scope="session")
def rbot(restricted: Settings, bot: Assistant) -> Assistant:
    b = Assistant(restricted)
    b._embedder = bot.embedder  # noqa: SLF001 - one model for the session: the same vectors either way
    return b


def who(email: str | None) -> Viewer:
    return Viewer.anonymous() if email is None else Viewer.from_claims({"email": email}, (EDITOR,))


def shape(a: Answer) -> dict[str, Any]:
    """Everything a reader is shown of an answer (not its timings)."""
    d = a.to_dict()
    d.pop("timings_ms", None)
    return d


def rows() -> list[dict[str, Any]]:
    eval_rows = [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines() if line.strip()]
    own = [json.loads(line) for line in (FIXTURES / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    return eval_rows + own


def answers(b: Assistant, viewer: Viewer, items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for row in items:
        chat = b.conversation(viewer=viewer)
        for turn in row.get("turns") or [row["question"]]:
            a = chat.ask(turn)
        out[row["id"]] = shape(a)
    return out


def test_a_reader_gets_the_answers_of_a_library_without_the_restricted_reports(rbot: Assistant,
                                                                                 bot: Assistant) -> None:
    items = rows()
    without = answers(bot, Viewer.local(), items)
    reader = answers(rbot, who(None), items)
    same = [i for i in without if without[i] == reader[i]]
    print(f"\n{len(same)}/{len(items)} identical (a visitor's answers vs a library without the fixtures)")
    assert len(same) == len(items), [i for i in without if i not in same]
    cited = {c["source"] for a in reader.values() for c in a["citations"] + a["related"]}
    assert not cited & RESTRICTED


def test_an_editor_is_answered_from_the_fixtures(rbot: Assistant) -> None:
    own = [json.loads(line) for line in (FIXTURES / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    got = answers(rbot, who(EDITOR), own)
    missed = []
    for row in own:
        a = got[row["id"]]
        if a["abstained"] or row["source"] not in {c["source"] for c in a["citations"]} or not all(
                f.lower() in a["answer"].lower() for f in row["facts"]):
            missed.append(row["id"])
    print(f"\n{len(own) - len(missed)}/{len(own)} fixture questions answered from the fixtures for an editor")
    assert not missed


def test_each_audience_sees_its_own_reports(rbot: Assistant) -> None:
    assert {d.source for d in rbot.documents(who(None))} & RESTRICTED == set()
    assert {d.source for d in rbot.documents(who(READER))} & RESTRICTED == {BRIEFING}
    assert {d.source for d in rbot.documents(who(MEMBER))} & RESTRICTED == {BRIEFING, DRAFT}
    assert {d.source for d in rbot.documents(who(EDITOR))} >= RESTRICTED
    assert {d.source for d in rbot.documents()} >= RESTRICTED  # the local user (the CLI) is an editor
    q = "How much would closing the Elmside respite unit save?"
    assert DRAFT in {c.source for c in rbot.ask(q, viewer=who(MEMBER)).citations}
    assert DRAFT not in {c.source for c in rbot.ask(q, viewer=who(READER)).citations + rbot.ask(q, viewer=who(READER)).related}
    for viewer in (who(None), who(READER)):
        views = rbot.commitments(viewer), rbot.figure_series(viewer)
        assert not {c.source for c in views[0]} & {EXEMPT, DRAFT}
        assert not {v.source for s in views[1] for p in s.points for v in p.citations} & {EXEMPT, DRAFT}
    assert EXEMPT in {c.source for c in rbot.commitments(who(EDITOR))}
    assert not any("Riverford" in q or "FCRS" in q for q in rbot.example_questions(viewer=who(None)))


def test_attacks_get_what_a_library_without_them_gives(rbot: Assistant, bot: Assistant) -> None:
    reader = who(READER)
    # A forged request for a restricted report's text: the words of a file that is not there.
    with pytest.raises(AssistantError) as hidden:
        rbot.source_text(EXEMPT, reader)
    with pytest.raises(AssistantError) as missing:
        rbot.source_text("no-such-report.md", reader)
    assert str(hidden.value) == str(missing.value).replace("no-such-report.md", EXEMPT)
    assert rbot.source_text(EXEMPT, who(EDITOR)).startswith("# Fostering Allowance Review")
    # A forged filter naming a restricted report, its organisation or a year only it has.
    for filters in (Filters(sources=[EXEMPT]), Filters(organisations=["Riverford Borough Council"]),
                    Filters(years=[2019])):
        with pytest.raises(BadFilter) as restricted_error:
            rbot.ask("What is the fostering allowance?", filters, viewer=who(None))
        with pytest.raises(BadFilter) as baseline_error:
            bot.ask("What is the fostering allowance?", filters)
        assert str(restricted_error.value) == str(baseline_error.value)
    # A restricted report's exact sentence pasted as the question; a follow-up quoting its title.
    pasted = "The average weekly cost of an external residential placement was £6,850 in December 2024."
    assert shape(rbot.ask(pasted, viewer=who(None))) == shape(bot.ask(pasted))
    turns = ["How many children are in external residential care?",
             "What does the Fostering Allowance Review: exempt report to the Corporate Parenting Panel say about it?"]
    chat_r, chat_b = rbot.conversation(viewer=who(None)), bot.conversation(viewer=Viewer.local())
    for t in turns:
        assert shape(chat_r.ask(t)) == shape(chat_b.ask(t))


def test_a_visibility_change_is_metadata_only_and_withdraws_what_a_reader_saw(restricted: Settings, bot: Assistant,
                                                                                tmp_path: Path) -> None:
    import shutil as sh

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    sh.copytree(restricted.corpus, corpus)
    sh.copytree(restricted.index, index, ignore=sh.ignore_patterns(".lock"))
    s = Settings(corpus=corpus, index=index, groups=GROUPS, editors=(EDITOR,))
    b = Assistant(s)
    b._embedder = bot.embedder  # noqa: SLF001 - one model for the session
    reader = who(READER)
    chat = b.conversation(viewer=reader)
    first = chat.ask("What was the average weekly cost of an external residential placement in December 2024?")
    assert BRIEFING in {c.source for c in first.citations}
    vectors = b.index.collection.count()
    passages = dict(b.index.manifest["documents"][BRIEFING])
    # A group the settings do not define: one clear error, nothing changed.
    with pytest.raises(BadVisibility, match="no group “board”"):
        b.set_visibility(BRIEFING, "group:board", who(EDITOR))
    assert b.visibility_of(BRIEFING) == "signed-in"
    # Readers may not change it.
    with pytest.raises(NotAllowed):
        b.set_visibility(BRIEFING, "public", reader)
    before, after = b.set_visibility(BRIEFING, "editors", who(EDITOR))
    assert (before, after) == ("signed-in", "editors")
    assert b.visibility_of(BRIEFING) == "editors"
    assert b.index.collection.count() == vectors  # nothing re-embedded, nothing added
    assert b.index.manifest["documents"][BRIEFING]["passages"] == passages["passages"]
    assert 'visibility = "editors"' in (corpus / "catalog.toml").read_text(encoding="utf-8")
    assert BRIEFING not in b.visible_sources(reader)  # the app withdraws the old card with this
    again = chat.ask("And what did it cost in December 2024?")
    assert BRIEFING not in {c.source for c in again.citations + again.related}
    entries = b.audit_entries(who(EDITOR))
    assert [(e.action, e.outcome) for e in entries[:3]] == [("visibility", "done"), ("visibility", "refused"),
                                                            ("visibility", "rejected")]
    # The next ingest keeps it (catalog.toml says so) and re-embeds nothing.
    report = b.ingest()
    assert report.passages_embedded == 0 and b.visibility_of(BRIEFING) == "editors"


def run_cli(settings: Settings, *args: str) -> Any:
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_CORPUS=str(settings.corpus), ASSISTANT_INDEX=str(settings.index),
               ASSISTANT_GROUPS=json.dumps({k: list(v) for k, v in GROUPS.items()}), ASSISTANT_EDITORS=EDITOR)
    return subprocess.run([str(ROOT / ".venv" / "bin" / "assistant"), *args], env=env, capture_output=True,
                          text=True, timeout=300)


def test_the_cli_answers_as_someone_else(restricted: Settings) -> None:
    hidden = run_cli(restricted, "text", EXEMPT, "--as", READER)
    missing = run_cli(restricted, "text", "no-such-report.md", "--as", READER)
    assert hidden.returncode == 1 and hidden.stdout == "" and "Traceback" not in hidden.stderr
    assert hidden.stderr.strip() == missing.stderr.strip().replace("no-such-report.md", EXEMPT)
    assert len(hidden.stderr.strip().splitlines()) == 1
    assert run_cli(restricted, "text", EXEMPT).stdout.startswith("# Fostering Allowance Review")  # the local user
    docs = run_cli(restricted, "docs", "--as", MEMBER)
    assert DRAFT in docs.stdout and BRIEFING in docs.stdout and EXEMPT not in docs.stdout
    assert "visibility: group:finance (group finance only)" in docs.stdout
    assert EXEMPT in run_cli(restricted, "docs").stdout
    before = (Path(restricted.corpus) / "catalog.toml").read_text(encoding="utf-8")
    bad = run_cli(restricted, "catalog", BRIEFING, "--visibility", "group:cabinet")
    assert bad.returncode == 1 and bad.stderr.strip().splitlines() == [
        "Error: There is no group “cabinet” in ASSISTANT_GROUPS (known groups: finance); add it there first. "
        "The report's visibility was not changed."]
    assert (Path(restricted.corpus) / "catalog.toml").read_text(encoding="utf-8") == before
    asked = run_cli(restricted, "ask", "--json", "--as", "anonymous", "How much would closing the Elmside respite unit save?")
    assert DRAFT not in asked.stdout and asked.returncode == 0
    assert "Fostering Recruitment Manager" not in run_cli(restricted, "commitments", "--as", READER).stdout
