"""Alembic environment: the engine comes from the MDA++ application."""

from alembic import context
from sqlmodel import SQLModel

import mda.models  # noqa: F401  (imports every table so that metadata is complete)

config = context.config
target_metadata = SQLModel.metadata


def _engine():
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine
    from mda import create_app

    return create_app().extensions["mda_engine"]


def run_migrations_online() -> None:
    with _engine().connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
