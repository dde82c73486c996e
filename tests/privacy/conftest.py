"""The privacy tests use the case scenario of tests/cases."""

from tests.cases.conftest import scenario, switch_to  # noqa: F401
