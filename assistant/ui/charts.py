"""Under a "how did X change" answer: the figure timeline as a chart."""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st

from .format import series_alt_text, series_rows, shorten

log = logging.getLogger(__name__)


PRIMARY = "#1f5fa8"  # the theme's primaryColor (.streamlit/config.toml), for charts


def series_chart(series: dict[str, Any]) -> Any:
    """An Altair line chart of a timeline: period on x in the given order, value on y, each point
    labelled with its value and [n] citation markers, and a tooltip naming who reported it."""
    import altair as alt

    rows = series_rows(series)
    unit = str(series.get("unit") or "")
    y_title = "number" if unit in ("", "count") else unit
    order = [r["When"] for r in rows]
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X("When:N", sort=order, title=None,
                axis=alt.Axis(labelAngle=0, labelExpr="split(datum.label, ', ')", labelLimit=220)),
        y=alt.Y("Value:Q", title=y_title, scale=alt.Scale(zero=True)),
        tooltip=[alt.Tooltip("When:N", title="When"), alt.Tooltip("Figure:N", title="Figure"),
                 alt.Tooltip("Citations:N", title="Citations"), alt.Tooltip("Reported by:N", title="Reported by")],
    )
    line = base.mark_line(color=PRIMARY)
    points = base.mark_point(filled=True, size=90, color=PRIMARY)
    labels = base.mark_text(dy=-14, fontSize=12, fontWeight="bold", color="#222").encode(text="Label:N")
    return (line + points + labels).properties(height=230, title=alt.Title(shorten(str(series.get("measure", "")), 90),
                                                                           anchor="start", fontSize=13))


def render_series(series: dict[str, Any], key: str) -> None:
    """Under a "how did X change" answer: the timeline table's figures as a small chart."""
    if len(series_rows(series)) < 2:
        return
    with st.container(key=f"series-{key}"):
        try:
            st.altair_chart(series_chart(series), width="stretch", alt=series_alt_text(series))
        except Exception:  # noqa: BLE001 - the table above holds the same figures; never lose the answer
            log.exception("Drawing the timeline chart failed")
            return
        st.caption("Each point is a figure from the table above; the numbers in brackets are its citations.")
