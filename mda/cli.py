"""``flask --app mda`` commands: migrate, create-admin, demo-data, audit-verify."""

from __future__ import annotations

import click
from flask import Flask, current_app

from mda import db
from mda.config import ROOT


def run_migrations(app: Flask, revision: str = "head") -> None:
    """Bring the database to *revision* with Alembic."""
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["engine"] = app.extensions["mda_engine"]
    command.upgrade(cfg, revision)


def register_cli(app: Flask) -> None:
    """Attach the commands to *app*."""

    @app.cli.command("migrate")
    def migrate():
        """Create or upgrade the database schema (Alembic upgrade head)."""
        run_migrations(current_app)
        click.echo("Database is bijgewerkt.")

    @app.cli.command("create-admin")
    @click.option("--email", required=True)
    @click.option("--name", required=True)
    @click.option("--organisation-id", type=int, required=True)
    @click.password_option()
    def create_admin(email, name, organisation_id, password):
        """Create an administrator account with a password."""
        from mda.auth import passwords
        from mda.auth.models import User
        from mda.auth.services import find_user_by_email
        from mda.core import audit
        from mda.core.timeutil import utcnow
        from mda.organisations.models import Organisation

        problem = passwords.password_problem(password, [email, name])
        if problem:
            raise click.ClickException(problem)
        with db.unit_of_work() as s:
            if s.get(Organisation, organisation_id) is None:
                raise click.ClickException(f"Organisatie {organisation_id} bestaat niet.")
            if find_user_by_email(s, email):
                raise click.ClickException("Er bestaat al een account met dit e-mailadres.")
            user = User(email=email.lower(), name=name, organisation_id=organisation_id,
                        created_at=utcnow(), password_hash=passwords.hash_password(password))
            user.roles = ["admin"]
            s.add(user)
            s.flush()
            audit.record(s, "create", user_name="cli", object_type="user", object_id=user.id,
                         summary=f"beheerder {user.email} aangemaakt via de opdrachtregel")
        click.echo(f"Beheerder {email} aangemaakt.")

    @app.cli.command("demo-data")
    def demo_data():
        """Load the fictional demo data (idempotent: running it twice changes nothing)."""
        from mda.demo import load_demo

        with db.unit_of_work() as s:
            created = load_demo(s)
        click.echo(f"Demodata geladen ({created} nieuwe records)." if created
                   else "Demodata was al geladen; niets gewijzigd.")

    @app.cli.command("demo-data-if-empty")
    def demo_data_if_empty():
        """Load the demo data only into an empty database (used by ``make run``)."""
        from sqlmodel import select

        from mda.auth.models import User
        from mda.demo import load_demo

        with db.unit_of_work() as s:
            if s.exec(select(User)).first() is not None:
                click.echo("Database bevat al gegevens; demodata niet geladen.")
                return
            load_demo(s)
        click.echo("Demodata geladen.")

    @app.cli.command("new-totp-key")
    def new_totp_key():
        """Print a fresh key for MDA_TOTP_KEYS (put it first; keep the old key until rotate-totp-key ran)."""
        from mda.core import crypto

        click.echo(crypto.new_key())

    @app.cli.command("rotate-totp-key")
    def rotate_totp_key():
        """Re-encrypt every stored TOTP secret and IdP client secret with the first key of MDA_TOTP_KEYS."""
        from sqlalchemy import text

        from mda.core import crypto

        count = 0
        with db.unit_of_work() as s:
            # the TOTP seeds and the IdPs' client secrets (mda.sso) share the key ring
            for table, column in (("app_user", "totp_secret"), ("app_user", "totp_pending_secret"),
                                  ("oidc_provider", "client_secret")):
                rows = s.execute(text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL")).all()  # noqa: S608
                for row_id, token in rows:
                    s.execute(text(f"UPDATE {table} SET {column} = :t WHERE id = :i"),  # noqa: S608
                              {"t": crypto.rotate(token), "i": row_id})
                    count += 1
        click.echo(f"{count} geheimen opnieuw versleuteld met de nieuwste sleutel. "
                   "U kunt de oude sleutel nu uit MDA_TOTP_KEYS halen.")

    @app.cli.command("audit-verify")
    @click.option("--no-seal", is_flag=True, help="Only read: leave pending rows to the sealer (counted as pending).")
    def audit_verify(no_seal: bool):
        """Check the hash chain of the audit trail; exit 1 at the first broken row (pending rows are not broken)."""
        from mda.core.audit import verify_chain

        with db.unit_of_work() as s:
            report = verify_chain(s, seal=not no_seal)
        if report.intact:
            waiting = f" ({report.pending} nieuwe regels wachten nog op verzegeling)" if report.pending else ""
            click.echo(f"Audittrail intact: {report.checked} regels gecontroleerd{waiting}.")
            return
        click.echo(f"Audittrail GEBROKEN bij regel {report.first_broken_seq}: {report.problem} "
                   f"({report.checked} regels daarvoor waren in orde).", err=True)
        raise SystemExit(1)

    from mda.jobs.cli import register as register_jobs_cli
    from mda.sso.cli import register as register_sso_cli

    register_jobs_cli(app)
    register_sso_cli(app)
