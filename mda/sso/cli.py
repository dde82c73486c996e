"""``flask --app mda sso set|list|remove``: an organisation's identity provider from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from mda import db
from mda.core import refusal


def register(app: Flask) -> None:
    """Attach the ``sso`` command group to *app*."""
    group = AppGroup("sso", help="Inlogdiensten (OpenID Connect) per organisatie.")

    @group.command("set")
    @click.option("--organisation-id", type=int, required=True)
    @click.option("--issuer", required=True, help="Precies zoals in het discovery-document van de inlogdienst.")
    @click.option("--client-id", required=True)
    @click.option("--client-secret-file", type=click.Path(dir_okay=False, path_type=Path), required=True,
                  help="Bestand met het clientgeheim (niet op de opdrachtregel: die komt in de procestabel).")
    @click.option("--require-mfa/--no-require-mfa", default=True, show_default=True)
    @click.option("--email-claim", default="email", show_default=True)
    @click.option("--name-claim", default="name", show_default=True)
    @click.option("--strong-acr", "strong_acr", default="", help="acr-waarden die als tweede factor gelden.")
    @refusal.cli_refusal
    def set_provider(organisation_id, issuer, client_id, client_secret_file, require_mfa, email_claim, name_claim,
                     strong_acr):
        """Set (or change) an organisation's identity provider; the secret is stored encrypted."""
        from mda.sso import services

        try:
            secret = client_secret_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise click.ClickException(f"Het geheim kan niet worden gelezen uit {client_secret_file}: {exc}") from None
        with db.unit_of_work() as s:
            services.save_provider(s, None, organisation_id, issuer=issuer, client_id=client_id,
                                   client_secret=secret, require_mfa=require_mfa, email_claim=email_claim,
                                   name_claim=name_claim, strong_acr_values=strong_acr, actor_name="cli")
        click.echo(f"Inlogdienst van organisatie {organisation_id} ingesteld: {issuer}.")

    @group.command("list")
    def list_providers():
        """List every organisation's identity provider (never the secret)."""
        from mda.sso import services

        with db.unit_of_work() as s:
            rows = services.list_providers(s)
            lines = [f"{org.id}\t{org.name}\t{p.issuer}\t{p.client_id}\ttweede factor "
                     f"{'vereist' if p.require_mfa else 'niet vereist'}" for p, org in rows]
        click.echo("\n".join(lines) if lines else "Geen inlogdiensten ingesteld.")

    @group.command("remove")
    @click.option("--organisation-id", type=int, required=True)
    @refusal.cli_refusal
    def remove_provider(organisation_id):
        """Remove an organisation's identity provider (its people log in with password and TOTP again)."""
        from mda.sso import services

        with db.unit_of_work() as s:
            services.remove_provider(s, None, organisation_id, actor_name="cli")
        click.echo(f"Inlogdienst van organisatie {organisation_id} verwijderd.")

    app.cli.add_command(group)
