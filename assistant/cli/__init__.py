"""The `assistant` command: a thin shell over `assistant.api`.

One module per group of commands (ask, library, documents, views), registered on the group
here. Errors the library raises on purpose become one-line messages and a non-zero exit.
Each command imports the library inside its body, so `--help` stays quick.
"""

from __future__ import annotations

import os
import sys

import click

from ..core.errors import AssistantError
from . import ask, documents, library, questions, views
from .common import EXIT_ERROR


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


for command in (library.ingest, ask.ask, ask.chat, ask.eval_, library.docs, library.text, library.check, library.settings_,
                views.commitments, views.figures, documents.add, documents.remove, documents.catalog, documents.audit,
                questions.questions):
    cli.add_command(command)


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
        if os.environ.get("ASSISTANT_DEBUG"):
            raise
        click.echo(f"Error: unexpected {type(exc).__name__}: {exc} (set ASSISTANT_DEBUG=1 for details)", err=True)
        sys.exit(EXIT_ERROR)
