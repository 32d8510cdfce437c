"""What a report is, read from the report itself when the catalog does not say: title, issuing
organisation, place, date, kind and reference, each with where it was read from.

General rules for the public documents councils and other public bodies publish (no rule names
a body or a report):

* **title**: the title the file declares (PDF or Word properties, HTML `<title>`/`<h1>`,
  Markdown front matter), a "Report on:"/"Subject:" line, the first heading, or the first line
  that reads as a title; never a memo header ("From: …", "To: …"), an item number, a page
  number, a date or a web address;
* **organisation**: a public body named by a general grammar (X City/County/Borough/District/
  Town/Parish/Community Council, London Borough of X, City of X Council, The X Council, X
  Council, Integration Joint Boards, NHS bodies, Combined Authorities, City/Town/County of X),
  taken from the letterhead (the top of the report) or a line that says who issued it
  ("Minutes of the meeting of …", "Clerk to …"); a body merely mentioned in the text is never
  the issuer, and None is better than a guess;
* **place**: the place the organisation is named after ("West Sussex", "Camden", "Edinburgh");
* **published**: the meeting or report date line ("Date: …", "held on …"), else the first
  full date near the top (not a previous meeting's date), else a month and year near the top,
  else a year in the file name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..core.text import MONTH_NAMES, month_number

# --- dates --------------------------------------------------------------------------------

_MONTH = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?" \
         r"|Nov(?:ember)?|Dec(?:ember)?)"
_DAY = r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+"
# "13th March 2018", "Tuesday 13 March 2018", "13 Mar. 2018"
_DMY = re.compile(rf"\b(?:{_DAY})?(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH})\.?,?\s+((?:19|20)\d\d)\b", re.I)
# "March 23, 2016", "Wednesday, March 23 2016"
_MDY = re.compile(rf"\b(?:{_DAY})?({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+((?:19|20)\d\d)\b", re.I)
# "23/03/2016", "23.03.2016" (day first, as UK and Irish reports write it), "2016-03-23"
_NUMERIC = re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.]((?:19|20)\d\d)\b")
_ISO = re.compile(r"\b((?:19|20)\d\d)-(\d{2})-(\d{2})\b")
_MY = re.compile(rf"\b({_MONTH})\.?\s+((?:19|20)\d\d)\b", re.I)
_DATE_LINE = re.compile(r"^\W*(?:date(?: of (?:the )?meeting)?|meeting date|report date|dated?)\b\s*[:\-–]?\s*(.+)$", re.I | re.M)
_HELD_ON = re.compile(r"\b(?:held|meeting|taking place|took place)\b[^\n]{0,100}?\bon\b\s+(.{6,40})", re.I)
# A line that dates another meeting: "to approve the minutes of the meeting held on …", "the previous meeting".
_EARLIER = re.compile(r"previous|last meeting|prior meeting|(?:approve|confirm|sign)\w* (?:as a true record )?(?:of )?the minutes",
                      re.I)
_HEAD_CHARS = 1500


def parse_date(text: str) -> str:
    """The first full date in `text` as YYYY-MM-DD, or ""."""
    found = []
    for pattern, order in ((_DMY, "dmy"), (_MDY, "mdy"), (_NUMERIC, "dmy-num"), (_ISO, "ymd")):
        for m in pattern.finditer(text):
            found.append((m.start(), m, order))
    for _, m, order in sorted(found, key=lambda f: f[0]):
        if order == "dmy":
            day, month, year = int(m.group(1)), month_number(m.group(2)), int(m.group(3))
        elif order == "mdy":
            month, day, year = month_number(m.group(1)), int(m.group(2)), int(m.group(3))
        elif order == "dmy-num":
            day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        else:
            year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if month and 1 <= month <= 12 and 1 <= day <= 31:
            return f"{year:04d}-{month:02d}-{day:02d}"
    return ""


def dated_line(text: str) -> tuple[str, str]:
    """The date a report gives for itself: its date line ("Date: …") or its meeting line ("… held on …")."""
    text = body_of(text)
    for m in _DATE_LINE.finditer(text[:_HEAD_CHARS * 2]):
        d = parse_date(m.group(1))
        if d:
            return d, "the date line"
    head = text[:_HEAD_CHARS]
    for m in _HELD_ON.finditer(head):
        before = head[max(0, m.start() - 60):m.start()]
        if _EARLIER.search(before + m.group(0)):
            continue
        d = parse_date(m.group(1))
        if d:
            return d, "the meeting line"
    return "", ""


def infer_date(text: str) -> tuple[str, str]:
    """(ISO date, possibly partial, where it was read) — ("", "") when the report gives none near the top."""
    found = dated_line(text)
    if found[0]:
        return found
    lines = [ln for ln in body_of(text)[:_HEAD_CHARS].splitlines()
             if not (_EARLIER.search(ln) or "\t" in ln.strip() or ln.lstrip().startswith("|"))]
    for line in lines:  # another meeting's date, or a date in a table, is not the report's own
        d = parse_date(line)
        if d:
            return d, "the first date near the top"
    for line in lines:
        m = _MY.search(line)
        if m:
            return f"{m.group(2)}-{month_number(m.group(1)):02d}", "a month near the top"
    return "", ""


def infer_year(stem: str) -> str:
    years = re.findall(r"(?<!\d)(19\d\d|20\d\d)(?!\d)", stem)
    return years[-1] if years else ""


# --- organisations --------------------------------------------------------------------------

# A capitalised name word: "Dundee", "Burton-cum-Walden", "Stoke-on-Trent", "King's", or one in capitals.
_WORD = r"(?:[A-Z][A-Za-z'’]*(?:-(?:[a-z]+-)*[A-Z][A-Za-z'’]*)*)"
_LINK = r"(?:\s+(?:upon|on|under|and|&|of)\s+|\s+)"
_NAME = rf"{_WORD}(?:{_LINK}{_WORD}){{0,4}}"
_COUNCIL_TYPE = r"(?:(?:City|County|County Borough|Borough|District|Metropolitan Borough|Metropolitan District|Town|Parish" \
                r"|Community|Unitary|Regional|Islands?|City and District|City and County)\s+)?"
_BODY_PATTERNS = [
    rf"(?:London|Royal) Borough of {_NAME}",
    rf"City of {_NAME} Council",
    rf"(?:City and County|City|Town|Township|Village|County|Municipality|Borough|District) of {_NAME}",
    rf"{_NAME}\s+{_COUNCIL_TYPE}Council",
    rf"{_NAME}\s+(?:Health and Social Care\s+)?(?:Integration Joint Board|Health and Social Care Partnership)",
    rf"NHS {_NAME}",
    rf"{_NAME}\s+(?:NHS (?:Foundation )?Trust|Clinical Commissioning Group|Integrated Care Board|Health Board)",
    rf"{_NAME}\s+(?:Combined Authority|Fire and Rescue (?:Authority|Service)|Police and Crime Commissioner)",
    r"Greater London Authority",
]
_BODY = re.compile("(?<![A-Za-z])(" + "|".join(_BODY_PATTERNS) + ")(?![A-Za-z])")
_BODY_CI = re.compile("(?<![A-Za-z])(" + "|".join(_BODY_PATTERNS) + ")(?![A-Za-z])", re.I)
# Capitalised words that start a sentence or a meeting's name, not a body's name ("Budget Council",
# "March County Council", "The Council"): dropped from the front of a match.
_NOT_A_NAME = {m.lower() for m in MONTH_NAMES} | {
    "the", "a", "an", "this", "that", "our", "your", "their", "dear", "full", "budget", "cabinet", "annual", "special",
    "extraordinary", "meeting", "report", "minutes", "agenda", "item", "draft", "joint", "youth", "executive", "policy",
    "finance", "members", "member", "and", "of", "to", "for", "from", "at", "by", "with", "monday", "tuesday",
    "wednesday", "thursday", "friday", "saturday", "sunday", "town", "city", "county", "parish", "borough", "district",
    "community", "council", "councillor", "councillors", "cllr", "all", "each", "every", "local", "neighbouring",
}
_TYPE_WORDS = {"city", "county", "borough", "district", "metropolitan", "town", "parish", "community", "unitary",
               "regional", "island", "islands", "council", "london", "royal", "township", "village", "municipality",
               "nhs", "integration", "joint", "board", "health", "social", "care", "partnership", "trust", "foundation",
               "clinical", "commissioning", "group", "integrated", "combined", "authority", "fire", "rescue", "service",
               "police", "crime", "commissioner", "greater", "of", "and", "the", "&"}
_SMALL = {"of", "and", "upon", "on", "under", "in", "by", "cum", "le", "en", "the", "&"}
# Lines that say who issued a report: "Minutes of the meeting of X held …", "Clerk to X".
_ISSUER_LINE = re.compile(r"(?:minutes of (?:the |an? )?(?:(?:draft|ordinary|annual|special|extraordinary|full)\s+)*"
                          r"(?:meeting of (?:the )?)?|clerk to|proper officer (?:of|to)|on behalf of|published by|issued by|"
                          r"prepared by|report of|©|copyright)\s*(?:the\s+)?", re.I)
_TOP_LINES = 15
# A title is a name, not prose: a line that starts in lower case (a sentence wrapped from the line
# above), a full sentence of this many words or more, or a line longer than any report's name.
_SENTENCE_WORDS = 8
_MAX_TITLE_WORDS = 20
# What authoring software writes into a file's title property when the author never set one.
_SOFTWARE_TITLE = re.compile(r"^(?:(?:microsoft\s+)?(?:word|powerpoint|excel|office)\s+(?:document|presentation|"
                             r"worksheet|template)|untitled(?:\s+document)?|document\s*\d*|presentation\s*\d*|"
                             r"slide\s*\d*|title|no title|new document)$", re.I)
# "Microsoft Word - Budget report.docx": the application's prefix and the file's extension.
_SOFTWARE_PREFIX = re.compile(r"^microsoft\s+(?:word|powerpoint|excel)\s*-\s*|\.(?:docx?|pptx?|xlsx?|pdf|odt|rtf)$", re.I)


def _title_case(name: str) -> str:
    """ "BURTON-CUM-WALDEN PARISH COUNCIL" -> "Burton-cum-Walden Parish Council"; mixed case is kept."""
    if any(c.islower() for c in name):
        return name

    def word(w: str, first: bool) -> str:
        parts = w.split("-")
        out = []
        for i, p in enumerate(parts):
            low = p.lower()
            out.append(low if (low in _SMALL and not (first and i == 0)) or (i and 0 < i < len(parts) - 1) else
                       ("NHS" if low == "nhs" else p[:1] + p[1:].lower()))
        return "-".join(out)

    return " ".join(word(w, i == 0) for i, w in enumerate(name.split()))


def _clean_body(raw: str) -> str | None:
    """A matched body's name with sentence words dropped from its front; None if only type words remain."""
    words = raw.split()
    while words and words[0].lower().strip("’'") in _NOT_A_NAME and not re.match(
            r"(?:London|Royal|City|Town|Township|Village|County|Municipality|Borough|District|NHS|Greater)\b", " ".join(words),
            re.I):
        words = words[1:]
    if not words or all(w.lower().strip("’'") in _TYPE_WORDS | _NOT_A_NAME for w in words):
        return None
    return _title_case(" ".join(words))


def bodies_in(text: str, any_case: bool = False) -> list[tuple[int, str]]:
    """(offset, name) of every public body named in `text`; `any_case` also reads a line written in capitals."""
    letters = [c for c in text if c.isalpha()]
    capitals = any_case and letters and sum(c.isupper() for c in letters) >= 0.6 * len(letters)
    out = []
    for m in (_BODY_CI if capitals else _BODY).finditer(text):
        name = _clean_body(m.group(1))
        if name:
            out.append((m.start(1), name))
    return out


def _letterhead(line: str) -> str | None:
    """The body a line announces: the line is (mostly) its name, not a sentence that mentions it."""
    found = bodies_in(line, any_case=True)
    if not found or line.rstrip().endswith((".", ";", ",")):
        return None  # a sentence mentions a body; a letterhead announces one
    offset, name = found[0]
    rest = re.findall(r"[A-Za-z]{2,}", line[:offset] + " " + line[offset + len(name):])
    return name if len(rest) <= 6 else None


def infer_organisation(text: str) -> tuple[str | None, str]:
    """(the issuing body, where it was read), or (None, "") when the report does not say who issued it."""
    lines = [ln for ln in body_of(text)[:4000].splitlines() if ln.strip()][:_TOP_LINES]
    for line in lines:
        if "\t" in line.strip() or line.lstrip().startswith("|") or "](" in line:
            continue  # a table row or a link: names bodies the report is about, not its letterhead
        name = _letterhead(line)
        if name:
            return name, "the letterhead"
    for m in _ISSUER_LINE.finditer(text):
        found = bodies_in(text[m.end():m.end() + 120], any_case=True)
        if found and found[0][0] == 0:
            return found[0][1], "the line naming who issued it"
    return None, ""


def infer_place(organisation: str | None) -> str | None:
    """The place a body is named after: "West Sussex County Council" -> "West Sussex", "London Borough of
    Camden" -> "Camden", "NHS Tayside" -> "Tayside"; None when the name holds no place."""
    if not organisation:
        return None
    words = [w for w in re.split(r"\s+", organisation) if w]
    kept = [w for w in words if w.lower() not in _TYPE_WORDS - {"of", "and", "the"} and w.lower() != "royal"]
    while kept and kept[0].lower() in {"of", "and", "the"}:
        kept = kept[1:]
    while kept and kept[-1].lower() in {"of", "and", "the"}:
        kept = kept[:-1]
    return " ".join(kept) or None


# --- titles ---------------------------------------------------------------------------------

_MEMO = re.compile(r"^\W*(?:from|to|cc|bcc|date|ref(?:erence)?|our ref|your ref|tel|telephone|email|e-mail|phone|fax|"
                   r"item(?: no\.?| number)?|agenda item|report (?:no|number)\.?|contact|author|wards? affected|"
                   r"classification|status|version|page|clerk|chair(?:man|person)?|prepared by|present)\b\s*[:.\-–|]?",
                   re.I)
# A postal address ("22 High Street", a postcode) or a department's letterhead ("City Clerk's Department").
_ADDRESS = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b|\b\d+\s+\w+\s+(?:road|street|walk|lane|avenue|drive|close|way|"
                      r"place|square|crescent)\b", re.I)
_UNIT = re.compile(r"\b(?:department|directorate|division|office of)\b", re.I)
_URL = re.compile(r"https?://|www\.|\.(?:gov|org|com|co)\.?(?:uk)?\b|@", re.I)
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
_SUBJECT = re.compile(r"^\W*(?:report on|subject|re|title)\s*:\s*(.+)$", re.I | re.M)


def clean_line(line: str) -> str:
    line = re.sub(r"^#+\s*", "", line.strip())
    return re.sub(r"[*_]{2,}|<[^>]+>|\\(?=[^\w\s])", "", line).strip(" :*|-–—\t")


def title_like(line: str) -> bool:
    """A line that can name a report: words, not a memo header, a page number, a date or an address."""
    t = clean_line(line)
    if not 4 <= len(t) <= 300 or _MEMO.match(t) or _URL.search(t) or _ADDRESS.search(t):
        return False
    if _UNIT.search(t) and len(t.split()) <= 5:
        return False
    words = re.findall(r"[A-Za-z]{2,}", t)
    if len(words) < 2 and not (len(words) == 1 and len(words[0]) >= 6):
        return False
    if t[0].islower() or len(words) > _MAX_TITLE_WORDS or (t.endswith(".") and len(words) >= _SENTENCE_WORDS):
        return False  # prose, not a name
    if parse_date(t) and len(words) <= 4:
        return False  # a date line ("Tuesday 13 March 2018")
    return not re.fullmatch(r"[\W\d]*(?:page|p\.?)?[\W\d]*", t, re.I)


def nice_title(text: str) -> str:
    """A title as a citation shows it: markup and a trailing "| date" dropped, capitals softened, at most ~160 characters."""
    t = " ".join(clean_line(text).split())
    parts = [p.strip() for p in t.split(" | ")]
    if len(parts) > 1:
        t = " | ".join(p for p in parts if not (parse_date(p) and len(re.findall(r"[A-Za-z]{3,}", p)) <= 3)) or t
    if len(t) > 160:  # a heading that runs into a sentence: keep its first clause
        cut = max((t.rfind(sep, 0, 160) for sep in (" - ", " – ", ": ", ". ")), default=-1)
        t = t[:cut] if cut > 40 else t[:157].rsplit(" ", 1)[0] + "…"
    letters = [c for c in t if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and len(letters) > 6:
        t = _title_case(t.title() if not any(c.isupper() for c in t[1:]) else t)
        t = " ".join(w if w.lower() not in _SMALL or i == 0 else w.lower() for i, w in enumerate(t.split()))
        t = re.sub(r"\b([A-Za-z])([A-Za-z']*)", lambda m: m.group(1).upper() + m.group(2).lower()
                   if m.group(0).lower() not in _SMALL else m.group(0).lower(), t)
        t = t[:1].upper() + t[1:]
    return t


def body_of(text: str) -> str:
    """The text after a Markdown file's YAML front matter."""
    m = _FRONT_MATTER.match(text)
    return text[m.end():] if m else text


def front_matter(text: str) -> dict[str, str]:
    """Simple `key: value` pairs of a Markdown file's YAML front matter (title, date)."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return {}
    out = {}
    for line in m.group(1).splitlines():
        kv = re.match(r"^(\w+)\s*:\s*[\"']?(.+?)[\"']?\s*$", line)
        if kv:
            out[kv.group(1).lower()] = kv.group(2)
    return out


def _names_a_body(line: str) -> bool:
    """The line is only a public body's name (a letterhead), not a report's title."""
    found = bodies_in(line, any_case=True)
    return bool(found) and found[0][1].lower() == line.lower()


def infer_title(text: str, declared: str = "") -> tuple[str, str]:
    """(title, where it was read), or ("", "")."""
    declared = _SOFTWARE_PREFIX.sub("", _SOFTWARE_PREFIX.sub("", declared.strip())).strip()
    if declared and title_like(declared) and not _SOFTWARE_TITLE.match(clean_line(declared)):
        if not _names_a_body(clean_line(declared)):
            return nice_title(declared), "the file's own title"
        # A title property that only names the council: the report's own title line says more.
        found = infer_title(text)
        return found if found[0] else (nice_title(declared), "the file's own title")
    meta = front_matter(text)
    if meta.get("title") and title_like(meta["title"]):
        return nice_title(meta["title"]), "the file's front matter"
    body = body_of(text)
    m = _SUBJECT.search(body[:3000])
    if m and title_like(m.group(1)):
        return nice_title(m.group(1)), "the subject line"
    lines = [ln for ln in body[:5000].splitlines() if ln.strip()]
    for line in lines[:_TOP_LINES * 2]:
        if line.lstrip().startswith("#") and title_like(line):
            return nice_title(line), "the first heading"
    candidates = [ln for ln in lines[:_TOP_LINES] if title_like(ln) and "\t" not in ln.strip()]
    for i, line in enumerate(candidates):
        own = clean_line(line)
        if _names_a_body(own):
            continue  # the letterhead names the body; the title is the next line that reads as one
        return nice_title(own), "the first line"
    if candidates:
        return nice_title(candidates[0]), "the first line"
    return "", ""


def humanise(stem: str) -> str:
    return re.sub(r"[-_]+", " ", stem).strip().capitalize() or stem


# --- kind and reference ---------------------------------------------------------------------


def infer_reference(text: str) -> str:
    m = re.search(r"REPORT NO\W*:?\s*([A-Z0-9][\w/-]+)", text[:5000], re.IGNORECASE)
    return m.group(1) if m else ""


def infer_kind(text: str, title: str) -> str:
    head = f"{title}\n{text[:3000]}"
    if re.search(r"\bminutes\b", title, re.I) or re.search(r"\bminutes of (?:the|a|an)\b", text[:1000], re.I):
        return "minutes"
    if re.search(r"REPORT TO\b|Report to .*Committee", head, re.IGNORECASE):
        return "committee report"
    if re.search(r"\baction plan\b", title, re.I):
        return "action plan"
    if re.search(r"\b(?:budget|accounts|variances?|precept)\b", title, re.I):
        return "budget or accounts"
    return "document"


# --- all together ---------------------------------------------------------------------------------


@dataclass
class Inferred:
    """A report's metadata read from its text, and where each part was read ("" when not found)."""

    title: str = ""
    organisation: str | None = None
    place: str | None = None
    published: str = ""
    kind: str = "document"
    reference: str = ""
    sources: dict[str, str] = field(default_factory=dict)


def infer(text: str, declared_title: str = "", file_stem: str = "", publisher: str = "") -> Inferred:
    """Everything the report says about itself (the catalog, when it has an entry, wins over each part).

    `declared_title` and `publisher` are what the file itself declares (its properties, a web page's
    title and site name); a publisher counts only when it names a public body."""
    out = Inferred()
    out.title, where = infer_title(text, declared_title)
    if not out.title:
        out.title, where = humanise(file_stem), "the file name"
    out.sources["title"] = where
    declared = bodies_in(publisher, any_case=True) if publisher else []
    if declared:
        out.organisation, where = declared[0][1], "the file's publisher"
    else:
        out.organisation, where = infer_organisation(text)
    out.sources["organisation"] = where
    out.place = infer_place(out.organisation)
    if out.place:
        out.sources["place"] = "the organisation's name"
    # The meeting or report date wins over a web page's posting date in its front matter.
    published, where = dated_line(text)
    if not published and front_matter(text).get("date"):
        published = parse_date(front_matter(text)["date"])
        where = "the file's front matter" if published else ""
    if not published:
        published, where = infer_date(text)
    if not published and infer_year(file_stem):
        published, where = infer_year(file_stem), "the file name"
    out.published = published
    out.sources["published"] = where
    out.kind = infer_kind(text, out.title)
    out.reference = infer_reference(text)
    return out
