"""The keyword index put together from documents' segments, and made again from the one built before with
only the changed documents read (re-indexing one report of an archive): both give the same index."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from assistant.core.settings import Settings
from assistant.store.keyword import ROW_TOKENS, build_bm25, update_bm25
from assistant.store.paths import ROW_DOCS, ROW_IDS, ROWS, IndexPaths
from assistant.store.search_index import KeywordEngine
from assistant.store.segments import Segment


def segment(source: str, passages: list[str]) -> Segment:
    """A hand-made segment: each passage's stemmed words as its tokens (as a question is tokenised), and its
    words as content terms."""
    import Stemmer

    stem = Stemmer.Stemmer("english").stemWords
    seg = Segment(source)
    for n, text in enumerate(passages):
        pid = f"{source}-{n}"
        seg.ids.append(pid)
        seg.lines.append(json.dumps({"node_id": pid, "text": text}))
        seg.tokens.append(stem(text.lower().split()))
        for term in set(text.lower().split()):
            seg.terms[term] = seg.terms.get(term, 0) + 1
    return seg


A = segment("a.md", ["parks reopened in spring", "three parks and two libraries"])
B = segment("b.md", ["housing targets for homes", "homes built homes planned", "library hours cut"])
B2 = segment("b.md", ["housing targets missed", "allotment plots added in the north ward"])
C = segment("c.md", ["budget savings of two million", "budget for parks"])


def state(folder: Path, corpus: bool = True) -> dict:
    """What a reader gets from a keyword index, token ids aside (they name the same words); only the scores
    without `corpus`."""
    import bm25s

    engine = bm25s.BM25.load(str(folder), load_corpus=corpus)
    words = {i: t for t, i in engine.vocab_dict.items()}
    data, rows, starts = engine.scores["data"], engine.scores["indices"], engine.scores["indptr"]
    scores = {(int(rows[k]), words[t]): float(data[k]) for t in range(len(starts) - 1)
              for k in range(starts[t], starts[t + 1])}
    if not corpus:
        return {"scores": scores}
    return {"scores": scores, "vocabulary": set(engine.vocab_dict), "corpus": (folder / "corpus.jsonl").read_bytes(),
            "entries": [e["node_id"] for e in engine.corpus], "ids": np.load(folder / ROW_IDS).tolist(),
            "docs": np.load(folder / ROW_DOCS).tolist(), "sources": json.loads((folder / ROWS).read_text())["sources"],
            "df": json.loads((folder / "df.json").read_text())}


def test_an_index_made_from_the_last_one_equals_one_built_from_every_segment(tmp_path: Path) -> None:
    settings, paths = Settings(index=tmp_path), IndexPaths(tmp_path)
    earlier = build_bm25(settings, paths, [A, B, C], name="bm25-earlier")
    # b.md changed, c.md removed, d.md added: a.md's rows are copied, b.md's and d.md's read
    d = segment("d.md", ["new library opened"])
    segments = {"a.md": A, "b.md": B2, "d.md": d}
    read = []
    updated = update_bm25(settings, paths, earlier, {"a.md"}, [B, C],
                          lambda s: read.append(s) or segments[s], ["a.md", "b.md", "d.md"])
    assert updated is not None and read == ["b.md", "d.md"]
    clean = build_bm25(settings, paths, [A, B2, d], name="bm25-clean")
    got, want = state(updated), state(clean)
    assert got == want
    assert "librari" in got["vocabulary"] and "budget" not in got["vocabulary"]  # c.md's words left with it
    assert got["df"].get("parks") == 2 and "budget" not in got["df"]  # c.md's terms counted out
    assert "homes" not in got["df"]  # the changed b.md's old terms too
    assert got["sources"] == ["a.md", "b.md", "d.md"] and got["docs"] == [0, 0, 1, 1, 2]


def test_a_made_index_answers_as_a_built_one(tmp_path: Path) -> None:
    settings, paths = Settings(index=tmp_path), IndexPaths(tmp_path)
    earlier = build_bm25(settings, paths, [A, B, C], name="bm25-earlier")
    updated = update_bm25(settings, paths, earlier, {"a.md", "c.md"}, [B], lambda s: B2, ["a.md", "b.md", "c.md"])
    clean = build_bm25(settings, paths, [A, B2, C], name="bm25-clean")
    import bm25s

    for query in ("parks budget", "allotment plots north ward", "homes"):
        hits = [KeywordEngine(bm25s.BM25.load(str(f))).search(query, 5) for f in (updated, clean)]
        assert hits[0] == hits[1]
    assert [r for r, _ in KeywordEngine(bm25s.BM25.load(str(updated))).search("allotment plots", 5)] == [3]


def test_an_index_without_what_copying_needs_is_built_again(tmp_path: Path) -> None:
    # An index written by an earlier version has no term counts per row: the caller builds from every segment.
    settings, paths = Settings(index=tmp_path), IndexPaths(tmp_path)
    earlier = build_bm25(settings, paths, [A, B], name="bm25-earlier")
    (earlier / ROW_TOKENS).unlink()
    assert update_bm25(settings, paths, earlier, {"a.md"}, [B], lambda s: B2, ["a.md", "b.md"]) is None


def test_a_passage_s_row_is_found_through_the_sorted_order() -> None:
    from assistant.store.search_index import RowIds

    ids = np.array([b"b7", b"a1", b"dd", b"c3", b"a10"], dtype="S3")
    rows = RowIds(ids, np.argsort(ids, kind="stable"))
    assert [rows.row_of(pid) for pid in ("b7", "a1", "dd", "c3", "a10")] == [0, 1, 2, 3, 4]
    assert rows.row_of("a") is None and rows.row_of("zz") is None and rows.row_of("") is None
    assert rows.row_of("a100") is None  # longer than any id: not mistaken for "a10"
    assert rows[4] == "a10" and len(rows) == 5


def test_the_scores_are_bm25s_own(tmp_path: Path) -> None:
    # The index is scored over arrays with bm25s's formula: it must give what bm25s's own `index()` gives.
    import bm25s
    from bm25s.tokenization import Tokenized

    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(t, len(vocab)) for t in tokens] for seg in (A, B, C) for tokens in seg.tokens]
    theirs = bm25s.BM25()
    theirs.index(Tokenized(ids=ids, vocab=vocab), show_progress=False)
    theirs.save(str(tmp_path / "theirs"), show_progress=False)
    ours = build_bm25(Settings(index=tmp_path), IndexPaths(tmp_path), [A, B, C], name="bm25-ours")
    assert state(ours)["scores"] == state(tmp_path / "theirs", corpus=False)["scores"]


def test_two_builds_in_the_same_second_write_two_folders(tmp_path: Path) -> None:
    """The second build of a second (an update, then a rebuild) must not overwrite the folder the first wrote,
    which the manifest may name."""
    settings, paths = Settings(index=tmp_path), IndexPaths(tmp_path)
    first = build_bm25(settings, paths, [A, B])
    second = build_bm25(settings, paths, [A])
    third = build_bm25(settings, paths, [B])
    assert len({first, second, third}) == 3
    assert state(first) != state(second) and state(first, corpus=False) == state(build_bm25(settings, paths, [A, B]),
                                                                                   corpus=False)
