"""Helpers shared by the Streamlit pages (app.py and pages/*.py). No retrieval logic here."""

from __future__ import annotations

import streamlit as st

from .api import Assistant
from .settings import Settings


@st.cache_resource(show_spinner=False)
def get_assistant() -> Assistant:
    """One Assistant (index + model) per server process, shared by every session."""
    return Assistant(Settings())
