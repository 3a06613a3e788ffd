"""What the tests share: the browser, a scratch deck run through our harness, markers.

The deck's own blocks are run by the harness (harness/, registered by the root conftest.py; they come
first: `testpaths`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deck.paths import ROOT
from harness import cache
from tools.marp_build import find_browser


@pytest.fixture(scope="session")
def browser_path() -> str:
    path = find_browser()
    if not path:
        pytest.fail("no Chrome/Chromium: apt-get install chromium (or set CHROME_PATH); the build needs it too")
    return path


@pytest.fixture(scope="session")
def chromium(browser_path: str):
    """One headless Chromium (the build's browser, driven by Playwright) for the tests that look at pages."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def run_deck(tmp_path: Path):
    """Run a scratch deck's blocks through our harness: `run_deck(text, *pytest_args, **options)`."""
    return lambda text, *args, **options: _run_deck(tmp_path, text, *args, **options)


def _run_deck(folder: Path, text: str, *args: str, python: str = sys.executable, wrapper: tuple[str, ...] = (),
              env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    # Our harness as a plugin, none of the project's pytest settings, the deck as the only input; by default
    # this venv's Python (or `python`, run by `wrapper`) on a bare PATH, FRESH=1.
    deck = folder / "deck.md"
    deck.write_text(text, encoding="utf-8")
    cmd = [*wrapper, python, "-m", "pytest", "-c", "/dev/null", "--rootdir", str(folder),
           "-p", "harness.plugin", "--codeblocks", "-q", *args, str(deck)]
    env = env or {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "FRESH": "1"}
    return subprocess.run(cmd, cwd=folder, capture_output=True, text=True, env=env, timeout=timeout)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes more than a few seconds (a real fit or a kernel run)")
    config.addinivalue_line("markers", "network: downloads from PyPI; runs with NETWORK=1 (make test-network)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The longest tests start first (after the deck's blocks, first by `testpaths`): the slow ones (the
    # notebook's kernel beside the deck's blocks), then those that drive Chromium (one to three seconds
    # each), so that the two workers of `make test` end together, not one of them with the slowest left.
    items.sort(key=lambda item: (Path(item.path).is_relative_to(cache.TESTS), "slow" not in item.keywords,
                                 "chromium" not in getattr(item, "fixturenames", ())))
    # Like the matrix they test other install routes, not the deck: CI runs them beside it (.ci/run), not in `make test`.
    if os.environ.get("NETWORK"):
        return
    skip = pytest.mark.skip(reason="downloads from PyPI: `make test-network` runs it (CI does)")
    for item in items:
        if "network" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def deck_page(chromium):
    """The built deck (tests/support/pages.py), every slide laid out: what tests/deck/ measures in Chromium
    (read only, so one page serves every test of a process)."""
    from tests.support.pages import HTML, laid_out

    assert HTML.is_file(), "run `make slides` first"
    page = laid_out(chromium, HTML)
    yield page
    page.close()
