"""`assistant ask`, `assistant chat` and `assistant eval`: questions and their cited answers."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..core.errors import AssistantError
from .common import Bar, as_option, common, make_filters, open_library, print_answer, viewer_for


@click.command()
@common
@click.argument("questions", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per question, one per line.")
@click.option("--chat", is_flag=True, help="Treat the questions as consecutive turns of one conversation.")
@click.option("--source", multiple=True, help="Only cite this document (file name in the corpus); repeatable.")
@click.option("--organisation", multiple=True, help="Only cite documents from this organisation; repeatable.")
@click.option("--year", multiple=True, type=int, help="Only cite documents published in this year; repeatable.")
@as_option
@click.option("--record", is_flag=True, help="Write the questions and answers to the question log "
                                             "(ASSISTANT_QUESTION_LOG; off by default here, so evaluations do not "
                                             "fill it).")
def ask(corpus: Path | None, index: Path | None, questions: tuple[str, ...], as_json: bool, chat: bool,
        source: tuple[str, ...], organisation: tuple[str, ...], year: tuple[int, ...], as_: str | None,
        record: bool) -> None:
    """Answer questions with cited passages.

    Runs as the local user, an editor, who sees every report; --as EMAIL answers exactly as that
    person would see the library (only the reports open to them count).

    \b
    Examples:
      assistant ask "What happened to external residential numbers?"
      assistant ask --json "How many contacts per day does the MASH team receive?"
      assistant ask --chat "How did Kinship Care numbers change?" "And in external residential care?"
      assistant ask --organisation "Dorset County Council" "What does an in-house foster parent cost?"
      assistant ask --as reader@council.gov.uk "What does an in-house foster parent cost?"
    """
    bot = open_library(corpus, index)
    filters = make_filters(source, organisation, year)
    viewer = viewer_for(as_, bot.settings)
    for i, q in enumerate(questions):
        conversation = conversation if chat and i else bot.conversation(filters, viewer, record=record)
        answer = conversation.ask(q)
        if as_json:
            click.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
        else:
            if len(questions) > 1:
                click.secho(f"Q: {q}", bold=True)
            print_answer(answer)
            if i < len(questions) - 1:
                click.echo("")


@click.command()
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
    conversation = bot.conversation(make_filters(source, organisation, year), viewer_for(None, bot.settings))
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
            print_answer(conversation.ask(q))
        except AssistantError as exc:
            click.secho(f"Error: {exc}", fg="red", err=True)
        click.echo("")


@click.command(name="eval")
@common
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object at the end.")
def eval_(corpus: Path | None, index: Path | None, file: Path, as_json: bool) -> None:
    """Score answers against a question file and print quality and latency figures.

    \b
    Example:
      assistant eval ../shared/eval/questions.jsonl
    """
    from .. import evaluate

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
