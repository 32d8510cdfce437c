"""Sign-in for the app, and the Viewer each browser session acts as.

Streamlit's own sign-in does the work (`st.login` / `st.user`: OpenID Connect through Authlib),
configured in `.streamlit/secrets.toml` under `[auth]`: `redirect_uri` and `cookie_secret`, and a
provider's `client_id`, `client_secret` and `server_metadata_url`, either in `[auth]` itself or in
named sections (`[auth.microsoft]`, `[auth.google]`), each offered as a sign-in button.

  * No `[auth]` section: the app is the local user's (`local:<os user>`, an editor), as before.
  * `[auth]`: a visitor reads as a reader; signed in, their e-mail decides (ASSISTANT_EDITORS);
    ASSISTANT_REQUIRE_LOGIN=1 shows only the sign-in button until they sign in.
  * A provider that cannot be reached, or an `[auth]` section missing a key, is a message, never a
    dead sign-in button; readers go on reading unless sign-in is required.
  * Streamlit reads the identity cookie when a session starts, so a tab opened before its user
    signed out in another tab still believes they are signed in: a sign-out is remembered here,
    and such a session acts as a visitor who has not signed in.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import streamlit as st

from ..core.identity import Viewer, claimed_email
from ..core.settings import Settings
from .format import md

log = logging.getLogger(__name__)


SECRETS_FILE = ".streamlit/secrets.toml"


_PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")


# A token issued this long before its user signed out belongs to a session from before the sign-out
# (allows for the provider's clock being a little off ours).
CLOCK_SKEW = 60.0


@dataclass(frozen=True)
class Provider:
    name: str  # "default" (the keys in [auth] itself) or the NAME of [auth.NAME]
    metadata_url: str

    @property
    def label(self) -> str:
        return "Sign in" if self.name == "default" else f"Sign in with {self.name.replace('-', ' ').title()}"


@dataclass(frozen=True)
class AuthConfig:
    """What `.streamlit/secrets.toml` says about sign-in."""

    configured: bool = False  # there is an [auth] section: sign-in decides who is who
    providers: tuple[Provider, ...] = ()
    problem: str = ""  # why nobody can sign in ("" when the configuration is complete)
    notes: tuple[str, ...] = field(default=())


def _auth_section() -> Mapping[str, Any] | None:
    try:
        section = st.secrets.get("auth")
    except Exception:  # noqa: BLE001 - no secrets file, or one that is not TOML: no sign-in
        return None
    return section if isinstance(section, Mapping) else None


def read_config(section: Mapping[str, Any] | None) -> AuthConfig:
    """The sign-in configuration of an `[auth]` section (None: there is none). Pure, for tests."""
    if section is None:
        return AuthConfig()
    missing = [k for k in ("redirect_uri", "cookie_secret") if not section.get(k)]
    providers: list[Provider] = []
    problems: list[str] = []
    if any(section.get(k) for k in _PROVIDER_KEYS):
        candidates: list[tuple[str, Mapping[str, Any]]] = [("default", section)]
    else:
        candidates = []
    candidates += [(str(k), v) for k, v in section.items() if isinstance(v, Mapping) and k != "client_kwargs"]
    for name, conf in candidates:
        lacking = [k for k in _PROVIDER_KEYS if not conf.get(k)]
        if "_" in name:
            problems.append(f"the provider name “{name}” has an underscore, which Streamlit does not accept")
        elif lacking:
            where = "[auth]" if name == "default" else f"[auth.{name}]"
            problems.append(f"{where} lacks {', '.join(lacking)}")
        else:
            providers.append(Provider(name, str(conf["server_metadata_url"])))
    if missing:
        problems.insert(0, f"[auth] lacks {', '.join(missing)}")
    elif not providers and not problems:
        problems.append("[auth] names no identity provider (client_id, client_secret, server_metadata_url)")
    problem = ""
    if missing or not providers:
        problem = f"Sign-in is not set up correctly: {'; '.join(problems)} (in {SECRETS_FILE})."
    return AuthConfig(configured=True, providers=tuple(providers), problem=problem, notes=tuple(problems))


def auth_config() -> AuthConfig:
    return read_config(_auth_section())


@st.cache_resource(show_spinner=False)
def _reachability() -> dict[str, tuple[float, str]]:
    return {}


def provider_problem(provider: Provider, timeout: float = 3.0) -> str:
    """'' when the provider's OpenID configuration can be fetched; otherwise why not, in a sentence.

    Remembered for a minute when it works and ten seconds when it does not, per server process.
    """
    cache = _reachability()
    now = time.monotonic()
    known = cache.get(provider.metadata_url)
    if known and now - known[0] < (60.0 if not known[1] else 10.0):
        return known[1]
    host = urlparse(provider.metadata_url).netloc or provider.metadata_url
    problem = ""
    try:
        with urllib.request.urlopen(provider.metadata_url, timeout=timeout) as response:  # noqa: S310 - from secrets
            meta = json.loads(response.read(1_000_000).decode("utf-8"))
        if not isinstance(meta, dict) or "authorization_endpoint" not in meta:
            problem = f"the identity provider at {host} did not answer with an OpenID configuration"
    except Exception as exc:  # noqa: BLE001 - any failure is the same for the visitor: no sign-in now
        reason = getattr(exc, "reason", None) or exc
        problem = f"the identity provider at {host} cannot be reached ({reason})"
    if problem:
        log.warning("Sign-in unavailable: %s", problem)
    cache[provider.metadata_url] = (now, problem)
    return problem


def usable_providers(config: AuthConfig) -> tuple[list[Provider], list[str]]:
    """(providers a visitor can sign in with now, a sentence for each that cannot be reached)."""
    ok, problems = [], []
    for p in config.providers:
        problem = provider_problem(p)
        if problem:
            problems.append(problem)
        else:
            ok.append(p)
    return ok, problems


# --- who this session is ------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def _sign_outs() -> dict[str, float]:
    """E-mail -> when it last signed out of this server (time.time())."""
    return {}


_SIGN_OUT_LOCK = threading.Lock()


def _stale(email: str, claims: Mapping[str, Any]) -> bool:
    """True when this session's identity is from before its user signed out (another tab, a copied cookie)."""
    with _SIGN_OUT_LOCK:
        signed_out = _sign_outs().get(email)
    seen: dict[str, float] = st.session_state.setdefault("pa-identity-seen", {})
    first = seen.setdefault(email, time.time())
    if signed_out is None:
        return False
    issued = claims.get("iat")
    if isinstance(issued, (int, float)) and issued < signed_out - CLOCK_SKEW:
        return True
    return first <= signed_out


def current_viewer(settings: Settings) -> Viewer:
    """Who this browser session acts as, worked out afresh at every call (every action asks again)."""
    config = auth_config()
    if not config.configured:
        return Viewer.local("app")
    if not st.user.is_logged_in:
        return Viewer.anonymous()
    claims = st.user.to_dict()
    email = claimed_email(claims)
    if email is not None and _stale(email, claims):
        st.session_state["pa-signed-out-elsewhere"] = email
        return Viewer.anonymous()
    return Viewer.from_claims(claims, settings.editors)


def sign_out(viewer: Viewer) -> None:
    """Forget the identity cookie (st.logout) and remember the sign-out for this user's other sessions."""
    if viewer.email:
        with _SIGN_OUT_LOCK:
            _sign_outs()[viewer.email] = time.time()
    st.logout()


def sign_in_buttons(config: AuthConfig, key: str) -> bool:
    """A button per provider that can be reached, or why none can; True when a button was shown."""
    providers, problems = usable_providers(config)
    for problem in problems:
        st.warning(md(f"Sign-in is unavailable: {problem}. Try again in a minute; if it lasts, check "
                      f"server_metadata_url in {SECRETS_FILE}."), icon=":material/cloud_off:")
    for p in providers:
        if st.button(p.label, key=f"{key}-{p.name}", type="primary", icon=":material/login:"):
            if p.name == "default":
                st.login()
            else:
                st.login(p.name)
    return bool(providers)


def sidebar_identity(viewer: Viewer, settings: Settings, config: AuthConfig) -> None:
    """Who is signed in and what they may do, with the sign-in or sign-out button."""
    with st.sidebar:
        for kind, text in st.session_state.pop("pa-notes-auth", []):
            getattr(st, kind)(md(text), icon=":material/block:")
        if not config.configured:
            st.caption(md(f"Sign-in is off (no [auth] in {SECRETS_FILE}): everyone who opens this app is the "
                          f"local user {viewer.id}, an editor."))
        elif config.problem:
            st.warning(md(config.problem + " Readers can still ask questions."), icon=":material/warning:")
        elif viewer.signed_in:
            st.caption(md(f"Signed in as {viewer.email} ({viewer.role})."))
            if st.button("Sign out", key="sign-out", icon=":material/logout:"):
                sign_out(viewer)
        else:
            elsewhere = st.session_state.pop("pa-signed-out-elsewhere", None)
            if elsewhere:
                st.info(md(f"{elsewhere} signed out (in another tab or window): sign in again to make changes."),
                        icon=":material/logout:")
            st.caption("You are reading as a visitor. Editors sign in to add or change reports.")
            sign_in_buttons(config, "sidebar-sign-in")
        if settings.read_only:
            st.caption("The library is read-only (ASSISTANT_READ_ONLY=1): reports cannot be added, changed or "
                       "removed here.")


def sign_in_page(config: AuthConfig) -> None:
    """The whole page for a visitor when sign-in is required: the sign-in button, nothing else."""
    st.title("Plan Assistant", anchor=False)
    if not config.configured:
        st.error(md(f"Sign-in is required (ASSISTANT_REQUIRE_LOGIN=1), but there is no [auth] section in "
                    f"{SECRETS_FILE}, so nobody can sign in. Add one (see the README's Sign-in section) or "
                    "unset ASSISTANT_REQUIRE_LOGIN."), icon=":material/error:")
        return
    if config.problem:
        st.error(md(config.problem + " Sign-in is required (ASSISTANT_REQUIRE_LOGIN=1), so the reports cannot "
                    "be read until it is fixed."), icon=":material/error:")
        return
    elsewhere = st.session_state.pop("pa-signed-out-elsewhere", None)
    if elsewhere:
        st.info(md(f"{elsewhere} signed out (in another tab or window)."), icon=":material/logout:")
    st.markdown("Sign in to ask the council reports.")
    if not sign_in_buttons(config, "sign-in"):
        st.button("Try again", icon=":material/refresh:")
