"""Every code block of the deck runs ("すべて実行・テスト" is literally true).

A block that the tests do not run for real (``pytest.mark.skip``/``skipif``/``xfail``, or
pytest-codeblocks' ``importorskip``) fails this test unless it is listed in NOT_RUN below, the one
place that says which blocks are exceptions and why. An entry whose block runs again (or is gone)
fails too, so the list never outlives its reason.
"""

from __future__ import annotations

import io
import re

import pytest
from pytest_codeblocks.main import extract_from_buffer

import deck
from deck.paths import DECKS


# snippet file name (snippets/NAME) -> why the tests cannot run it. Keep it empty if you can.
NOT_RUN: dict[str, str] = {}  # block name -> why it is not run; empty: every block of the deck runs

NOT_FOR_REAL = re.compile(r"pytest\.mark\.(skip|skipif|xfail)\b")


def not_run() -> dict[str, str]:
    """Block name -> what keeps it from running for real, for every deck."""
    found = {}
    for path in DECKS:
        model = deck.load(path)
        importorskip = {b.lineno: b.importorskip for b in extract_from_buffer(io.StringIO(model.text))}
        for block in model.blocks:
            why = [m for m in block.marks if NOT_FOR_REAL.match(m)]
            if importorskip.get(block.line):
                why.append(f"pytest-codeblocks:importorskip({importorskip[block.line]})")
            if why:
                found[block.name] = f"{block.where()}: {', '.join(why)}"
    return found


def test_no_block_is_skipped_unless_listed_with_its_reason():
    unlisted = {name: where for name, where in not_run().items() if name not in NOT_RUN}
    assert not unlisted, (
        "these blocks would not run for real; make them run, or list them in NOT_RUN of "
        "tests/deck/test_every_block_runs.py with the reason:\n" + "\n".join(f"  {n}: {w}" for n, w in unlisted.items()))


def test_every_listed_exception_is_still_needed():
    stale = sorted(set(NOT_RUN) - set(not_run()))
    assert not stale, f"these blocks run now (or are gone): remove them from NOT_RUN: {', '.join(stale)}"


def test_no_deck_skips_a_whole_file():
    for path in DECKS:
        assert "pytest-codeblocks:skipfile" not in path.read_text(encoding="utf-8"), f"{path} skips all its blocks"
