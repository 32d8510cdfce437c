# Two commands: `make run` (set up, index, start the app) and `make test` (set up, run every test).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test install browser index chat clean

run: install index
	$(BIN)/streamlit run app.py

test: install browser
	$(BIN)/python -m pytest

install: $(STAMP)

# torch is pinned to the CPU build on this machine's disk (see pyproject.toml).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Debian's Chromium drives the end-to-end browser tests (CI runs as root).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Incremental: only new or changed reports are embedded; an unchanged corpus takes a second.
index: install
	$(BIN)/assistant ingest

chat: install index
	$(BIN)/assistant chat

clean:
	rm -rf index/chroma index/bm25 index/*.json index/.lock
