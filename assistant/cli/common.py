"""What every `assistant` command shares: the --corpus/--index options, settings from them,
the progress bar, and opening the library (building the index on first use).

Every command module imports it; none imports another command module.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # the library loads inside each command, so `--help` stays quick
    from ..answer.retrieve import Filters
    from ..api import Assistant
    from ..core.identity import Viewer
    from ..core.settings import Settings
    from ..core.types import Answer

EXIT_ERROR = 1


def settings_from(corpus: Path | None, index: Path | None) -> "Settings":
    """Settings from the environment, with --corpus/--index taking precedence."""
    from ..core.settings import load_settings

    overrides = {k: v for k, v in (("corpus", corpus), ("index", index)) if v is not None}
    return load_settings(**overrides)


def common(f: Any) -> Any:
    """Add --corpus DIR and --index DIR to a command."""
    f = click.option("--index", "index", type=click.Path(path_type=Path), default=None,
                     help="Index folder [env ASSISTANT_INDEX; default index/].")(f)
    f = click.option("--corpus", "corpus", type=click.Path(path_type=Path), default=None,
                     help="Corpus folder of reports [env ASSISTANT_CORPUS; default corpus/].")(f)
    return f


def as_option(f: Any) -> Any:
    """Add --as EMAIL: answer as that person would see the library (see `viewer_for`)."""
    return click.option("--as", "as_", metavar="EMAIL", default=None,
                        help="Answer as this person would see it: a signed-in address (a reader, or an editor "
                             "when in ASSISTANT_EDITORS; groups from ASSISTANT_GROUPS), or `anonymous` for a "
                             "visitor who has not signed in. Default: the local user, an editor, who sees "
                             "every report.")(f)


def viewer_for(as_: str | None, settings: "Settings") -> "Viewer":
    """The Viewer of --as: the local user (an editor) when not given."""
    from ..core.identity import Viewer, claimed_email

    if as_ is None:
        return Viewer.local("cli")
    if as_.strip().lower() == "anonymous":
        return Viewer(id=Viewer.anonymous().id, role="reader", via="cli")
    if claimed_email({"email": as_}) is None:
        raise click.BadParameter(f"“{as_}” is not an e-mail address (or `anonymous`).", param_hint="--as")
    viewer = Viewer.from_claims({"email": as_}, settings.editors)
    return Viewer(id=viewer.id, role=viewer.role, name=viewer.name, via="cli")


class Bar:
    """A one-line progress bar on stderr: the stage, done of total, and the note (rate, time left);
    plain lines when stderr is not a terminal (one per stage and per tenth of the way)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = ("", -1)

    def __call__(self, stage: str, done: int, total: int, note: str = "") -> None:
        width = 30
        filled = int(width * done / total) if total else width
        line = f"{stage:<22} [{'#' * filled}{'.' * (width - filled)}] {note or f'{done}/{total}'}"
        tenth = 10 * done // total if total else 10
        if self.tty:
            click.echo("\r" + line.ljust(100), nl=done >= total, err=True)
        elif (stage, tenth) != self.last:
            click.echo(line, err=True)
        self.last = (stage, tenth)


def open_library(corpus: Path | None, index: Path | None) -> "Assistant":
    """An Assistant whose index is ready: built once, with a progress bar, when there is none yet.

    A library that cannot be built (no corpus folder, no readable report, another ingest
    running) raises the library's own error, whose message says what to do.
    """
    from ..api import Assistant
    from ..ingest.corpus import corpus_files

    bot = Assistant(settings_from(corpus, index))
    missing = bot.index_state()
    if missing:
        if corpus_files(bot.settings.corpus):  # an empty folder gets the ingest's one-line error alone
            click.echo(f"{missing} Building it once now…", err=True)
        report = bot.ingest(progress=Bar())
        click.echo(report.summary(), err=True)
    return bot


def make_filters(source: tuple[str, ...], organisation: tuple[str, ...], year: tuple[int, ...]) -> "Filters":
    from ..answer.retrieve import Filters

    return Filters(list(source), list(organisation), list(year))


def print_answer(answer: "Answer") -> None:
    """An answer as text: the statements with their markers, then each citation with its verbatim passage."""
    click.echo(answer.answer)
    if answer.citations:
        click.echo("")
        for c in answer.citations:
            where = f"{c.source}:{c.char_start}-{c.char_end}" + (f", page {c.page}" if c.page else "")
            click.echo(f"[{c.marker}] {c.title} — {c.organisation or 'organisation not stated'}, "
                       f"{c.published or 'date not stated'} ({where})")
            click.echo(f"    “{' '.join(c.text.split())[:300]}”")
    elif answer.related:
        click.echo("\nRelated reading (not an answer):")
        for c in answer.related:
            click.echo(f"  - {c.title}, {c.section or 'no section'}: “{' '.join(c.text.split())[:160]}”")
