"""Case references: numbered from a counter, so that two acceptances at the same moment never collide."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import select

from mda.cases.models import Case, Referral
from mda.core.timeutil import utcnow
from tests.cases.conftest import demodam_region
from tests.conftest import PG_URL


def _submit(app, requester, n: int) -> int:
    from mda import db as mdadb
    from mda.auth.models import User
    from mda.cases.intake import PersonInput, submit_referral

    with app.test_request_context():
        s = mdadb.session()
        referral = submit_referral(s, s.get(User, requester.id), reason=f"Reden {n}", goal="Doel", urgency="hoog",
                                   persons=[PersonInput(role="slachtoffer", name=f"Persoon Fictief {n}")],
                                   partner_org_ids=[])
        mdadb.commit()
        return referral.id


def test_references_count_on_within_one_transaction(app, db, scenario):
    """Do two acceptances in one unit of work get consecutive references (the counter is not re-read from cases)?"""
    from mda import db as mdadb
    from mda.auth.models import User
    from mda.cases.intake import accept_referral

    demodam_region(db)
    ids = [_submit(app, scenario.users["pol"], n) for n in (1, 2)]
    with app.test_request_context():
        s = mdadb.session()
        coordinator = s.get(User, scenario.users["coordinator"].id)
        first = accept_referral(s, coordinator, s.get(Referral, ids[0]))
        second = accept_referral(s, coordinator, s.get(Referral, ids[1]))
        mdadb.commit()
    assert first.reference != second.reference
    assert int(second.reference.rsplit("-", 1)[1]) == int(first.reference.rsplit("-", 1)[1]) + 1


@pytest.mark.skipif(not PG_URL, reason="SQLite has one writer at a time: the race cannot happen there")
def test_two_coordinators_accepting_at_once_get_different_references(app, db, scenario):
    """When two coordinators accept referrals at the same moment (separate transactions), do both cases
    open, with different references, instead of one failing on the unique reference?"""
    from mda import db as mdadb
    from mda.auth.models import User
    from mda.cases.intake import accept_referral

    demodam_region(db)
    ids = [_submit(app, scenario.users["pol"], n) for n in (1, 2)]
    coordinators = [scenario.users["coordinator"].id, scenario.users["other_coordinator"].id]
    first_flushed, let_first_commit = threading.Event(), threading.Event()
    results, errors = {}, {}

    def accept(n: int, hold: bool) -> None:
        try:
            with app.test_request_context():
                s = mdadb.session()
                case = accept_referral(s, s.get(User, coordinators[n]), s.get(Referral, ids[n]))
                s.flush()
                if hold:  # the first transaction has its reference but has not committed yet
                    first_flushed.set()
                    let_first_commit.wait(30)
                mdadb.commit()
                results[n] = case.reference
        except Exception as exc:  # reported below
            errors[n] = repr(exc)
            first_flushed.set()

    first = threading.Thread(target=accept, args=(0, True))
    first.start()
    assert first_flushed.wait(30)
    second = threading.Thread(target=accept, args=(1, False))
    second.start()
    second.join(3)  # the second waits on the first's counter row (or, before the fix, reads the same max)
    let_first_commit.set()
    first.join(30)
    second.join(30)
    assert not errors, errors
    assert results[0] != results[1]
    db.expire_all()
    refs = sorted(c.reference for c in db.exec(select(Case)) if c.reference.startswith(f"MDA-{utcnow().year}-"))
    assert set(results.values()) <= set(refs)
