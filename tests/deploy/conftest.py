"""The live-session fixtures, for the image test's two-replica live event."""

from tests.live.conftest import meeting  # noqa: F401  (fixture)
from tests.live.test_real_transport import clients  # noqa: F401  (fixture)
from tests.meetings.conftest import case_items, invite, plan, service, world  # noqa: F401  (fixtures)
