"""Which tests read the deck: an audit hook that notes what a test opens and which commands it starts.

A tooling test's cached result is keyed on every project file but the deck and what is made from
it (tools/run_cache.py), so a prose edit does not re-run it. That is only right for a test that
never reads them; a test that does is marked ``reads_deck`` and always runs. This module checks
the mark: while an unmarked test runs (or its module is imported), every file this process opens
and every path a command it starts is given (``pdffonts build/x.pdf``, ``marp slides/x.md``) is
held against ``run_cache.made_from_the_deck``. A command that reads the deck without being given
its path (a tool run in the project folder that finds the deck itself) is not seen: such a test
needs the mark by hand, as tests/test_overflow.py's do (Chromium opens the built HTML). Nor is a
read from a test module's own cache: load the deck with ``deck.load`` each time (it re-reads the
file and reuses the parse).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from deck.paths import shown
from tools.run_cache import made_from_the_deck

_seen: list[set[str]] = []  # the reads of what is being watched now (nested: a module inside a test)


def _note(path: object, cwd: object = None) -> None:
    if not isinstance(path, (str, bytes, os.PathLike)):
        return
    path = Path(os.fsdecode(path))
    if not path.is_absolute():
        path = Path(os.fsdecode(cwd) if cwd else os.getcwd()) / path
    if made_from_the_deck(path):
        for seen in _seen:
            seen.add(shown(path))


def _hook(event: str, args: tuple) -> None:
    if not _seen:
        return
    if event == "open":
        _note(args[0])
    elif event == "subprocess.Popen":
        executable, argv, cwd = args[0], args[1], args[2]
        for arg in [executable, *(argv if isinstance(argv, (list, tuple)) else [argv])]:
            if isinstance(arg, (str, bytes, os.PathLike)):
                _note(arg, cwd)


sys.addaudithook(_hook)  # audit hooks cannot be removed; idle (one list check) when nothing is watched


@contextlib.contextmanager
def watching() -> Iterator[set[str]]:
    """The deck files read inside the block (shown relative to the project)."""
    seen: set[str] = set()
    _seen.append(seen)
    try:
        yield seen
    finally:
        _seen.remove(seen)
