"""The one Python API that the CLI and the Streamlit app both call.

    from assistant.api import Assistant
    bot = Assistant()                      # settings from ASSISTANT_* variables
    bot.ingest()                           # build or update the index
    chat = bot.conversation()
    print(chat.ask("What happened to external residential numbers?").answer)
    print(chat.ask("And in Kinship Care?").answer)

The stages it joins live in their own packages: `ingest` (reports -> passages -> index),
`store` (the index on disk), `views` (commitments and figures), `answer` (question ->
retrieval -> cited answer).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .answer.compose import answer_from_hits
from .answer.question import CHANGE_RE, Question, build_question, check_question, unresolved_reference
from .answer.rerank import TermCache, other_places, rerank
from .answer.retrieve import Filters, Hit, Retriever
from .answer.timeline import add_timeline, commitment_statements, register_match
from .core.errors import IndexCorrupt, IndexMissing, UnreadableDocument
from .core.settings import Settings, get_settings, shown_path
from .core.text import content_terms
from .core.types import Answer, DocumentRecord, Progress
from .embed import Embedder, make_embedder
from .ingest.corpus import file_hash, load_document, read_catalog
from .ingest.glossary import Glossary
from .ingest.run import IngestReport, build_estimate, check, ingest
from .store.check import CheckReport
from .store.paths import IndexPaths
from .store.search_index import SearchIndex
from .store.texts import cached_text
from .views.cache import Views, views_for
from .views.commitments import Commitment
from .views.figure_values import Series


def _lower_first(text: str) -> str:
    """ "Children in care" -> "children in care"; "SCQF Level 5" and "NHS waiting times" keep their capitals."""
    first = text.split(" ", 1)[0]
    return text if first.isupper() or any(c.isupper() for c in first[1:]) else text[:1].lower() + text[1:]


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
        answer, q = self.assistant.answer(question, self.filters, previous)
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
        self._embedder: Embedder | None = None
        self._retriever: Retriever | None = None
        self._stamp = 0.0
        self._glossary = Glossary([])
        self._scope: frozenset[str] = frozenset()
        self._terms = TermCache(None)

    # --- loading --------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
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
                try:
                    index = SearchIndex.load(self.settings)
                except IndexMissing as exc:
                    raise self._with_estimate(exc) from None
                self._index, self._glossary = index, Glossary.from_dicts(index.glossary_entries)
                # Words that name the library's places and bodies: a follow-up keeps the place it is about.
                self._scope = frozenset(content_terms(" ".join(f"{d.organisation or ''} {d.place or ''}"
                                                               for d in index.documents.values())))
                width = self.settings.retrieval.neighbour_width
                self._terms = TermCache(self._glossary, self.settings.relevance,
                                        lambda p: [index.passages[pid] for pid in index.neighbours(p.id, width)])
                self._retriever = Retriever(index, self.embedder)
            return self._index

    def _with_estimate(self, exc: IndexMissing) -> IndexMissing:
        """The store's "no index yet" message, with how long a first build of this corpus takes."""
        return IndexMissing(f"{str(exc).rstrip('.')}{build_estimate(self.settings)}.")

    def index_state(self) -> str:
        """"" when the index loads; otherwise why not, in one sentence (none yet, or incomplete)."""
        try:
            _ = self.index
        except IndexMissing:
            return f"No index yet in {shown_path(self.settings.index)}{build_estimate(self.settings)}."
        except IndexCorrupt:
            return f"The index in {shown_path(self.settings.index)} is incomplete."
        return ""

    def _manifest_stamp(self) -> float:
        try:
            return (Path(self.settings.index) / "manifest.json").stat().st_mtime_ns
        except OSError:
            return 0.0

    def views(self) -> Views:
        """Commitments and figure series of the loaded index (read once per index)."""
        return views_for(self.index, self.settings.linking)

    def warm(self) -> None:
        """Load the index, the model and the views now (otherwise the first question pays for them)."""
        index = self.index
        newest = max(index.documents.values(), key=lambda d: d.published, default=None)
        # The first search pays one-off set-up costs in each library; any question will do.
        self.ask(f"What does {newest.title} say?" if newest else "What do the reports say?")
        self.views()

    def example_questions(self, n: int = 4) -> list[str]:
        """Questions this library can answer, made from its own contents (for a new user to try): a figure
        several reports give, who leads a commitment, a figure of the newest report, what a report covers."""
        views = self.views()
        out: list[str] = []

        def short(text: str, words: int) -> bool:
            return 2 <= len(text.split()) <= words and len(text) <= 70

        linked = [s for s in views.series if s.linked and short(s.measure, 8)]
        out += [f"How has the figure for {_lower_first(s.measure)} changed?" for s in linked[:1]]
        led = [c for c in views.commitments if (c.lead_normalised or c.lead) and short(c.action, 9)]
        out += [f"Who leads “{c.action.rstrip('.')}”, and by when?" for c in led[:1]]
        newest = sorted(self.index.documents.values(), key=lambda d: d.published, reverse=True)
        single = [s for s in views.series if not s.linked and short(s.measure, 7)
                  and newest and s.sources[0] == newest[0].source]
        out += [f"What figure does {newest[0].organisation or 'the newest report'} give for "
                f"{_lower_first(single[0].measure)}?"] if single else []
        out += [f"What does “{d.title}” cover?" for d in newest if len(d.title) <= 80][:max(0, n - len(out))]
        return out[:n]

    def _register_first(self, q: Question, ranked: list[Hit], filters: Filters | None, others: set[str]) -> list[Hit]:
        """"Who leads …?", "When will … happen?": the commitments register's matching row leads the answer,
        so that the chat says what the register says, citing the row."""
        index = self.index
        allowed = filters.allowed_sources(index.documents) if filters else None
        if allowed is not None and others:
            allowed = allowed - others
        elif others:
            allowed = set(index.documents) - others
        match = register_match(q, self.views().commitments, self.settings.selection.register_match, allowed)
        passage = index.passages.get(match.passage_id) if match else None
        if passage is None:
            return ranked
        top = ranked[0].relevance if ranked else 1.0
        hit = next((h for h in ranked if h.passage.id == passage.id), None) or Hit(passage=passage, dense=0.0)
        hit.relevance = max(hit.relevance, top) + self.settings.relevance.referred_boost
        return [hit] + [h for h in ranked if h is not hit]

    def reload(self) -> None:
        with self._lock:
            self._index = None
            self._retriever = None

    # --- the API --------------------------------------------------------------------
    def ingest(self, progress: Progress | None = None) -> IngestReport:
        """Bring the index in line with the corpus folder (incremental)."""
        report = ingest(self.settings, progress=progress, embedder=self._embedder)
        if not report.nothing_changed:
            self.reload()
        return report

    def documents(self) -> list[DocumentRecord]:
        """Indexed documents with title, organisation, date and passage count, newest first."""
        return sorted(self.index.documents.values(), key=lambda d: d.published, reverse=True)

    def problems(self) -> dict[str, str]:
        """Files the last ingest could not read, with the reason (name -> reason)."""
        return {p["source"]: p["reason"] for p in self.index.manifest.get("problems", [])}

    def commitments(self) -> list[Commitment]:
        """What the plans commit to: action-plan rows and "We will" statements, in document order."""
        return self.views().commitments

    def figure_series(self) -> list[Series]:
        """The figures the reports give, linked into series of one measure over time."""
        return self.views().series

    def source_text(self, source: str) -> str:
        """The full text that citations of `source` index into: the file itself for .txt/.md,
        the extracted text (cached under the index folder) for PDF, Word and HTML."""
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

    def check(self, fix: bool = False, progress: Progress | None = None) -> CheckReport:
        """Compare Chroma, BM25 and the manifest; with `fix`, repair any divergence."""
        try:
            report = check(self.settings, fix=fix, progress=progress)
        except IndexMissing as exc:
            raise self._with_estimate(exc) from None
        if report.repaired:
            self.reload()
        return report

    def conversation(self, filters: Filters | None = None) -> Conversation:
        return Conversation(self, filters or Filters())

    def ask(self, question: str, filters: Filters | None = None) -> Answer:
        """Answer one question on its own (no conversation)."""
        return self.answer(question, filters or Filters(), None)[0]

    def answer(self, question: str, filters: Filters, previous: Turn | None) -> tuple[Answer, Question]:
        """Answer `question` in the light of the previous turn of its conversation; also returns how it was read."""
        text = check_question(question, self.settings.max_question_chars)
        index = self.index
        if filters:
            filters.check(index.documents)
        t0 = time.perf_counter()
        expansion = self._glossary.expand(text)[len(text):].strip()
        q = build_question(text, index.df, len(index.passages), previous.question if previous else None, expansion,
                           self._scope, self.settings.relevance)
        if unresolved_reference(q, previous.question if previous else None):
            answer = Answer(question=text, abstained=True, query=q.search_text, answer=(
                "This question refers back to something (“that”, “it”, “they”) but there is no earlier question in this "
                "conversation. Ask it in full, naming what it is about."))
            answer.timings_ms = {"retrieve": 0.0, "answer": (time.perf_counter() - t0) * 1000}
            return answer, q
        assert self._retriever is not None  # set with the index
        hits, _ = self._retriever.search(q.search_text, filters)
        t1 = time.perf_counter()
        boost = {c.source + f":{c.char_start}" for c in previous.answer.citations} if (previous and q.refers_back) else set()
        boost_ids = {h.passage.id for h in hits if f"{h.passage.source}:{h.passage.char_start}" in boost}
        others = other_places(q.search_text, index.documents)
        ranked = rerank(q, hits, self._terms, boost_ids, others)
        ranked = self._register_first(q, ranked, filters, others)
        rows = [h for h in ranked[:self.settings.selection.commitment_window] if h.passage.kind in ("row", "fields")]
        overrides = commitment_statements(rows, self.views()) if rows else {}
        answer = answer_from_hits(q, ranked, self._terms, index.df, overrides, self.settings.abstention,
                                  self.settings.selection, others)
        if not answer.abstained and CHANGE_RE.search(q.search_text):
            add_timeline(answer, self.views(), index.passages, self.settings.selection.max_citations,
                         filters.allowed_sources(index.documents) if filters else None)
        t2 = time.perf_counter()
        answer.timings_ms = {"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000}
        return answer, q
