"""``Idempotency-Key`` on the API's writes: a retried request is applied once, and says so."""

from datetime import timedelta

import pytest
from sqlmodel import select

from mda.api.idempotency import ApiIdempotencyKey, forget_expired
from mda.core.timeutil import utcnow
from mda.safety_plan.models import PlanAction
from tests.conftest import csrf_token, working_day

FUTURE = working_day(10)


@pytest.fixture
def post(app, client, auth, scenario):
    auth.login(scenario.users["lt"])
    url = f"/api/v1/cases/{scenario.case.id}/plan/actions"

    def send(payload: dict, key: str | None, path: str = url):
        headers = {"X-CSRFToken": csrf_token(app, client)}
        if key is not None:
            headers["Idempotency-Key"] = key
        return client.post(path, json=payload, headers=headers)

    return send


def _action(scenario, description="Gesprek met moeder"):
    return {"description": description, "deadline": FUTURE.isoformat(), "owner_user_id": scenario.users["lt"].id}


def test_a_retried_write_is_stored_once_and_answered_as_a_repeat(post, db, scenario):
    """Does sending the same POST twice with one key store one action, and does the repeat get the original
    status, the id and the 'replayed' header, without the body's personal data?"""
    first = post(_action(scenario), "retry-0001-abcdef")
    assert first.status_code == 201
    again = post(_action(scenario), "retry-0001-abcdef")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json == {"herhaald": True, "id": first.json["id"],
                          "melding": "Dit verzoek was al verwerkt; er is niets opnieuw gedaan."}
    assert "Gesprek" not in again.text
    db.expire_all()
    assert len(db.exec(select(PlanAction)).all()) == 1


def test_without_a_key_every_post_is_new_work(post, db, scenario):
    """Do two POSTs without a key still make two actions (the header is optional)?"""
    assert post(_action(scenario), None).status_code == 201
    assert post(_action(scenario), None).status_code == 201
    db.expire_all()
    assert len(db.exec(select(PlanAction)).all()) == 2


def test_the_same_key_for_a_different_request_is_refused(post, db, scenario):
    """Is a key reused with another body refused with a Dutch 422, and nothing stored by it?"""
    assert post(_action(scenario), "retry-0002-abcdef").status_code == 201
    other = post(_action(scenario, "Iets anders"), "retry-0002-abcdef")
    assert other.status_code == 422 and "al gebruikt voor een ander verzoek" in other.json["message"]
    db.expire_all()
    assert len(db.exec(select(PlanAction)).all()) == 1


def test_a_failed_request_leaves_the_key_free_for_the_corrected_retry(post, db, scenario):
    """After a 422 for bad input, can the corrected request use the same key (the claim was rolled back)?"""
    bad = post({"description": "Gesprek"}, "retry-0003-abcdef")
    assert bad.status_code == 422
    assert db.exec(select(ApiIdempotencyKey)).all() == []
    good = post(_action(scenario), "retry-0003-abcdef")
    assert good.status_code == 201 and "Idempotent-Replayed" not in good.headers


@pytest.mark.parametrize("key", ["kort", "x" * 65, "met spatie 123", "ééééééééé"])
def test_a_malformed_key_gets_a_dutch_message(post, db, scenario, key):
    """Is a key that is too short, too long or has odd characters refused with a Dutch 422, nothing stored?"""
    resp = post(_action(scenario), key)
    assert resp.status_code == 422 and "Idempotency-Key" in resp.json["message"]
    db.expire_all()
    assert db.exec(select(PlanAction)).all() == []


def test_keys_are_per_user(app, client, auth, db, scenario, switch_to):
    """Does another user's identical key and request count as new work (keys do not cross users)?"""
    url = f"/api/v1/cases/{scenario.case.id}/plan/actions"
    for user in (scenario.users["lt"], scenario.users["pol"]):
        switch_to(user)
        resp = client.post(url, json=_action(scenario), headers={"X-CSRFToken": csrf_token(app, client),
                                                                 "Idempotency-Key": "shared-key-0001"})
        assert resp.status_code == 201 and "Idempotent-Replayed" not in resp.headers
    db.expire_all()
    assert len(db.exec(select(PlanAction)).all()) == 2


def test_a_key_is_forgotten_after_a_day(post, db, scenario):
    """Is a key older than 24 hours removed by the job, and may it then be used again?"""
    assert post(_action(scenario), "retry-0004-abcdef").status_code == 201
    row = db.exec(select(ApiIdempotencyKey)).one()
    row.created_at = utcnow() - timedelta(hours=25)
    db.add(row)
    db.commit()
    assert post(_action(scenario), "retry-0004-abcdef").headers.get("Idempotent-Replayed") is None
    row = db.exec(select(ApiIdempotencyKey)).one()
    row.created_at = utcnow() - timedelta(hours=25)
    db.add(row)
    db.commit()
    assert forget_expired(db, utcnow()) == 1
    db.commit()
    assert db.exec(select(ApiIdempotencyKey)).all() == []
    db.expire_all()
    assert len(db.exec(select(PlanAction)).all()) == 2
