"""What every `assistant` command shares: the --corpus/--index options, settings from them,
the progress bar, and opening the library (building the index on first use).

A module of its own so that cli.py and the command modules it registers (cli_views.py,
cli_documents.py) can all import it without importing each other.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click


def settings_from(corpus: Path | None, index: Path | None) -> Any:
    """Settings from the environment, with --corpus/--index taking precedence."""
    from .settings import Settings

    overrides = {k: v for k, v in (("corpus", corpus), ("index", index)) if v is not None}
    return Settings(**overrides)


def common(f: Any) -> Any:
    """Add --corpus DIR and --index DIR to a command."""
    f = click.option("--index", "index", type=click.Path(path_type=Path), default=None,
                     help="Index folder [env ASSISTANT_INDEX; default index/].")(f)
    f = click.option("--corpus", "corpus", type=click.Path(path_type=Path), default=None,
                     help="Corpus folder of reports [env ASSISTANT_CORPUS; default corpus/].")(f)
    return f


class Bar:
    """A one-line progress bar on stderr; plain lines when stderr is not a terminal."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        line = f"{stage:<22} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
        if self.tty:
            click.echo("\r" + line, nl=done >= total, err=True)
        elif done >= total or stage != self.last:
            click.echo(line, err=True)
        self.last = stage


def open_library(corpus: Path | None, index: Path | None) -> Any:
    """An Assistant whose index is ready: built once, with a progress bar, when there is none yet.

    A library that cannot be built (no corpus folder, no readable report, another ingest
    running) raises the library's own error, whose message says what to do.
    """
    from .api import Assistant

    from .load import corpus_files

    bot = Assistant(settings_from(corpus, index))
    missing = bot.index_state()
    if missing:
        if corpus_files(bot.settings.corpus):  # an empty folder gets the ingest's one-line error alone
            click.echo(f"{missing} Building it once now…", err=True)
        report = bot.ingest(progress=Bar())
        click.echo(report.summary(), err=True)
    return bot
