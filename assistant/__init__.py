"""Plan Assistant: cited answers over council plan documents.

The Python API lives in `assistant.api`; the CLI (`assistant ...`) and the Streamlit
app are thin shells over it.
"""

import os

# Nothing may reach a model hub or phone home: these machines (and users' air-gapped ones)
# have no network. Set before any heavy library is imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")  # Chroma
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Libraries' own progress bars would garble ours (and the CLI's JSON output).
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")

__version__ = "0.1.0"
