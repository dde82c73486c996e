"""``flask --app mda jobs``: run every due job once (for cron)."""

from __future__ import annotations

import click
from flask import Flask


def register(app: Flask) -> None:
    """Attach the ``jobs`` command to *app*."""

    @app.cli.command("jobs")
    @click.option("--job", "names", multiple=True, help="Alleen deze taak (herhaalbaar).")
    @click.option("--list", "list_only", is_flag=True, help="Toon de geregistreerde taken en stop.")
    def jobs(names, list_only):
        """Run the time-driven jobs once (reminders, deadlines); safe to run from several servers."""
        from mda.jobs import load_jobs, run_exclusive

        registry = load_jobs()
        if list_only:
            for name, registered in registry.items():
                click.echo(f"{name}: {registered.description}")
            return
        unknown = [n for n in names if n not in registry]
        if unknown:
            raise click.ClickException(f"Onbekende taak: {', '.join(unknown)}. Zie --list.")
        results = run_exclusive(list(names) or None)
        if results is None:
            click.echo("Een andere server voert de taken al uit; deze keer niets gedaan.")
            return
        for name, count in results.items():
            click.echo(f"{name}: {'MISLUKT (zie log)' if count < 0 else f'{count} verwerkt'}")
        if any(count < 0 for count in results.values()):
            raise SystemExit(1)
