"""Scale-out on Redis: state that several server processes must share (runs with MDA_TEST_REDIS_URL)."""

import pytest

from tests.conftest import REDIS_URL, form_post

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not REDIS_URL, reason="MDA_TEST_REDIS_URL is not set"),
]


def test_login_rate_limit_is_shared_between_processes(app_config):
    """With Redis, do two app processes count login attempts from one address together?"""
    import redis

    from mda import create_app

    redis.Redis.from_url(REDIS_URL).flushdb()
    config = {**app_config, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": REDIS_URL,
              "REDIS_URL": REDIS_URL}
    first, second = create_app(config), create_app(config)
    statuses = []
    for n in range(21):
        application = first if n % 2 == 0 else second
        client = application.test_client()
        statuses.append(form_post(application, client, "/login",
                                  {"email": "nobody@example.test", "password": "x" * 12}).status_code)
    assert statuses[:20] == [200] * 20
    assert statuses[20] == 429
    redis.Redis.from_url(REDIS_URL).flushdb()
