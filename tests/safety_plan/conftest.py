"""The Demodam case scenario of the case tests, plus helpers for the plan."""

from __future__ import annotations

import pytest

from mda.core import sharing
from tests.cases.conftest import api_post, demodam_region, scenario, strict_covenant, switch_to  # noqa: F401
from tests.meetings.conftest import invite, plan, service, world  # noqa: F401  (meetings with plan actions)


@pytest.fixture
def ctx_of(db):
    """The sharing context of a case, loaded in the test session."""

    def load(case) -> sharing.CaseContext:
        db.expire_all()
        return sharing.load_context(db, db.get(type(case), case.id))

    return load
