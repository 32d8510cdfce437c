"""Commitments: every action-table row, block of fields and commitment sentence, searchable, each field
traceable to its source span."""

from __future__ import annotations

import streamlit as st

from assistant.core.types import Citation
from assistant.ui import components, state
from assistant.ui import format as fmt
from assistant.ui.format import commitments_csv
from assistant.views.commitments import Commitment, plans, search_commitments
from assistant.views.periods import valid_month

CONTEXT_CHARS = 600  # report text shown either side of the selected span

st.title("Commitments")
st.caption("What the plans commit to: action tables (theme, action, lead, partners, timescale, measure) and "
           "commitment sentences (“We will …”, “The Council will … by …”). Select a row to read its exact words "
           "in the report.")

bot, everything = state.view_or_stop(lambda bot, who: bot.commitments(who),
                                     "The indexed reports contain no action tables or commitment sentences.")

ALL = "All"
c1, c2 = st.columns([3, 2])
query = c1.text_input("Search actions, themes, measures and leads", key="cm_search", placeholder="e.g. kinship carers")
plan_names = list(plans(everything))
plan = c2.selectbox("Plan", [ALL] + plan_names, key="cm_plan")
c3, c4, c5 = st.columns(3)
themes = sorted({c.theme.split(" > ")[0] for c in everything if c.theme})
theme = c3.selectbox("Theme", [ALL] + themes, key="cm_theme")
leads = sorted({c.lead_normalised for c in everything if c.lead_normalised})
lead = c4.selectbox("Lead", [ALL] + leads, key="cm_lead")
due_before = c5.text_input("Due before (YYYY-MM)", key="cm_due", placeholder="2024-07").strip()
if due_before and not valid_month(due_before):
    st.warning(fmt.md(f"“{due_before}” is not a month as YYYY-MM (for example 2024-07); the date filter is off."),
               icon=":material/warning:")
    due_before = ""

rows: list[Commitment] = search_commitments(
    everything, text=query or None, lead=None if lead == ALL else lead,
    theme=None if theme == ALL else theme, due_before=due_before or None,
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
    [{"Plan": c.plan, "Theme": c.theme or "", "Action": c.action,
      "Lead": c.lead_normalised or "", "Partners": c.partners or "", "Timescale": c.timescale or "", "Due": c.due or "",
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
components.inject_css()
st.subheader("Source", divider="gray")
st.markdown(f"**{fmt.md(c.action)}**")
facts = [c.plan, c.theme or "", f"lead: {c.lead_normalised}" if c.lead_normalised else "",
         f"partners: {c.partners}" if c.partners else "",
         f"timescale: {c.timescale}" + (f" ({c.due or c.recurrence})" if (c.due or c.recurrence) else "")
         if c.timescale else "", f"defined as: {c.timescale_defined}" if c.timescale_defined else "",
         f"measure: {c.measure}" if c.measure else "", f"cost: {c.cost}" if c.cost else "",
         f"funding: {c.funding}" if c.funding else ""]
st.caption(fmt.md(" · ".join(f for f in facts if f)))
with st.expander("Where each field was read"):
    # Every field keeps the verbatim span it came from, so an evaluator can check each one.
    st.dataframe([{"Field": name, "Verbatim text": text, "Characters": f"{start:,}–{end:,}"}
                  for name, (start, end, text) in c.spans.items()], hide_index=True, width="stretch")
st.caption(fmt.md(f"{c.title} — {c.organisation}, {fmt.human_date(c.published)} · {c.source}, "
                 f"characters {c.char_start:,}–{c.char_end:,}"))
st.markdown("**Verbatim text**")
st.text(c.text)

inside = [(v[0], v[1]) for k, v in c.spans.items() if k != "action" and c.char_start <= v[0] and v[1] <= c.char_end]
citation = Citation.from_span(c, 1, used=inside)
st.markdown("**In the report** (the commitment highlighted)")
components.show_in_context(bot, citation, CONTEXT_CHARS)
if st.button("Read it in the full report", icon=":material/article:", key="cm_open"):
    components.show_report(bot, citation)
