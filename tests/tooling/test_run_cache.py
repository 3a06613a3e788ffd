"""The author's loop: after a prose edit only the tests that read the deck run again (the folder
says which: tests/deck/), after a change to a tooling file the tooling tests do, and after a change
to the harness every deck block does.

Each case runs pytest, with this project's harness (``deck.paths.HARNESS``), in a scratch project
that has its own small deck and one test in each folder: tests/deck/ (reads the deck), tests/claims/
(depends on the installed versions) and tests/tooling/ (never reads the deck).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import deck
from deck.paths import DATA, HARNESS, ROOT, harness_files
from harness import cache
from tools.generated import copy_project_files

DECK = "---\nmarp: true\n---\n\n# 小さなデッキ\n\n最初の文。\n"
# Two blocks, one with an expected output: what RunCache.key keys, as small as it gets.
DECK_WITH_BLOCKS = DECK + ("\n<!-- snippet: first -->\n```python\nprint(1 + 1)\n```\n\n"
                           "<!-- pytest-codeblocks:expected-output -->\n```text\n2\n```\n\n---\n\n# 二枚目\n\n"
                           "<!-- snippet: second -->\n```sh\necho ok\n```\n")
TESTS = {
    "deck/test_words.py": "import deck\nfrom deck.paths import DECKS\n\n\n"
                          "def test_words():\n    assert '小さなデッキ' in deck.load(DECKS[0]).text\n",
    "claims/test_claim.py": "import json\n\n\ndef test_claim():\n    assert json.loads('[1]') == [1]\n",
    "tooling/test_tool.py": "def test_tool():\n    assert 1 + 1 == 2\n",
}


def scratch_project(tmp_path: Path, deck: str = DECK) -> Path:
    root = tmp_path / "project"
    (root / "tests").mkdir(parents=True)
    # .gitignore too: the tooling tests' key lists the project's files with git, and .cache/ is not one
    copy_project_files([*HARNESS, ".gitignore"], ROOT, root)
    (root / "slides").mkdir()
    (root / "slides" / "tiny.md").write_text(deck, encoding="utf-8")
    for name, text in TESTS.items():
        (root / "tests" / name).parent.mkdir(exist_ok=True)
        (root / "tests" / name).write_text(text, encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)  # the cache key lists the project's files with git
    return root


def pytest_in(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """pytest in the scratch project, without CI's "run everything" (unless `env` says it)."""
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "FRESH")} | env
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "0", "-v", *args],
                          cwd=root, capture_output=True, text=True, env=env)


def outcomes(root: Path, **env: str) -> dict[str, str]:
    """Test name -> PASSED / FAILED / CACHED."""
    done = pytest_in(root, "tests", **env)
    found = dict(re.findall(r"^tests/\S+::(\w+) (PASSED|FAILED|CACHED)", done.stdout, re.M))
    assert len(found) == 3, done.stdout + done.stderr
    return found


def test_a_prose_edit_reruns_only_the_tests_that_read_the_deck_and_a_loose_test_stops_the_run(tmp_path: Path):
    root = scratch_project(tmp_path)
    assert outcomes(root) == {"test_words": "PASSED", "test_claim": "PASSED", "test_tool": "PASSED"}
    assert outcomes(root) == {"test_words": "PASSED", "test_claim": "CACHED", "test_tool": "CACHED"}
    everything = {"test_words": "PASSED", "test_claim": "PASSED", "test_tool": "PASSED"}
    assert outcomes(root, CI="true") == everything  # FRESH=1 is the same switch: test_ci_and_fresh_run_everything

    deck = root / "slides" / "tiny.md"
    deck.write_text(DECK + "\n二つ目の文。\n", encoding="utf-8")  # a prose edit
    assert outcomes(root) == {"test_words": "PASSED", "test_claim": "CACHED", "test_tool": "CACHED"}

    (root / "tests" / "tooling" / "test_tool.py").write_text(TESTS["tooling/test_tool.py"] + "# changed\n")
    assert outcomes(root) == {"test_words": "PASSED", "test_claim": "PASSED", "test_tool": "PASSED"}

    (root / "tools" / "new_helper.py").write_text("VALUE = 1\n")  # any other file of the project is an input
    assert outcomes(root) == {"test_words": "PASSED", "test_claim": "PASSED", "test_tool": "PASSED"}

    # A test outside the three folders is named with where it goes.
    (root / "tests" / "test_loose.py").write_text(TESTS["tooling/test_tool.py"], encoding="utf-8")
    done = pytest_in(root, "tests")
    assert done.returncode == 2, done.stdout + done.stderr
    assert ("error: tests/test_loose.py: put it in tests/deck/ (it reads the deck or what is made from it), "
            "tests/claims/ (Lightning's behaviour) or tests/tooling/ (the tooling)") in done.stdout + done.stderr


def block_outcomes(root: Path) -> list[str]:
    """PASSED / FAILED / CACHED of each deck block, in deck order, from a run without CI's "run everything"."""
    done = pytest_in(root, "slides")
    found = re.findall(r"^slides/tiny\.md::.* (PASSED|FAILED|CACHED)", done.stdout, re.M)
    assert len(found) == 2, done.stdout + done.stderr
    return found


# A harness file of each kind: the plugin, the deck model, a tools module, the rehearsal's script, a new tools file.
HARNESS_CHANGES = ["harness/run.py", "deck/model.py", "tools/figures.py", "tools/rehearsal/two_nodes.sh", "tools/new_helper.py"]


def test_a_harness_change_reruns_every_deck_block(tmp_path: Path):
    root = scratch_project(tmp_path, DECK_WITH_BLOCKS)
    (root / "data").symlink_to(DATA.resolve(), target_is_directory=True)  # the harness checks the staged MNIST
    assert block_outcomes(root) == ["PASSED", "PASSED"]
    assert block_outcomes(root) == ["CACHED", "CACHED"]  # the cache works here: nothing changed
    for name in HARNESS_CHANGES:  # each kind is in the key (below); one run after all of them
        path = root / name
        path.write_text((path.read_text(encoding="utf-8") if path.exists() else "") + "\n# a harness change\n",
                        encoding="utf-8")
        assert path in harness_files(root), f"{name} is not in deck.paths.HARNESS: a change to it leaves blocks cached"
    assert block_outcomes(root) == ["PASSED", "PASSED"], "the harness changed, yet a deck block was reported cached"


def test_a_block_is_keyed_on_the_decks_modules_one_defined_later_too(tmp_path: Path, monkeypatch):
    """Every module is a file in the reader's folder from the first block on, so a change to one re-runs earlier
    blocks."""
    monkeypatch.setattr(cache, "ROOT", tmp_path)
    monkeypatch.setattr(cache, "SNIPPETS", tmp_path / "snippets")
    (tmp_path / "snippets").mkdir()
    later = "\n---\n\n# 三枚目\n\n```python\n# later.py\nVALUE = 1\n```\n"
    (tmp_path / "deck.md").write_text(DECK_WITH_BLOCKS + later, encoding="utf-8")
    first = deck.load(tmp_path / "deck.md").blocks[0]
    keys = []
    for value in (1, 2):
        (tmp_path / "snippets" / "later.py").write_text(f"VALUE = {value}\n", encoding="utf-8")
        keys.append(cache.RunCache({}).key(first))
    assert keys[0] != keys[1], "a module defined later changed, yet the first block's key did not"


@pytest.mark.parametrize("name", ["CI", "FRESH"])
def test_ci_and_fresh_run_everything(monkeypatch, name: str):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("FRESH", raising=False)
    assert not cache.fresh()
    for value, fresh in [("1", True), ("true", True), ("0", False), ("false", False), ("", False)]:
        monkeypatch.setenv(name, value)
        assert cache.fresh() is fresh, (name, value)


def test_the_harness_holds_every_project_module_the_deck_run_imports():
    """A module conftest.py's plugins import from the project (a new package, say) must be in deck.paths.HARNESS,
    or a change to it would leave the deck's blocks reported cached."""
    code = ("import importlib, json, sys, conftest; [importlib.import_module(p) for p in conftest.pytest_plugins]; "
            "print(json.dumps([getattr(m, '__file__', None) for m in sys.modules.values()]))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    venv = Path(sys.prefix).resolve()
    ours = {Path(f).resolve() for f in json.loads(done.stdout) if f}
    ours = {f for f in ours if f.is_relative_to(ROOT) and not f.is_relative_to(venv)}
    assert ROOT / "conftest.py" in ours and ROOT / "harness" / "cache.py" in ours
    missing = sorted(f.relative_to(ROOT).as_posix() for f in ours - set(harness_files()))
    assert missing == [], f"the harness imports {missing}, which deck.paths.HARNESS leaves out of the cache key"
