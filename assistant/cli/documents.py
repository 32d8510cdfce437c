"""`assistant add`, `assistant remove` and `assistant catalog`: change the reports, then update the index;
`assistant audit`: every change made, by whom, and how it ended.

Each command changes the corpus folder through the API (`Assistant.add_documents`, …), as the
local user (`local:<os user>`, an editor), so the change is recorded in the audit log, and runs
the same incremental ingest as `assistant ingest`. With ASSISTANT_READ_ONLY=1 they refuse before
reading anything.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ..core.errors import AssistantError
from .common import EXIT_ERROR, Bar, common, settings_from


def _assistant(corpus: Path | None, index: Path | None, change: str | None = None) -> tuple[Any, Any, Bar]:
    """(the Assistant, the local user, a progress bar); with `change` ("add reports", …), ReadOnlyLibrary
    first when the library is read-only."""
    from ..api import Assistant
    from ..core.identity import Viewer, check_can_change

    bot, viewer = Assistant(settings_from(corpus, index)), Viewer.local("cli")
    if change:
        check_can_change(viewer, bot.settings.read_only, change)
    return bot, viewer, Bar()


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(EXIT_ERROR)


@click.command(name="add")
@common
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--replace", is_flag=True, help="Replace a report of the same name already in the corpus folder.")
@click.option("--force", is_flag=True, help="Add a file even when its content is already in the library under "
                                            "another name.")
def add(corpus: Path | None, index: Path | None, files: tuple[Path, ...], replace: bool, force: bool) -> None:
    """Copy report files into the corpus folder and index them (PDF, DOCX, HTML, TXT, MD; 25 MB each).

    Names are made safe ("Annual Report 2024.pdf" is stored as Annual-Report-2024.pdf). A name
    already in the folder is kept unless --replace is given. A file whose content is already
    in the library under another name is not added (answers would cite the same passage twice)
    unless --force is given. A file that cannot be read
    (scanned PDF, corrupt, not UTF-8) is named with the reason and not kept. The exit status
    is 1 when any file was not added.

    \b
    Examples:
      assistant add ~/Downloads/annual-report-2024.pdf minutes.docx
      assistant add --replace corpus-updates/service-plan.txt
    """
    from ..ingest import files as stored
    from ..ingest import library

    bot, viewer, bar = _assistant(corpus, index, "add reports")
    inputs = []
    failed = False
    for path in files:
        try:
            if path.stat().st_size > stored.MAX_UPLOAD_BYTES:
                click.echo(f"{path.name} was not added: it is larger than {stored.MAX_UPLOAD_MB} MB.", err=True)
                failed = True
                continue
            inputs.append((path.name, path.read_bytes()))
        except OSError as exc:
            click.echo(f"{path} was not added: {exc.strerror or exc}.", err=True)
            failed = True
    result = (bot.add_documents(inputs, viewer, replace=replace, progress=bar, force=force) if inputs
              else library.AddResult())
    for name in result.added:
        click.echo(f"Added {name}")
    for name in result.replaced:
        click.echo(f"Replaced {name}")
    for message in result.rejected:
        click.echo(message, err=True)
    for name in result.conflicts:
        click.echo(f"{name} is already in the corpus folder; it was kept. Use --replace to replace it.", err=True)
    for name, (same, _) in result.duplicates.items():
        click.echo(f"{name} was not added: its content is already in the library as {same}. "
                   "Use --force to add it anyway.", err=True)
    if result.summary:
        click.echo(result.summary.splitlines()[0])
    if result.error:
        _fail(result.error)
    if failed or result.rejected or result.conflicts or result.duplicates:
        sys.exit(EXIT_ERROR)


@click.command(name="remove")
@common
@click.argument("sources", nargs=-1, required=True)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def remove(corpus: Path | None, index: Path | None, sources: tuple[str, ...], yes: bool) -> None:
    """Delete reports from the corpus folder and drop their passages from the index.

    SOURCE is the file name as `assistant docs` lists it. Asks before deleting unless --yes.

    \b
    Example:
      assistant remove children-in-care-programme-scrutiny-2023.txt
      assistant remove --yes old-draft.pdf
    """
    from ..ingest import files as stored

    bot, viewer, bar = _assistant(corpus, index, "remove reports")
    for source in sources:
        try:
            stored.document_path(bot.settings.corpus, source)
        except AssistantError as exc:
            _fail(str(exc))
    if not yes:
        click.confirm(f"Delete {', '.join(sources)} from {bot.settings.corpus}? This cannot be undone", abort=True,
                      err=True)
    for source in sources:
        try:
            report = bot.remove_document(source, viewer, progress=bar)
        except AssistantError as exc:
            _fail(str(exc))
        click.echo(f"Removed {source}; {report.total_passages} passages remain in the index.")


@click.command(name="catalog")
@common
@click.argument("source")
@click.option("--title", default=None, help="The report's title.")
@click.option("--organisation", default=None, help="Who published it, e.g. \"Dundee City Council\".")
@click.option("--published", default=None, help="Publication date as YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option("--kind", default=None, help="What sort of document it is, e.g. \"committee report\".")
@click.option("--reference", default=None, help="The report's reference number, e.g. \"170-2021\".")
@click.option("--visibility", default=None, metavar="WHO",
              help="Who may see it: public (the default), signed-in, editors, or group:NAME (a group of "
                   "ASSISTANT_GROUPS). Changes the index's metadata at once; nothing is re-embedded.")
def catalog(corpus: Path | None, index: Path | None, source: str, **fields: str | None) -> None:
    """Show or set a report's details in catalog.toml (title, organisation, date, kind, reference,
    visibility).

    With no options, prints the stored details. An option given as "" removes that field, so
    the detail is read from the report's text again. Other entries are kept; the index is
    updated so answers cite the new details. --visibility decides who may see the report at all:
    readers' answers, lists and exports then behave as if a report hidden from them did not exist.

    \b
    Examples:
      assistant catalog annual-report-2024.pdf --title "Annual Report 2024" --published 2024-06
      assistant catalog annual-report-2024.pdf --organisation "Dundee City Council"
      assistant catalog exempt-item-7.pdf --visibility editors
      assistant catalog annual-report-2024.pdf
    """
    from ..ingest import catalog as details
    from ..ingest import files as stored

    given = {k: v for k, v in fields.items() if v is not None}
    bot, viewer, bar = _assistant(corpus, index, "edit catalog details" if given else None)
    try:
        if not given:
            stored.document_path(bot.settings.corpus, source)
            entry = details.catalog_entry(bot.settings.corpus, source)
            if not entry:
                click.echo(f"{source} has no catalog entry; its details are read from its text.")
            for key in details.CATALOG_FIELDS:
                if key in entry:
                    click.echo(f"{key}: {entry[key]}")
            return
        who = given.pop("visibility", None)
        if who is not None:
            before, after = bot.set_visibility(source, who or "public", viewer)
            click.echo(f"{source} is seen by: {after}" + (" (unchanged)." if before == after else f" (was {before})."))
            if not given:
                return
        entry, report = bot.edit_details(source, given, viewer, progress=bar)
    except AssistantError as exc:
        _fail(str(exc))
    if report is None:
        click.echo(f"Nothing changed for {source}.")
        return
    click.echo(f"Saved details for {source}: " + "; ".join(f"{k}: {v}" for k, v in entry.items()))
    click.echo(report.summary().splitlines()[0])


@click.command(name="audit")
@common
@click.option("--limit", "-n", type=click.IntRange(min=1), default=None, help="Show only the newest N changes.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (every column, full hashes).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per change, one per line.")
def audit(corpus: Path | None, index: Path | None, limit: int | None, as_csv: bool, as_json: bool) -> None:
    """Every change to the library, newest first: when, who, what (file, content hash before and after)
    and the outcome. Changes made in the app show the signed-in e-mail; the CLI's show local:<user>.

    \b
    Example:
      assistant audit
      assistant audit -n 20
      assistant audit --csv > changes.csv
    """
    import json
    from dataclasses import asdict

    bot, viewer, _ = _assistant(corpus, index)
    if as_csv:
        click.echo(bot.audit_csv(viewer), nl=False)
        return
    entries = bot.audit_entries(viewer, limit)
    if as_json:
        for e in entries:
            click.echo(json.dumps(asdict(e), ensure_ascii=False))
        return
    if not entries:
        click.echo(f"No changes recorded yet (the log is {bot.settings.index / 'audit.sqlite'}).")
        return
    for e in entries:
        hashes = f"{(e.hash_before or '-')[:12]} -> {(e.hash_after or '-')[:12]}"
        click.echo(f"{e.at.replace('T', ' ').replace('+00:00', 'Z')}  {e.outcome:<11} {e.action:<8} {e.source}  "
                   f"by {e.actor} ({e.via})  {hashes}")
        for extra in (e.detail, e.message):
            if extra:
                click.echo(f"{'':<22}{extra}")
