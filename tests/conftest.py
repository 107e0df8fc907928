"""Shared test fixtures. Fixture modules live in tests/fixtures/ and are registered here."""

pytest_plugins: list[str] = [
    "tests.fixtures.client",
    "tests.fixtures.emulator",
    "tests.fixtures.people",
    "tests.fixtures.connections",
    "tests.browser.fixtures",
]
