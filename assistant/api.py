"""The one Python API that the CLI and the Streamlit app both call.

    from assistant.api import Assistant
    bot = Assistant()                      # settings from ASSISTANT_* variables
    bot.ingest()                           # build or update the index
    chat = bot.conversation()
    print(chat.ask("What happened to external residential numbers?").answer)
    print(chat.ask("And in Kinship Care?").answer)
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .answer import (CHANGE_RE, Question, TermCache, answer_from_hits, build_question, named_places, render_commitment,
                     rerank, timeline, unresolved_reference)
from .errors import BadQuestion
from .index import IngestReport, Progress, SearchIndex, ingest
from .retrieve import Filters, Retriever
from .settings import Settings, get_settings
from .types import Answer


def check_question(question: str, max_chars: int) -> str:
    """The question, stripped, or BadQuestion saying what is wrong with it."""
    if question is None or not str(question).strip():
        raise BadQuestion("The question is empty; type a question about the reports.")
    q = " ".join(str(question).split())
    if len(q) > max_chars:
        raise BadQuestion(f"The question is {len(q):,} characters long; the limit is {max_chars:,}. Ask something shorter.")
    letters = [c for c in q if c.isalpha()]
    if not letters:
        raise BadQuestion("The question has no words in it; ask about the reports in English.")
    latin = sum(1 for c in letters if "LATIN" in unicodedata.name(c, ""))
    if latin < len(letters) / 2:
        raise BadQuestion("The reports are in English and this question is in another script; please ask in English.")
    return q


@dataclass
class Turn:
    question: Question
    answer: Answer


@dataclass
class Conversation:
    """A chat: each question is understood in the light of the turn before it."""

    assistant: "Assistant"
    filters: Filters = field(default_factory=Filters)
    turns: list[Turn] = field(default_factory=list)

    def ask(self, question: str) -> Answer:
        previous = self.turns[-1] if self.turns else None
        answer, q = self.assistant._ask(question, self.filters, previous)
        self.turns.append(Turn(q, answer))
        return answer

    def reset(self) -> None:
        self.turns.clear()


class Assistant:
    """Loads the index and model lazily, once, and answers questions over them."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self._lock = threading.Lock()
        self._index: SearchIndex | None = None
        self._embedder: Any = None
        self._retriever: Retriever | None = None
        self._df: dict[str, int] = {}
        self._stamp = 0.0
        self._terms = TermCache(None)

    # --- loading --------------------------------------------------------------------
    @property
    def embedder(self) -> Any:
        if self._embedder is None:
            from .embed import make_embedder

            self._embedder = make_embedder(self.settings)
        return self._embedder

    @property
    def index(self) -> SearchIndex:
        with self._lock:
            # Another process (a CLI ingest, an upload in another session) may have updated the index.
            if self._index is not None and self._manifest_stamp() != self._stamp:
                self._index = None
            if self._index is None:
                self._stamp = self._manifest_stamp()
                index = SearchIndex.load(self.settings)
                self._index, self._df, self._terms = index, index.df, TermCache(index.glossary)
                self._retriever = Retriever(index, self.embedder)
            return self._index

    # --- structured views used in answers -----------------------------------------------
    def _commitment_statements(self, hits: list[Any]) -> dict[str, str]:
        """For action-plan rows among `hits`: the commitment read from them, as the statement to use."""
        rows = [h.passage for h in hits if h.passage.kind == "row"]
        if not rows:
            return {}
        from .commitments import commitments_for

        by_passage: dict[str, list[Any]] = {}
        for c in commitments_for(self):
            by_passage.setdefault(c.passage_id, []).append(c)
        return {p.id: "; ".join(render_commitment(c) for c in by_passage[p.id]) for p in rows if p.id in by_passage}

    def _add_timeline(self, answer: Answer, allowed: set[str] | None = None) -> None:
        """Append the figure series that the cited passages belong to, as a small table with every
        point cited; points from passages not yet cited (another report's figure) get a citation."""
        from .answer import Draft, to_citation
        from .figures import series_for
        from .retrieve import Hit

        def cited(v: Any) -> bool:
            return any(c.source == v.source and c.char_start <= v.char_start and v.char_end <= c.char_end
                       for c in answer.citations)

        best = None
        for s in series_for(self):
            n = sum(1 for p in s.points for v in p.citations if cited(v))
            if n >= 1 and len(s.points) >= 2 and (best is None or n > best[0]):
                best = (n, s)
        if not best:
            return
        series = best[1]
        for point in series.points:
            v = point.citations[0]
            if cited(v) or len(answer.citations) >= self.settings.max_citations or v.passage_id not in self.index.passages:
                continue
            if allowed is not None and v.source not in allowed:
                continue  # the user's filters hold for the timeline too
            p = self.index.passages[v.passage_id]
            draft = Draft(Hit(p, relevance=0.0), [(v.char_start, v.char_end)], "")
            draft.marker = len(answer.citations) + 1
            answer.citations.append(to_citation(draft))
        made = timeline(series, answer.citations)
        if made:
            table, answer.series = made
            answer.answer += "\n\n" + table
        # A citation added for the table but left out of it (no point located) would be unused.
        used = {int(m) for m in re.findall(r"\[(\d+)\]", answer.answer)}
        answer.citations = [c for c in answer.citations if c.marker in used]

    def _manifest_stamp(self) -> float:
        try:
            return (Path(self.settings.index) / "manifest.json").stat().st_mtime_ns
        except OSError:
            return 0.0

    def warm(self) -> None:
        """Load the index and the model now (otherwise the first question pays for it)."""
        from .commitments import commitments_for
        from .figures import series_for

        _ = self.index
        self.ask("How many children are in care?")  # first search pays one-off set-up costs in each library
        commitments_for(self), series_for(self)  # read once per index, used by answers

    def index_state(self) -> str:
        """"" when the index loads; otherwise why not, in one sentence (none yet, or incomplete)."""
        from .errors import IndexCorrupt, IndexMissing
        from .index import build_estimate
        from .settings import shown_path

        try:
            _ = self.index
        except IndexMissing:
            return f"No index yet in {shown_path(self.settings.index)}{build_estimate(self.settings)}."
        except IndexCorrupt:
            return f"The index in {shown_path(self.settings.index)} is incomplete."
        return ""

    def reload(self) -> None:
        with self._lock:
            self._index = None
            self._retriever = None

    # --- the API --------------------------------------------------------------------
    def ingest(self, progress: Progress | None = None) -> IngestReport:
        """Bring the index in line with the corpus folder (incremental)."""
        report = ingest(self.settings, progress=progress, embedder=self.embedder if self._embedder else None)
        if not report.nothing_changed:
            self.reload()
        return report

    def documents(self) -> list[dict[str, Any]]:
        """Indexed documents with title, organisation, date and passage count, newest first."""
        docs = [dict(d) for d in self.index.documents.values()]
        return sorted(docs, key=lambda d: d.get("published", ""), reverse=True)

    def source_text(self, source: str) -> str:
        """The full text that citations of `source` index into: the file itself for .txt/.md,
        the extracted text (cached under the index folder) for PDF, Word and HTML."""
        from .errors import UnreadableDocument
        from .index import IndexPaths, cached_text
        from .load import file_hash, load_document, read_catalog

        corpus = self.settings.corpus
        path = (corpus / source).resolve()
        if corpus not in path.parents or not path.is_file():
            raise UnreadableDocument(source, f"is not a file in the corpus folder {corpus}")
        data = path.read_bytes()
        if path.suffix.lower() not in (".txt", ".md"):
            cached = cached_text(IndexPaths(self.settings.index), file_hash(data))
            if cached is not None:
                return cached
        return load_document(corpus, path, read_catalog(corpus), data).text

    def check(self, fix: bool = False, progress: Progress | None = None) -> Any:
        """Compare Chroma, BM25 and the manifest; with `fix`, repair any divergence."""
        from .index import check

        report = check(self.settings, fix=fix, progress=progress)
        if report.repaired:
            self.reload()
        return report

    def conversation(self, filters: Filters | None = None) -> Conversation:
        return Conversation(self, filters or Filters())

    def ask(self, question: str, filters: Filters | None = None) -> Answer:
        """Answer one question on its own (no conversation)."""
        return self._ask(question, filters or Filters(), None)[0]

    def _ask(self, question: str, filters: Filters, previous: Turn | None) -> tuple[Answer, Question]:
        text = check_question(question, self.settings.max_question_chars)
        index = self.index
        if filters:
            filters.check(index)
        t0 = time.perf_counter()
        expansion = index.glossary.expand(text)[len(text):].strip()
        q = build_question(text, self._df, len(index.passages), previous.question if previous else None, expansion)
        if unresolved_reference(q, previous.question if previous else None):
            answer = Answer(question=text, abstained=True, query=q.search_text, answer=(
                "This question refers back to something (“that”, “it”, “they”) but there is no earlier question in this "
                "conversation. Ask it in full, e.g. “Who leads the edge of care offer?”."))
            answer.timings_ms = {"retrieve": 0.0, "answer": (time.perf_counter() - t0) * 1000}
            return answer, q
        hits, _ = self._retriever.search(q.search_text, filters)  # type: ignore[union-attr]
        t1 = time.perf_counter()
        boost = {c.source + f":{c.char_start}" for c in previous.answer.citations} if (previous and q.refers_back) else set()
        boost_ids = {h.passage.id for h in hits if f"{h.passage.source}:{h.passage.char_start}" in boost}
        ranked = rerank(q, hits, self._terms, boost_ids, named_places(q.search_text, index.documents))
        overrides = self._commitment_statements(ranked[:12])
        answer = answer_from_hits(q, ranked, self.settings.min_relevance, self.settings.max_citations, self._terms,
                                  self._df, self.settings.rare_term_relevance, overrides)
        if not answer.abstained and CHANGE_RE.search(q.search_text):
            self._add_timeline(answer, filters.allowed_sources(index.documents) if filters else None)
        t2 = time.perf_counter()
        answer.timings_ms = {"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000}
        return answer, q
