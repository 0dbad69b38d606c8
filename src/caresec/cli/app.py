"""The root Typer application and the entry point."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from caresec import __version__
from caresec.errors import CaresecError

EXIT_OK = 0
EXIT_THRESHOLD = 1
EXIT_USAGE = 2

app = typer.Typer(
    name="caresec",
    help=(
        "Audit the security of a healthcare organization the way the HIPAA Security Rule asks, "
        "from real technical evidence.\n\n"
        "Exit codes: 0 done; 1 a --fail-on threshold was reached (models scan: a file was "
        "blocked); 2 usage error or unreadable input."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)

err_console = Console(stderr=True)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"caresec {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_version_callback,
        is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    """caresec: evidence-based HIPAA Security Rule risk analysis."""


def _register() -> None:
    """Attach the sub-commands (imported here so that importing this module stays cheap)."""
    from caresec.cli import (
        access,
        audit,
        catalog,
        feeds,
        intel,
        inventory,
        models,
        phi,
        probe,
        questionnaire,
        sbom,
    )

    app.command("audit")(audit.audit_command)
    app.command("init")(audit.init_command)
    app.command("schema")(audit.schema_command)
    app.add_typer(sbom.app, name="sbom")
    app.add_typer(feeds.app, name="feeds")
    app.add_typer(access.app, name="access")
    app.add_typer(catalog.app, name="catalog")
    app.add_typer(intel.app, name="intel")
    app.add_typer(inventory.app, name="inventory")
    app.add_typer(models.app, name="models")
    app.add_typer(phi.app, name="phi")
    app.command("probe")(probe.probe_command)
    app.add_typer(questionnaire.app, name="questionnaire")


_register()


def main() -> None:
    """Console-script entry point: run the app, turning caresec errors into sentences (exit 2)."""
    try:
        app(standalone_mode=True)
    except CaresecError as exc:
        err_console.print("error:", style="bold red", end=" ")
        err_console.print(str(exc), highlight=False, markup=False)
        sys.exit(EXIT_USAGE)
