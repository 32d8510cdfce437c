"""The one shape every reader returns."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Extracted:
    """What a reader gives: the citable text, where each page starts, and what the file says it is."""

    text: str
    pages: list[int] = field(default_factory=list)  # char offset where page n + 1 starts (paged formats)
    title: str = ""  # the title the file declares: PDF or Word properties, HTML <title> or <h1>; "" when none
    publisher: str = ""  # who the file says published it: a web page's site name, a document's company; "" when none
