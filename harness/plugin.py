"""The harness's hooks: pytest calls these; the session's state and the work are on ``DeckRun`` (run.py).

Registered by the root conftest.py (``pytest_plugins = ["harness.plugin"]``); a scratch deck can be
run with ``pytest -p harness.plugin --codeblocks deck.md`` (tests/conftest.py's ``run_deck``).
"""

from __future__ import annotations

import pytest

from deck.paths import ROOT, SLIDES
from harness import blocks, cache
from harness.run import DeckRun

# `make test` runs two pytest-xdist workers. The deck's blocks run in order on one of them; every other test
# is a unit of its own (the rehearsal tests too: each run has namespaces of its own, and a test that opens a
# port runs only where there are namespaces).
ONE_UNIT = f"{SLIDES.relative_to(ROOT).as_posix()}/"


@pytest.hookimpl(optionalhook=True)  # pytest -p no:xdist still runs the deck
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``--dist loadgroup`` with ``xdist_group`` marks would say this, but with pytest >= 9.2 loadgroup
    ignores the marks (xdist sets ``item._nodeid``, pytest now derives ``nodeid`` from ``_id``):
    https://github.com/pytest-dev/pytest-xdist/issues/1386 . Once a fixed xdist is the floor, mark the
    ONE_UNIT items ``xdist_group("deck")`` in collection and run ``-n 2 --dist loadgroup`` instead."""
    from xdist.scheduler import LoadScopeScheduling

    class DeckInOrder(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "deck" if nodeid.startswith(ONE_UNIT) else nodeid

    return DeckInOrder(config, log)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-outputs", action="store_true",
                     help="rewrite every expected output in the deck that differs from the real one (make outputs)")
    parser.addoption("--update-figures", action="store_true",
                     help="keep every figure the deck's blocks save in slides/figures/, with its record (make figures)")


def pytest_configure(config: pytest.Config) -> None:
    blocks.set_up_the_readers_machine()
    # A deck block hands a torch tensor to imshow; numpy 2 asks torch's __array__ for a copy= it
    # lacks and falls back. Readers never see it (a DeprecationWarning inside matplotlib).
    config.addinivalue_line("filterwarnings",
                            "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")
    config.pluginmanager.register(DeckRun(config), DeckRun.NAME)


@pytest.fixture
def proven(request: pytest.FixtureRequest):
    """For a test that runs something slow (the notebook): `if proven(*inputs): return` ends the
    test as "cached" when a green run had these very inputs (and the same environment)."""
    run: DeckRun = request.config.pluginmanager.get_plugin(DeckRun.NAME)

    def check(*inputs: str) -> bool:
        key = cache.RunCache.key_of(request.node.nodeid, *inputs)
        return run.prove(request.node, key)
    return check
