"""Who may see each report: its `visibility`, and the audience (the set of visibilities) a person reads.

    check_visibility("group:finance", groups)        # "group:finance", or BadVisibility
    audience_levels(viewer, groups)                   # None: everything (an editor); else the levels seen
    visible(levels, "signed-in")                      # may this audience read a report so marked?

Four kinds: `public` (everyone, the default), `signed-in` (anyone signed in), `editors`, and
`group:NAME`, a group of e-mail addresses named in ASSISTANT_GROUPS. Editors see everything.
Answers are computed per audience (the levels a person sees, among those the library uses), so
a handful of keyword indexes serve every reader, not one per person.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import BadVisibility
from .identity import Viewer, normalise_email, parse_editors

PUBLIC, SIGNED_IN, EDITORS = "public", "signed-in", "editors"
GROUP = "group:"
KINDS = (PUBLIC, SIGNED_IN, EDITORS)
_GROUP_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}")


def parse_groups(value: Any) -> dict[str, tuple[str, ...]]:
    """ASSISTANT_GROUPS: a JSON object of group name -> list of e-mail addresses (or one string of them,
    separated by commas). ValueError says what is wrong."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ValueError(f'not a JSON object like {{"finance": ["a@council.gov.uk"]}} ({exc.msg})') from None
    if not isinstance(value, Mapping):
        raise ValueError('give a JSON object like {"finance": ["a@council.gov.uk"]}')
    out: dict[str, tuple[str, ...]] = {}
    for name, members in value.items():
        name = str(name).strip()
        if not _GROUP_NAME.fullmatch(name):
            raise ValueError(f"“{name}” is not a group name (letters, digits, spaces, - _ . ; at most 64)")
        out[name] = parse_editors(members)
    return out


def check_visibility(value: str, groups: Mapping[str, Iterable[str]]) -> str:
    """`value` tidied ("Editors " -> "editors", "group: finance" -> "group:finance"); BadVisibility when it
    is none of the kinds or names a group that ASSISTANT_GROUPS does not define."""
    text = " ".join(str(value or "").split())
    low = text.lower()
    if low in KINDS:
        return low
    if low.startswith(GROUP):
        name = text[len(GROUP):].strip()
        if name in groups:
            return GROUP + name
        known = ", ".join(sorted(groups)) or "none are defined"
        raise BadVisibility(f"There is no group “{name}” in ASSISTANT_GROUPS (known groups: {known}); add it there "
                            "first.")
    raise BadVisibility(f"“{text}” is not a visibility: use public, signed-in, editors or group:NAME.")


def level_of(visibility: str | None) -> str:
    """A record's visibility as compared ("" from an index built before visibility existed: public)."""
    return visibility or PUBLIC


def groups_of(viewer: Viewer, groups: Mapping[str, Iterable[str]]) -> list[str]:
    """The groups whose member the viewer is (signed-in addresses only), sorted."""
    email = viewer.email
    if email is None:
        return []
    email = normalise_email(email)
    return sorted(name for name, members in groups.items() if email in members)


def audience_levels(viewer: Viewer, groups: Mapping[str, Iterable[str]]) -> frozenset[str] | None:
    """The visibilities `viewer` may read; None for an editor (everything, groups not named included)."""
    if viewer.is_editor:
        return None
    if not viewer.signed_in:
        return frozenset({PUBLIC})
    return frozenset({PUBLIC, SIGNED_IN} | {GROUP + g for g in groups_of(viewer, groups)})


def visible(levels: frozenset[str] | None, visibility: str | None) -> bool:
    return levels is None or level_of(visibility) in levels


def describe(visibility: str | None) -> str:
    """What a reader is told about a report's visibility, for cards and lists."""
    v = level_of(visibility)
    if v == PUBLIC:
        return "public"
    if v == SIGNED_IN:
        return "signed-in users only"
    if v == EDITORS:
        return "editors only"
    return f"group {v[len(GROUP):]} only"


def known_audiences(groups: Mapping[str, Iterable[str]]) -> list[frozenset[str]]:
    """Every reader audience the settings can produce: visitors, signed-in readers in no group, and each
    combination of groups some address belongs to (editors read the whole library)."""
    out = [frozenset({PUBLIC}), frozenset({PUBLIC, SIGNED_IN})]
    members = {m for ms in groups.values() for m in ms}
    for m in sorted(members):
        levels = frozenset({PUBLIC, SIGNED_IN} | {GROUP + g for g, ms in groups.items() if m in ms})
        if levels not in out:
            out.append(levels)
    return out
