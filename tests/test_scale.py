"""benchmarks/scale.py writes a synthetic index exactly as an ingest does (so its figures mean something):
built small here, without the model, in the fast subset, so that it cannot stop working unnoticed."""

from __future__ import annotations

from pathlib import Path

from assistant.core.settings import Settings
from assistant.ingest.run import check
from assistant.store.search_index import SearchIndex
from assistant.views.cache import views_for
from benchmarks.scale import build_synthetic, corpus_passages

ROOT = Path(__file__).resolve().parent.parent


def test_a_small_synthetic_index_loads_checks_and_has_its_views(tmp_path: Path) -> None:
    rows, vectors = corpus_passages(ROOT / "corpus")
    build_synthetic(600, tmp_path / "index", rows, vectors, per_doc=250)
    settings = Settings(index=tmp_path / "index", corpus=ROOT / "corpus")
    report = check(settings)
    assert report.ok and report.passages == 600 and report.documents == 3
    index = SearchIndex.load(settings)
    assert len(index.passages) == 600 and set(index.row_sources) == {f"synthetic-{n:05d}.txt" for n in range(3)}
    first = index.passages[index.order[0]]
    assert first.source == "synthetic-00000.txt" and first.text
    views = views_for(index, settings.linking)
    assert views.values and views.series  # read at build time from the documents' passages, as at ingest
    assert {v.source for v in views.values} <= set(index.row_sources)


def test_the_views_file_keeps_the_register_s_terms_and_shares_repeated_strings(tmp_path: Path) -> None:
    """At a million passages, reading the register's terms again took 3.7 s and the file held each report's title
    and organisation once per figure: the ingest keeps the terms and writes a repeated string once."""
    from assistant.views.cache import commitment_terms, read_views

    rows, vectors = corpus_passages(ROOT / "corpus")
    build_synthetic(600, tmp_path / "index", rows, vectors, per_doc=250)
    settings = Settings(index=tmp_path / "index", corpus=ROOT / "corpus")
    index = SearchIndex.load(settings)
    views = read_views(index.keyword_dir, settings.linking)
    assert views is not None and views.commitments and "commitment_terms" in views.__dict__  # loaded, not made
    assert views.commitment_terms == [commitment_terms(c) for c in views.commitments]
    first = views.values[0]
    same = [v for v in views.values if v.title == first.title]
    assert len(same) > 1 and all(v.title is first.title and v.organisation is first.organisation for v in same)
