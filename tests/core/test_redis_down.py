"""Redis down: the pages keep working and the rate limits count in the process's own memory."""

from tests.conftest import form_post

NOBODY_LISTENS = "redis://127.0.0.1:1/0"


def test_login_works_and_is_still_limited_when_redis_is_unreachable(app_config):
    """With the rate-limit store unreachable, does the login page answer (not a 500) and still limit attempts?"""
    from mda import create_app

    config = {**app_config, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": NOBODY_LISTENS}
    application = create_app(config)
    client = application.test_client()
    assert client.get("/login").status_code == 200
    statuses = [form_post(application, client, "/login",
                          {"email": "nobody@example.test", "password": "x" * 12}).status_code for _ in range(21)]
    assert 500 not in statuses and statuses[0] == 200
    assert statuses[-1] == 429
