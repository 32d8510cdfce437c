#!/usr/bin/env python3
"""Locators for verbatim document fragments in the development sets.

The hand-checked files of the development sets (devset/councils/questions.jsonl,
devset/plans/truth.jsonl) need verbatim fragments of third-party documents: evidence
that a cited passage must contain, the action a truth row stands for, and so on. Those
fragments are never committed. The committed `*.src.jsonl` files hold a locator in
their place, which contains no document text:

    {"doc": "<file name in docs/>", "sha256": "<hex>", "chars": <int>}

sha256 and chars are taken of the fragment after whitespace normalisation (every run of
whitespace becomes one space, ends stripped; `norm` in devset/plans/score.py does the
same plus case folding). Each build.py rebuilds docs/ and then materialises the full
file from the .src file: it extracts the text of each document, normalises it and
slides windows of `chars` characters over it (windows starting at a word boundary
first, then at every position) until the sha256 matches. Text sources, in order:

    1. `assistant text` (the product's text, which citations index into)
    2. independent of the product: `pdftotext -layout` for PDF; the paragraphs and
       table cells of word/document.xml for Word; the raw file for Markdown and HTML,
       and for HTML also its character data with entities decoded (standard library)

A locator may also carry "parts": [{"sha256": ..., "chars": ...}, ...] when the fragment
is not one contiguous run of a source-2 text (a table cell wrapped over printed lines
with other columns in between, or text only the product joins). Each part is located on
its own, the parts are joined with one space, and the join must hash to the locator's
sha256. So a fragment stays reproducible when the product's text changes, as long as
its parts are still in the source-2 text. A locator that cannot be resolved is an
error naming the row.

Command line (from /work/main):

    python devset/locate.py make-src councils    # questions.jsonl -> questions.src.jsonl
    python devset/locate.py make-src plans       # truth.jsonl -> truth.src.jsonl
    python devset/locate.py materialise councils|plans   # the reverse (what build.py does)

make-src checks the round trip before it writes. After editing a full file (adding a
question, fixing a truth row), run make-src and commit the .src file.

Standard library and subprocess only. ASSISTANT_BIN overrides the `assistant` executable.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

DEVSET = Path(__file__).resolve().parent
REPO = DEVSET.parent

PRODUCT = "assistant text"
_WS = re.compile(r"\s+")


# ---------------------------------------------------------------------------- hashing

def normalise(text: str) -> str:
    """Collapse every whitespace run to one space and strip the ends."""
    return _WS.sub(" ", text).strip()


def _fingerprint(fragment: str) -> dict:
    norm = normalise(fragment)
    return {"sha256": hashlib.sha256(norm.encode("utf-8")).hexdigest(), "chars": len(norm)}


def make_locator(doc: str, fragment: str, parts: list[str] | None = None) -> dict:
    loc = {"doc": doc, **_fingerprint(fragment)}
    if parts:
        assert " ".join(normalise(p) for p in parts) == normalise(fragment)
        loc["parts"] = [_fingerprint(p) for p in parts]
    return loc


def is_locator(value: object) -> bool:
    return isinstance(value, dict) and {"doc", "sha256", "chars"} <= set(value)


def _key(fp: dict) -> tuple[int, str]:
    return int(fp["chars"]), fp["sha256"]


def describe(loc: dict) -> str:
    parts = f", {len(loc['parts'])} parts" if loc.get("parts") else ""
    return f"{{doc {loc['doc']}, sha256 {loc['sha256'][:12]}…, {loc['chars']} chars{parts}}}"


# ---------------------------------------------------------------------------- document text

def assistant_binary() -> str | None:
    env = os.environ.get("ASSISTANT_BIN")
    if env:
        return env
    local = REPO / ".venv" / "bin" / "assistant"
    if local.is_file():
        return str(local)
    return shutil.which("assistant")


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def docx_text(path: Path) -> str:
    """Text of a .docx: one line per paragraph (table cells included), tabs kept."""
    with zipfile.ZipFile(path) as zf:
        root = ElementTree.fromstring(zf.read("word/document.xml"))
    lines = []
    for para in root.iter(_W + "p"):
        chunks = []
        for el in para.iter():
            if el.tag == _W + "t" and el.text:
                chunks.append(el.text)
            elif el.tag == _W + "tab":
                chunks.append("\t")
            elif el.tag in (_W + "br", _W + "cr"):
                chunks.append("\n")
        lines.append("".join(chunks))
    return "\n".join(lines)


class _HTMLText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        self.chunks.append("\n")


def html_text(source: str) -> str:
    """Text of an HTML page: character data with entities decoded, a line per tag."""
    parser = _HTMLText()
    parser.feed(source)
    parser.close()
    return "".join(parser.chunks)


class DocTexts:
    """The candidate texts of the documents in one docs/ folder, each extracted once,
    only when needed, and whitespace-normalised. A source that fails is skipped with a
    note on stderr."""

    RAW_SUFFIXES = frozenset({".md", ".markdown", ".html", ".htm", ".txt"})

    def __init__(self, docs: Path):
        self.docs = Path(docs)
        self._cache: dict[tuple[str, str], str | None] = {}
        # `assistant text` reads no index; point it at a folder that does not exist so
        # that nothing under the repository's index/ is touched.
        self._no_index = str(Path(tempfile.gettempdir()) / f"devset-locate-no-index-{os.getpid()}")

    def _assistant(self, name: str) -> str | None:
        exe = assistant_binary()
        if not exe:
            print("note: no `assistant` executable found; using the other text sources", file=sys.stderr)
            return None
        proc = subprocess.run(
            [exe, "text", "--corpus", str(self.docs), "--index", self._no_index, name],
            capture_output=True, cwd=REPO, check=False,
        )
        if proc.returncode != 0:
            print(f"note: assistant text {name} failed: "
                  f"{proc.stderr.decode('utf-8', 'replace').strip()[-300:]}", file=sys.stderr)
            return None
        return proc.stdout.decode("utf-8", "replace")

    @staticmethod
    def _pdftotext(path: Path) -> str | None:
        exe = shutil.which("pdftotext")
        if not exe:
            print("note: pdftotext not found (poppler-utils)", file=sys.stderr)
            return None
        proc = subprocess.run([exe, "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=False)
        if proc.returncode != 0:
            print(f"note: pdftotext {path.name} failed", file=sys.stderr)
            return None
        return proc.stdout.decode("utf-8", "replace")

    @staticmethod
    def _docx(path: Path) -> str | None:
        try:
            return docx_text(path)
        except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError) as exc:
            print(f"note: reading {path.name} as docx failed: {exc}", file=sys.stderr)
            return None

    def sources(self, name: str, product: bool = True) -> Iterable[tuple[str, str]]:
        """Yield (label, normalised text) for the document, the product's text first
        (unless product=False), then the independent one."""
        path = self.docs / name
        if not path.is_file():
            return
        getters: list[tuple[str, Callable[[], str | None]]] = []
        if product:
            getters.append((PRODUCT, lambda: self._assistant(name)))
        suffix = path.suffix.lower()
        if suffix == ".pdf":
            getters.append(("pdftotext -layout", lambda: self._pdftotext(path)))
        elif suffix == ".docx":
            getters.append(("word/document.xml", lambda: self._docx(path)))
        elif suffix in self.RAW_SUFFIXES:
            getters.append(("raw file", lambda: path.read_text(encoding="utf-8", errors="replace")))
            if suffix in (".html", ".htm"):
                getters.append(("html text", lambda: html_text(path.read_text(encoding="utf-8", errors="replace"))))
        for label, get in getters:
            key = (name, label)
            if key not in self._cache:
                text = get()
                self._cache[key] = None if text is None else normalise(text)
            if self._cache[key] is not None:
                yield label, self._cache[key]


# ---------------------------------------------------------------------------- finding by hash

def _boundary_starts(text: str) -> Iterable[int]:
    prev_word = False
    for i, ch in enumerate(text):
        word = ch.isalnum()
        if i == 0 or text[i - 1] == " " or word != prev_word:
            yield i
        prev_word = word


def _scan(text: str, wanted: set[tuple[int, str]], starts: Iterable[int]) -> dict[tuple[int, str], str]:
    """Hash windows of each wanted length at the given starts; the wanted keys found."""
    found: dict[tuple[int, str], str] = {}
    lengths = sorted({n for n, _ in wanted})
    for i in starts:
        for n in lengths:
            if i + n > len(text):
                break
            key = (n, hashlib.sha256(text[i:i + n].encode("utf-8")).hexdigest())
            if key in wanted and key not in found:
                found[key] = text[i:i + n]
        if len(found) == len(wanted):
            break
    return found


def find_keys(texts: DocTexts, doc: str, keys: set[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """Resolve (chars, sha256) keys against a document's texts; returns those found."""
    resolved: dict[tuple[int, str], str] = {}
    for _label, text in texts.sources(doc):
        pending = keys - resolved.keys()
        if not pending:
            break
        resolved.update(_scan(text, pending, _boundary_starts(text)))
        pending = keys - resolved.keys()
        if pending:
            resolved.update(_scan(text, pending, range(len(text))))
    return resolved


def resolve_locators(texts: DocTexts, locators: list[dict]) -> list[str | None]:
    """The fragment of each locator (None where it cannot be resolved): the whole
    fragment where a text has it, else its parts joined (checked against the sha256)."""
    by_doc: dict[str, set[tuple[int, str]]] = {}
    for loc in locators:
        by_doc.setdefault(loc["doc"], set()).add(_key(loc))
    found = {doc: find_keys(texts, doc, keys) for doc, keys in by_doc.items()}
    need_parts: dict[str, set[tuple[int, str]]] = {}
    for loc in locators:
        if _key(loc) not in found[loc["doc"]] and loc.get("parts"):
            need_parts.setdefault(loc["doc"], set()).update(_key(p) for p in loc["parts"])
    for doc, keys in need_parts.items():
        found[doc].update(find_keys(texts, doc, keys))
    out: list[str | None] = []
    for loc in locators:
        text = found[loc["doc"]].get(_key(loc))
        if text is None and loc.get("parts"):
            pieces = [found[loc["doc"]].get(_key(p)) for p in loc["parts"]]
            if None not in pieces:
                joined = " ".join(pieces)
                if _key(_fingerprint(joined)) == _key(loc):
                    text = joined
        out.append(text)
    return out


# ---------------------------------------------------------------------------- making locators

def _split(fragment: str, texts: list[str]) -> list[str] | None:
    """The fragment as the fewest greedy word runs (longest first) each contained in
    one of texts; None if some word is in none."""
    words = normalise(fragment).split(" ")
    parts: list[str] = []
    i = 0
    while i < len(words):
        for j in range(len(words), i, -1):
            run = " ".join(words[i:j])
            if any(run in t for t in texts):
                parts.append(run)
                i = j
                break
        else:
            return None
    return parts


def locator_for(texts: DocTexts, doc: str, fragment: str) -> dict | None:
    """A locator for the fragment in doc, or None if no text of doc holds it.

    Whole if some text holds it contiguously; with parts (found in the independent
    text if possible) whenever the independent text does not hold it whole."""
    frag = normalise(fragment)
    if not frag:
        return None
    srcs = list(texts.sources(doc))
    independent = [t for label, t in srcs if label != PRODUCT]
    whole = any(frag in t for _label, t in srcs)
    if independent and any(frag in t for t in independent):
        return make_locator(doc, frag)
    parts = _split(frag, independent) if independent else None
    if parts is None and not whole:
        parts = _split(frag, [t for _label, t in srcs])
    if not whole and not parts:
        return None
    return make_locator(doc, frag, parts if parts and len(parts) > 1 else None)


def needs_product(loc: dict, texts: DocTexts) -> bool:
    """Whether resolving the locator needs the product's text (no independent route)."""
    only_indep = resolve_locators(_IndependentView(texts), [loc])[0]
    return only_indep is None


class _IndependentView:
    """A DocTexts restricted to the independent sources (for reporting)."""

    def __init__(self, texts: DocTexts):
        self._texts = texts
        self.docs = texts.docs

    def sources(self, name: str) -> Iterable[tuple[str, str]]:
        return self._texts.sources(name, product=False)


# ---------------------------------------------------------------------------- the two sets

# plans: the action is always located (an error if it is not in the document); theme,
# lead and timescale are located when they have at least MIN_WORDS words and the
# document holds them (short values and hand-written labels stay as written).
MIN_WORDS = 4

SETS = {
    "councils": {
        "folder": DEVSET / "councils",
        "full": "questions.jsonl",
        "src": "questions.src.jsonl",
        "row_id": lambda row, i: f"question {row.get('id', f'on line {i}')}",
    },
    "plans": {
        "folder": DEVSET / "plans",
        "full": "truth.jsonl",
        "src": "truth.src.jsonl",
        "row_id": lambda row, i: f"row on line {i} ({row.get('plan')})",
    },
}


class LocateError(Exception):
    pass


def dump_rows(rows: list[dict]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def load_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _locate_councils(row: dict, texts: DocTexts, rid: str) -> dict:
    out = dict(row)
    named = list(row.get("sources") or [])
    others = sorted(p.name for p in texts.docs.iterdir() if p.is_file() and p.name not in named)
    evidence = []
    for frag in row.get("evidence") or []:
        if is_locator(frag):
            evidence.append(frag)
            continue
        # The named sources first; a fragment found in none of them is looked for in
        # every document of the set.
        loc = next((lo for d in named + others if (lo := locator_for(texts, d, frag))), None)
        if loc is None:
            raise LocateError(f"{rid}: evidence fragment ({len(normalise(frag))} chars) found in no document")
        evidence.append(loc)
    if "evidence" in row:
        out["evidence"] = evidence
    return out


def _locate_plans(row: dict, texts: DocTexts, rid: str) -> dict:
    out = dict(row)
    doc = row["plan"]
    action = row.get("action")
    if isinstance(action, str):
        loc = locator_for(texts, doc, action)
        if loc is None:
            raise LocateError(f"{rid}: action ({len(normalise(action))} chars) not found in {doc}")
        out["action"] = loc
    for field in ("theme", "lead", "timescale"):
        value = row.get(field)
        if isinstance(value, str) and len(normalise(value).split(" ")) >= MIN_WORDS:
            loc = locator_for(texts, doc, value)
            if loc is not None:
                out[field] = loc
            else:
                print(f"note: {rid}: {field} ({len(value)} chars) not in {doc}; kept as written",
                      file=sys.stderr)
    return out


def _locators(rows: list[dict]) -> list[dict]:
    return [item for row in rows for value in row.values()
            for item in (value if isinstance(value, list) else [value]) if is_locator(item)]


def make_src(set_name: str, texts: DocTexts) -> tuple[list[dict], list[str]]:
    """Rows of the .src file made from the full file, and the problems met."""
    spec = SETS[set_name]
    rows = load_rows(spec["folder"] / spec["full"])
    locate = _locate_councils if set_name == "councils" else _locate_plans
    out, problems = [], []
    for i, row in enumerate(rows, 1):
        rid = spec["row_id"](row, i)
        try:
            out.append(locate(row, texts, rid))
        except LocateError as exc:
            problems.append(str(exc))
            out.append(row)
    return out, problems


def materialise_rows(rows: list[dict], texts: DocTexts,
                     row_id: Callable[[dict, int], str]) -> tuple[list[dict], list[str]]:
    """Replace every locator in rows (top-level values and list items) by its fragment."""
    locs = _locators(rows)
    texts_of = {id(loc): t for loc, t in zip(locs, resolve_locators(texts, locs))}
    problems: list[str] = []

    def resolve(item: object, rid: str, field: str) -> object:
        if not is_locator(item):
            return item
        text = texts_of[id(item)]
        if text is None:
            missing = not (texts.docs / item["doc"]).is_file()
            problems.append(f"{rid}: {field} locator {describe(item)} "
                            + ("document missing from docs/" if missing else "not found in the document's text"))
            return item
        return text

    out = []
    for i, row in enumerate(rows, 1):
        rid = row_id(row, i)
        out.append({key: [resolve(v, rid, key) for v in value] if isinstance(value, list)
                    else resolve(value, rid, key) for key, value in row.items()})
    return out, problems


def materialise(set_name: str, texts: DocTexts | None = None) -> int:
    """Write the full file of a set from its .src file. Returns a process exit status."""
    spec = SETS[set_name]
    folder = spec["folder"]
    src, full = folder / spec["src"], folder / spec["full"]
    if not src.is_file():
        print(f"FAIL {src}: missing", file=sys.stderr)
        return 1
    texts = texts or DocTexts(folder / "docs")
    src_rows = load_rows(src)
    rows, problems = materialise_rows(src_rows, texts, spec["row_id"])
    if problems:
        for p in problems:
            print(f"FAIL {spec['src']}: {p}", file=sys.stderr)
        print(f"FAIL {len(problems)} locator(s) not resolved; {full.name} not written", file=sys.stderr)
        return 1
    tmp = full.with_name(full.name + ".part")
    tmp.write_text(dump_rows(rows), encoding="utf-8")
    tmp.replace(full)
    print(f"materialised {os.path.relpath(full)}: {len(rows)} rows, "
          f"{len(_locators(src_rows))} fragments from {spec['src']}")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("make-src", "materialise") or argv[1] not in SETS:
        print("usage: python devset/locate.py make-src|materialise councils|plans", file=sys.stderr)
        return 2
    action, set_name = argv
    if action == "materialise":
        return materialise(set_name)
    spec = SETS[set_name]
    texts = DocTexts(spec["folder"] / "docs")
    rows, problems = make_src(set_name, texts)
    if problems:
        for p in problems:
            print(f"FAIL {p}", file=sys.stderr)
        print(f"FAIL {len(problems)} fragment(s) not located; {spec['src']} not written", file=sys.stderr)
        return 1
    # The .src file must give back the full file, with and without the product's text.
    original = load_rows(spec["folder"] / spec["full"])
    back, back_problems = materialise_rows(rows, texts, spec["row_id"])
    if back_problems or back != original:
        for p in back_problems:
            print(f"FAIL round trip: {p}", file=sys.stderr)
        print(f"FAIL round trip differs; {spec['src']} not written", file=sys.stderr)
        return 1
    locs = _locators(rows)
    product_only = [loc for loc in locs if needs_product(loc, texts)]
    (spec["folder"] / spec["src"]).write_text(dump_rows(rows), encoding="utf-8")
    print(f"wrote {spec['folder'].name}/{spec['src']}: {len(rows)} rows, {len(locs)} locators "
          f"({sum(1 for loc in locs if loc.get('parts'))} with parts), round trip checked; "
          f"{len(product_only)} resolvable only from `assistant text`")
    for loc in product_only:
        print(f"  product text only: {describe(loc)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
