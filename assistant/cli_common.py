"""What every `assistant` command shares: the --corpus/--index options and settings from them.

A module of its own so that cli.py and the command modules it registers (cli_views.py,
cli_documents.py) can all import it without importing each other.
"""

from __future__ import annotations

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
