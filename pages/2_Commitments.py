"""Commitments: every action-plan row and "We will" statement, searchable, each traceable to its source span."""

from __future__ import annotations

import streamlit as st

from assistant import ui
from assistant.cli_views import commitments_csv
from assistant.commitments import Commitment, commitments_for, plans, search_commitments
from assistant.periods import valid_month
from assistant.types import Citation

CONTEXT_CHARS = 600  # report text shown either side of the selected span

st.title("Commitments")
st.caption("What the plans commit to: action-plan rows (foundation, action, lead, timescale, measure) and "
           "“We will …” statements. Select a row to read its exact words in the report.")

bot, everything = ui.view_or_stop(commitments_for, "The indexed reports contain no action-plan tables or “We will” statements.")

ALL = "All"
c1, c2 = st.columns([3, 2])
query = c1.text_input("Search actions, measures and leads", key="cm_search", placeholder="e.g. kinship carers")
plan_names = list(plans(everything))
plan = c2.selectbox("Plan", [ALL] + plan_names, key="cm_plan")
c3, c4, c5 = st.columns(3)
foundations = sorted({c.foundation for c in everything if c.foundation})
foundation = c3.selectbox("Foundation", [ALL] + foundations, key="cm_foundation")
leads = sorted({c.lead_normalised for c in everything if c.lead_normalised})
lead = c4.selectbox("Lead", [ALL] + leads, key="cm_lead")
due_before = c5.text_input("Due before (YYYY-MM)", key="cm_due", placeholder="2024-07").strip()
if due_before and not valid_month(due_before):
    st.warning(ui.md(f"“{due_before}” is not a month as YYYY-MM (for example 2024-07); the date filter is off."),
               icon=":material/warning:")
    due_before = ""

rows: list[Commitment] = search_commitments(
    everything, text=query or None, lead=None if lead == ALL else lead,
    foundation=None if foundation == ALL else foundation, due_before=due_before or None,
    plan=None if plan == ALL else plan,
)
# Exact plan and lead choices: the filters match substrings, the select boxes mean "this one".
if plan != ALL:
    rows = [c for c in rows if c.plan == plan]
if lead != ALL:
    rows = [c for c in rows if c.lead_normalised == lead]

st.caption(f"{len(rows)} of {len(everything)} commitments")
# st.dataframe shows cell text as text (never HTML), so report text is safe here.
event = st.dataframe(
    [{"Plan": c.plan, "Foundation / priority": c.foundation or c.priority or "", "Action": c.action,
      "Lead": c.lead_normalised or "", "Timescale": c.timescale or "", "Due": c.due or "",
      "Recurrence": c.recurrence or "", "Measure": c.measure or "", "Source": c.source,
      "Characters": f"{c.char_start}–{c.char_end}"} for c in rows],
    hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row", key="cm_table",
    column_config={"Action": st.column_config.TextColumn(width="large"),
                   "Plan": st.column_config.TextColumn(width="small")},
)
st.download_button("Download these commitments as CSV", data=commitments_csv(rows),
                   file_name="plan-assistant-commitments.csv", mime="text/csv", icon=":material/download:",
                   on_click="ignore", disabled=not rows)

selected = list(getattr(getattr(event, "selection", None), "rows", []) or [])
if not rows:
    st.stop()
if not selected:
    st.info("Select a row (the box at its left) to see its verbatim text in the report.", icon=":material/ads_click:")
    st.stop()

c = rows[selected[0]]
ui.inject_css()
st.subheader("Source", divider="gray")
st.markdown(f"**{ui.md(c.action)}**")
facts = [c.plan, c.foundation or c.priority or "", f"lead: {c.lead_normalised}" if c.lead_normalised else "",
         f"timescale: {c.timescale}" + (f" ({c.due or c.recurrence})" if (c.due or c.recurrence) else "")
         if c.timescale else "", f"measure: {c.measure}" if c.measure else ""]
st.caption(ui.md(" · ".join(f for f in facts if f)))
st.caption(ui.md(f"{c.title} — {c.organisation}, {ui.human_date(c.published)} · {c.source}, "
                 f"characters {c.char_start:,}–{c.char_end:,}"))
st.markdown("**Verbatim text**")
st.text(c.text)

citation = Citation(marker=1, source=c.source, title=c.title, organisation=c.organisation, published=c.published,
                    section=c.section, char_start=c.char_start, char_end=c.char_end, text=c.text, score=1.0)
st.markdown("**In the report** (the commitment highlighted)")
ui.show_in_context(bot, citation, CONTEXT_CHARS)
if st.button("Read it in the full report", icon=":material/article:", key="cm_open"):
    ui.show_report(bot, citation)
