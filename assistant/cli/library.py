"""`assistant ingest`, `docs`, `text` and `check`: build, list, read and check the index."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .common import EXIT_ERROR, Bar, as_option, common, open_library, settings_from, viewer_for


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
@as_option
def docs(corpus: Path | None, index: Path | None, as_json: bool, as_: str | None) -> None:
    """List the indexed documents: title, organisation, place, date and passage count, and where each was read.

    Details the catalog does not give are read from the report itself; the last line of each
    report says from where (its letterhead, date line, first heading…), so a wrong one can be
    corrected with `assistant catalog FILE --organisation "…"` (or --title, --published, --place).
    Each report also says who may see it (`assistant catalog FILE --visibility …` changes it).

    \b
    Example:
      assistant docs
      assistant docs --json
      assistant docs --as reader@council.gov.uk
    """
    from ..core.visibility import describe, level_of

    bot = open_library(corpus, index)
    rows = sorted(bot.documents(viewer_for(as_, bot.settings)), key=lambda d: (d.published, d.source))
    if as_json:
        click.echo(json.dumps([d.to_dict() for d in rows], ensure_ascii=False))
        return
    for d in rows:
        click.echo(f"{d.published or 'no date':<11} {d.passages:>4} passages  {d.source}")
        place = f" ({d.place})" if d.place and d.organisation and d.place not in d.organisation else ""
        click.echo(f"{'':<11} {d.title} — {d.organisation or 'organisation not stated'}{place}")
        click.echo(f"{'':<11} visibility: {level_of(d.visibility)} ({describe(d.visibility)})")
        read = [f"{key} from {where}" for key, where in d.inferred.items() if where != "catalog"]
        missing = [key for key, value in (("organisation", d.organisation), ("date", d.published)) if not value]
        notes = "; ".join(read + [f"no {key} found" for key in missing])
        if notes:
            click.echo(f"{'':<11} read: {notes}")


@click.command()
@common
@click.argument("source")
@as_option
def text(corpus: Path | None, index: Path | None, source: str, as_: str | None) -> None:
    """Print the text that citations of SOURCE index into (extracted text for PDF, Word and HTML).

    Any citation can be checked against it: text[char_start:char_end] is the cited passage.

    \b
    Example:
      assistant text dorset-children-in-care-scrutiny-report-2016.md
      assistant text minutes.pdf | cut -c 1200-1400
    """
    from ..api import Assistant

    settings = settings_from(corpus, index)
    viewer = viewer_for(as_, settings) if as_ else None  # the local user reads any file of the corpus folder
    click.echo(Assistant(settings).source_text(source, viewer), nl=False)


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


@click.command("settings")
@click.option("--json", "as_json", is_flag=True, help="Print the settings as one JSON object.")
def settings_(as_json: bool) -> None:
    """List every setting: its environment variable, current value and what it decides.

    Groups (retrieval, relevance, abstention, selection, linking) hold the constants that decide
    relevance and linking; set one as ASSISTANT_<GROUP>__<NAME>.

    \b
    Example:
      assistant settings
      ASSISTANT_ABSTENTION__MIN_RELEVANCE=0.5 assistant ask "What is the precept?"
    """
    from ..core.settings import describe_settings

    rows = describe_settings(settings_from(None, None))
    if as_json:
        click.echo(json.dumps({r.env: r.value for r in rows}, default=str, indent=2))
        return
    group = None
    for r in rows:
        if r.group != group:
            group = r.group
            click.echo(f"\n[{group or 'general'}]")
        click.echo(f"{r.env}={r.value}\n    {r.description}")
