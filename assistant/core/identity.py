"""Who is asking, and what they may do: the `Viewer` that the app and the CLI pass to the API.

    viewer = Viewer.from_claims(st.user.to_dict(), settings.editors)   # a person signed in to the app
    viewer = Viewer.local("cli")                                        # `assistant add` in a shell
    check_can_change(viewer, settings.read_only, "add reports")         # raises unless allowed

Two roles. A reader asks, follows up, opens sources, exports answers and gives feedback. An
editor also adds, replaces and removes reports, edits their catalog details, reads feedback and
the audit log, and re-indexes from the app. Editors are named by e-mail (ASSISTANT_EDITORS).
Whoever runs the CLI on the machine, or opens an app that has no sign-in configured, is the
local user (`local:<os user>`), an editor: they can change the files directly anyway.
`ASSISTANT_READ_ONLY=1` stops every change, whatever the role.
"""

from __future__ import annotations

import getpass
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .errors import NotAllowed, ReadOnlyLibrary

Role = Literal["reader", "editor"]


ANONYMOUS = "anonymous"


# The claims an identity provider may carry the sign-in address in, best first: OpenID's `email`;
# Microsoft Entra ID sends the user principal name (usually the address) as `preferred_username`.
EMAIL_CLAIMS = ("email", "preferred_username", "upn")


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


def normalise_email(text: str) -> str:
    """An address as compared: surrounding spaces, a `mailto:` and angle brackets dropped, case folded.

    " Alice@Council.GOV.uk " and "<alice@council.gov.uk>" are the same editor.
    """
    address = str(text or "").strip().strip("<>").strip()
    if address.lower().startswith("mailto:"):
        address = address[7:]
    return address.strip().casefold()


def parse_editors(value: Any) -> tuple[str, ...]:
    """The editor list from ASSISTANT_EDITORS: addresses separated by commas, semicolons, spaces or new
    lines (a JSON list too), normalised and de-duplicated in order. ValueError names an entry that is
    not an address."""
    if value is None:
        return ()
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError as exc:
                raise ValueError(f"not a JSON list of addresses ({exc.msg})") from None
        else:
            value = re.split(r"[,;\s]+", text)
    if not isinstance(value, (list, tuple, set, frozenset)):
        raise ValueError("give the editors' e-mail addresses separated by commas")
    out: list[str] = []
    for item in value:
        address = normalise_email(str(item))
        if not address:
            continue
        if not _EMAIL.fullmatch(address):
            raise ValueError(f"“{item}” is not an e-mail address")
        if address not in out:
            out.append(address)
    return tuple(out)


def claimed_email(claims: Mapping[str, Any]) -> str | None:
    """The signed-in address from an identity token's claims, normalised; None when there is none, or
    when the provider says the address is not verified (`email_verified: false`)."""
    if claims.get("email_verified") is False:
        return None
    for key in EMAIL_CLAIMS:
        address = normalise_email(str(claims.get(key) or ""))
        if _EMAIL.fullmatch(address):
            return address
    return None


@dataclass(frozen=True)
class Viewer:
    """Who is asking: an e-mail signed in through the identity provider, the local user, or nobody.

    `id` is what the audit log records ("alice@council.gov.uk", "local:alice", "anonymous");
    `via` says where the request came from ("app" or "cli").
    """

    id: str
    role: Role = "reader"
    name: str = ""
    via: str = "app"

    @property
    def is_editor(self) -> bool:
        return self.role == "editor"

    @property
    def email(self) -> str | None:
        """The signed-in address; None for the local user and for a visitor who has not signed in."""
        return self.id if "@" in self.id and not self.id.startswith("local:") else None

    @property
    def signed_in(self) -> bool:
        return self.email is not None

    @property
    def is_local(self) -> bool:
        return self.id.startswith("local:")

    def describe(self) -> str:
        """ "alice@council.gov.uk (reader)", "the local user local:alice (editor)",
        "a visitor who has not signed in"."""
        if self.id == ANONYMOUS:
            return "a visitor who has not signed in"
        who = f"the local user {self.id}" if self.is_local else self.id
        return f"{who} ({self.role})"

    @classmethod
    def local(cls, via: str = "cli") -> "Viewer":
        """Whoever runs the command on this machine (or opens an app without sign-in): an editor."""
        try:
            user = getpass.getuser()
        except Exception:  # noqa: BLE001 - no name for this uid (a container): still the local user
            user = "unknown"
        return cls(id=f"local:{user}", role="editor", name=user, via=via)

    @classmethod
    def anonymous(cls) -> "Viewer":
        """A visitor of an app with sign-in who has not signed in: a reader."""
        return cls(id=ANONYMOUS, role="reader")

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any], editors: Collection[str]) -> "Viewer":
        """The person an identity token names; an editor when their address is in `editors` (already
        normalised, as Settings.editors holds them). No usable address: anonymous."""
        email = claimed_email(claims)
        if email is None:
            return cls.anonymous()
        name = str(claims.get("name") or "").strip()
        return cls(id=email, role="editor" if email in editors else "reader", name=name, via="app")


def check_can_change(viewer: Viewer, read_only: bool, what: str) -> None:
    """Nothing when `viewer` may change the library now; otherwise ReadOnlyLibrary or NotAllowed.

    `what` completes "… cannot <what>" ("add reports", "remove reports", "edit catalog details").
    """
    if read_only:
        raise ReadOnlyLibrary(f"The library is read-only (ASSISTANT_READ_ONLY=1): nobody can {what}; "
                              "nothing was changed.")
    if not viewer.is_editor:
        raise NotAllowed(f"Only editors can {what}; {viewer.describe()} cannot. Editors are named in "
                         "ASSISTANT_EDITORS; nothing was changed.")


def check_editor(viewer: Viewer, what: str) -> None:
    """NotAllowed unless `viewer` is an editor (reading feedback, the audit log)."""
    if not viewer.is_editor:
        raise NotAllowed(f"Only editors can {what}; {viewer.describe()} cannot.")
