"""The author's loop: after a prose edit only the tests that read the deck run again (conftest.py).

Each case runs pytest, with this project's conftest.py, in a scratch project that has its own small
deck and three tooling tests: one marked ``reads_deck``, one that never reads the deck, and one that
reads it without the mark.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from deck.paths import ROOT
from tools.generated import copy_project_files

HARNESS = ["conftest.py", "deck", "tools", "pyproject.toml", ".gitignore", "tests/conftest.py"]
DECK = "---\nmarp: true\n---\n\n# 小さなデッキ\n\n最初の文。\n"
TESTS = {
    "test_words.py": "import pytest\nimport deck\nfrom deck.paths import DECKS\n\n\n@pytest.mark.reads_deck\n"
                     "def test_words():\n    assert '小さなデッキ' in deck.load(DECKS[0]).text\n",
    "test_tool.py": "def test_tool():\n    assert 1 + 1 == 2\n",
    "test_sneaky.py": "from deck.paths import DECKS\n\n\ndef test_sneaky():\n    assert DECKS[0].read_text()\n",
}


def scratch_project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "tests").mkdir(parents=True)
    copy_project_files(HARNESS, ROOT, root)
    (root / "slides").mkdir()
    (root / "slides" / "tiny.md").write_text(DECK, encoding="utf-8")
    for name, text in TESTS.items():
        (root / "tests" / name).write_text(text, encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)  # the cache key lists the project's files with git
    return root


def outcomes(root: Path) -> dict[str, str]:
    """Test name -> PASSED / FAILED / CACHED, from a run without CI's "run everything"."""
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "FRESH")}
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "0", "-v", "tests"],
                          cwd=root, capture_output=True, text=True, env=env)
    found = dict(re.findall(r"^tests/\S+::(\w+) (PASSED|FAILED|CACHED)", done.stdout, re.M))
    assert len(found) == 3, done.stdout + done.stderr
    outcomes.last_output = done.stdout
    return found


def test_a_prose_edit_reruns_only_the_tests_that_read_the_deck(tmp_path: Path):
    root = scratch_project(tmp_path)
    assert outcomes(root) == {"test_words": "PASSED", "test_tool": "PASSED", "test_sneaky": "FAILED"}
    assert ("tests/test_sneaky.py::test_sneaky read slides/tiny.md, which a prose edit changes, but is not "
            "marked reads_deck") in outcomes.last_output

    assert outcomes(root) == {"test_words": "PASSED", "test_tool": "CACHED", "test_sneaky": "FAILED"}

    deck = root / "slides" / "tiny.md"
    deck.write_text(DECK + "\n二つ目の文。\n", encoding="utf-8")  # a prose edit
    assert outcomes(root) == {"test_words": "PASSED", "test_tool": "CACHED", "test_sneaky": "FAILED"}

    (root / "tools" / "new_helper.py").write_text("VALUE = 1\n")  # any other file of the project is an input
    assert outcomes(root) == {"test_words": "PASSED", "test_tool": "PASSED", "test_sneaky": "FAILED"}
