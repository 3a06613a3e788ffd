"""Where the project's things live: the one place that spells these paths."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLIDES = ROOT / "slides"
DECKS = sorted(SLIDES.glob("*.md"))
SNIPPETS = ROOT / "snippets"
NOTEBOOK = ROOT / "PyTorchLightningExampleOnMNIST.ipynb"
BUILD = ROOT / "build"
CACHE = ROOT / ".cache"
DATA = ROOT / "data"
BENCH_RESULTS = ROOT / "bench" / "results.json"

# The harness: every file that decides how a deck block runs or how its result is judged. All of it
# is in every cache key (harness/cache.py: change one byte here and no block is reported cached),
# and it is what a scratch copy of the project needs to run the deck (tools/matrix.py, the tests).
# - harness/: the plugin that runs the blocks (exec, the reader's folder, outputs, figures, cache);
# - conftest.py: registers it;
# - tests/conftest.py: loaded by a whole `pytest` run, its collection hook sees the deck's blocks too;
# - pyproject.toml: pytest's settings (pythonpath, addopts, the warnings that fail a block);
# - deck/: the model that finds the blocks, their names and marks (markers.json included);
# - tools/: what the harness calls (figures, snippets, mnist_data and its pins) and the
#   rehearsal's two_nodes.sh and slurm_cluster.sh that blocks source.
# Folders are taken whole, so a file added to them is covered without touching this list (the few
# files of tools/ no block needs, the textlint rule, cost only a re-run when they change);
# tests/tooling/test_run_cache.py fails if the harness imports a project module that is not in here.
# Not here: bench/ (no block imports it; what it writes into the deck is deck text, in the key),
# marp.config.mjs (Marp's engine; the marker pattern it shares with the model is deck/markers.json),
# snippets/ (each module is in a block's key on its own, harness/cache.py).
HARNESS = ["conftest.py", "harness", "tests/conftest.py", "pyproject.toml", "deck", "tools"]


def harness_files(root: Path = ROOT) -> list[Path]:
    """The files of HARNESS under `root`, folders walked (no __pycache__), in a stable order."""
    found = []
    for name in HARNESS:
        path = root / name
        if path.is_dir():
            found += sorted(p for p in path.rglob("*")
                            if p.is_file() and "__pycache__" not in p.relative_to(root).parts)
        else:
            found.append(path)
    return found


def shown(path: Path) -> str:
    """A path as messages show it: relative to the project when inside it."""
    path = Path(path)
    return str(path.relative_to(ROOT)) if path.is_absolute() and path.is_relative_to(ROOT) else str(path)
