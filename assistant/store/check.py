"""Do the manifest, Chroma and BM25 agree? (`assistant check`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.settings import Settings
from .chroma import chroma_client, chroma_collection
from .paths import IndexPaths
from .manifest import manifest_records
from .segments import has_segment


@dataclass
class CheckReport:
    documents: int = 0
    passages: int = 0
    missing_vectors: list[str] = field(default_factory=list)  # in the manifest, not in Chroma
    stray_vectors: list[str] = field(default_factory=list)  # in Chroma, in no indexed document
    bm25_diverges: bool = False
    missing_segments: list[str] = field(default_factory=list)  # documents whose keyword segment is gone
    repaired: bool = False

    @property
    def ok(self) -> bool:
        return not (self.missing_vectors or self.stray_vectors or self.bm25_diverges or self.missing_segments)

    def summary(self) -> str:
        if self.ok:
            state = "consistent" + (" after repair" if self.repaired else "")
            return f"Index {state}: {self.documents} documents, {self.passages} passages in Chroma and BM25."
        return (f"Index diverges: {len(self.missing_vectors)} passages missing from Chroma, "
                f"{len(self.stray_vectors)} stray vectors, BM25 {'out of step' if self.bm25_diverges else 'in step'}"
                + (f", {len(self.missing_segments)} documents without their keyword segment" if self.missing_segments
                   else "") + "."
                + ("" if self.repaired else " Run `assistant check --fix` to repair."))


def compare(settings: Settings, paths: IndexPaths, manifest: dict) -> CheckReport:
    """What the manifest expects against what Chroma and BM25 hold (read only)."""
    import bm25s

    expected = {pid for d in manifest["documents"].values() for pid in d.get("passage_ids", [])}
    collection = chroma_collection(chroma_client(settings, paths), settings.collection)
    in_chroma = set(collection.get(include=[])["ids"])
    bm25_ids: set[str] = set()
    bm25_dir = paths.root / manifest.get("bm25", "bm25")
    if (bm25_dir / "retriever.json").exists():
        bm25_ids = {row["node_id"] for row in bm25s.BM25.load(str(bm25_dir), load_corpus=True).corpus}
    return CheckReport(
        documents=len(manifest["documents"]), passages=len(in_chroma),
        missing_vectors=sorted(expected - in_chroma), stray_vectors=sorted(in_chroma - expected),
        bm25_diverges=bm25_ids != in_chroma,
        missing_segments=sorted(s for s, r in manifest_records(manifest).items() if not has_segment(paths, r)),
    )
