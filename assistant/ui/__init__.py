"""The Streamlit app's building blocks; app.py and app_pages/ only lay pages out.

* `format`: pure formatting, escaping and exports (no Streamlit; the CLI's exports use it too);
* `state`: the shared Assistant and each browser tab's chat;
* `components`: an answer with its citation cards, the whole-report dialog, feedback;
* `charts`: a figure timeline as a chart;
* `manage`: adding, describing and removing reports.
"""

from __future__ import annotations


