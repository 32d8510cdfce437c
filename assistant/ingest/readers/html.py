"""HTML (BeautifulSoup): navigation, scripts, forms and page furniture are dropped; headings,
paragraphs, list items and table rows are kept."""

from __future__ import annotations

import codecs
import re
import warnings
from typing import Any

from ...core.errors import UnreadableDocument
from .clean import blocks_text, clean_text, one_line
from .extracted import Extracted

_DROP_TAGS = {
    "script", "style", "nav", "header", "footer", "aside", "form", "noscript", "svg", "template",
    "iframe", "object", "embed", "canvas", "button", "select", "textarea", "input", "head", "title", "meta", "link",
}


_DROP_ROLES = {"navigation", "banner", "contentinfo", "search"}


_BLOCK_TAGS = {
    "address", "article", "blockquote", "body", "center", "dd", "details", "dialog", "dir", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "hgroup", "hr", "html", "li", "main", "menu", "ol", "p", "pre",
    "section", "summary", "table", "ul", "caption", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th",
    "thead", "tbody", "tfoot",
}


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


_CONTENT_ROOTS = ("article", "main")


_SKIP_LINK = re.compile(r"^skip (?:to|navigation|over)\b", re.IGNORECASE)  # "Skip to main content"


def decode_html(data: bytes) -> str:
    """HTML bytes as text: the byte-order mark, else the <meta> charset, else UTF-8 (bad bytes replaced)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    encoding = "utf-8"
    m = _META_CHARSET.search(data[:4096])
    if m:
        label = m.group(1).decode("ascii", "replace").lower()
        if label in {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii", "iso8859-1"}:
            label = "cp1252"  # what browsers do with these labels
        try:
            encoding = codecs.lookup(label).name
        except LookupError:
            encoding = "utf-8"
        if encoding.startswith("utf-16"):
            encoding = "utf-8"  # a utf-16 label in a page we could read as ASCII cannot be right
    return data.decode(encoding, errors="replace")


def extract_html(source: str, data: bytes) -> Extracted:
    from bs4 import BeautifulSoup

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            soup = BeautifulSoup(decode_html(data), "html.parser")
            _drop_noise(soup)
            walker = _HtmlWalker()
            walker.walk(soup)
            walker.flush()
        except Exception as exc:  # html.parser is lenient; this is a last resort
            raise UnreadableDocument(source, "is not readable HTML") from exc
    text = blocks_text(walker.blocks)
    if not text.strip():
        raise UnreadableDocument(source, "has no text")
    return Extracted(text)


def _drop_noise(soup: Any) -> None:
    from bs4 import Comment, Declaration, Doctype, ProcessingInstruction

    for node in soup.find_all(string=lambda s: isinstance(s, (Comment, Declaration, Doctype, ProcessingInstruction))):
        node.extract()
    for el in soup.find_all(True):
        if getattr(el, "decomposed", False):
            continue  # inside an element dropped already
        name = (el.name or "").lower()
        role = str(el.get("role") or "").strip().lower()
        hidden = el.has_attr("hidden") or str(el.get("aria-hidden", "")).strip().lower() == "true"
        if name == "header" and el.find_parent(list(_CONTENT_ROOTS)) is not None:
            continue  # an article's own header holds its title
        skip_link = name == "a" and _SKIP_LINK.match(el.get_text(" ", strip=True))
        if name in _DROP_TAGS or role in _DROP_ROLES or hidden or skip_link:
            el.decompose()


class _HtmlWalker:
    """Turns the cleaned tree into blocks of lines: headings, paragraphs, list items, table rows."""

    def __init__(self) -> None:
        self.blocks: list[list[str]] = []
        self.inline: list[str] = []
        self.list_depth = 0
        self.last = ""  # kind of the last block: consecutive list items share one block

    def add(self, kind: str, lines: list[str]) -> None:
        if kind == "item" and self.last == "item":
            self.blocks[-1].extend(lines)
        else:
            self.blocks.append(lines)
        self.last = kind

    def flush(self) -> None:
        text = "".join(self.inline)
        self.inline = []
        lines = [" ".join(ln.split()) for ln in clean_text(text).split("\n")]
        lines = [ln for ln in lines if ln]
        if lines:
            self.add("paragraph", lines)

    def walk(self, node: Any) -> None:
        from bs4 import NavigableString, Tag

        for child in list(node.children):
            if isinstance(child, NavigableString):
                self.inline.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            name = (child.name or "").lower()
            if name == "br":
                self.inline.append("\n")
            elif re.fullmatch(r"h[1-6]", name):
                self.flush()
                title = one_line(_inline_text(child))
                if title:
                    self.add("heading", ["#" * int(name[1]) + " " + title])
            elif name in ("ul", "ol", "menu", "dir"):
                self.flush()
                self.list_depth += 1
                self.walk(child)
                self.list_depth -= 1
                self.flush()
            elif name == "li":
                self._list_item(child)
            elif name == "table":
                self.flush()
                self._table(child)
            elif name == "pre":
                self.flush()
                lines = [ln.rstrip() for ln in clean_text(child.get_text()).split("\n")]
                if any(ln.strip() for ln in lines):
                    self.add("pre", [ln for ln in lines if ln.strip()])
            elif name in _BLOCK_TAGS:
                self.flush()
                self.walk(child)
                self.flush()
            else:
                self.walk(child)  # inline: a, span, strong, em, ...

    def _list_item(self, li: Any) -> None:
        """`- text` for the item's own text; nested lists follow as indented items."""
        from bs4 import NavigableString, Tag

        self.flush()
        own: list[str] = []
        nested: list[Any] = []
        for child in li.children:
            if isinstance(child, Tag) and (child.name or "").lower() in ("ul", "ol", "table"):
                nested.append(child)
            elif isinstance(child, Tag):
                own.append(_inline_text(child))
            elif isinstance(child, NavigableString):
                own.append(str(child))
        text = one_line(" ".join(own))
        if text:
            self.add("item", ["  " * max(self.list_depth - 1, 0) + "- " + text])
        for child in nested:
            if (child.name or "").lower() == "table":
                self._table(child)
            else:
                self.list_depth += 1
                self.walk(child)
                self.list_depth -= 1

    def _table(self, table: Any) -> None:
        rows = [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]
        cells_by_row = [tr.find_all(["td", "th"], recursive=False) for tr in rows]
        widest = max((len(r) for r in cells_by_row), default=0)
        layout = widest <= 1 or any(
            c.find(["table", "h1", "h2", "h3", "h4", "h5", "h6"]) is not None for r in cells_by_row for c in r
        )
        if layout:
            # A table used to lay out a page: read its cells as ordinary content.
            for r in cells_by_row:
                for c in r:
                    self.walk(c)
                    self.flush()
            return
        caption = table.find("caption")
        if caption is not None and caption.find_parent("table") is table:
            title = one_line(_inline_text(caption))
            if title:
                self.add("caption", [title])
        lines = []
        for r in cells_by_row:
            values = [one_line(_inline_text(c)) for c in r]
            if any(values):
                lines.append("\t".join(values))
        if lines:
            self.add("table", lines)


def _inline_text(el: Any) -> str:
    """All text inside an element as one run, with spaces where block elements and breaks were."""
    from bs4 import NavigableString, Tag

    parts: list[str] = []

    def visit(node: Any) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                parts.append(str(child))
            elif isinstance(child, Tag):
                name = (child.name or "").lower()
                if name == "br" or name in _BLOCK_TAGS:
                    parts.append(" ")
                visit(child)
                if name in _BLOCK_TAGS:
                    parts.append(" ")

    visit(el)
    return "".join(parts)
