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
# Page furniture by its class or id, and by what it says ("Was this page helpful?").
_NOISE_NAME = re.compile(r"(?:^|[\s_-])(?:cookies?|consent|breadcrumbs?|feedback|survey|newsletter|signup|popup|modal|"
                         r"skip-?links?|share(?:-?(?:this|links|buttons|bar|tools))?|social-?(?:media|links|share|icons))"
                         r"(?=$|[\s_-])", re.I)
_NOISE_TEXT = re.compile(r"^\s*(?:was this (?:page|information) (?:helpful|useful)|did you find what you|"
                         r"rate this page|share this page|accept (?:all )?cookies)", re.I)
_PANEL_MIN_CHARS = 40  # a hidden element with this much text is a collapsed panel, not an icon or a widget


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
            title, publisher = _declared(soup)
            _drop_noise(soup)
            walker = _HtmlWalker()
            walker.walk(soup)
            walker.flush()
        except Exception as exc:  # html.parser is lenient; this is a last resort
            raise UnreadableDocument(source, "is not readable HTML") from exc
    text = blocks_text(walker.blocks)
    if not text.strip():
        raise UnreadableDocument(source, "has no text")
    return Extracted(text, title=title, publisher=publisher)


def _drop_noise(soup: Any) -> None:
    """Remove what is not the page's content: scripts, navigation, banners, cookie and feedback widgets.

    Collapsed accordion and tab panels (`hidden`, `aria-hidden`) are content and stay, with the
    buttons that title them (their text is kept, the button itself is not)."""
    from bs4 import Comment, Declaration, Doctype, ProcessingInstruction

    for node in soup.find_all(string=lambda s: isinstance(s, (Comment, Declaration, Doctype, ProcessingInstruction))):
        node.extract()
    for el in soup.find_all(True):
        if getattr(el, "decomposed", False) or el.parent is None:
            continue  # inside an element dropped already
        name = (el.name or "").lower()
        role = str(el.get("role") or "").strip().lower()
        if name == "header" and el.find_parent(list(_CONTENT_ROOTS)) is not None:
            continue  # an article's own header holds its title
        if name == "button" and (el.has_attr("aria-controls") or el.has_attr("aria-expanded")
                                 or el.find_parent(["h1", "h2", "h3", "h4", "h5", "h6", "summary"]) is not None):
            el.unwrap()  # an accordion's toggle: its words title the panel
            continue
        labels = " ".join([str(el.get("id") or ""), *[str(c) for c in (el.get("class") or [])]])
        text = el.get_text(" ", strip=True)
        hidden = el.has_attr("hidden") or str(el.get("aria-hidden", "")).strip().lower() == "true"
        panel = hidden and len(text) >= _PANEL_MIN_CHARS
        skip_link = name == "a" and _SKIP_LINK.match(text)
        noise = (name not in ("html", "body", "main", "article") and (_NOISE_NAME.search(labels)
                 or (len(text) < 200 and _NOISE_TEXT.match(text))))
        if name in _DROP_TAGS or role in _DROP_ROLES or (hidden and not panel) or skip_link or noise:
            el.decompose()


def _declared(soup: Any) -> tuple[str, str]:
    """(title, publisher) the page declares: its first <h1> or <title>, and its site name."""
    site = ""
    meta = soup.find("meta", attrs={"property": "og:site_name"}) or soup.find("meta", attrs={"name": "application-name"})
    if meta is not None and meta.get("content"):
        site = one_line(str(meta["content"]))
    h1 = soup.find("h1")
    heading = one_line(_inline_text(h1)) if h1 is not None else ""
    title_tag = soup.find("title")
    title = one_line(title_tag.get_text(" ")) if title_tag is not None else ""
    # "Fees and charges | Riverford Council": the page's name, then the site's.
    parts = [p.strip() for p in re.split(r"\s+[|–—:]\s+|\s+-\s+", title) if p.strip()]
    if len(parts) > 1:
        site = site or parts[-1]
        title = " - ".join(parts[:-1])
    return heading or title, site


class _HtmlWalker:
    """Turns the cleaned tree into blocks of lines: headings, paragraphs, list items, table rows."""

    def __init__(self) -> None:
        self.blocks: list[list[str]] = []
        self.inline: list[str] = []
        self.list_depth = 0
        self.last = ""  # kind of the last block: consecutive list items share one block
        self.level = 1  # level of the last heading: an accordion's summary titles a panel one level below

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
            elif re.fullmatch(r"h[1-6]", name) or name == "summary":
                self.flush()
                title = one_line(_inline_text(child))
                level = int(name[1]) if name != "summary" else min(6, self.level + 1)
                if title:
                    self.add("heading", ["#" * level + " " + title])
                    if name != "summary":
                        self.level = level
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
