"""ASSISTANT_CHROMA_URL: the same code against a real `chroma run` server on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.api import Assistant
from assistant.core.errors import AssistantError
from assistant.core.settings import Settings
from benchmarks.scale import free_port, local_chroma_server


@pytest.fixture()
def chroma_server(tmp_path: Path):
    with local_chroma_server(tmp_path / "server-data", timeout=60) as (url, _):
        yield url


def test_ingest_and_ask_against_a_chroma_server(small_corpus: Settings, chroma_server: str, tmp_path: Path) -> None:
    settings = Settings(corpus=small_corpus.corpus, index=small_corpus.index, chroma_url=chroma_server)
    bot = Assistant(settings)
    report = bot.ingest()
    assert len(report.added) == 2 and report.total_passages > 50
    assert not (Path(settings.index) / "chroma").exists()  # vectors live on the server, not on disk here
    answer = bot.ask("How many children came into care from April to June 2023?")
    assert not answer.abstained and "96" in answer.answer
    assert Assistant(settings).ingest().nothing_changed
    assert bot.check().ok


def test_unreachable_server_is_a_clear_error(small_corpus: Settings) -> None:
    settings = Settings(corpus=small_corpus.corpus, index=small_corpus.index,
                        chroma_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(AssistantError, match="Cannot reach the Chroma server"):
        Assistant(settings).ingest()
