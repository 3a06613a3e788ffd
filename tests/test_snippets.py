"""snippets/ is exactly what the deck shows, and our reading of the deck is pytest-codeblocks' own."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_codeblocks.main import extract_from_file

from tools import snippets

ROOT = snippets.ROOT


def test_snippets_match_the_deck():
    text = snippets.diff(snippets.expected_files(), snippets.actual_files())
    assert not text, f"snippets/ differs from the deck:\n{text}\nRegenerate with: {snippets.FIX}"


@pytest.mark.parametrize("deck", snippets.DECKS, ids=lambda p: p.name)
def test_blocks_are_the_ones_pytest_codeblocks_runs(deck: Path):
    ours = [(b.first.fence_line, b.first.info, b.code, b.expected_output) for b in snippets.read_blocks(deck)]
    theirs = [(b.lineno, b.syntax, b.code, b.expected_output) for b in extract_from_file(deck)]
    assert ours == theirs


def run_tool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools.snippets", *args], cwd=ROOT, capture_output=True, text=True)


def test_a_hand_edit_in_snippets_fails_with_a_diff_and_the_fix(tmp_path: Path):
    shutil.copytree(snippets.SNIPPETS, tmp_path, dirs_exist_ok=True)
    module = tmp_path / "litmodule.py"
    module.write_text(module.read_text().replace("lr: float = 1e-2", "lr: float = 3e-4"))
    (tmp_path / "scratch.py").write_text("print('not in the deck')\n")

    checked = run_tool("check", "--dir", str(tmp_path))
    assert checked.returncode == 1
    assert "-    def __init__(self, lr: float = 3e-4):" in checked.stderr
    assert "+    def __init__(self, lr: float = 1e-2):" in checked.stderr
    assert f"{tmp_path}/scratch.py" in checked.stderr  # a file the deck does not have
    assert "Regenerate with: make snippets" in checked.stderr

    assert run_tool("write", "--dir", str(tmp_path)).returncode == 0
    assert run_tool("check", "--dir", str(tmp_path)).returncode == 0
    assert not (tmp_path / "scratch.py").exists()


def test_a_continued_module_maps_back_to_its_slides():
    block = next(b for b in snippets.read_blocks(snippets.DECKS[0]) if b.name == "litmodule.py")
    assert len(block.pieces) > 1, "litmodule.py is continued across slides"
    lines = block.file_text.splitlines()
    for number, text in enumerate(lines, start=1):
        piece, deck_line = block.deck_line(number, in_file=True)
        if text.strip():
            assert piece.deck.read_text(encoding="utf-8").splitlines()[deck_line - 1] == text
