"""`assistant ingest`, `docs`, `text` and `check`: build, list, read and check the index."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .common import EXIT_ERROR, Bar, common, open_library, settings_from


@click.command()
@common
def ingest(corpus: Path | None, index: Path | None) -> None:
    """Build or update the index from the corpus folder (only new or changed files are embedded).

    \b
    Example:
      assistant ingest --corpus corpus --index index
    """
    from ..api import Assistant

    report = Assistant(settings_from(corpus, index)).ingest(progress=Bar())
    click.echo(report.summary())


@click.command()
@common
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def docs(corpus: Path | None, index: Path | None, as_json: bool) -> None:
    """List the indexed documents: title, organisation, date and passage count.

    \b
    Example:
      assistant docs
    """
    rows = sorted(open_library(corpus, index).documents(), key=lambda d: d.published)
    if as_json:
        click.echo(json.dumps([d.to_dict() for d in rows], ensure_ascii=False))
        return
    for d in rows:
        click.echo(f"{d.published:<11} {d.passages:>4} passages  {d.source}")
        click.echo(f"{'':<11} {d.title} — {d.organisation}")


@click.command()
@common
@click.argument("source")
def text(corpus: Path | None, index: Path | None, source: str) -> None:
    """Print the text that citations of SOURCE index into (extracted text for PDF, Word and HTML).

    Any citation can be checked against it: text[char_start:char_end] is the cited passage.

    \b
    Example:
      assistant text dorset-children-in-care-scrutiny-report-2016.md
      assistant text minutes.pdf | cut -c 1200-1400
    """
    from ..api import Assistant

    click.echo(Assistant(settings_from(corpus, index)).source_text(source), nl=False)


@click.command()
@common
@click.option("--fix", is_flag=True, help="Repair any divergence (re-embed missing passages, drop stray ones).")
def check(corpus: Path | None, index: Path | None, fix: bool) -> None:
    """Check that the vector store, the keyword index and the manifest agree; --fix repairs them.

    \b
    Example:
      assistant check
      assistant check --fix
    """
    from ..api import Assistant

    report = Assistant(settings_from(corpus, index)).check(fix=fix, progress=Bar())
    click.echo(report.summary())
    if not report.ok:
        sys.exit(EXIT_ERROR)
