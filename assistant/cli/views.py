"""`assistant commitments` and `assistant figures`: the plans' commitments and figure series.

Both read the built index (no model is loaded) and print a readable table by default,
JSON with --json, and (commitments) CSV with --csv (the same CSV as the app's export).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import click

from ..core.errors import AssistantError
from ..views.periods import valid_month
from .common import as_option, common, open_library, viewer_for


def _assistant(corpus: Path | None, index: Path | None) -> Any:
    try:
        return open_library(corpus, index)  # the index, built once if there is none; not the model
    except AssistantError as exc:
        raise click.ClickException(str(exc)) from exc


def _check_month(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    v = value.strip()
    if not valid_month(v):
        raise click.BadParameter(f"{value!r} is not a month as YYYY-MM (for example 2024-06).")
    return v


def _short(text: str | None, width: int) -> str:
    t = " ".join((text or "").split())
    return t if len(t) <= width else t[: width - 1] + "…"


@click.command(name="commitments")
@common
@click.option("--search", "text", default=None, help="Only commitments whose action, theme, measure, lead, partners, "
              "timescale or plan contains every word of TEXT.")
@click.option("--lead", default=None, help="Only commitments led by (or with) this role or body (spelling and spacing "
              "normalised).")
@click.option("--theme", default=None, help="Only commitments under this theme: a heading the plan groups them under, "
              "e.g. Voice or Housing.")
@click.option("--due-before", "due_before", default=None, callback=_check_month, metavar="YYYY-MM",
              help="Only commitments due before this month (undated and recurring ones are left out).")
@click.option("--plan", default=None, help="Only commitments of plans whose name contains NAME, e.g. 2023-25.",
              metavar="NAME")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of commitments.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV with a header row.")
@as_option
def commitments(corpus: Path | None, index: Path | None, text: str | None, lead: str | None,
                theme: str | None, due_before: str | None, plan: str | None, as_json: bool,
                as_csv: bool, as_: str | None) -> None:
    """List the plans' commitments: action-table rows, blocks of fields and commitment sentences.

    Each commitment gives its plan, theme, action, lead, partners, timescale (as printed, and
    normalised to a due month or year, a recurrence, or the plan's definition of a relative
    term), measure, cost and funding, with the source file and the character offsets of its
    verbatim text.

    \b
    --json prints an array of objects with these keys:
      plan               the plan (a heading naming one, or the report's title)
      theme              heading(s) it is grouped under, outermost first, " > " between
      action             what will be done (markup removed)
      lead               who leads it, as printed; lead_normalised: one spelling
      partners           who else takes part, as printed
      timescale          when, as printed ("Dec. 31, 2021", "Short term", "Quarterly")
      due                when it ends: "YYYY-MM", or "YYYY" when only a year is given
      recurrence         "recurring quarterly", "ongoing", … for timescales with no date
      timescale_defined  the plan's own definition of a relative timescale
      measure            how success is measured; cost, funding: as printed
      kind               "row" (a table row or a block of fields) or "statement" (a sentence)
      source, char_start, char_end, text   the verbatim span: text == document[char_start:char_end]
      spans              for each field read, [char_start, char_end, verbatim text] in the source
      organisation, published, title, section, passage_id   where it comes from
    Fields a plan does not give are null; nothing is guessed.

    \b
    Examples:
      assistant commitments --theme Voice --plan 2023-25
      assistant commitments --lead "senior manager" --due-before 2024-07
      assistant commitments --search "kinship" --csv > kinship.csv
      assistant commitments --as reader@council.gov.uk
    """
    from ..ui.format import commitments_csv
    from ..views.commitments import plans, search_commitments

    if as_json and as_csv:
        raise click.UsageError("Choose one output format: --json or --csv, not both.")
    bot = _assistant(corpus, index)
    items = search_commitments(bot.commitments(viewer_for(as_, bot.settings)), text=text, lead=lead,
                               theme=theme, due_before=due_before, plan=plan)
    if as_json:
        click.echo(json.dumps([c.to_dict() for c in items], ensure_ascii=False, indent=1))
        return
    if as_csv:
        click.echo(commitments_csv(items), nl=False)
        return
    if not items:
        click.echo("No commitments match these filters.")
        return
    click.echo(f"{'Due / schedule':<24} {'Theme':<26} {'Lead':<28} Action")
    for c in items:
        group = c.theme or ""
        click.echo(f"{_short(c.schedule or '—', 24):<24} {_short(group, 26):<26} "
                   f"{_short(c.lead_normalised or '—', 28):<28} {_short(c.action, 110)}")
        click.echo(f"{'':<24} {_short(c.plan, 60)} — {c.source}:{c.char_start}-{c.char_end}")
    counts = plans(items)
    click.echo("")
    click.echo(f"{len(items)} commitments: " + "; ".join(f"{n} in {p}" for p, n in counts.items()))


@click.command(name="figures")
@common
@click.option("--search", "text", default=None, help="Only series whose measure matches TEXT, best first.")
@click.option("--linked", is_flag=True, help="Only series that join figures from more than one report.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of series with their cited values.")
@as_option
def figures(corpus: Path | None, index: Path | None, text: str | None, linked: bool, as_json: bool,
            as_: str | None) -> None:
    """List figure series: a measure's values over time, linked across reports of one place.

    Each value is cited: report, period, and the character offsets of the sentence or
    table row that holds it.

    \b
    Examples:
      assistant figures --search "external residential care"
      assistant figures --linked
      assistant figures --search "positive destinations" --json
      assistant figures --as anonymous
    """
    from ..views.series import search_series

    bot = _assistant(corpus, index)
    all_series = bot.figure_series(viewer_for(as_, bot.settings))
    items = search_series(all_series, text) if text else all_series
    if linked:
        items = [s for s in items if s.linked]
    if as_json:
        click.echo(json.dumps([s.to_dict() for s in items], ensure_ascii=False, indent=1))
        return
    if not items:
        click.echo("No figure series match." + (" Try fewer or other words." if text else ""))
        return
    for s in items:
        reports = f"{len(s.sources)} reports" if s.linked else "1 report"
        click.secho(f"{s.measure} ({s.unit}; {', '.join(s.organisations) or s.place}; {reports})", bold=True)
        if len(s.labels) > 1:
            click.echo(textwrap.fill("also named: " + " | ".join(s.labels[:-1] if s.labels[-1] == s.measure else s.labels),
                                     width=110, initial_indent="  ", subsequent_indent="    "))
        for pt in s.points:
            for k, v in enumerate(pt.citations):
                head = f"{pt.value_text:>14}  {pt.period or 'no period':<20}" if k == 0 else f"{'':>14}  {'(restated)':<20}"
                click.echo(f"  {head} {v.published:<11} {v.source}:{v.char_start}-{v.char_end}")
        click.echo("")
    click.echo(f"{len(items)} series ({sum(s.linked for s in items)} linking more than one report).")
