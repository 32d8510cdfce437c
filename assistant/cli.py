"""The `assistant` command: a thin shell over `assistant.api`.

Errors the library raises on purpose become one-line messages and a non-zero exit.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from .cli_common import Bar, common, open_library, settings_from as _settings
from .errors import AssistantError

EXIT_ERROR = 1


def _filters(source: tuple[str, ...], organisation: tuple[str, ...], year: tuple[int, ...]) -> Any:
    from .retrieve import Filters

    return Filters(list(source), list(organisation), list(year))


def _print_answer(answer: Any) -> None:
    click.echo(answer.answer)
    if answer.citations:
        click.echo("")
        for c in answer.citations:
            where = f"{c.source}:{c.char_start}-{c.char_end}" + (f", page {c.page}" if c.page else "")
            click.echo(f"[{c.marker}] {c.title} — {c.organisation}, {c.published} ({where})")
            click.echo(f"    “{' '.join(c.text.split())[:300]}”")
    elif answer.related:
        click.echo("\nRelated reading (not an answer):")
        for c in answer.related:
            click.echo(f"  - {c.title}, {c.section or 'no section'}: “{' '.join(c.text.split())[:160]}”")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="plan-assistant")
def cli() -> None:
    """Plan Assistant: ask council plan documents questions, get answers with verbatim citations.

    \b
    Quick start:
      assistant ingest
      assistant ask "What happened to external residential numbers?"
      assistant chat
    """


@cli.command()
@common
def ingest(corpus: Path | None, index: Path | None) -> None:
    """Build or update the index from the corpus folder (only new or changed files are embedded).

    \b
    Example:
      assistant ingest --corpus corpus --index index
    """
    from .api import Assistant

    report = Assistant(_settings(corpus, index)).ingest(progress=Bar())
    click.echo(report.summary())


@cli.command()
@common
@click.argument("questions", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per question, one per line.")
@click.option("--chat", is_flag=True, help="Treat the questions as consecutive turns of one conversation.")
@click.option("--source", multiple=True, help="Only cite this document (file name in the corpus); repeatable.")
@click.option("--organisation", multiple=True, help="Only cite documents from this organisation; repeatable.")
@click.option("--year", multiple=True, type=int, help="Only cite documents published in this year; repeatable.")
def ask(corpus: Path | None, index: Path | None, questions: tuple[str, ...], as_json: bool, chat: bool,
        source: tuple[str, ...], organisation: tuple[str, ...], year: tuple[int, ...]) -> None:
    """Answer questions with cited passages.

    \b
    Examples:
      assistant ask "What happened to external residential numbers?"
      assistant ask --json "How many contacts per day does the MASH team receive?"
      assistant ask --chat "How did Kinship Care numbers change?" "And in external residential care?"
      assistant ask --organisation "Dorset County Council" "What does an in-house foster parent cost?"
    """
    bot = open_library(corpus, index)
    filters = _filters(source, organisation, year)
    conversation = bot.conversation(filters)
    for i, q in enumerate(questions):
        answer = conversation.ask(q) if chat else bot.ask(q, filters)
        if as_json:
            click.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
        else:
            if len(questions) > 1:
                click.secho(f"Q: {q}", bold=True)
            _print_answer(answer)
            if i < len(questions) - 1:
                click.echo("")


@cli.command()
@common
@click.option("--source", multiple=True, help="Only cite this document; repeatable.")
@click.option("--organisation", multiple=True, help="Only cite documents from this organisation; repeatable.")
@click.option("--year", multiple=True, type=int, help="Only cite documents published in this year; repeatable.")
def chat(corpus: Path | None, index: Path | None, source: tuple[str, ...], organisation: tuple[str, ...],
         year: tuple[int, ...]) -> None:
    """Chat with the reports in the terminal; follow-up questions keep the context.

    Type /new for a new conversation, /quit (or Ctrl-D) to leave.

    \b
    Example:
      assistant chat
      > How did the number of children in Kinship Care change?
      > And in external residential care?
    """
    bot = open_library(corpus, index)
    conversation = bot.conversation(_filters(source, organisation, year))
    click.echo("Loading the index and model…", err=True)
    bot.warm()
    click.echo("Ask about the reports. /new starts a new conversation, /quit leaves.", err=True)
    while True:
        try:
            q = click.prompt(">", prompt_suffix=" ", default="", show_default=False)
        except (EOFError, click.Abort):
            click.echo("", err=True)
            return
        if q.strip() in ("/quit", "/exit", "quit", "exit"):
            return
        if q.strip() == "/new":
            conversation.reset()
            click.echo("New conversation.", err=True)
            continue
        if not q.strip():
            continue
        try:
            _print_answer(conversation.ask(q))
        except AssistantError as exc:
            click.secho(f"Error: {exc}", fg="red", err=True)
        click.echo("")


@cli.command(name="eval")
@common
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object at the end.")
def eval_(corpus: Path | None, index: Path | None, file: Path, as_json: bool) -> None:
    """Score answers against a question file and print quality and latency figures.

    \b
    Example:
      assistant eval ../shared/eval/questions.jsonl
    """
    from . import evaluate

    bot = open_library(corpus, index)
    report = evaluate.run(bot, file, progress=lambda d, n: Bar()("Asking", d, n) if sys.stderr.isatty() else None)
    failures = [r for r in report.results if r.failures]
    click.echo(f"{len(report.results)} questions, {len(failures)} with a failure:")
    for r in failures:
        click.echo(f"  {r.id}: {'; '.join(r.failures)} — {r.question}")
    if as_json:
        click.echo(json.dumps(report.figures()))
    for line in report.summary_lines():
        click.echo(line)


@cli.command()
@common
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def docs(corpus: Path | None, index: Path | None, as_json: bool) -> None:
    """List the indexed documents: title, organisation, date and passage count.

    \b
    Example:
      assistant docs
    """
    documents = open_library(corpus, index).index.documents
    rows = sorted(documents.values(), key=lambda d: d.get("published", ""))
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for d in rows:
        click.echo(f"{d.get('published', ''):<11} {d.get('passages', 0):>4} passages  {d['source']}")
        click.echo(f"{'':<11} {d['title']} — {d['organisation']}")


@cli.command()
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
    from .api import Assistant

    click.echo(Assistant(_settings(corpus, index)).source_text(source), nl=False)


@cli.command()
@common
@click.option("--fix", is_flag=True, help="Repair any divergence (re-embed missing passages, drop stray ones).")
def check(corpus: Path | None, index: Path | None, fix: bool) -> None:
    """Check that the vector store, the keyword index and the manifest agree; --fix repairs them.

    \b
    Example:
      assistant check
      assistant check --fix
    """
    from .api import Assistant

    report = Assistant(_settings(corpus, index)).check(fix=fix, progress=Bar())
    click.echo(report.summary())
    if not report.ok:
        sys.exit(EXIT_ERROR)


# Structured views (issue: commitments and figures) live in their own module.
from .cli_views import commitments as _commitments, figures as _figures  # noqa: E402

cli.add_command(_commitments)
cli.add_command(_figures)

# Adding, removing and describing reports (issue 5) live in their own module too.
from .cli_documents import add as _add, catalog as _catalog, remove as _remove  # noqa: E402

cli.add_command(_add)
cli.add_command(_remove)
cli.add_command(_catalog)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except AssistantError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug: still one line for the user; ASSISTANT_DEBUG=1 shows the traceback
        import os

        if os.environ.get("ASSISTANT_DEBUG"):
            raise
        click.echo(f"Error: unexpected {type(exc).__name__}: {exc} (set ASSISTANT_DEBUG=1 for details)", err=True)
        sys.exit(EXIT_ERROR)


if __name__ == "__main__":
    main()
