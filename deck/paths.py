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
MNIST_RAW = DATA / "MNIST" / "raw"
BENCH_RESULTS = ROOT / "bench" / "results.json"


def shown(path: Path) -> str:
    """A path as messages show it: relative to the project when inside it."""
    path = Path(path)
    return str(path.relative_to(ROOT)) if path.is_absolute() and path.is_relative_to(ROOT) else str(path)
