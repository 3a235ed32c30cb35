"""The browser tests' fixtures; they live in ``tests/e2e/harness.py`` (imported by package name)."""
from tests.e2e.harness import browser, new_page, sample_server, xss_server, xss_store  # noqa: F401
