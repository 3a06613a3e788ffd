"""Which deck blocks are already proven: a block whose inputs are unchanged since a green run.

In the spirit of Quarto's ``freeze: auto`` and jupyter-cache, but keyed on more than the source
(Quarto's known weakness is a changed environment going unnoticed). A block's key covers:

- its own code, expected output and marks, and those of every block before it in the deck:
  blocks share a scratch folder and the ``snippets/`` modules, so an earlier change can change a
  later result, and a change to a late block re-runs only the blocks from there on;
- the deck's modules as ``snippets/`` holds them (what the blocks import; every module is a file
  in the reader's folder from the first block on, so a module defined later counts too);
- Python, the platform and every installed distribution's version;
- every file of the harness (``deck.paths.HARNESS``, which lists them).

The tests under tests/ are keyed by their folder (`FOLDERS`). ``CI=true`` or ``FRESH=1`` ignores the
cache (results are still recorded).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

import deck
from deck.paths import BUILD, CACHE, DECKS, NOTEBOOK, ROOT, SNIPPETS, harness_files
from tools.generated import write_atomically
from tools.marp_build import find_browser

CACHE_FILE = CACHE / "deck-runs.json"


def flag(name: str) -> bool:
    """An environment switch (CI, FRESH): set, and not 0/false/no."""
    return os.environ.get(name, "").lower() not in ("", "0", "false", "no")


def fresh() -> bool:
    """Run everything: in CI, or when asked (`make test FRESH=1`)."""
    return flag("CI") or flag("FRESH")


def _with_files(h, paths) -> str:
    """`h` after each file's project path and bytes: a file added, moved or gone changes it too."""
    for path in paths:
        h.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        h.update((path.read_bytes() if path.is_file() else b"(none)") + b"\0")
    return h.hexdigest()


@functools.cache
def environment() -> str:
    installed = sorted({f"{d.metadata['Name']}=={d.version}".lower() for d in metadata.distributions()})
    h = hashlib.sha256("\0".join([platform.python_version(), platform.platform(), *installed]).encode())
    return _with_files(h, harness_files())


def made_from_the_deck(path: Path) -> bool:
    """What a prose edit changes: the deck, the notebook made from it, and what the build makes of it
    (build/NAME.html/.pdf/.pptx and the font subset in build/themes/; not build/fonts/ nor build/bench/)."""
    path = Path(path).resolve()
    if path in DECKS or path == NOTEBOOK:
        return True
    return path.is_relative_to(BUILD / "themes") or (path.parent == BUILD and any(path.stem == d.stem for d in DECKS))


# Programs the tooling tests start (and the browser): a different one is a different input.
PROGRAMS = ["node", "make", "pdffonts", "pdftotext", "ip"]


@functools.cache
def project() -> str:
    """Every file of the project (committed or new, not ignored) but what is made from the deck, and the
    programs the tests start: with the environment and its name (`RunCache.key_of`), a tooling test's key."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                                capture_output=True, check=True).stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: which files are ours is unknown
        return f"unknown-{os.getpid()}-{dt.datetime.now().isoformat()}"  # matches no earlier run
    h = hashlib.sha256()
    for program, found in [*((p, shutil.which(p)) for p in PROGRAMS), ("browser", find_browser())]:
        stat = Path(found).resolve().stat() if found and Path(found).exists() else None
        h.update(f"{program}={found}:{stat and (stat.st_size, stat.st_mtime_ns)}\0".encode())
    paths = [ROOT / name for name in sorted(filter(None, set(listed)))]
    return _with_files(h, [path for path in paths if not made_from_the_deck(path)])


TESTS = ROOT / "tests"


@functools.cache
def _tests_code() -> str:
    """Every file under tests/: with the environment and its name (`RunCache.key_of`), a claim's key."""
    return _with_files(hashlib.sha256(), sorted(p for p in TESTS.rglob("*")
                                                if p.is_file() and "__pycache__" not in p.parts))


# How a test is cached, by its folder under tests/: what its key holds besides the environment (None: it always runs).
FOLDERS = {
    "deck": None,  # reads the deck or what is made from it (build/, the notebook): every prose edit changes it
    "claims": _tests_code,  # the installed versions and the tests' code
    "tooling": project,  # every project file but the deck and what is made from it, and the programs the tests start
}


def folder_of(path: Path) -> str | None:
    """The folder under tests/ a test module sits in (deck, claims, tooling), or None when it is elsewhere."""
    path = Path(path).resolve()
    if not path.is_relative_to(TESTS) or len(path.relative_to(TESTS).parts) < 2:
        return None
    return path.relative_to(TESTS).parts[0]


def key_for_test(folder: str, nodeid: str) -> str | None:
    """The cache key of the test `nodeid` in tests/FOLDER (None: it always runs)."""
    inputs = FOLDERS[folder]
    return inputs and RunCache.key_of(folder, nodeid, inputs())


class RunCache:
    def __init__(self, entries: dict[str, dict[str, str]]):
        self.entries = entries
        self.changed = False

    @classmethod
    def load(cls) -> RunCache:
        try:
            return cls(json.loads(CACHE_FILE.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return cls({})

    def key(self, block: deck.Block) -> str:
        h = hashlib.sha256(environment().encode())
        _with_files(h, [SNIPPETS / b.name for b in block.deck.blocks if b.is_module])
        for earlier in block.deck.blocks:
            h.update(json.dumps([earlier.info, earlier.code, earlier.expected_output, earlier.marks]).encode())
            if earlier is block:
                break
        return h.hexdigest()

    @staticmethod
    def key_of(*inputs: str) -> str:
        """The key of anything else that runs (the notebook): its inputs and the environment."""
        return hashlib.sha256("\0".join([environment(), *inputs]).encode()).hexdigest()

    def add(self, key: str, name: str) -> None:
        self.entries[key] = {"test": name, "green": dt.datetime.now().isoformat(timespec="seconds")}
        self.changed = True

    def save(self) -> None:
        if self.changed:
            CACHE.mkdir(exist_ok=True)
            entries = {**RunCache.load().entries, **self.entries}  # parallel workers each add their own
            write_atomically(CACHE_FILE, json.dumps(entries, indent=1, sort_keys=True) + "\n")
