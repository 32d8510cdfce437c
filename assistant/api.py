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

import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import editing
from .answer.compose import answer_from_hits
from .answer.question import CHANGE_RE, Question, build_question, check_question, unresolved_reference
from .answer.rerank import TermCache, other_places, rerank
from .answer.retrieve import Filters, Hit, Retriever
from .answer.timeline import add_timeline, commitment_statements, register_match
from .core.errors import IndexCorrupt, IndexMissing, NothingVisible, UnreadableDocument
from .core.identity import Viewer, check_editor
from .core.memory import keep_out_of_collector
from .core.settings import Settings, get_settings, shown_path
from .core.terms import content_terms
from .core.types import Answer, DocumentRecord, Progress
from .core.visibility import audience_levels, level_of, visible
from .embed import Embedder, make_embedder
from .ingest.corpus import file_hash, load_document, read_catalog
from .answer.acronyms import Glossary
from .ingest.library import AddResult
from .ingest.run import IngestReport, build_estimate, check, ingest
from .ingest.visibility import ensure_audience
from .records.audit import AuditEntry
from .records.feedback import FeedbackEntry, FeedbackStore
from .records.questions import QuestionEntry, QuestionLog, entry_for, group_unanswered, to_csv
from .store.check import CheckReport
from .store.paths import IndexPaths
from .store.search_index import Audience, SearchIndex
from .store.texts import cached_text
from .views.cache import Views, load_in_background, views_for, views_loaded, views_size
from .views.commitments import Commitment
from .views.figure_values import Series

log = logging.getLogger(__name__)


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
    viewer: Viewer = field(default_factory=Viewer.anonymous)  # who is asking
    record: bool = False  # write each question and its answer to the question log
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])

    def ask(self, question: str) -> Answer:
        previous = self.turns[-1] if self.turns else None
        answer, q = self.assistant.answer(question, self.filters, previous, self.viewer)
        self.turns.append(Turn(q, answer))
        if self.record:
            self.assistant.record_question(self.viewer, answer, self.filters, self.id, len(self.turns),
                                           previous.answer.question if previous else "")
        return answer

    def reset(self) -> None:
        self.turns.clear()


class Assistant:
    """Loads the index and model lazily, once, and answers questions over them."""

    def __init__(self, settings: Settings | None = None, audience: Audience | None = None,
                 parent: "Assistant | None" = None) -> None:
        self.settings = settings or get_settings()
        # An audience's Assistant answers from what that audience may see; it shares its parent's model.
        self._audience, self._parent = audience, parent
        self._audiences: dict[tuple[float, frozenset[str]], Assistant] = {}
        self._log_ready = False
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
        if self._parent is not None:
            return self._parent.embedder
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
                    index = SearchIndex.load(self.settings, self._audience)
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
        if self._audience is not None:
            return 1.0  # made for one state of the library: a changed library gets another audience
        try:
            return (Path(self.settings.index) / "manifest.json").stat().st_mtime_ns
        except OSError:
            return 0.0

    # --- who may see what (core/visibility.py) --------------------------------------------------
    def for_viewer(self, viewer: Viewer | None) -> "Assistant":
        """The library as `viewer` may see it: this Assistant for an editor (or None: the local user, the
        Python API's caller) and whenever nothing is hidden from them; else an Assistant over the documents
        their audience may see, with its own keyword index, document frequencies, glossary and views, so that
        their answers are those of a library without the others. One per audience, not per person."""
        if viewer is None or self._audience is not None:
            return self
        levels = audience_levels(viewer, self.settings.groups)
        index = self.index
        if levels is None:
            return self
        sources = frozenset(s for s, d in index.documents.items() if visible(levels, d.visibility))
        if len(sources) == len(index.documents):
            return self
        if not sources:
            raise NothingVisible("None of the reports in this library is open to you"
                                 + ("." if viewer.signed_in else "; sign in to read more."))
        key = (self._stamp, levels)
        with self._lock:
            child = self._audiences.get(key)
        if child is None:
            name = ensure_audience(self.settings, {s: index.segment_keys[s] for s in sources})
            child = Assistant(self.settings, Audience(index.manifest, sources, name, levels), parent=self)
            with self._lock:
                self._audiences = {k: v for k, v in self._audiences.items() if k[0] == self._stamp}
                child = self._audiences.setdefault(key, child)
        return child

    def visible_sources(self, viewer: Viewer | None) -> set[str]:
        """The documents `viewer` may see (every indexed one for an editor)."""
        return set(self.for_viewer(viewer).index.documents)

    def visibility_of(self, source: str) -> str:
        """Who may see `source`: public, signed-in, editors or group:NAME."""
        record = self.index.documents.get(source)
        return level_of(record.visibility if record else "")

    def views(self) -> Views:
        """Commitments and figure series of the loaded index (read once per index)."""
        return views_for(self.index, self.settings.linking)

    def _views_now(self) -> Views | None:
        """The views for answering a question: loaded now when that is quick (a file of at most
        `selection.views_wait_mb`), else only if already loaded; a large archive's load in the background
        meanwhile, so that the first answer after start-up does not wait for them."""
        index = self.index
        ready = views_loaded(index)
        if ready is not None:
            return ready
        if views_size(index) <= self.settings.selection.views_wait_mb * 1e6:
            return self.views()
        load_in_background(index, self.settings.linking)
        return None

    def warm(self, ready: Callable[[], None] | None = None) -> None:
        """Load the index, the model and the views now (otherwise the first question pays for them).
        `ready`, when given, is called as soon as a question is answered at once (index, model and vectors
        loaded), before the views: a large archive's take seconds more, and answers do without them meanwhile."""
        index = self.index
        newest = max(index.documents.values(), key=lambda d: d.published, default=None)
        # The first search pays one-off set-up costs in each library; any question will do.
        self.ask(f"What does {newest.title} say?" if newest else "What do the reports say?")
        if ready is not None:
            ready()
        self.views()
        keep_out_of_collector()  # what is loaded now lives as long as the index

    def example_questions(self, n: int = 4, viewer: Viewer | None = None, wait: bool = True) -> list[str]:
        """Questions this library can answer, made from its own contents (for a new user to try): a figure
        several reports give, who leads a commitment, a figure of the newest report, what a report covers.
        With `wait=False` a large archive's views are not waited for (as for a question): until they are
        loaded, the questions ask what the newest reports cover."""
        if self.for_viewer(viewer) is not self:
            return self.for_viewer(viewer).example_questions(n, wait=wait)
        views = self.views() if wait else self._views_now()
        out: list[str] = []

        def short(text: str, words: int) -> bool:
            return 2 <= len(text.split()) <= words and len(text) <= 70

        series = views.series if views is not None else []
        linked = [s for s in series if s.linked and short(s.measure, 8)]
        out += [f"How has the figure for {_lower_first(s.measure)} changed?" for s in linked[:1]]
        commitments = views.commitments if views is not None else []
        led = [c for c in commitments if (c.lead_normalised or c.lead) and short(c.action, 9)]
        out += [f"Who leads “{c.action.rstrip('.')}”, and by when?" for c in led[:1]]
        newest = sorted(self.index.documents.values(), key=lambda d: d.published, reverse=True)
        single = [s for s in series if not s.linked and short(s.measure, 7)
                  and newest and s.sources[0] == newest[0].source]
        out += [f"What figure does {newest[0].organisation or 'the newest report'} give for "
                f"{_lower_first(single[0].measure)}?"] if single else []
        out += [f"What does “{d.title}” cover?" for d in newest if len(d.title) <= 80][:max(0, n - len(out))]
        return out[:n]

    def _register_first(self, q: Question, ranked: list[Hit], filters: Filters | None, others: set[str],
                        views: Views | None) -> list[Hit]:
        """"Who leads …?", "When will … happen?": the commitments register's matching row leads the answer,
        so that the chat says what the register says, citing the row (none while `views` are not loaded)."""
        index = self.index
        allowed = filters.allowed_sources(index.documents) if filters else None
        if allowed is not None and others:
            allowed = allowed - others
        elif others:
            allowed = set(index.documents) - others
        match = register_match(q, views, self.settings.selection.register_match, allowed) if views else None
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

    def documents(self, viewer: Viewer | None = None) -> list[DocumentRecord]:
        """Indexed documents (those `viewer` may see) with title, organisation, date and passage count, newest
        first."""
        bot = self.for_viewer(viewer)
        return sorted(bot.index.documents.values(), key=lambda d: d.published, reverse=True)

    def problems(self) -> dict[str, str]:
        """Files the last ingest could not read, with the reason (name -> reason)."""
        return {p["source"]: p["reason"] for p in self.index.manifest.get("problems", [])}

    def commitments(self, viewer: Viewer | None = None) -> list[Commitment]:
        """What the plans (those `viewer` may see) commit to: action-plan rows and "We will" statements."""
        return self.for_viewer(viewer).views().commitments

    def figure_series(self, viewer: Viewer | None = None) -> list[Series]:
        """The figures the reports (those `viewer` may see) give, linked into series of one measure over time."""
        return self.for_viewer(viewer).views().series

    def source_text(self, source: str, viewer: Viewer | None = None) -> str:
        """The full text that citations of `source` index into: the file itself for .txt/.md,
        the extracted text (cached under the index folder) for PDF, Word and HTML. A reader may read only
        the indexed reports open to them: any other name gets the words of a file that is not there."""
        corpus = self.settings.corpus
        path = (corpus / source).resolve()
        hidden = (viewer is not None and audience_levels(viewer, self.settings.groups) is not None
                  and source not in self.for_viewer(viewer).index.documents)
        if hidden or corpus not in path.parents or not path.is_file():
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

    def conversation(self, filters: Filters | None = None, viewer: Viewer | None = None,
                     record: bool = False) -> Conversation:
        """A chat as `viewer` (a visitor who has not signed in when not given); with `record`, each question goes
        to the question log (when ASSISTANT_QUESTION_LOG is not off)."""
        return Conversation(self, filters or Filters(), viewer=viewer or Viewer.anonymous(),
                            record=record and self.settings.question_log != "off")

    # --- changing the library: editors only, each attempt in the audit log (editing.py) ------
    def add_documents(self, files: Iterable[tuple[str, bytes]], viewer: Viewer, *, replace: bool = False,
                      force: bool = False, progress: Progress | None = None) -> AddResult:
        """Copy (name, bytes) reports into the corpus folder and index them (see ingest.library.add_documents)."""
        return editing.add_documents(self, files, viewer, replace=replace, force=force, progress=progress)

    def remove_document(self, source: str, viewer: Viewer, progress: Progress | None = None) -> IngestReport:
        """Delete a report's file and its passages."""
        return editing.remove_document(self, source, viewer, progress=progress)

    def edit_details(self, source: str, fields: Mapping[str, Any], viewer: Viewer,
                     progress: Progress | None = None) -> tuple[dict[str, str], IngestReport | None]:
        """Set a report's catalog details (title, organisation, published, …) and re-index it."""
        return editing.edit_details(self, source, fields, viewer, progress=progress)

    def reindex(self, viewer: Viewer, progress: Progress | None = None) -> IngestReport:
        """An incremental ingest asked for by a person (the app's "Re-index now"), recorded in the audit log."""
        return editing.reindex(self, viewer, progress=progress)

    def set_visibility(self, source: str, visibility: str, viewer: Viewer) -> tuple[str, str]:
        """Who may see `source` (public, signed-in, editors, group:NAME): written to catalog.toml and the index's
        metadata at once, without re-embedding, and to the audit log. Returns (before, after)."""
        try:
            return editing.set_visibility(self, source, visibility, viewer)
        finally:
            self.reload()

    # --- the question log (records/questions.py) ----------------------------------------------------
    def question_log(self) -> QuestionLog:
        """The question log beside the index; questions older than ASSISTANT_QUESTION_LOG_DAYS are deleted the
        first time it is opened in a process."""
        log_ = QuestionLog.beside_index(self.settings.index)
        if not self._log_ready:
            self._log_ready = True
            try:
                log_.delete_older_than(self.settings.question_log_days)
            except sqlite3.Error:
                log.exception("Could not delete old questions from %s", log_.path)
        return log_

    def record_question(self, viewer: Viewer, answer: Answer, filters: Filters, conversation: str = "",
                        turn: int = 1, follows: str = "") -> None:
        """Write one answered question to the log, as ASSISTANT_QUESTION_LOG says (a failed write is logged,
        never raised: the answer matters more than its record)."""
        mode = self.settings.question_log
        if mode == "off":
            return
        try:
            qlog = self.question_log()
            qlog.record(entry_for(answer, {"sources": list(filters.sources), "organisations": list(filters.organisations),
                                           "years": list(filters.years)},
                                  asker=(viewer.email or "") if mode == "named" else "",
                                  asker_key=qlog.asker_key(viewer.email), via=viewer.via, conversation=conversation,
                                  turn=turn, follows=follows))
        except (sqlite3.Error, OSError):
            log.exception("Could not record a question in the question log")

    def questions(self, viewer: Viewer, search: str | None = None, unanswered: bool = False,
                  mine: bool = False) -> list[QuestionEntry]:
        """Recorded questions, newest first: every one for an editor (unless `mine`), a signed-in reader's own
        otherwise (NotAllowed for a visitor who has not signed in)."""
        if mine or not viewer.is_editor:
            if not viewer.signed_in:
                check_editor(viewer, "read the questions asked (sign in to see your own)")
            return self.question_log().entries(search, unanswered, self.question_log().asker_key(viewer.email))
        return self.question_log().entries(search, unanswered)

    def questions_csv(self, viewer: Viewer, search: str | None = None, unanswered: bool = False) -> str:
        return to_csv(self.questions(viewer, search, unanswered))

    def unanswered_groups(self, viewer: Viewer, search: str | None = None) -> list[tuple[str, list[QuestionEntry]]]:
        """The questions the library could not answer, grouped by their content words (largest group first)."""
        return group_unanswered(self.questions(viewer, search, unanswered=True), content_terms)

    def clear_my_questions(self, viewer: Viewer) -> int:
        """Delete the signed-in viewer's own recorded questions; returns how many."""
        if not viewer.signed_in:
            check_editor(viewer, "clear questions (sign in to clear your own)")
        return self.question_log().clear(self.question_log().asker_key(viewer.email))

    def audit_entries(self, viewer: Viewer, limit: int | None = None) -> list[AuditEntry]:
        """The audit log, newest first: editors only."""
        check_editor(viewer, "read the audit log")
        return editing.audit_log(self).entries(limit)

    def audit_csv(self, viewer: Viewer) -> str:
        check_editor(viewer, "export the audit log")
        return editing.audit_log(self).to_csv()

    def feedback_store(self) -> FeedbackStore:
        """Where thumbs and comments on answers are recorded (anyone may give feedback)."""
        return FeedbackStore.beside_index(self.settings.index)

    def feedback_entries(self, viewer: Viewer) -> list[FeedbackEntry]:
        """Every rated or commented answer, newest first: editors only (comments are not for every reader)."""
        check_editor(viewer, "read feedback")
        return self.feedback_store().entries()

    def feedback_csv(self, viewer: Viewer) -> str:
        check_editor(viewer, "export feedback")
        return self.feedback_store().to_csv()

    def ask(self, question: str, filters: Filters | None = None, viewer: Viewer | None = None) -> Answer:
        """Answer one question on its own (no conversation), as `viewer` would see it (None: the local user)."""
        return self.answer(question, filters or Filters(), None, viewer)[0]

    def answer(self, question: str, filters: Filters, previous: Turn | None,
               viewer: Viewer | None = None) -> tuple[Answer, Question]:
        """Answer `question` in the light of the previous turn of its conversation; also returns how it was read."""
        bot = self.for_viewer(viewer)
        if bot is not self:
            return bot.answer(question, filters, previous)
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
        views = self._views_now()
        ranked = self._register_first(q, ranked, filters, others, views)
        rows = [h for h in ranked[:self.settings.selection.commitment_window] if h.passage.kind in ("row", "fields")]
        overrides = commitment_statements(rows, views) if rows and views else {}
        answer = answer_from_hits(q, ranked, self._terms, index.df, overrides, self.settings.abstention,
                                  self.settings.selection, others)
        if views and not answer.abstained and CHANGE_RE.search(q.search_text):
            add_timeline(answer, views, index.passages, self.settings.selection.max_citations,
                         filters.allowed_sources(index.documents) if filters else None)
        t2 = time.perf_counter()
        answer.timings_ms = {"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000}
        return answer, q
