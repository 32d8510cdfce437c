"""Shared fixtures: the real corpus, the real model, a real Chroma in a temporary folder.

The full index is built once per test session (about 20 s) and shared read-only; tests
that change an index build their own small one in their own temporary folder.

Tests that need the model, an index, a browser or a subprocess are marked `slow`
(automatically, from the fixtures they use or the module they are in), so that
`pytest -m "not slow"` runs the pure logic alone in seconds.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.api import Assistant
from assistant.core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
# Fixtures that load the model or build an index, and modules whose every test runs a server,
# a browser or the `assistant` command.
SLOW_FIXTURES = {"settings", "bot", "small_corpus", "library", "project_copy", "app", "chroma_server"}
SLOW_MODULES = {"test_e2e", "test_readme", "test_cli", "test_robustness", "test_chroma_server", "test_onnx",
                "test_app", "test_app_documents", "test_auth_e2e", "test_restricted_e2e", "test_cold_start", "test_app_roles", "test_audit", "test_numpy_bert"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or item.module.__name__ in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
CORPUS = ROOT / "corpus"
# Built artefacts, caches and data that a fresh clone does not have.
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "index", "test-artifacts", "devset", "archive-data", "__pycache__",
                                    ".pytest_cache", "*.egg-info")


@pytest.fixture()
def project_copy(tmp_path: Path) -> Path:
    """A copy of the project as a fresh clone has it (no index), its .venv linked in and ../shared
    beside it: commands run from its root use the default folders corpus/ and index/."""
    dest = tmp_path / "plan-assistant"
    shutil.copytree(ROOT, dest, ignore=NOT_COPIED)
    (dest / "index").mkdir()
    shutil.copy(ROOT / "index" / "README.md", dest / "index" / "README.md")
    (dest / ".venv").symlink_to(ROOT / ".venv")
    (tmp_path / "shared").symlink_to((ROOT.parent / "shared").resolve())
    return dest


@pytest.fixture(scope="session")
def corpus_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("corpus") / "corpus"
    shutil.copytree(CORPUS, dest)
    return dest


@pytest.fixture(scope="session")
def settings(corpus_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for a fully built index of the real corpus (built once)."""
    s = Settings(corpus=corpus_copy, index=tmp_path_factory.mktemp("index") / "index")
    Assistant(s).ingest()
    return s


@pytest.fixture(scope="session")
def bot(settings: Settings) -> Assistant:
    b = Assistant(settings)
    b.warm()
    return b


@pytest.fixture()
def small_corpus(tmp_path: Path) -> Settings:
    """Settings for a two-document corpus in a fresh folder, not yet indexed."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("dundee-our-promise-2020-23-impact-summary.txt", "children-in-care-programme-scrutiny-2023.txt"):
        shutil.copy(CORPUS / name, corpus / name)
    return Settings(corpus=corpus, index=tmp_path / "index")
