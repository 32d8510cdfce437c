"""`assistant questions`: the question log (what was asked, what was answered, what could not be)."""

from __future__ import annotations

from pathlib import Path

import click

from .common import common, settings_from


@click.command(name="questions")
@common
@click.option("--unanswered", is_flag=True, help="Only the questions the library could not answer, grouped by "
                                                 "their content words (they tell which reports to add).")
@click.option("--search", default=None, help="Only questions or answers containing TEXT.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (every column).")
@click.option("--limit", "-n", type=click.IntRange(min=1), default=None, help="Show only the newest N.")
def questions(corpus: Path | None, index: Path | None, unanswered: bool, search: str | None, as_csv: bool,
              limit: int | None) -> None:
    """The questions asked in the app (and with `assistant ask --record`), newest first: when, who (as
    ASSISTANT_QUESTION_LOG allows), the question, whether it was answered, and the sources cited.

    \\b
    Examples:
      assistant questions
      assistant questions --unanswered
      assistant questions --csv > questions.csv
    """
    from ..api import Assistant
    from ..core.identity import Viewer

    bot, viewer = Assistant(settings_from(corpus, index)), Viewer.local("cli")
    if as_csv:
        click.echo(bot.questions_csv(viewer, search, unanswered), nl=False)
        return
    entries = bot.questions(viewer, search=search, unanswered=unanswered)[:limit]
    if not entries:
        click.echo("No questions recorded" + (" that the library could not answer." if unanswered else "."))
        return
    if unanswered:
        for word, group in bot.unanswered_groups(viewer, search):
            click.secho(f"“{word}” ({len(group)} question{'s' if len(group) > 1 else ''})", bold=True)
            for e in group:
                click.echo(f"  {e.at.replace('T', ' ').replace('+00:00', 'Z')}  {e.question}")
        return
    for e in entries:
        who = e.asker or ("signed in" if e.asker_key else "not signed in")
        state = "not answered" if e.abstained else f"{len(e.citations)} cited"
        click.echo(f"{e.at.replace('T', ' ').replace('+00:00', 'Z')}  {state:<13} {who:<28} {e.question}")
