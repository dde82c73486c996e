"""The case scenario for job tests."""

from tests.cases.conftest import demodam_region, scenario  # noqa: F401
