"""Incremental ingest on a real (small) corpus with the real model and a real Chroma."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.api import Assistant
from assistant.core.errors import CorpusNotFound, EmptyCorpus, IndexCorrupt, IndexMissing
from assistant.core.settings import Settings
from assistant.store.chroma import chroma_client, chroma_collection
from assistant.store.manifest import read_manifest
from assistant.store.paths import IndexPaths
from assistant.store.search_index import SearchIndex


def _passage_ids(settings: Settings) -> dict[str, set[str]]:
    """Each document's passage ids as the manifest records them (the loaded index keeps only counts)."""
    manifest = read_manifest(IndexPaths(settings.index))
    assert manifest is not None
    return {s: set(d["passage_ids"]) for s, d in manifest["documents"].items()}


def _ids(settings: Settings) -> set[str]:
    collection = chroma_collection(chroma_client(settings, IndexPaths(settings.index)), settings.collection)
    return set(collection.get(include=[])["ids"])


def test_unchanged_reingest_embeds_nothing(small_corpus: Settings) -> None:
    first = Assistant(small_corpus).ingest()
    assert sorted(first.added) == sorted(p.name for p in small_corpus.corpus.iterdir())
    assert first.passages_embedded == first.total_passages > 50
    second = Assistant(small_corpus).ingest()
    assert second.nothing_changed and second.passages_embedded == 0
    assert "up to date" in second.summary()
    assert len(_ids(small_corpus)) == first.total_passages


def test_changed_file_replaces_its_passages_and_deleted_file_is_removed(small_corpus: Settings) -> None:
    bot = Assistant(small_corpus)
    bot.ingest()
    before = _passage_ids(small_corpus)
    assert all(before.values())
    changed = small_corpus.corpus / "children-in-care-programme-scrutiny-2023.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nThe zebra crossing audit found 4321 zebras.\n",
                       encoding="utf-8")
    report = bot.ingest()
    assert report.changed == [changed.name] and not report.added and not report.removed
    after = _passage_ids(small_corpus)
    assert set(SearchIndex.load(small_corpus).documents) == set(after)
    other = "dundee-our-promise-2020-23-impact-summary.txt"
    assert after[other] == before[other]
    assert _ids(small_corpus) == after[other] | after[changed.name]
    answer = bot.ask("How many zebras did the zebra crossing audit find?")
    assert not answer.abstained and "4321" in answer.answer

    (small_corpus.corpus / other).unlink()
    report = bot.ingest()
    assert report.removed == [other]
    assert _ids(small_corpus) == after[changed.name]
    assert all(c.source != other for c in bot.ask("How many children are in Kinship Care?").citations)


def test_bad_files_are_reported_by_name_and_the_rest_is_indexed(small_corpus: Settings) -> None:
    corpus = small_corpus.corpus
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "latin1.txt").write_bytes("Caf\xe9 budget report".encode("latin-1"))
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 4)
    report = Assistant(small_corpus).ingest()
    reasons = {p.source: p.reason for p in report.problems}
    assert "empty" in reasons["empty.txt"]
    assert "UTF-8" in reasons["latin1.txt"]
    assert "binary" in reasons["binary.txt"]
    assert len(report.added) == 2
    assert all(name in report.summary() for name in reasons)


def test_a_file_that_turns_bad_keeps_its_last_good_version(small_corpus: Settings) -> None:
    bot = Assistant(small_corpus)
    bot.ingest()
    target = small_corpus.corpus / "dundee-our-promise-2020-23-impact-summary.txt"
    target.write_bytes(b"\x00\x01\x02 not text")
    report = bot.ingest()
    assert [p.source for p in report.problems] == [target.name]
    answer = bot.ask("How did the number of children in Kinship Care change?")
    assert any(c.source == target.name for c in answer.citations)


def test_empty_corpus_is_an_error_and_loses_nothing(small_corpus: Settings, tmp_path: Path) -> None:
    Assistant(small_corpus).ingest()
    ids = _ids(small_corpus)
    for f in small_corpus.corpus.iterdir():
        f.unlink()
    with pytest.raises(EmptyCorpus, match="No readable documents"):
        Assistant(small_corpus).ingest()
    assert _ids(small_corpus) == ids
    with pytest.raises(CorpusNotFound):
        Assistant(Settings(corpus=tmp_path / "nowhere", index=small_corpus.index)).ingest()


def test_missing_and_half_written_index(small_corpus: Settings) -> None:
    with pytest.raises(IndexMissing, match="assistant ingest"):
        Assistant(small_corpus).ask("How many children are in care?")
    bot = Assistant(small_corpus)
    bot.ingest()
    IndexPaths(small_corpus.index).manifest.write_text('{"version": 1, "docu', encoding="utf-8")  # torn write
    with pytest.raises(IndexCorrupt, match="repair"):
        Assistant(small_corpus).ask("How many children are in care?")
    report = Assistant(small_corpus).ingest()
    assert report.rebuilt and len(report.added) == 2
    assert len(_ids(small_corpus)) == report.total_passages  # nothing duplicated by the repair
    assert not Assistant(small_corpus).ask("How many children came into care from April to June 2023?").abstained


def test_manifest_records_metadata_from_catalog_or_text(small_corpus: Settings) -> None:
    Assistant(small_corpus).ingest()
    docs = json.loads(IndexPaths(small_corpus.index).manifest.read_text(encoding="utf-8"))["documents"]
    scrutiny = docs["children-in-care-programme-scrutiny-2023.txt"]
    # No catalog in this corpus: metadata inferred from the text.
    assert scrutiny["title"] == "Children in Care Programme"
    assert scrutiny["published"] == "2023-09-14"


def test_a_catalog_edit_reindexes_only_that_document(small_corpus: Settings) -> None:
    bot = Assistant(small_corpus)
    bot.ingest()
    (small_corpus.corpus / "catalog.toml").write_text(
        '["children-in-care-programme-scrutiny-2023.txt"]\ntitle = "CiC scrutiny slides"\norganisation = "Example Borough Council"\n',
        encoding="utf-8")
    report = bot.ingest()
    assert report.changed == ["children-in-care-programme-scrutiny-2023.txt"]
    assert report.unchanged == ["dundee-our-promise-2020-23-impact-summary.txt"]
    answer = bot.ask("How many children came into care from April to June 2023?")
    assert answer.citations[0].title == "CiC scrutiny slides"
    assert answer.citations[0].organisation == "Example Borough Council"


def test_an_unchanged_ingest_writes_again_views_that_another_version_wrote(small_corpus: Settings) -> None:
    """After an upgrade that changes how commitments and figures are read, the next `assistant ingest` (which
    `make run` runs) writes the views again once; otherwise every start would read them from the passages."""
    import pickle

    from assistant.views.cache import VIEWS_FILE, read_views, views_signature

    Assistant(small_corpus).ingest()
    paths = IndexPaths(small_corpus.index)
    manifest = read_manifest(paths)
    assert manifest["views"] == views_signature(small_corpus.linking)
    views_file = paths.root / manifest["bm25"] / VIEWS_FILE
    data = pickle.loads(views_file.read_bytes())
    views_file.write_bytes(pickle.dumps({**data, "signature": "an older version"}))
    paths.manifest.write_text(json.dumps({**manifest, "views": "an older version"}))
    assert read_views(views_file.parent, small_corpus.linking) is None  # what a start would have to compute

    again = Assistant(small_corpus).ingest()
    assert again.nothing_changed and again.passages_embedded == 0
    refreshed = read_manifest(paths)
    assert refreshed["views"] == views_signature(small_corpus.linking) and refreshed["bm25"] == manifest["bm25"]
    views = read_views(views_file.parent, small_corpus.linking)
    assert views is not None and len(views.values) == len(data["views"].values) > 0


def test_an_upgrade_that_changes_how_words_are_matched_reads_the_terms_again_without_embedding(
        small_corpus: Settings) -> None:
    """An index whose passages' terms were read by other code (`core.terms` changed in an upgrade): the next
    ingest reads them again from the stored passages and builds the keyword index anew, embedding nothing;
    the one after finds nothing to do."""
    from assistant.core.terms import terms_signature
    from assistant.ingest.run import write_keyword_index
    from assistant.store.manifest import manifest_records, write_manifest
    from assistant.store.segments import read_segment, segment_keys, write_segment

    bot = Assistant(small_corpus)
    bot.ingest()
    paths = IndexPaths(small_corpus.index)
    manifest = read_manifest(paths)
    records = manifest_records(manifest)
    df = json.loads((paths.root / manifest["bm25"] / "df.json").read_text())
    key = segment_keys(records)["children-in-care-programme-scrutiny-2023.txt"]
    seg = read_segment(paths, key)
    read_now = dict(seg.terms)
    # As an older version left it: some words not read at all, and the index's document frequencies built so.
    seg.terms = {t: c for t, c in seg.terms.items() if not t.startswith("c")}
    seg.terms_read_by = "older"
    write_segment(paths, key, seg)
    manifest.update(terms="older", bm25=write_keyword_index(small_corpus, paths, records))
    write_manifest(paths, manifest)
    assert json.loads((paths.root / manifest["bm25"] / "df.json").read_text()) != df

    report = bot.ingest()
    assert report.passages_embedded == 0 and report.terms_read_again == 1  # the other's terms are this code's
    assert "Read again the words of the passages of 1 document (" in report.summary()
    after = read_manifest(paths)
    assert after["terms"] == terms_signature() and after["bm25"] != manifest["bm25"]
    again = read_segment(paths, key)
    assert again.terms == read_now and again.terms_read_by == terms_signature()
    assert json.loads((paths.root / after["bm25"] / "df.json").read_text()) == df
    assert bot.ingest().passages_embedded == 0 and read_manifest(paths)["bm25"] == after["bm25"]


def test_a_reingest_keeps_the_unchanged_documents_index_as_a_full_build_makes_it(small_corpus: Settings) -> None:
    """Re-indexing one report copies the other reports' keyword rows and views from the index built last
    (a re-ingest of one of 2,000 documents read them all again): the result is what a build from every
    document's segment and views gives."""
    import shutil

    from assistant.ingest.batches import stored_segments, stored_views
    from assistant.store.keyword import build_bm25
    from assistant.store.manifest import manifest_records
    from assistant.store.segments import segment_keys
    from assistant.views.cache import assemble_views, read_views
    from tests.test_keyword_index import state

    plan = "dundee-children-and-families-service-plan-2021-24.txt"  # commitments and figures, unchanged below
    shutil.copy(Path(__file__).resolve().parent.parent / "corpus" / plan, small_corpus.corpus)
    bot = Assistant(small_corpus)
    bot.ingest()
    changed = small_corpus.corpus / "children-in-care-programme-scrutiny-2023.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nThe committee noted 17 new allotment plots.\n",
                       encoding="utf-8")
    (small_corpus.corpus / "dundee-our-promise-2020-23-impact-summary.txt").unlink()
    report = bot.ingest()
    assert report.changed == [changed.name] and report.removed and report.passages_embedded < report.total_passages

    paths = IndexPaths(small_corpus.index)
    manifest = read_manifest(paths)
    keys = segment_keys(manifest_records(manifest))
    folder = paths.root / manifest["bm25"]
    clean = build_bm25(small_corpus, paths, stored_segments(paths, keys), name="bm25-clean")
    assert state(folder) == state(clean)
    views = read_views(folder, small_corpus.linking)
    rebuilt = assemble_views(stored_views(small_corpus, paths, keys), small_corpus.linking)
    assert views is not None and views.values and views.commitments
    assert [(v.source, v.char_start, v.measure, v.value) for v in views.values] == \
        [(v.source, v.char_start, v.measure, v.value) for v in rebuilt.values]
    assert [(c.source, c.char_start, c.action) for c in views.commitments] == \
        [(c.source, c.char_start, c.action) for c in rebuilt.commitments]
    assert [s.id for s in views.series] == [s.id for s in rebuilt.series]
    assert "17" in bot.ask("How many new allotment plots did the committee note?").answer
