"""Figures: a measure's values over time, linked across reports of the same place, every value cited."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from assistant.core.types import Citation
from assistant.ui import components, state
from assistant.ui import format as fmt
from assistant.views.figure_values import Series
from assistant.views.series import search_series

CONTEXT_CHARS = 400

st.title("Figures")
st.caption("Numbers the reports give for a measure — “reduced from 43 to 32”, tables by year, baselines and "
           "targets — joined into one timeline when several reports of the same place give the same measure.")

bot, everything = state.view_or_stop(lambda bot, who: bot.figure_series(who), "No figures were found in the indexed reports.")

c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
query = c1.text_input("Find a measure", key="fg_search", placeholder="e.g. external residential care")
only_linked = c2.checkbox("Across reports only", key="fg_linked",
                          help="Only series that join figures from more than one report")
found = search_series(everything, query) if query.strip() else everything
if only_linked:
    found = [s for s in found if s.linked]
linked = sum(s.linked for s in everything)
st.caption(f"{len(found)} of {len(everything)} series shown; {linked} join figures from more than one report.")
if not found:
    st.info("No measure matches; try fewer or other words.", icon=":material/search_off:")
    st.stop()


def label(s: Series) -> str:
    where = f"{len(s.sources)} reports" if s.linked else "1 report"
    return f"{fmt.shorten(s.measure, 90)} — {s.place.split(':')[-1]} ({where}, {len(s.points)} values)"


by_id = {s.id: s for s in found}
chosen = st.selectbox("Measure", list(by_id), format_func=lambda i: label(by_id[i]), key="fg_pick")
s = by_id[chosen]

st.subheader(fmt.md(s.measure), divider="gray")
facts = [f"unit: {s.unit}", "; ".join(s.organisations)]
if len(s.labels) > 1:
    facts.append("also named: " + " | ".join(x for x in s.labels if x != s.measure))
st.caption(fmt.md(" · ".join(f for f in facts if f)))

# The chart: reported values and targets over time (x = position in time, in years).
chart = pd.DataFrame({
    "year": [round(p.sort_key, 2) for p in s.points],
    "reported": [p.value if p.role != "target" else None for p in s.points],
    "target": [p.value if p.role == "target" else None for p in s.points],
})
ys = [col for col in ("reported", "target") if chart[col].notna().any()]
if len(s.points) >= 2:
    st.line_chart(chart, x="year", y=ys, x_label="year (report date when no period is given)",
                  y_label=s.unit)
else:
    st.bar_chart(chart, x="year", y=ys, y_label=s.unit)

rows = []
cited = []
for p in s.points:
    for k, v in enumerate(p.citations):
        cited.append(v)
        rows.append({"Value": v.value_text, "Period": v.period or "not stated", "Role": v.role,
                     "Restated": "yes" if k else "", "Measure as written": v.measure, "Report": v.title,
                     "Published": fmt.human_date(v.published), "Source": v.source,
                     "Characters": f"{v.char_start}–{v.char_end}"})
st.markdown("**Cited values** — select one to read it in its report")
# st.dataframe shows cell text as text (never HTML).
event = st.dataframe(rows, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                     key=f"fg_table_{s.id}")
selected = list(getattr(getattr(event, "selection", None), "rows", []) or [])
if not selected:
    st.stop()

v = cited[selected[0]]
components.inject_css()
st.caption(fmt.md(f"{v.title} — {v.organisation}, {fmt.human_date(v.published)} · {v.source}, "
                 f"characters {v.char_start:,}–{v.char_end:,}"))
st.text(v.text)
citation = Citation.from_span(v, 1, used=v.used)
components.show_in_context(bot, citation, CONTEXT_CHARS)
if st.button("Read it in the full report", icon=":material/article:", key="fg_open"):
    components.show_report(bot, citation)
