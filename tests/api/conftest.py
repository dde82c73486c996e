"""The Demodam case scenario of the case tests, for the API tests."""

from tests.cases.conftest import demodam_region, scenario, switch_to  # noqa: F401
