"""Which deck blocks are already proven: a block whose inputs are unchanged since a green run.

In the spirit of Quarto's ``freeze: auto`` and jupyter-cache, but keyed on more than the source
(Quarto's known weakness is a changed environment going unnoticed). A block's key covers:

- its own code, expected output and marks, and those of every block before it in the deck:
  blocks share a scratch folder and the ``snippets/`` modules, so an earlier change can change a
  later result, and a change to a late block re-runs only the blocks from there on;
- the ``snippets/`` modules as they are on disk (what the blocks import);
- Python, the platform and the installed versions of what the blocks use;
- the MNIST checksums and the test harness itself (conftest.py, pytest settings, the
  rehearsal's tools/rehearsal/two_nodes.sh).

``CI=true`` or ``FRESH=1`` ignores the cache (results are still recorded).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import platform
from importlib import metadata

import deck
from deck.paths import CACHE, ROOT, SNIPPETS
from tools.generated import write_atomically
from tools.mnist_data import PINS_FILE

CACHE_FILE = CACHE / "deck-runs.json"
PACKAGES = ["torch", "torchvision", "pytorch-lightning", "lightning", "lightning-utilities", "torchmetrics",
            "numpy", "pytest", "pytest-codeblocks", "jsonargparse"]
HARNESS = [ROOT / "conftest.py", ROOT / "pyproject.toml", PINS_FILE, ROOT / "tools" / "rehearsal" / "two_nodes.sh"]


def fresh() -> bool:
    """Run everything: in CI, or when asked (`make test FRESH=1`)."""
    return any(os.environ.get(name, "").lower() not in ("", "0", "false", "no") for name in ("CI", "FRESH"))


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


@functools.cache
def environment() -> str:
    parts = [platform.python_version(), platform.platform(), *(f"{p}=={_version(p)}" for p in PACKAGES)]
    parts += [path.read_text(encoding="utf-8") for path in HARNESS]
    parts += [f"{p.name}\n{p.read_text(encoding='utf-8')}" for p in sorted(SNIPPETS.glob("*.py"))]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


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
        for earlier in block.deck.blocks:
            h.update(json.dumps([earlier.info, earlier.code, earlier.expected_output, earlier.marks]).encode())
            if earlier is block:
                break
        return h.hexdigest()

    @staticmethod
    def key_of(*inputs: str) -> str:
        """The key of anything else that runs (the notebook): its inputs and the environment."""
        return hashlib.sha256("\0".join([environment(), *inputs]).encode()).hexdigest()

    def has(self, key: str) -> bool:
        return key in self.entries

    def add(self, key: str, name: str) -> None:
        self.entries[key] = {"test": name, "green": dt.datetime.now().isoformat(timespec="seconds")}
        self.changed = True

    def save(self) -> None:
        if self.changed:
            CACHE.mkdir(exist_ok=True)
            entries = {**RunCache.load().entries, **self.entries}  # parallel workers each add their own
            write_atomically(CACHE_FILE, json.dumps(entries, indent=1, sort_keys=True) + "\n")
